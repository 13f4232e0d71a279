package queue

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
)

// The queue directory:
//
//	<dir>/lock        held (flock) while a Queue has the directory open
//	<dir>/tmp/        files being written; never read, emptied by Open
//	<dir>/msg/        <id>.msg (the body, written once) and <id>.env (the
//	                  envelope and delivery state, replaced atomically)
//	<dir>/corrupt/    envelopes Open could not read, with their bodies
//
// A message becomes visible when its .env file is renamed into msg/; the
// body is renamed there first. Enqueue returns only after both files and
// the msg/ directory are fsync'd.
const (
	bodySuffix = ".msg"
	envSuffix  = ".env"
)

// fileSystem is the seam through which the store writes, so that tests can
// simulate a crash between any two steps. Reads go straight to the os
// package.
type fileSystem interface {
	Create(name string) (writeFile, error) // O_WRONLY|O_CREATE|O_EXCL, 0600
	Rename(oldpath, newpath string) error
	Remove(name string) error
	SyncDir(dir string) error
}

type writeFile interface {
	io.Writer
	Sync() error
	Close() error
}

// osFS is the real file system. noSync skips fsync: only for tests of
// scheduling, where durability is not what is measured.
type osFS struct{ noSync bool }

func (f osFS) Create(name string) (writeFile, error) {
	file, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, err
	}
	if f.noSync {
		return noSyncFile{file}, nil
	}
	return file, nil
}

func (osFS) Rename(oldpath, newpath string) error { return os.Rename(oldpath, newpath) }
func (osFS) Remove(name string) error             { return os.Remove(name) }

func (f osFS) SyncDir(dir string) error {
	if f.noSync {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

type noSyncFile struct{ *os.File }

func (noSyncFile) Sync() error { return nil }

// groupSync batches the fsyncs of one directory across concurrent callers
// (group commit): a caller waits for an fsync that started after its call,
// so a single fsync covers every rename made before it began.
type groupSync struct {
	fs  fileSystem
	dir string

	mu       sync.Mutex
	cond     *sync.Cond
	running  bool
	started  uint64 // fsyncs begun
	finished uint64 // number of the last fsync that ended
	lastErr  error  // its result
}

func newGroupSync(fsys fileSystem, dir string) *groupSync {
	g := &groupSync{fs: fsys, dir: dir}
	g.cond = sync.NewCond(&g.mu)
	return g
}

// Sync returns once an fsync of the directory that began after the call
// has completed, with that fsync's error.
func (g *groupSync) Sync() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	ticket := g.started + 1 // the first fsync that can start after now
	for {
		if g.finished >= ticket {
			return g.lastErr
		}
		if !g.running {
			g.running = true
			g.started++
			n := g.started
			g.mu.Unlock()
			err := g.fs.SyncDir(g.dir)
			g.mu.Lock()
			g.running = false
			g.finished = n
			g.lastErr = err
			g.cond.Broadcast()
			continue
		}
		g.cond.Wait()
	}
}

// store keeps messages in a queue directory.
type store struct {
	fs         fileSystem
	dir        string
	msgDir     string
	tmpDir     string
	corruptDir string
	msgSync    *groupSync
	lock       *dirLock
	tmpSeq     atomic.Uint64
	bufPool    sync.Pool
}

// errLocked is returned by Open when another Queue holds the directory.
var errLocked = errors.New("queue: directory is in use by another queue")

func openStore(dir string, fsys fileSystem) (*store, error) {
	s := &store{
		fs:         fsys,
		dir:        dir,
		msgDir:     filepath.Join(dir, "msg"),
		tmpDir:     filepath.Join(dir, "tmp"),
		corruptDir: filepath.Join(dir, "corrupt"),
	}
	s.bufPool.New = func() any { b := make([]byte, 32<<10); return &b }
	for _, d := range []string{dir, s.msgDir, s.tmpDir, s.corruptDir} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, err
		}
	}
	l, err := lockDir(filepath.Join(dir, "lock"))
	if err != nil {
		return nil, err
	}
	s.lock = l
	s.msgSync = newGroupSync(fsys, s.msgDir)
	// Files left in tmp/ belong to enqueues or updates that never
	// completed: nothing was acknowledged for them.
	ents, err := os.ReadDir(s.tmpDir)
	if err != nil {
		l.unlock()
		return nil, err
	}
	for _, e := range ents {
		os.Remove(filepath.Join(s.tmpDir, e.Name()))
	}
	return s, nil
}

