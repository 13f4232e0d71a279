package delivery

import (
	"container/list"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/mailwright/mailwright/delivery/sieve"
	"github.com/mailwright/mailwright/mailbox"
)

// SieveStore is where local delivery finds each user's active Sieve
// script, the scripts it includes, and the user's response tracking
// (vacation replies, duplicate, failure notices). *mailbox.Store
// implements it; another store (a database shared by several front ends)
// can too.
type SieveStore interface {
	// ActiveSieveScript returns the name and source of the user's active
	// script; name is "" when none is active.
	ActiveSieveScript(ctx context.Context, user string) (name string, src []byte, err error)
	// ReadSieveScript returns a script of the user (for include), or an
	// error wrapping mailbox.ErrNoSuchScript.
	ReadSieveScript(ctx context.Context, user, name string) ([]byte, error)
	// SieveSeen and SieveRecord are sieve.Tracker for one user:
	// SieveRecord is durable when it returns.
	SieveSeen(ctx context.Context, user, key string) (bool, error)
	SieveRecord(ctx context.Context, user, key string, until time.Time) error
}

var _ SieveStore = (*mailbox.Store)(nil)

// SieveFilter runs the users' Sieve scripts (RFC 5228) at local delivery:
// set it as Agent.Sieve. Each local recipient's active script (uploaded
// over ManageSieve, see delivery/managesieve) runs on each message, and
// the Agent carries out what it decides before it answers 250: filing
// into folders with flags, redirecting and notifying through the queue,
// rejecting (550 5.7.1 while the client still waits for that recipient's
// answer, a report to the sender after), vacation replies from <> once per
// sender and period. A script that fails keeps the message in INBOX, and
// its owner is told once per version of the script.
//
// Sieve runs where the Agent stores into Store; with Local, the
// LocalDeliverer (Dovecot's LMTP, say) filters itself.
type SieveFilter struct {
	// Scripts holds the users' scripts and response tracking. Default:
	// the Agent's Store.
	Scripts SieveStore
	// Before and After are directories of site scripts ("*.sieve", run
	// in file name order) run before and after each user's own, as
	// Pigeonhole's sieve_before and sieve_after: a script runs only when
	// the one before it kept the message (explicitly or implicitly), and
	// only the last one run stores it into INBOX. Empty: none.
	Before, After string
	// Global is the directory of the scripts that include :global names
	// (RFC 6609 2), as "<name>.sieve". Empty: none.
	Global string
	// Options configure the interpreter: extensions, limits, vacation
	// periods. Empty Delimiters take the Agent's sub-address delimiters;
	// X-Sieve-Redirected-From is always protected from editheader.
	Options sieve.Options
	// MaxCached bounds the compiled scripts kept in memory, shared by
	// every user with the same source. Default 1024.
	MaxCached int

	once  sync.Once
	opts  sieve.Options
	mu    sync.Mutex
	lru   *list.List                 // of *compiledScript, most recent first
	cache map[[32]byte]*list.Element // by SHA-256 of the source
}

// redirectedFrom is the loop guard a redirect adds, naming the user
// whose script redirected the message (as Pigeonhole does).
const redirectedFrom = "X-Sieve-Redirected-From"

// compiledScript is one version of a script, compiled (or refused).
type compiledScript struct {
	version [32]byte
	script  *sieve.Script
	err     error // a compile error: an *sieve.Error
}

// userScript is a script that runs for a recipient.
type userScript struct {
	name   string // the script's name, or its file for a site script
	own    bool   // the user's own script, whose failures the user is told of
	loaded *compiledScript
	err    error // the script could not be read: a temporary failure
}

func (f *SieveFilter) init(a *Agent) {
	f.once.Do(func() {
		f.opts = f.Options
		if f.opts.Delimiters == "" {
			f.opts.Delimiters = a.subaddressDelimiters()
		}
		if f.opts.Delimiters == "" {
			// Sub-addressing is off: no delimiter splits a :detail.
			f.opts.Delimiters = "\x00"
		}
		f.opts.ProtectedHeaders = append(slices.Clone(f.opts.ProtectedHeaders), redirectedFrom)
		f.lru = list.New()
		f.cache = map[[32]byte]*list.Element{}
	})
}

func (f *SieveFilter) store(a *Agent) SieveStore {
	if f.Scripts != nil {
		return f.Scripts
	}
	return a.Store
}

