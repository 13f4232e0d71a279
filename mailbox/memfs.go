package mailbox

import (
	"bytes"
	"io/fs"
	"sort"
	"strings"
	"sync"
	"time"
)

// memFS is an in-memory file system with the semantics the store relies on
// (exclusive create, atomic rename, hard links, directory listing, mtimes).
// It backs the memory store, so that the memory store and the Maildir
// store share one implementation and behave the same.
//
// With track set it also models durability the way a journaling file
// system does for fsync users: file data is durable after Sync (or SyncFS),
// a directory entry after SyncDir on its directory (or SyncFS). crashImage
// returns what would survive a power loss at that moment. The crash tests
// use it; the memory store leaves it off, which makes syncs free.
type memFS struct {
	mu    sync.Mutex
	root  *mnode
	last  time.Time
	track bool
	// coarse, if set, gives mtimes in whole seconds (a file system whose
	// timestamps are too coarse to tell close changes apart), and
	// listings counts ReadDir calls: both for tests of change detection.
	coarse   bool
	listings int
}

type mnode struct {
	isDir bool
	ents  map[string]*mnode // current entries (directories)
	dents map[string]*mnode // durable entries (directories, track only)
	data  []byte            // current content (files); only ever appended to
	ddata []byte            // durable content (track only)
	mtime time.Time
}

func newMemFS(track bool) *memFS {
	m := &memFS{track: track}
	m.root = &mnode{isDir: true, ents: map[string]*mnode{}, dents: map[string]*mnode{}, mtime: m.now()}
	return m
}

// now returns strictly increasing times, so that every change moves a
// directory's mtime (the index staleness check depends on it).
func (m *memFS) now() time.Time {
	if m.coarse {
		return time.Now().Truncate(time.Second)
	}
	t := time.Now()
	if !t.After(m.last) {
		t = m.last.Add(time.Nanosecond)
	}
	m.last = t
	return t
}

func perr(op, name string, err error) error { return &fs.PathError{Op: op, Path: name, Err: err} }

// lookup returns the node at name, or nil.
func (m *memFS) lookup(name string) *mnode {
	n := m.root
	if name == "" || name == "." {
		return n
	}
	for _, c := range strings.Split(name, "/") {
		if !n.isDir {
			return nil
		}
		n = n.ents[c]
		if n == nil {
			return nil
		}
	}
	return n
}

// parent returns the directory holding name and the last component.
func (m *memFS) parent(op, name string) (*mnode, string, error) {
	i := strings.LastIndexByte(name, '/')
	dir, base := "", name
	if i >= 0 {
		dir, base = name[:i], name[i+1:]
	}
	d := m.lookup(dir)
	if d == nil || !d.isDir {
		return nil, "", perr(op, name, fs.ErrNotExist)
	}
	if base == "" || base == "." || base == ".." {
		return nil, "", perr(op, name, fs.ErrInvalid)
	}
	return d, base, nil
}

type memWriter struct {
	m      *memFS
	n      *mnode
	closed bool
}

func (w *memWriter) Write(p []byte) (int, error) {
	w.m.mu.Lock()
	defer w.m.mu.Unlock()
	if w.closed {
		return 0, fs.ErrClosed
	}
	w.n.data = append(w.n.data, p...)
	w.n.mtime = w.m.now()
	return len(p), nil
}

func (w *memWriter) Sync() error {
	w.m.mu.Lock()
	defer w.m.mu.Unlock()
	if w.closed {
		return fs.ErrClosed
	}
	if w.m.track {
		w.n.ddata = w.n.data[:len(w.n.data):len(w.n.data)]
	}
	return nil
}

func (w *memWriter) Stat() (fs.FileInfo, error) {
	w.m.mu.Lock()
	defer w.m.mu.Unlock()
	return memInfo{size: int64(len(w.n.data)), mtime: w.n.mtime}, nil
}

type memInfo struct {
	size  int64
	mtime time.Time
}

func (i memInfo) Name() string       { return "" }
func (i memInfo) Size() int64        { return i.size }
func (i memInfo) Mode() fs.FileMode  { return 0o600 }
func (i memInfo) ModTime() time.Time { return i.mtime }
func (i memInfo) IsDir() bool        { return false }
func (i memInfo) Sys() any           { return nil }

func (w *memWriter) Close() error {
	w.m.mu.Lock()
	defer w.m.mu.Unlock()
	if w.closed {
		return fs.ErrClosed
	}
	w.closed = true
	return nil
}

type memReader struct {
	*bytes.Reader
}

func (memReader) Close() error { return nil }

func (m *memFS) Create(name string) (wfile, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	d, base, err := m.parent("create", name)
	if err != nil {
		return nil, err
	}
	if d.ents[base] != nil {
		return nil, perr("create", name, fs.ErrExist)
	}
	n := &mnode{mtime: m.now()}
	d.ents[base] = n
	d.mtime = n.mtime
	return &memWriter{m: m, n: n}, nil
}

func (m *memFS) OpenAppend(name string) (wfile, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	d, base, err := m.parent("open", name)
	if err != nil {
		return nil, err
	}
	n := d.ents[base]
	if n == nil {
		n = &mnode{mtime: m.now()}
		d.ents[base] = n
		d.mtime = n.mtime
	} else if n.isDir {
		return nil, perr("open", name, fs.ErrInvalid)
	}
	return &memWriter{m: m, n: n}, nil
}

