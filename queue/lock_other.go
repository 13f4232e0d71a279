//go:build !unix

package queue

import "os"

// dirLock holds the lock file open. Without flock, two processes opening
// one queue directory are not detected on this platform.
type dirLock struct{ f *os.File }

func lockDir(path string) (*dirLock, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	return &dirLock{f}, nil
}

func (l *dirLock) unlock() { l.f.Close() }
