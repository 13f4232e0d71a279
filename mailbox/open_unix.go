//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package mailbox

import (
	"os"
	"syscall"
)

// openFile is os.OpenFile without the attempt to register the file with
// Go's network poller, which for a regular file costs four fcntl calls and
// a failing epoll_ctl: a fifth of the system calls of an SMTP delivery.
// os.NewFile sees a blocking descriptor and leaves the poller out.
func openFile(name string, flag int, perm uint32) (*os.File, error) {
	for {
		fd, err := syscall.Open(name, flag|syscall.O_CLOEXEC, perm)
		if err == nil {
			return os.NewFile(uintptr(fd), name), nil
		}
		if err != syscall.EINTR {
			return nil, &os.PathError{Op: "open", Path: name, Err: err}
		}
	}
}

// renameFile is os.Rename without its lstat of the new name (which only
// turns renaming onto a directory into EEXIST; the store renames files to
// fresh names).
func renameFile(oldpath, newpath string) error {
	for {
		err := syscall.Rename(oldpath, newpath)
		if err == nil {
			return nil
		}
		if err != syscall.EINTR {
			return &os.LinkError{Op: "rename", Old: oldpath, New: newpath, Err: err}
		}
	}
}