// compile returns the compiled version of src, from the cache when the
// same source was compiled before.
func (f *SieveFilter) compile(src []byte) *compiledScript {
	v := sha256.Sum256(src)
	f.mu.Lock()
	if e, ok := f.cache[v]; ok {
		f.lru.MoveToFront(e)
		f.mu.Unlock()
		return e.Value.(*compiledScript)
	}
	f.mu.Unlock()
	// Compiled outside the lock: two deliveries may compile the same new
	// script at once, and one result is kept.
	cs := &compiledScript{version: v}
	cs.script, cs.err = sieve.Compile(src, &f.opts)
	f.mu.Lock()
	defer f.mu.Unlock()
	if e, ok := f.cache[v]; ok {
		return e.Value.(*compiledScript)
	}
	f.cache[v] = f.lru.PushFront(cs)
	max := f.MaxCached
	if max <= 0 {
		max = 1024
	}
	for f.lru.Len() > max {
		old := f.lru.Remove(f.lru.Back()).(*compiledScript)
		delete(f.cache, old.version)
	}
	return cs
}

// scriptsFor returns the scripts that run for user, in order: the site's
// Before scripts, the user's active script, the site's After scripts.
// Nil means none: the message goes to INBOX as without Sieve.
func (f *SieveFilter) scriptsFor(ctx context.Context, a *Agent, user string) []*userScript {
	var out []*userScript
	out = f.siteScripts(a, f.Before, out)
	name, src, err := f.store(a).ActiveSieveScript(ctx, user)
	switch {
	case err != nil:
		out = append(out, &userScript{name: name, own: true, err: err})
	case name != "":
		out = append(out, &userScript{name: name, own: true, loaded: f.compile(src)})
	}
	return f.siteScripts(a, f.After, out)
}

// siteScripts appends the scripts of a Before or After directory. A
// directory that cannot be read is logged and skipped: a site policy
// that is gone must not stop mail.
func (f *SieveFilter) siteScripts(a *Agent, dir string, out []*userScript) []*userScript {
	if dir == "" {
		return out
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		a.logger().Error("delivery: Sieve: reading site scripts", "dir", dir, "err", err)
		return out
	}
	for _, e := range ents { // sorted by name
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".sieve") {
			continue
		}
		path := filepath.Join(dir, e.Name())
		us := &userScript{name: path}
		src, err := os.ReadFile(path)
		if err != nil {
			us.err = err
		} else {
			us.loaded = f.compile(src)
		}
		out = append(out, us)
	}
	return out
}

// userSieve is what a run of a user's scripts may ask of its
// surroundings: sieve.MailboxChecker, sieve.Tracker and
// sieve.ScriptLoader for that user.
type userSieve struct {
	a    *Agent
	f    *SieveFilter
	user string
}

var (
	_ sieve.MailboxChecker = userSieve{}
	_ sieve.Tracker        = userSieve{}
	_ sieve.ScriptLoader   = userSieve{}
)

// MailboxExists answers the mailboxexists test (RFC 5490 3.1).
func (u userSieve) MailboxExists(ctx context.Context, name string) (bool, error) {
	_, err := u.a.Store.Status(ctx, u.user, name)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, mailbox.ErrNoSuchFolder), errors.Is(err, mailbox.ErrInvalidName):
		return false, nil
	}
	return false, err
}

// Seen implements sieve.Tracker.
func (u userSieve) Seen(ctx context.Context, key string) (bool, error) {
	return u.f.store(u.a).SieveSeen(ctx, u.user, key)
}

// Record implements sieve.Tracker.
func (u userSieve) Record(ctx context.Context, key string, until time.Time) error {
	return u.f.store(u.a).SieveRecord(ctx, u.user, key, until)
}

// LoadScript loads a script that include names (RFC 6609): the user's own
// from the store, a :global one from the Global directory.
func (u userSieve) LoadScript(ctx context.Context, name string, global bool) ([]byte, error) {
	if !global {
		src, err := u.f.store(u.a).ReadSieveScript(ctx, u.user, name)
		if errors.Is(err, mailbox.ErrNoSuchScript) {
			return nil, fmt.Errorf("%w: personal script %q", fs.ErrNotExist, name)
		}
		return src, err
	}
	if u.f.Global == "" || name == "" || strings.ContainsAny(name, `/\`) || strings.HasPrefix(name, ".") {
		return nil, fmt.Errorf("%w: global script %q", fs.ErrNotExist, name)
	}
	return os.ReadFile(filepath.Join(u.f.Global, name+".sieve"))
}
