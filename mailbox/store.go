package mailbox

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// SpecialFolder is a folder created for every new user, with its RFC 6154
// special-use attribute.
type SpecialFolder struct {
	Name string // folder name, e.g. "Sent"
	Use  string // attribute, e.g. `\Sent`
}

// Special-use attributes (RFC 6154 section 2).
const (
	UseAll     = `\All`
	UseArchive = `\Archive`
	UseDrafts  = `\Drafts`
	UseFlagged = `\Flagged`
	UseJunk    = `\Junk`
	UseSent    = `\Sent`
	UseTrash   = `\Trash`
)

// DefaultSpecialFolders are created for new users when
// Store.SpecialFolders is nil.
var DefaultSpecialFolders = []SpecialFolder{
	{"Drafts", UseDrafts},
	{"Sent", UseSent},
	{"Trash", UseTrash},
	{"Junk", UseJunk},
	{"Archive", UseArchive},
}

// Store is the mail store: for each user (keyed by a canonical user name),
// an INBOX and folders of messages. One Store value serves many sessions
// and delivery goroutines at once.
//
// NewMaildirStore keeps mail on disk as one Maildir++ tree per user;
// NewMemoryStore keeps it in memory with the same behaviour (it runs the
// same code over an in-memory file system). The exported fields are
// options: set them before the first use.
type Store struct {
	// Notifier carries change notifications between sessions. If nil, the
	// store makes an in-process one (NewNotifier) on first use.
	Notifier Notifier
	// SpecialFolders are created (and subscribed) for each new user. If
	// nil, DefaultSpecialFolders is used; set an empty non-nil slice for none.
	SpecialFolders []SpecialFolder
	// DisableGroupCommit makes each Append fsync on its own instead of
	// sharing file-system syncs with concurrent appends. The durability
	// guarantee is the same; it exists to measure the gain.
	DisableGroupCommit bool
	// SyncFS makes group commit make the data of a batch of messages
	// durable with one syncfs(2) (Linux) instead of an fsync of each file
	// (the directories and UID lists of the batch are fsync'd either way).
	// syncfs flushes the whole file system: it is the fastest when the
	// mail store has the file system to itself (no journal: one flush for
	// a batch rather than a round of writes per file), and slow when other
	// programs write much to it, whose data it flushes too (measured at
	// 0.4x the per-file mode on a shared machine). Off by default.
	SyncFS bool
	// MaxIdleFolders bounds the folders kept loaded while no handle is
	// open on them (default 256). Loaded folders make repeated delivery and
	// STATUS cheap.
	MaxIdleFolders int
	// Logger receives problems that do not fail an operation, such as an
	// index that could not be written. Nil means slog.Default().
	Logger *slog.Logger

	fs       fsys
	rootLock *os.File
	instance string
	host     string
	pid      int
	seq      atomic.Uint64
	syncfs   bool // group commit uses one syncfs per batch

	initOnce sync.Once
	notifier Notifier
	com      *committer

	mu        sync.Mutex
	closed    bool
	folders   map[string]*folderState
	users     map[string]*userState
	pop3Locks map[string]bool
	handleSeq uint64
}

type userState struct {
	mu    sync.Mutex // folder structure: create, delete, rename, subscriptions
	uvMu  sync.Mutex // the UIDVALIDITY counter
	ready bool       // provisioned (guarded by mu)

	sieveMu sync.Mutex // Sieve scripts and the response tracker
	tracker *tracker   // loaded on first use (guarded by sieveMu)
}

// NewMemoryStore returns a store that keeps everything in memory. It
// behaves as the Maildir store does (it is the same code over an
// in-memory file system); it is meant for tests and test servers.
func NewMemoryStore() *Store {
	s := newStore(newMemFS(false))
	s.syncfs = true
	s.SyncFS = true // syncing an in-memory file system costs nothing
	return s
}

