package mailbox

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// faultFS wraps a file system and runs hook before every operation (file
// writes, syncs and closes included); a non-nil result fails the
// operation without effect.
type faultFS struct {
	fsys
	mu   sync.Mutex
	hook func(op, name string) error
}

func (f *faultFS) check(op, name string) error {
	f.mu.Lock()
	h := f.hook
	f.mu.Unlock()
	if h == nil {
		return nil
	}
	return h(op, name)
}

type faultFile struct {
	wfile
	f    *faultFS
	name string
}

func (w *faultFile) Write(p []byte) (int, error) {
	if err := w.f.check("write", w.name); err != nil {
		return 0, err
	}
	return w.wfile.Write(p)
}

func (w *faultFile) Sync() error {
	if err := w.f.check("fsync", w.name); err != nil {
		return err
	}
	return w.wfile.Sync()
}

func (w *faultFile) Close() error {
	if err := w.f.check("close", w.name); err != nil {
		w.wfile.Close()
		return err
	}
	return w.wfile.Close()
}

func (f *faultFS) Create(name string) (wfile, error) {
	if err := f.check("create", name); err != nil {
		return nil, err
	}
	w, err := f.fsys.Create(name)
	if err != nil {
		return nil, err
	}
	return &faultFile{w, f, name}, nil
}

func (f *faultFS) OpenAppend(name string) (wfile, error) {
	if err := f.check("openappend", name); err != nil {
		return nil, err
	}
	w, err := f.fsys.OpenAppend(name)
	if err != nil {
		return nil, err
	}
	return &faultFile{w, f, name}, nil
}

func (f *faultFS) Rename(a, b string) error {
	if err := f.check("rename", a); err != nil {
		return err
	}
	return f.fsys.Rename(a, b)
}

func (f *faultFS) Link(a, b string) error {
	if err := f.check("link", a); err != nil {
		return err
	}
	return f.fsys.Link(a, b)
}

func (f *faultFS) Remove(name string) error {
	if err := f.check("remove", name); err != nil {
		return err
	}
	return f.fsys.Remove(name)
}

func (f *faultFS) Mkdir(name string) error {
	if err := f.check("mkdir", name); err != nil {
		return err
	}
	return f.fsys.Mkdir(name)
}

func (f *faultFS) Chtimes(name string, t time.Time) error {
	if err := f.check("chtimes", name); err != nil {
		return err
	}
	return f.fsys.Chtimes(name, t)
}

func (f *faultFS) SyncDir(name string) error {
	if err := f.check("syncdir", name); err != nil {
		return err
	}
	return f.fsys.SyncDir(name)
}

func (f *faultFS) SyncFS() error {
	if err := f.check("syncfs", ""); err != nil {
		return err
	}
	return f.fsys.SyncFS()
}

var errCrash = errors.New("simulated crash")

// crashAt returns a hook that lets n operations through and then fails
// every operation, as if the machine stopped at that point.
func crashAt(n int) (hook func(op, name string) error, crashed func() bool, trace func() []string) {
	var mu sync.Mutex
	count := 0
	var ops []string
	return func(op, name string) error {
			mu.Lock()
			defer mu.Unlock()
			count++
			if count > n {
				return errCrash
			}
			ops = append(ops, op+" "+name)
			return nil
		}, func() bool {
			mu.Lock()
			defer mu.Unlock()
			return count > n
		}, func() []string {
			mu.Lock()
			defer mu.Unlock()
			return ops
		}
}

