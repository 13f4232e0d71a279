package syncgroup

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestDoSharesAndOrders checks that concurrent callers share syncs, that
// every caller's sync began after its call, and that errors reach the
// callers of the sync that failed.
func TestDoSharesAndOrders(t *testing.T) {
	var g Group
	var syncs atomic.Int64
	var began atomic.Int64 // nanotime of the last sync's start
	const callers = 50
	var wg sync.WaitGroup
	for range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			called := time.Now().UnixNano()
			var started int64
			err := g.Do(func() error {
				started = time.Now().UnixNano()
				began.Store(started)
				syncs.Add(1)
				time.Sleep(2 * time.Millisecond)
				return nil
			})
			if err != nil {
				t.Error(err)
			}
			if last := began.Load(); last < called {
				t.Errorf("returned after a sync that began at %d, before the call at %d", last, called)
			}
		}()
	}
	wg.Wait()
	if n := syncs.Load(); n < 1 || n >= callers {
		t.Errorf("%d callers ran %d syncs, want them shared", callers, n)
	}
	boom := errors.New("boom")
	if err := g.Do(func() error { return boom }); err != boom {
		t.Errorf("Do = %v, want the sync's error", err)
	}
	if err := g.Do(func() error { return nil }); err != nil {
		t.Errorf("Do after a failed sync = %v, want the new sync's result", err)
	}
}
