package mailbox

import (
	"os"

	"golang.org/x/sys/unix"
)

// syncfs flushes every dirty file and directory of the file system that f
// is on (syncfs(2)): one call makes a whole batch of appends durable. Since
// Linux 5.8 it reports write-back errors.
func syncfs(f *os.File) error {
	for {
		err := unix.Syncfs(int(f.Fd()))
		if err != unix.EINTR {
			return err
		}
	}
}

const haveSyncfs = true

// lockFile takes an exclusive, non-blocking flock on f.
func lockFile(f *os.File) error {
	err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
	if err == unix.EWOULDBLOCK {
		return ErrLocked
	}
	return err
}