// TestCrashDuringAppend stops the "machine" at every step of an append
// and checks what survives on the durable state (the memory file system in
// tracking mode models what fsync/syncfs made durable): either no new
// message or the whole message, the earlier message intact, tmp/ cleaned
// on the next open, and the store usable. An append that returned success
// must have survived.
func TestCrashDuringAppend(t *testing.T) {
	modes := []struct {
		name           string
		noGroup, fsync bool
	}{{"syncfs", false, false}, {"group-fsync", false, true}, {"nogroup", true, true}}
	seed := "Subject: seed\r\n\r\nseed\r\n"
	body := "Subject: crash\n\n" + strings.Repeat("line of the message\n", 200)
	want := strings.ReplaceAll(body, "\n", "\r\n")
	for _, mode := range modes {
		t.Run(mode.name, func(t *testing.T) {
			for k := 0; ; k++ {
				if k > 500 {
					t.Fatal("append never completed")
				}
				m := newMemFS(true)
				s := newStore(m)
				s.syncfs = true
				if _, err := s.Append(bg, "alice", Inbox, strings.NewReader(seed), &AppendOptions{Flags: []string{FlagSeen}}); err != nil {
					t.Fatal(err)
				}
				s.Close()
				m.SyncFS()

				ff := &faultFS{fsys: m}
				s = newStore(ff)
				s.syncfs = true
				s.SyncFS = !mode.fsync
				s.DisableGroupCommit = mode.noGroup
				hook, crashed, trace := crashAt(k)
				ff.hook = hook
				res, err := s.Append(bg, "alice", Inbox, strings.NewReader(body), nil)
				done := !crashed()
				if done && err != nil {
					t.Fatalf("k=%d: append failed without a crash: %v", k, err)
				}
				if !done && err == nil {
					t.Fatalf("k=%d: append succeeded although its step %q failed", k, trace()[len(trace())-1])
				}
				img := m.crashImage()
				s2 := newStore(img)
				s2.syncfs = true
				f, err := s2.OpenFolder(bg, "alice", Inbox)
				if err != nil {
					t.Fatalf("k=%d: open after crash: %v", k, err)
				}
				ms := f.Messages()
				step := "none"
				if tr := trace(); len(tr) > 0 {
					step = tr[len(tr)-1]
				}
				if len(ms) < 1 || len(ms) > 2 || ms[0].UID != 1 || !ms[0].HasFlag(FlagSeen) {
					t.Fatalf("k=%d (after %s): messages %+v", k, step, ms)
				}
				if got := readAll(t, f, 1); got != seed {
					t.Fatalf("k=%d: seed message damaged: %q", k, got)
				}
				if len(ms) == 2 {
					if got := readAll(t, f, ms[1].UID); got != want {
						t.Fatalf("k=%d (after %s): partial message survived: %d bytes of %d", k, step, len(got), len(want))
					}
					if done && ms[1].UID != res.UID {
						t.Fatalf("k=%d: UID %d after crash, %d returned", k, ms[1].UID, res.UID)
					}
				} else if done {
					t.Fatalf("k=%d: acknowledged append lost", k)
				}
				if tmp, _ := img.ReadDir("alice/tmp"); len(tmp) != 0 {
					t.Fatalf("k=%d: tmp/ not cleaned: %v", k, tmp)
				}
				r, err := s2.Append(bg, "alice", Inbox, strings.NewReader("after\n"), nil)
				if err != nil || r.UID <= ms[len(ms)-1].UID {
					t.Fatalf("k=%d: append after crash: %+v %v", k, r, err)
				}
				f.Close()
				s2.Close()
				s.Close()
				if done {
					t.Logf("append completed after %d crash points; last steps: %v", k, trace()[max(0, len(trace())-6):])
					if k < 5 {
						t.Fatalf("only %d steps: the hook is not wired", k)
					}
					return
				}
			}
		})
	}
}

func readAll(t *testing.T, f *Folder, uid uint32) string {
	t.Helper()
	r, err := f.Open(bg, uid)
	if err != nil {
		t.Fatalf("Open(%d): %v", uid, err)
	}
	defer r.Close()
	var b strings.Builder
	buf := make([]byte, 100)
	for {
		n, err := r.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return b.String()
}

// TestWriteErrorsLeaveNothing fails each kind of operation of an append on
// the real file system (as a full disk would) and checks that the error
// surfaces, nothing is visible and tmp/ is empty.
func TestWriteErrorsLeaveNothing(t *testing.T) {
	for _, op := range []string{"create", "write", "fsync", "close", "rename", "openappend", "syncfs", "syncdir"} {
		for _, noGroup := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/nogroup=%v", op, noGroup), func(t *testing.T) {
				s, err := NewMaildirStore(t.TempDir())
				if err != nil {
					t.Fatal(err)
				}
				defer s.Close()
				s.DisableGroupCommit = noGroup
				if _, err := s.Append(bg, "alice", Inbox, strings.NewReader("first\n"), nil); err != nil {
					t.Fatal(err)
				}
				// A new folder, so that the UID list is opened again.
				s.CreateFolder(bg, "alice", "F")
				ff := &faultFS{fsys: s.fs}
				s.fs = ff
				hit := false
				ff.hook = func(o, name string) error {
					if o == op && (strings.Contains(name, "/tmp/") || strings.Contains(name, "/new") || strings.Contains(name, uidlistFile) || o == "syncfs") {
						hit = true
						return &fs.PathError{Op: o, Path: name, Err: syscall.ENOSPC}
					}
					return nil
				}
				_, err = s.Append(bg, "alice", "F", strings.NewReader("Subject: x\n\nbody\n"), nil)
				ff.hook = nil
				if !hit {
					t.Skipf("this mode performs no %s on the append path", op)
				}
				if !errors.Is(err, syscall.ENOSPC) {
					t.Fatalf("Append error = %v, want ENOSPC", err)
				}
				f, err := s.OpenFolder(bg, "alice", "F")
				if err != nil {
					t.Fatal(err)
				}
				defer f.Close()
				if len(f.Messages()) != 0 {
					t.Fatalf("message visible after failed append: %+v", f.Messages())
				}
				if ents, _ := s.fs.ReadDir(".F/tmp"); len(ents) != 0 {
					t.Fatalf("tmp/ = %v", ents)
				}
				for _, sub := range []string{"new", "cur"} {
					if ents, _ := s.fs.ReadDir("alice/.F/" + sub); len(ents) != 0 {
						t.Fatalf("%s/ = %v", sub, ents)
					}
				}
				if ents, _ := s.fs.ReadDir("alice/.F/tmp"); len(ents) != 0 {
					t.Fatalf("tmp/ = %v", ents)
				}
				if r, err := s.Append(bg, "alice", "F", strings.NewReader("again\n"), nil); err != nil || r.UID == 0 {
					t.Fatalf("append after failure: %+v %v", r, err)
				}
			})
		}
	}
}