func (m *memFS) Open(name string) (rfile, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := m.lookup(name)
	if n == nil || n.isDir {
		return nil, perr("open", name, fs.ErrNotExist)
	}
	return memReader{bytes.NewReader(n.data[:len(n.data):len(n.data)])}, nil
}

func (m *memFS) ReadFile(name string) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := m.lookup(name)
	if n == nil || n.isDir {
		return nil, perr("open", name, fs.ErrNotExist)
	}
	return bytes.Clone(n.data), nil
}

func (m *memFS) Rename(oldname, newname string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	od, ob, err := m.parent("rename", oldname)
	if err != nil {
		return err
	}
	n := od.ents[ob]
	if n == nil {
		return perr("rename", oldname, fs.ErrNotExist)
	}
	nd, nb, err := m.parent("rename", newname)
	if err != nil {
		return err
	}
	if t := nd.ents[nb]; t != nil && t.isDir && (!n.isDir || len(t.ents) > 0) {
		return perr("rename", newname, fs.ErrExist)
	}
	delete(od.ents, ob)
	nd.ents[nb] = n
	t := m.now()
	od.mtime, nd.mtime = t, t
	return nil
}

func (m *memFS) Link(oldname, newname string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := m.lookup(oldname)
	if n == nil || n.isDir {
		return perr("link", oldname, fs.ErrNotExist)
	}
	nd, nb, err := m.parent("link", newname)
	if err != nil {
		return err
	}
	if nd.ents[nb] != nil {
		return perr("link", newname, fs.ErrExist)
	}
	nd.ents[nb] = n
	nd.mtime = m.now()
	return nil
}

func (m *memFS) Remove(name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	d, base, err := m.parent("remove", name)
	if err != nil {
		return err
	}
	n := d.ents[base]
	if n == nil {
		return perr("remove", name, fs.ErrNotExist)
	}
	if n.isDir && len(n.ents) > 0 {
		return perr("remove", name, fs.ErrExist)
	}
	delete(d.ents, base)
	d.mtime = m.now()
	return nil
}

func (m *memFS) RemoveAll(name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	d, base, err := m.parent("removeall", name)
	if err != nil {
		if isNotExist(err) {
			return nil
		}
		return err
	}
	if d.ents[base] != nil {
		delete(d.ents, base)
		d.mtime = m.now()
	}
	return nil
}

func (m *memFS) Mkdir(name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	d, base, err := m.parent("mkdir", name)
	if err != nil {
		return err
	}
	if d.ents[base] != nil {
		return perr("mkdir", name, fs.ErrExist)
	}
	n := &mnode{isDir: true, ents: map[string]*mnode{}, dents: map[string]*mnode{}, mtime: m.now()}
	d.ents[base] = n
	d.mtime = n.mtime
	return nil
}

func (m *memFS) ReadDir(name string) ([]dirEntry, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := m.lookup(name)
	if n == nil || !n.isDir {
		return nil, perr("readdir", name, fs.ErrNotExist)
	}
	m.listings++
	out := make([]dirEntry, 0, len(n.ents))
	for k, v := range n.ents {
		out = append(out, dirEntry{name: k, isDir: v.isDir})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out, nil
}

func (m *memFS) Stat(name string) (fileStat, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := m.lookup(name)
	if n == nil {
		return fileStat{}, perr("stat", name, fs.ErrNotExist)
	}
	return fileStat{size: int64(len(n.data)), mtime: n.mtime, isDir: n.isDir}, nil
}

func (m *memFS) Chtimes(name string, mtime time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := m.lookup(name)
	if n == nil {
		return perr("chtimes", name, fs.ErrNotExist)
	}
	n.mtime = mtime
	return nil
}

func (m *memFS) SyncDir(name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := m.lookup(name)
	if n == nil || !n.isDir {
		return perr("sync", name, fs.ErrNotExist)
	}
	if m.track {
		n.dents = make(map[string]*mnode, len(n.ents))
		for k, v := range n.ents {
			n.dents[k] = v
		}
	}
	return nil
}

func (m *memFS) SyncFS() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.track {
		var walk func(n *mnode)
		walk = func(n *mnode) {
			if !n.isDir {
				n.ddata = n.data[:len(n.data):len(n.data)]
				return
			}
			n.dents = make(map[string]*mnode, len(n.ents))
			for k, v := range n.ents {
				n.dents[k] = v
				walk(v)
			}
		}
		walk(m.root)
	}
	return nil
}

// crashImage returns a new file system holding only what was durable:
// the state after a power loss now. Only meaningful with track set.
func (m *memFS) crashImage() *memFS {
	m.mu.Lock()
	defer m.mu.Unlock()
	img := newMemFS(true)
	img.last = m.last
	copies := map[*mnode]*mnode{} // keep hard links shared
	var cp func(n *mnode) *mnode
	cp = func(n *mnode) *mnode {
		if c := copies[n]; c != nil {
			return c
		}
		c := &mnode{isDir: n.isDir, mtime: n.mtime}
		copies[n] = c
		if n.isDir {
			c.ents = map[string]*mnode{}
			c.dents = map[string]*mnode{}
			for k, v := range n.dents {
				cv := cp(v)
				c.ents[k], c.dents[k] = cv, cv
			}
		} else {
			c.data = n.ddata
			c.ddata = n.ddata
		}
		return c
	}
	img.root = cp(m.root)
	return img
}