func (s *store) close() { s.lock.unlock() }

func (s *store) bodyPath(id string) string { return filepath.Join(s.msgDir, id+bodySuffix) }
func (s *store) envPath(id string) string  { return filepath.Join(s.msgDir, id+envSuffix) }

// ctxReader stops a copy when the context is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (r ctxReader) Read(p []byte) (int, error) {
	if err := r.ctx.Err(); err != nil {
		return 0, err
	}
	return r.r.Read(p)
}

// writeSynced writes a new file through the seam and fsyncs it.
func (s *store) writeSynced(name string, src io.Reader) (n int64, err error) {
	f, err := s.fs.Create(name)
	if err != nil {
		return 0, err
	}
	bp := s.bufPool.Get().(*[]byte)
	n, err = io.CopyBuffer(onlyWriter{f}, src, *bp)
	s.bufPool.Put(bp)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return n, err
}

// onlyWriter hides any ReadFrom so that CopyBuffer uses our buffer and the
// write goes through the seam.
type onlyWriter struct{ io.Writer }

// create stores a new message: body, then envelope, each written in tmp/
// and fsync'd, then renamed into msg/ (body first, so that a visible
// envelope always has its body), then msg/ is fsync'd. m.Size is set from
// the body. On error nothing is visible in msg/ (best effort cleanup; a
// crash leaves only files that Open removes).
func (s *store) create(ctx context.Context, m *Message, body io.Reader) (err error) {
	tmpBody := filepath.Join(s.tmpDir, m.ID+bodySuffix)
	tmpEnv := filepath.Join(s.tmpDir, m.ID+envSuffix)
	var renamedBody bool
	defer func() {
		if err != nil {
			s.fs.Remove(tmpBody)
			s.fs.Remove(tmpEnv)
			if renamedBody {
				s.fs.Remove(s.bodyPath(m.ID))
			}
		}
	}()
	n, err := s.writeSynced(tmpBody, ctxReader{ctx, body})
	if err != nil {
		return err
	}
	m.Size = n
	data, err := marshalEnvelope(m)
	if err != nil {
		return err
	}
	if _, err = s.writeSynced(tmpEnv, bytes.NewReader(data)); err != nil {
		return err
	}
	if err = s.fs.Rename(tmpBody, s.bodyPath(m.ID)); err != nil {
		return err
	}
	renamedBody = true
	if err = s.fs.Rename(tmpEnv, s.envPath(m.ID)); err != nil {
		return err
	}
	// From here on the message is visible; if the directory fsync fails we
	// report the error (the caller must not acknowledge), and the message
	// may still be delivered: at least once, never lost once acknowledged.
	renamedBody = false
	return s.msgSync.Sync()
}

// save replaces the envelope of m atomically: temp file, fsync, rename over
// the old one, fsync of msg/.
func (s *store) save(m *Message) error {
	data, err := marshalEnvelope(m)
	if err != nil {
		return err
	}
	tmp := filepath.Join(s.tmpDir, fmt.Sprintf("%s%s.%d", m.ID, envSuffix, s.tmpSeq.Add(1)))
	if _, err := s.writeSynced(tmp, bytes.NewReader(data)); err != nil {
		s.fs.Remove(tmp)
		return err
	}
	if err := s.fs.Rename(tmp, s.envPath(m.ID)); err != nil {
		s.fs.Remove(tmp)
		return err
	}
	return s.msgSync.Sync()
}