// NewMaildirStore opens (creating it if needed) a store whose users live in
// root/<user>/ as Maildir++ trees: INBOX in root/<user>/{cur,new,tmp}, the
// folder "Lists/Go" in root/<user>/.Lists.Go/. It takes an exclusive lock on
// root (one process per root), which Close releases.
func NewMaildirStore(root string) (*Store, error) {
	if err := os.MkdirAll(root, 0o700); err != nil {
		return nil, err
	}
	lf, err := os.OpenFile(filepath.Join(root, ".mailwright-lock"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	if err := lockFile(lf); err != nil {
		lf.Close()
		return nil, err
	}
	o := &osFS{root: root}
	s := newStore(o)
	s.rootLock = lf
	if haveSyncfs {
		o.syncfd = lf
		s.syncfs = true
	}
	return s, nil
}

func newStore(f fsys) *Store {
	var b [4]byte
	rand.Read(b[:])
	host, _ := os.Hostname()
	if host == "" {
		host = "localhost"
	}
	// Maildir: "/" and ":" in the host part are written in octal; we also
	// escape "," which Dovecot uses as the field separator of the base.
	host = strings.NewReplacer("/", `\057`, ":", `\072`, ",", `\054`).Replace(host)
	return &Store{
		fs:        f,
		instance:  hex.EncodeToString(b[:]),
		host:      host,
		pid:       os.Getpid(),
		folders:   map[string]*folderState{},
		users:     map[string]*userState{},
		pop3Locks: map[string]bool{},
	}
}

func (s *Store) init() {
	s.initOnce.Do(func() {
		s.notifier = s.Notifier
		if s.notifier == nil {
			s.notifier = NewNotifier()
		}
		if !s.SyncFS {
			s.syncfs = false
		}
		if !s.DisableGroupCommit {
			s.com = newCommitter(s)
		}
	})
}

func (s *Store) logger() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
}

// Close writes the indexes of loaded folders, stops the group committer
// and releases the root lock. Appends in progress finish first. Closing a
// nil Store (what a failed NewMaildirStore returns) returns ErrClosed: a
// deferred Close written before the error check does not panic.
func (s *Store) Close() error {
	if s == nil {
		return ErrClosed
	}
	s.init()
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	s.closed = true
	states := make([]*folderState, 0, len(s.folders))
	for _, st := range s.folders {
		states = append(states, st)
	}
	s.mu.Unlock()
	if s.com != nil {
		s.com.stop()
	}
	for _, st := range states {
		st.mu.Lock()
		if st.loaded && !st.deleted {
			if st.dirty {
				if err := st.writeIndex(); err != nil {
					s.logger().Warn("mailbox: writing index", "folder", st.dir, "err", err)
				}
			}
			if st.ulFile != nil {
				st.ulFile.Close()
				st.ulFile = nil
			}
		}
		st.expClose()
		st.evicted = true
		st.mu.Unlock()
	}
	s.closeTrackers()
	if s.rootLock != nil {
		return s.rootLock.Close()
	}
	return nil
}

// uniqueName returns a new Maildir unique name:
// "<sec>.M<usec>P<pid>Q<n>X<instance>.<host>". The X field tells our own
// leftovers in tmp/ from other programs' files.
func (s *Store) uniqueName() string {
	now := time.Now()
	b := make([]byte, 0, 64+len(s.host))
	b = strconv.AppendInt(b, now.Unix(), 10)
	b = append(b, ".M"...)
	b = strconv.AppendInt(b, int64(now.Nanosecond()/1000), 10)
	b = append(b, 'P')
	b = strconv.AppendInt(b, int64(s.pid), 10)
	b = append(b, 'Q')
	b = strconv.AppendUint(b, s.seq.Add(1), 10)
	b = append(b, 'X')
	b = append(b, s.instance...)
	b = append(b, '.')
	b = append(b, s.host...)
	return string(b)
}

// userDir returns the directory of a user's Maildir.
func userDir(user string) string { return user }

// folderDir returns the directory of a canonical folder.
func folderDir(user, canon string) string {
	if canon == Inbox {
		return userDir(user)
	}
	return userDir(user) + "/" + diskName(canon)
}

// user returns the user's state, creating the user's Maildir with its
// special-use folders the first time.
func (s *Store) user(user string) (*userState, error) {
	if err := validUser(user); err != nil {
		return nil, err
	}
	s.init()
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil, ErrClosed
	}
	us := s.users[user]
	if us == nil {
		us = &userState{}
		s.users[user] = us
	}
	s.mu.Unlock()
	us.mu.Lock()
	defer us.mu.Unlock()
	if us.ready {
		return us, nil
	}
	if _, err := s.fs.Stat(userDir(user) + "/cur"); err != nil {
		if !isNotExist(err) {
			return nil, err
		}
		if err := s.provision(user); err != nil {
			return nil, err
		}
	}
	us.ready = true
	return us, nil
}

