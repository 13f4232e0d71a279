//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package mailbox

import (
	"context"
	"errors"
	"os"
)

// lockMboxFile is not implemented here: without a lock, concurrent
// appenders could interleave their messages, so MboxFile refuses to work.
func lockMboxFile(ctx context.Context, f *os.File) error {
	return errors.ErrUnsupported
}

// syncParentDirectory does nothing where directories cannot be fsync'd.
func syncParentDirectory(path string) error { return nil }
