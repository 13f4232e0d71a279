package mailbox

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/mailwright/mailwright/internal/ctxio"
)

// MboxFile is an mbox file on disk (format: see MboxReader and AppendMbox)
// that goroutines and processes append to and read safely: every operation
// holds an exclusive flock(2) lock on the file, and Append is durable and
// all-or-nothing. It is the whole store of the simplest server: one file
// per account that SMTP delivery appends to and POP3 drains.
//
// Only flock is used: no dotlock file and no fcntl lock. A program that
// changes the file at the same time (an MUA, an MDA) must take flock locks
// too (Dovecot: mbox_write_locks = flock; mutt and procmail use fcntl and
// dotlocks, and do not see these locks). On systems without flock the
// methods return errors.ErrUnsupported.
//
// The zero value is not usable; set Path. An MboxFile holds no state: two
// values with the same Path are the same file.
type MboxFile struct {
	// Path is the name of the file. Append creates it when it does not exist
	// (its directory must exist).
	Path string
	// Perm is the permission of a file that Append or Lock creates; 0 means
	// 0600 (mail is private).
	Perm fs.FileMode
}

// Append appends one message (see AppendMbox) under the lock. It returns
// only when the message is on stable storage (the file fsync'd, and its
// directory too when the file was new), so that the caller can acknowledge
// it. On any error, ctx being done included, the file is cut back to its
// size before the call: no part of the message stays.
//
// If the file does not end with a blank line (a writer crashed halfway, or
// another program wrote it), Append first adds line endings so that the
// new message still starts after a blank line.
func (f *MboxFile) Append(ctx context.Context, from string, date time.Time, msg io.Reader) error {
	l, err := f.Lock(ctx)
	if err != nil {
		return err
	}
	err = l.Append(ctx, from, date, msg)
	if cerr := l.Close(); err == nil {
		err = cerr
	}
	return err
}

// Drain reads every message of the file under the lock, calling fn for
// each in order, and then empties the file (fsync'd) before it lets go of
// the lock: POP3's "download and delete" in one step. If fn returns an
// error, or reading fails, Drain returns that error and the file is left as
// it was. Messages delivered meanwhile wait for the lock and stay for the
// next Drain. fn may read the message's Body, or not; the Body is not valid
// after fn returns.
func (f *MboxFile) Drain(ctx context.Context, fn func(*MboxMessage) error) error {
	l, err := f.Lock(ctx)
	if err != nil {
		return err
	}
	defer l.Close()
	r := l.Messages()
	for {
		m, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := fn(m); err != nil {
			return err
		}
	}
	if err := l.Truncate(); err != nil {
		return err
	}
	return l.Close()
}

// Lock takes the exclusive lock on the file, creating the file if it does
// not exist, and waits for it until ctx is done. Until Close, every other
// Append, Drain or Lock of the file waits, in this process and in others.
// A POP3 session holds it from login to QUIT (RFC 1939 section 8: the
// maildrop is locked for the session).
func (f *MboxFile) Lock(ctx context.Context) (*MboxLock, error) {
	if f.Path == "" {
		return nil, errors.New("mailbox: MboxFile without a Path")
	}
	perm := f.Perm
	if perm == 0 {
		perm = 0o600
	}
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		fd, err := os.OpenFile(f.Path, os.O_RDWR|os.O_CREATE|os.O_APPEND, perm)
		if err != nil {
			return nil, err
		}
		if err := lockMboxFile(ctx, fd); err != nil {
			fd.Close()
			return nil, err
		}
		// DeleteFunc replaces the file with a new one: if that happened
		// while we waited, the lock we got is on the old file, which nobody
		// reads any more. Try again on the new one.
		held, err1 := fd.Stat()
		named, err2 := os.Stat(f.Path)
		if err1 == nil && err2 == nil && os.SameFile(held, named) {
			return &MboxLock{f: fd, path: f.Path}, nil
		}
		fd.Close()
		if err1 != nil {
			return nil, err1
		}
		if err2 != nil && !errors.Is(err2, fs.ErrNotExist) {
			return nil, err2
		}
	}
}

// MboxLock is an mbox file held under its exclusive lock, from
// MboxFile.Lock. Its methods must not be called concurrently; Close
// releases the lock.
type MboxLock struct {
	f    *os.File
	path string
}

// Messages returns a reader of the messages in the file from its start.
// Reading does not move the position that Append writes at, and several
// readers may be used one after another.
func (l *MboxLock) Messages() *MboxReader {
	if l.f == nil {
		return &MboxReader{err: os.ErrClosed}
	}
	return NewMboxReader(io.NewSectionReader(l.f, 0, 1<<62))
}

