package delivery

import (
	"bytes"
	"errors"
	"io"
	"os"
	"sync"
)

// DefaultSpoolMemory is the default Agent.SpoolMemory.
const DefaultSpoolMemory = 64 << 10

// spool holds one message for several readers: local deliveries running
// at once and the queue. Small messages stay in memory; a larger one goes
// to a temporary file, unlinked as soon as it is created (on Unix) so that
// a crash leaves nothing behind.
type spool struct {
	buf  *[]byte // pooled memory, nil when the message is in f
	mem  []byte  // the message, when it fits in memory
	f    *os.File
	name string // f's name, when it could not be unlinked at once
	size int64
}

var spoolBufs = sync.Pool{New: func() any { return new([]byte) }}

// newSpool reads r to the end into a spool: up to memLimit bytes in memory,
// the whole message in a temporary file in dir (os.TempDir() if empty)
// beyond that.
func newSpool(r io.Reader, memLimit int, dir string) (*spool, error) {
	s := &spool{buf: spoolBufs.Get().(*[]byte)}
	if cap(*s.buf) < memLimit+1 {
		*s.buf = make([]byte, 0, memLimit+1)
	}
	b := (*s.buf)[:memLimit+1]
	n, err := io.ReadFull(r, b)
	switch {
	case err == io.EOF || err == io.ErrUnexpectedEOF:
		s.mem, s.size = b[:n], int64(n)
		return s, nil
	case err != nil:
		s.Close()
		return nil, err
	}
	// Over the memory limit: spill to a file.
	f, err := os.CreateTemp(dir, "mailwright-spool-*")
	if err != nil {
		s.Close()
		return nil, err
	}
	s.f = f
	if os.Remove(f.Name()) != nil {
		s.name = f.Name() // removed by Close instead
	}
	_, werr := f.Write(b[:n])
	spoolBufs.Put(s.buf)
	s.buf = nil
	if werr != nil {
		s.Close()
		return nil, werr
	}
	m, err := io.Copy(f, r)
	if err != nil {
		s.Close()
		return nil, err
	}
	s.size = int64(n) + m
	return s, nil
}

// reader returns a new reader of the whole message; readers are
// independent and may be used concurrently.
func (s *spool) reader() io.Reader {
	if s.f == nil {
		return bytes.NewReader(s.mem)
	}
	return io.NewSectionReader(s.f, 0, s.size)
}

// readerAt returns the message for random access, and its size.
func (s *spool) readerAt() (io.ReaderAt, int64) {
	if s.f == nil {
		return bytes.NewReader(s.mem), s.size
	}
	return s.f, s.size
}

// Close releases the memory or the file.
func (s *spool) Close() error {
	var err error
	if s.f != nil {
		err = s.f.Close()
		if s.name != "" {
			err = errors.Join(err, os.Remove(s.name))
		}
		s.f = nil
	}
	if s.buf != nil {
		s.mem = nil
		spoolBufs.Put(s.buf)
		s.buf = nil
	}
	return err
}
