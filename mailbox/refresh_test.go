package mailbox

import (
	"testing"
	"time"
)

// memEnv is a memory-backed store whose file system the test can reach.
func memEnv(t *testing.T, m *memFS) *env {
	e := &env{t: t, fs: m, s: newStore(m)}
	e.s.syncfs = true
	t.Cleanup(func() { e.s.Close() })
	return e
}

func (e *env) listings() int {
	m := e.fs.(*memFS)
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.listings
}

// The store's own renames and unlinks change the directory mtimes; Poll
// must not take them for somebody else's change and list the directories
// again each time (that made every command of a busy IMAP folder list
// it).
func TestOwnChangesDoNotRelist(t *testing.T) {
	e := memEnv(t, newMemFS(false))
	for range 3 {
		e.append("alice", "INBOX", "Subject: x\r\n\r\nbody\r\n", nil)
	}
	f := e.open("alice", "INBOX")
	e.poll(f)
	before := e.listings()
	for range 5 {
		if _, err := f.SetFlags(bg, UIDSetOf(1, 2), FlagsAdd, []string{FlagSeen}, nil); err != nil {
			t.Fatal(err)
		}
		e.poll(f)
		if _, err := f.SetFlags(bg, UIDSetOf(1), FlagsRemove, []string{FlagSeen}, nil); err != nil {
			t.Fatal(err)
		}
		e.append("alice", "INBOX", "Subject: y\r\n\r\nbody\r\n", nil)
		e.poll(f)
	}
	if _, err := f.SetFlags(bg, UIDSetOf(3), FlagsAdd, []string{FlagDeleted}, nil); err != nil {
		t.Fatal(err)
	}
	if gone, err := f.Expunge(bg, nil); err != nil || !equalUIDs(gone, []uint32{3}) {
		t.Fatalf("Expunge = %v, %v", gone, err)
	}
	e.poll(f)
	if n := e.listings() - before; n != 0 {
		t.Fatalf("Poll listed the folder %d times after changes of its own", n)
	}
}

// A change another program makes that leaves the directory mtime as it
// was (timestamps too coarse to tell it from ours) is found by the
// periodic re-listing of a directory that is not quiet.
func TestCoarseMtimeChangeSeen(t *testing.T) {
	m := newMemFS(false)
	m.coarse = true
	e := memEnv(t, m)
	e.append("alice", "INBOX", "first\r\n", nil)
	f := e.open("alice", "INBOX")
	e.poll(f)
	e.drop("alice", "INBOX", "new", "1683356889.P99Q1.otherhost", "dropped\r\n", time.Time{})
	deadline := time.Now().Add(recheckAfter + 2*time.Second)
	for {
		u := e.poll(f)
		if len(u.Added) == 1 && u.Added[0].UID == 2 {
			break
		}
		if len(u.Added) != 0 || time.Now().After(deadline) {
			t.Fatalf("dropped message not seen: %+v", u)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
