package mailbox

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"time"
)

// fsys is the seam between the store and the file system. The Maildir store
// uses the real file system (osFS), the memory store an in-memory one
// (memFS) with the same semantics, and tests wrap either with faultFS to
// inject failures and crashes at each step. Paths are slash-separated and
// relative to the store root.
type fsys interface {
	// Create makes a new file for writing; it fails if name exists.
	Create(name string) (wfile, error)
	// OpenAppend opens (creating if needed) a file for appending.
	OpenAppend(name string) (wfile, error)
	// Open opens a file for reading.
	Open(name string) (rfile, error)
	ReadFile(name string) ([]byte, error)
	Rename(oldname, newname string) error
	Link(oldname, newname string) error
	Remove(name string) error
	RemoveAll(name string) error
	Mkdir(name string) error
	// ReadDir lists the entries of a directory, sorted by name.
	ReadDir(name string) ([]dirEntry, error)
	Stat(name string) (fileStat, error)
	Chtimes(name string, mtime time.Time) error
	// SyncDir makes the entries of a directory durable.
	SyncDir(name string) error
	// SyncFS makes everything written so far durable, if supported
	// (errSyncFSUnsupported otherwise).
	SyncFS() error
}

type wfile interface {
	io.Writer
	Sync() error
	Close() error
	Stat() (fs.FileInfo, error)
}

type rfile interface {
	io.Reader
	io.ReaderAt
	io.Closer
}

type dirEntry struct {
	name  string
	isDir bool
}

type fileStat struct {
	size  int64
	mtime time.Time
	isDir bool
}

var errSyncFSUnsupported = errors.New("mailbox: syncfs not supported")

// osFS is the real file system below root.
type osFS struct {
	root   string
	syncfd *os.File // an open directory on the file system, for syncfs
}

func (o *osFS) path(name string) string { return filepath.Join(o.root, filepath.FromSlash(name)) }

func (o *osFS) Create(name string) (wfile, error) {
	return openFile(o.path(name), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
}

func (o *osFS) OpenAppend(name string) (wfile, error) {
	return os.OpenFile(o.path(name), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
}

func (o *osFS) Open(name string) (rfile, error)      { return openFile(o.path(name), os.O_RDONLY, 0) }
func (o *osFS) ReadFile(name string) ([]byte, error) { return os.ReadFile(o.path(name)) }
func (o *osFS) Rename(a, b string) error             { return renameFile(o.path(a), o.path(b)) }
func (o *osFS) Link(a, b string) error               { return os.Link(o.path(a), o.path(b)) }
func (o *osFS) Remove(name string) error             { return os.Remove(o.path(name)) }
func (o *osFS) RemoveAll(name string) error          { return os.RemoveAll(o.path(name)) }
func (o *osFS) Mkdir(name string) error              { return os.Mkdir(o.path(name), 0o700) }

func (o *osFS) ReadDir(name string) ([]dirEntry, error) {
	f, err := os.Open(o.path(name))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []dirEntry
	for {
		// ReadDir (not Readdir) does not stat each entry: listing a folder
		// of 100,000 messages costs getdents calls only.
		ents, err := f.ReadDir(4096)
		for _, e := range ents {
			out = append(out, dirEntry{name: e.Name(), isDir: e.IsDir()})
		}
		if err == io.EOF || len(ents) == 0 {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out, nil
}

func (o *osFS) Stat(name string) (fileStat, error) {
	fi, err := os.Stat(o.path(name))
	if err != nil {
		return fileStat{}, err
	}
	return fileStat{size: fi.Size(), mtime: fi.ModTime(), isDir: fi.IsDir()}, nil
}

func (o *osFS) Chtimes(name string, mtime time.Time) error {
	return os.Chtimes(o.path(name), mtime, mtime)
}

func (o *osFS) SyncDir(name string) error {
	f, err := openFile(o.path(name), os.O_RDONLY, 0)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func (o *osFS) SyncFS() error {
	if o.syncfd == nil {
		return errSyncFSUnsupported
	}
	return syncfs(o.syncfd)
}

// isNotExist reports whether err says that a file does not exist.
func isNotExist(err error) bool { return errors.Is(err, fs.ErrNotExist) }

// isExist reports whether err says that a file already exists.
func isExist(err error) bool { return errors.Is(err, fs.ErrExist) }
