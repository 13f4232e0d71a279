//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package mailbox

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// lockMboxFile takes an exclusive flock(2) lock on f, waiting until ctx is
// done. flock locks belong to the open file description, so two goroutines
// of one process that open the file separately exclude each other, as two
// processes do. (POSIX fcntl locks belong to the process and would not.)
func lockMboxFile(ctx context.Context, f *os.File) error {
	wait := time.Millisecond
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			return &os.PathError{Op: "flock", Path: f.Name(), Err: err}
		}
		// Poll rather than block, so that ctx can end the wait.
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		wait = min(2*wait, 20*time.Millisecond)
	}
}

// syncParentDirectory fsyncs the directory holding path, so that a file
// created or renamed there survives a crash.
func syncParentDirectory(path string) error {
	d, err := os.Open(filepath.Dir(path))
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}