// MessageAt returns a reader positioned at the message whose From_ line
// starts at offset (an MboxMessage.Offset from Messages), for random
// access. Its Next returns ErrNotMbox if no From_ line starts there.
// Offsets are valid until the file changes (Append adds after them,
// Truncate and DeleteFunc invalidate them).
func (l *MboxLock) MessageAt(offset int64) *MboxReader {
	if l.f == nil {
		return &MboxReader{err: os.ErrClosed}
	}
	r := NewMboxReader(io.NewSectionReader(l.f, offset, 1<<62))
	r.off = offset
	return r
}

// Append appends one message, durably and all-or-nothing, as
// MboxFile.Append does.
func (l *MboxLock) Append(ctx context.Context, from string, date time.Time, msg io.Reader) error {
	if l.f == nil {
		return os.ErrClosed
	}
	size, err := l.f.Seek(0, io.SeekEnd)
	if err != nil {
		return err
	}
	if size == 0 {
		// A new (or emptied) file: make sure its name is durable before
		// anything can be acknowledged in it.
		if err := syncParentDirectory(l.path); err != nil {
			return err
		}
	}
	err = l.write(ctx, size, from, date, msg)
	if err == nil {
		err = l.f.Sync()
	}
	if err != nil {
		// Cut off what was written of the message.
		if terr := l.f.Truncate(size); terr != nil {
			return errors.Join(err, fmt.Errorf("mailbox: cannot undo a failed mbox append: %w", terr))
		}
		if serr := l.f.Sync(); serr != nil {
			return errors.Join(err, serr)
		}
		return err
	}
	return nil
}

func (l *MboxLock) write(ctx context.Context, size int64, from string, date time.Time, msg io.Reader) error {
	w := bufio.NewWriterSize(l.f, mboxBufferSize)
	if size > 0 {
		// RFC 4155: a From_ line separates messages only after a blank line.
		var tail [2]byte
		n, err := l.f.ReadAt(tail[:min(size, 2)], size-min(size, 2))
		if err != nil && err != io.EOF {
			return err
		}
		switch t := tail[:n]; {
		case len(t) == 0 || t[len(t)-1] != '\n':
			w.WriteString("\n\n")
		case len(t) == 2 && t[0] != '\n':
			w.WriteString("\n")
		}
	}
	if err := AppendMbox(w, from, date, ctxio.Reader(ctx, msg)); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return w.Flush()
}

// Truncate empties the file, durably.
func (l *MboxLock) Truncate() error {
	if l.f == nil {
		return os.ErrClosed
	}
	if err := l.f.Truncate(0); err != nil {
		return err
	}
	if _, err := l.f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	return l.f.Sync()
}

// DeleteFunc removes the messages for which del returns true, keeping the
// others byte for byte and in order. del may read the message's Body. The
// file is replaced atomically (a new file written, fsync'd and renamed over
// the old one, and the directory fsync'd), so a crash leaves either the old
// file or the new one; the lock moves to the new file.
func (l *MboxLock) DeleteFunc(del func(*MboxMessage) bool) error {
	if l.f == nil {
		return os.ErrClosed
	}
	// First pass: the byte range of each message to keep.
	type span struct{ start, end int64 }
	var keep []span
	r := l.Messages()
	deleted := false
	for {
		m, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if n := len(keep); n > 0 && keep[n-1].end < 0 {
			keep[n-1].end = m.Offset
		}
		if del(m) {
			deleted = true
			continue
		}
		keep = append(keep, span{m.Offset, -1})
	}
	if !deleted {
		return nil
	}
	info, err := l.f.Stat()
	if err != nil {
		return err
	}
	if n := len(keep); n > 0 && keep[n-1].end < 0 {
		keep[n-1].end = r.off
	}

	tmp, err := os.CreateTemp(filepath.Dir(l.path), "."+filepath.Base(l.path)+".tmp-*")
	if err != nil {
		return err
	}
	ok := false
	defer func() {
		if !ok {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	// Lock the new file before it gets the name, so that nobody who opens
	// it by name gets in before we are done.
	if err := lockMboxFile(context.Background(), tmp); err != nil {
		return err
	}
	if err := tmp.Chmod(info.Mode().Perm()); err != nil {
		return err
	}
	w := bufio.NewWriterSize(tmp, mboxBufferSize)
	for _, s := range keep {
		if _, err := io.Copy(w, io.NewSectionReader(l.f, s.start, s.end-s.start)); err != nil {
			return err
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), l.path); err != nil {
		return err
	}
	ok = true
	old := l.f
	l.f = tmp
	old.Close()
	return syncParentDirectory(l.path)
}

// Close releases the lock. It may be called more than once.
func (l *MboxLock) Close() error {
	if l.f == nil {
		return nil
	}
	err := l.f.Close() // closing the last descriptor releases the flock
	l.f = nil
	return err
}
