//go:build !linux

package mailbox

import "os"

func syncfs(f *os.File) error { return errSyncFSUnsupported }

const haveSyncfs = false

// lockFile is a no-op where flock is not wired up: run one process per root.
func lockFile(f *os.File) error { return nil }