// provision creates a new user's Maildir. cur/ is created last, so that a
// crash in the middle provisions again on the next access.
func (s *Store) provision(user string) error {
	dir := userDir(user)
	if err := s.fs.Mkdir(dir); err != nil && !isExist(err) {
		return err
	}
	special := s.SpecialFolders
	if special == nil {
		special = DefaultSpecialFolders
	}
	subs := []string{Inbox}
	var uses []SpecialFolder
	for _, sf := range special {
		canon, err := CanonicalName(sf.Name)
		if err != nil || canon == Inbox {
			continue
		}
		if err := s.makeFolderDirs(user, canon); err != nil {
			return err
		}
		subs = append(subs, canon)
		uses = append(uses, SpecialFolder{canon, sf.Use})
	}
	if err := s.writeSubscriptions(user, subs); err != nil {
		return err
	}
	if err := s.writeSpecialUse(user, uses); err != nil {
		return err
	}
	for _, sub := range []string{"/new", "/tmp", "/cur"} {
		if err := s.fs.Mkdir(dir + sub); err != nil && !isExist(err) {
			return err
		}
	}
	if err := s.fs.SyncDir(dir); err != nil {
		return err
	}
	return s.fs.SyncDir(".")
}

// makeFolderDirs creates a folder's Maildir (not its parents) durably.
func (s *Store) makeFolderDirs(user, canon string) error {
	dir := folderDir(user, canon)
	for _, sub := range []string{"", "/new", "/tmp"} {
		if err := s.fs.Mkdir(dir + sub); err != nil && !isExist(err) {
			return err
		}
	}
	// Maildir++: an empty "maildirfolder" file marks a sub-folder, which
	// tells delivery agents such as maildrop and Dovecot's LDA so.
	if f, err := s.fs.Create(dir + "/maildirfolder"); err == nil {
		f.Close()
	} else if !isExist(err) {
		return err
	}
	if err := s.fs.Mkdir(dir + "/cur"); err != nil && !isExist(err) {
		return err
	}
	if err := s.fs.SyncDir(dir); err != nil {
		return err
	}
	return s.fs.SyncDir(userDir(user))
}

// newUIDValidity returns a UIDVALIDITY never used before in the user's
// Maildir: a folder deleted and created again must not reuse one (RFC 3501
// section 2.3.1.1). It is the larger of the clock and a persisted counter.
func (s *Store) newUIDValidity(user string) (uint32, error) {
	s.mu.Lock()
	us := s.users[user]
	if us == nil {
		us = &userState{}
		s.users[user] = us
	}
	s.mu.Unlock()
	us.uvMu.Lock()
	defer us.uvMu.Unlock()
	v := uint32(time.Now().Unix())
	if data, err := s.fs.ReadFile(userDir(user) + "/" + uidValidityFile); err == nil {
		if n, err := strconv.ParseUint(strings.TrimSpace(string(data)), 10, 32); err == nil && uint32(n) > v {
			v = uint32(n)
		}
	}
	if v == 0 || v == 1<<32-1 {
		v = 1
	}
	err := writeAtomicBytes(s.fs, userDir(user), uidValidityFile, []byte(strconv.FormatUint(uint64(v)+1, 10)+"\n"))
	return v, err
}

