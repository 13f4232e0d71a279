package mailbox

import (
	"context"
	"io"
	"sort"
	"strings"
	"testing"
	"time"
)

// env is a store under test with access to its files, so tests can look
// at the real Maildir and act as another program would.
type env struct {
	t      *testing.T
	s      *Store
	fs     fsys
	reopen func() // closes the store and opens a new one on the same data
	crash  func() // drops the store without Close (no index write)
}

type storeKind struct {
	name string
	open func(t *testing.T) *env
}

var storeKinds = []storeKind{
	{"maildir", func(t *testing.T) *env {
		root := t.TempDir()
		e := &env{t: t}
		open := func() {
			s, err := NewMaildirStore(root)
			if err != nil {
				t.Fatal(err)
			}
			e.s, e.fs = s, s.fs
		}
		open()
		e.reopen = func() {
			if err := e.s.Close(); err != nil {
				t.Fatal(err)
			}
			open()
		}
		e.crash = func() {
			// Release the root lock as process exit would, without
			// writing indexes.
			e.s.mu.Lock()
			e.s.closed = true
			e.s.mu.Unlock()
			if e.s.com != nil {
				e.s.com.stop()
			}
			e.s.rootLock.Close()
			open()
		}
		t.Cleanup(func() { e.s.Close() })
		return e
	}},
	{"memory", func(t *testing.T) *env {
		m := newMemFS(false)
		e := &env{t: t, fs: m}
		open := func() {
			e.s = newStore(m)
			e.s.syncfs = true
		}
		open()
		e.reopen = func() {
			if err := e.s.Close(); err != nil {
				t.Fatal(err)
			}
			open()
		}
		e.crash = func() {
			e.s.mu.Lock()
			e.s.closed = true
			e.s.mu.Unlock()
			if e.s.com != nil {
				e.s.com.stop()
			}
			open()
		}
		t.Cleanup(func() { e.s.Close() })
		return e
	}},
}

// eachStore runs f against every store kind.
func eachStore(t *testing.T, f func(t *testing.T, e *env)) {
	for _, k := range storeKinds {
		t.Run(k.name, func(t *testing.T) {
			f(t, k.open(t))
		})
	}
}

var bg = context.Background()

func (e *env) append(user, folder, body string, opts *AppendOptions) AppendResult {
	e.t.Helper()
	r, err := e.s.Append(bg, user, folder, strings.NewReader(body), opts)
	if err != nil {
		e.t.Fatalf("Append: %v", err)
	}
	return r
}

func (e *env) open(user, folder string) *Folder {
	e.t.Helper()
	f, err := e.s.OpenFolder(bg, user, folder)
	if err != nil {
		e.t.Fatalf("OpenFolder(%q): %v", folder, err)
	}
	e.t.Cleanup(func() { f.Close() })
	return f
}

// files lists the message file names in dir ("new" or "cur") of a folder.
func (e *env) files(user, folder, sub string) []string {
	e.t.Helper()
	canon, err := CanonicalName(folder)
	if err != nil {
		e.t.Fatal(err)
	}
	ents, err := e.fs.ReadDir(folderDir(user, canon) + "/" + sub)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for _, d := range ents {
		out = append(out, d.name)
	}
	sort.Strings(out)
	return out
}

// drop writes a message file as another program would (no index, no
// UID list entry).
func (e *env) drop(user, folder, sub, name, content string, mtime time.Time) {
	e.t.Helper()
	canon, _ := CanonicalName(folder)
	p := folderDir(user, canon) + "/" + sub + "/" + name
	f, err := e.fs.Create(p)
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := io.WriteString(f, content); err != nil {
		e.t.Fatal(err)
	}
	f.Close()
	if !mtime.IsZero() {
		e.fs.Chtimes(p, mtime)
	}
}

func (e *env) read(f *Folder, uid uint32) string {
	e.t.Helper()
	r, err := f.Open(bg, uid)
	if err != nil {
		e.t.Fatalf("Open(%d): %v", uid, err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		e.t.Fatal(err)
	}
	if int64(len(b)) != r.Size() {
		e.t.Fatalf("read %d bytes, Size() = %d", len(b), r.Size())
	}
	return string(b)
}

func (e *env) poll(f *Folder) Update {
	e.t.Helper()
	u, err := f.Poll(bg)
	if err != nil {
		e.t.Fatalf("Poll: %v", err)
	}
	return u
}

func uidsOf(ms []MessageInfo) []uint32 {
	var out []uint32
	for _, m := range ms {
		out = append(out, m.UID)
	}
	return out
}

func equalUIDs(a, b []uint32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func hasFlags(m MessageInfo, flags ...string) bool {
	if len(m.Flags) != len(flags) {
		return false
	}
	for _, f := range flags {
		if !m.HasFlag(f) {
			return false
		}
	}
	return true
}
