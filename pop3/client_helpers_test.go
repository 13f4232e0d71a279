package pop3_test

import (
	"crypto/sha256"
	"hash"
	"runtime"
)

// heapGrowth runs f and returns how many bytes were allocated meanwhile.
func heapGrowth(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// hashWriter counts and hashes what is written to it, to compare large
// contents without holding them.
type hashWriter struct {
	n int64
	h hash.Hash
}

func (w *hashWriter) Write(p []byte) (int, error) {
	if w.h == nil {
		w.h = sha256.New()
	}
	w.n += int64(len(p))
	return w.h.Write(p)
}

func (w *hashWriter) sum() string {
	if w.h == nil {
		w.h = sha256.New()
	}
	return string(w.h.Sum(nil))
}