// acquire returns the loaded state of a folder with a reference held.
func (s *Store) acquire(user, name string) (*folderState, error) {
	canon, err := CanonicalName(name)
	if err != nil {
		return nil, err
	}
	if _, err := s.user(user); err != nil {
		return nil, err
	}
	return s.acquireCanon(user, canon)
}

// acquireCanon is acquire for a canonical name of a provisioned user
// (callers holding the user's lock use it).
func (s *Store) acquireCanon(user, canon string) (*folderState, error) {
	key := user + "\x00" + canon
	for {
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			return nil, ErrClosed
		}
		st := s.folders[key]
		if st == nil {
			st = &folderState{s: s, user: user, name: canon, dir: folderDir(user, canon), key: key}
			s.folders[key] = st
		}
		st.refs++
		s.mu.Unlock()

		st.mu.Lock()
		if st.evicted || st.deleted {
			st.mu.Unlock()
			s.release(st)
			continue
		}
		if !st.loaded {
			if err := st.load(); err != nil {
				st.mu.Unlock()
				s.mu.Lock()
				st.refs--
				if st.refs == 0 && s.folders[key] == st {
					delete(s.folders, key)
				}
				s.mu.Unlock()
				return nil, err
			}
		}
		st.mu.Unlock()
		return st, nil
	}
}

// release drops a reference; idle folders beyond MaxIdleFolders are
// written out and dropped, least recently used first.
func (s *Store) release(st *folderState) {
	s.mu.Lock()
	st.refs--
	st.lastUse = time.Now()
	max := s.MaxIdleFolders
	if max <= 0 {
		max = 256
	}
	var idle []*folderState
	for _, f := range s.folders {
		if f.refs == 0 {
			idle = append(idle, f)
		}
	}
	s.mu.Unlock()
	if len(idle) <= max {
		return
	}
	sort.Slice(idle, func(i, j int) bool { return idle[i].lastUse.Before(idle[j].lastUse) })
	for _, v := range idle[:len(idle)-max] {
		s.evict(v)
	}
}

func (s *Store) evict(st *folderState) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.evicted {
		return
	}
	if st.loaded && !st.deleted && st.dirty {
		if err := st.writeIndex(); err != nil {
			s.logger().Warn("mailbox: writing index", "folder", st.dir, "err", err)
		}
	}
	s.mu.Lock()
	if st.refs == 0 && s.folders[st.key] == st {
		delete(s.folders, st.key)
		st.evicted = true
		if st.ulFile != nil {
			st.ulFile.Close()
			st.ulFile = nil
		}
		st.expClose()
	}
	s.mu.Unlock()
}

// statesUnder returns the loaded states of a folder and its children.
func (s *Store) statesUnder(user, canon string) []*folderState {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*folderState
	for _, st := range s.folders {
		if st.user == user && (st.name == canon || strings.HasPrefix(st.name, canon+Delimiter)) {
			out = append(out, st)
		}
	}
	return out
}

// forget marks states deleted and drops them from the cache, so the next
// access loads the folder afresh from disk.
func (s *Store) forget(states []*folderState) {
	for _, st := range states {
		st.mu.Lock()
		st.deleted = true
		if st.ulFile != nil {
			st.ulFile.Close()
			st.ulFile = nil
		}
		st.expClose()
		st.version++ // not touched(): nothing to write for a deleted folder
		st.otherVersion, st.unloggedVersion = st.version, st.version
		st.mu.Unlock()
		s.mu.Lock()
		if s.folders[st.key] == st {
			delete(s.folders, st.key)
		}
		s.mu.Unlock()
	}
}

func (s *Store) nextHandleID() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.handleSeq++
	return s.handleSeq
}

// checkCtx returns ctx's error, if any, before work starts.
func checkCtx(ctx context.Context) error {
	if ctx == nil {
		return nil
	}
	return ctx.Err()
}
