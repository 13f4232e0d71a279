package queue

import (
	"io"
	"os"
)

// fileSystem is the seam through which the store writes, so that tests can
// simulate a crash between any two steps. Reads go straight to the os
// package (or through the segment file for segments this run created).
type fileSystem interface {
	Create(name string) (writeFile, error)          // O_WRONLY|O_CREATE|O_EXCL, 0600
	CreateSegment(name string) (segmentFile, error) // O_RDWR|O_CREATE|O_EXCL, 0600
	OpenAppend(name string) (writeFile, error)      // O_WRONLY|O_APPEND|O_CREATE, 0600
	Rename(oldpath, newpath string) error
	Remove(name string) error
	SyncDir(dir string) error
}

type writeFile interface {
	io.Writer
	Sync() error
	Close() error
}

// segmentFile is a segment being appended to; readers of its bodies share
// it (ReadAt does not move the file offset).
type segmentFile interface {
	io.WriterAt
	io.ReaderAt
	Truncate(size int64) error
	Datasync() error
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

func (f osFS) CreateSegment(name string) (segmentFile, error) {
	file, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, err
	}
	return osSegment{file, f.noSync}, nil
}

func (f osFS) OpenAppend(name string) (writeFile, error) {
	file, err := os.OpenFile(name, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
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

type osSegment struct {
	*os.File
	noSync bool
}

func (s osSegment) Datasync() error {
	if s.noSync {
		return nil
	}
	return datasync(s.File)
}