// remove deletes a message: the envelope first (the message is gone once
// it is), then the body.
//
// The directory is not fsync'd: a removal that a crash undoes only brings
// back a message that was already delivered, which at-least-once delivery
// allows (a duplicate), and syncing here cost one fsync per delivered
// message, which capped the drain rate at a fifth of the network's. The
// envelope goes first, so a half-done removal leaves at most a body without
// an envelope, which load deletes.
func (s *store) remove(id string) error {
	if err := s.fs.Remove(s.envPath(id)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if err := s.fs.Remove(s.bodyPath(id)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// openBody opens a message body for reading.
func (s *store) openBody(id string) (*os.File, error) { return os.Open(s.bodyPath(id)) }

// CorruptMessage describes an envelope that Open could not use and set
// aside in the corrupt/ subdirectory of the queue directory.
type CorruptMessage struct {
	// ID is taken from the file name.
	ID string
	// Path is where the envelope is now (in corrupt/); the body, if any, is
	// beside it with the suffix ".msg".
	Path string
	// Err says what was wrong; nil for files already in corrupt/ when the
	// queue was opened.
	Err error
}

// load reads every envelope in msg/. Envelopes that do not parse, or whose
// body is missing or has the wrong size, are moved into corrupt/ and
// returned as corrupt. Bodies without an envelope belong to enqueues that
// never completed (an envelope is made visible after its body, and removed
// before it) and are deleted.
func (s *store) load() (msgs []*Message, corrupt []CorruptMessage, err error) {
	ents, err := os.ReadDir(s.msgDir)
	if err != nil {
		return nil, nil, err
	}
	envs := map[string]bool{}
	bodies := map[string]bool{}
	for _, e := range ents {
		name := e.Name()
		switch {
		case strings.HasSuffix(name, envSuffix):
			envs[strings.TrimSuffix(name, envSuffix)] = true
		case strings.HasSuffix(name, bodySuffix):
			bodies[strings.TrimSuffix(name, bodySuffix)] = true
		}
	}
	for id := range envs {
		m, perr := s.readEnvelope(id)
		if perr == nil && m.ID != id {
			perr = fmt.Errorf("envelope names message %q", m.ID)
		}
		if perr == nil {
			if !bodies[id] {
				perr = errors.New("body file missing")
			} else if fi, serr := os.Stat(s.bodyPath(id)); serr != nil {
				perr = serr
			} else if fi.Size() != m.Size {
				perr = fmt.Errorf("body is %d bytes, envelope says %d", fi.Size(), m.Size)
			}
		}
		if perr != nil {
			corrupt = append(corrupt, s.setAside(id, bodies[id], perr))
			continue
		}
		msgs = append(msgs, m)
	}
	for id := range bodies {
		if !envs[id] {
			s.fs.Remove(s.bodyPath(id))
		}
	}
	// Report what earlier runs set aside too, so that it stays listed.
	old, err := os.ReadDir(s.corruptDir)
	if err != nil {
		return nil, nil, err
	}
	for _, e := range old {
		name := e.Name()
		if !strings.HasSuffix(name, envSuffix) {
			continue
		}
		id := strings.TrimSuffix(name, envSuffix)
		dup := false
		for _, c := range corrupt {
			dup = dup || c.ID == id
		}
		if !dup {
			corrupt = append(corrupt, CorruptMessage{ID: id, Path: filepath.Join(s.corruptDir, name)})
		}
	}
	return msgs, corrupt, nil
}

func (s *store) readEnvelope(id string) (*Message, error) {
	f, err := os.Open(s.envPath(id))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(bufio.NewReader(f), maxEnvelopeFile+1))
	if err != nil {
		return nil, err
	}
	return parseEnvelope(data)
}

// setAside moves an unusable envelope and its body into corrupt/. If a
// file of that name is already there, a numeric suffix keeps both.
func (s *store) setAside(id string, hasBody bool, why error) CorruptMessage {
	base := id
	for i := 1; ; i++ {
		if _, err := os.Lstat(filepath.Join(s.corruptDir, base+envSuffix)); errors.Is(err, fs.ErrNotExist) {
			break
		}
		base = fmt.Sprintf("%s.%d", id, i)
	}
	dst := filepath.Join(s.corruptDir, base+envSuffix)
	if err := s.fs.Rename(s.envPath(id), dst); err != nil {
		// It stays in msg/ and will be reported again at the next Open.
		return CorruptMessage{ID: id, Path: s.envPath(id), Err: fmt.Errorf("%w (and could not be moved aside: %v)", why, err)}
	}
	if hasBody {
		s.fs.Rename(s.bodyPath(id), filepath.Join(s.corruptDir, base+bodySuffix))
	}
	s.fs.SyncDir(s.corruptDir)
	s.msgSync.Sync()
	return CorruptMessage{ID: id, Path: dst, Err: why}
}
