// Package syncgroup shares an fsync among concurrent callers (group
// commit), for the mail store and the queue.
package syncgroup

import "sync"

// Group runs one sync at a time for all its callers. Do returns once a
// sync that began after the call has ended, with that sync's error: one
// fsync covers every change made before it began, whoever made it. The
// zero value is ready to use.
type Group struct {
	mu       sync.Mutex
	running  chan struct{} // closed when the sync in progress ends; nil if none
	started  uint64        // syncs begun
	finished uint64        // number of the last sync that ended
	lastErr  error         // its result
}

// Do waits for a sync that begins after the call, running sync itself
// when none is in progress.
func (g *Group) Do(sync func() error) error {
	g.mu.Lock()
	ticket := g.started + 1 // the first sync that can begin after now
	for {
		if g.finished >= ticket {
			err := g.lastErr
			g.mu.Unlock()
			return err
		}
		if wait := g.running; wait != nil {
			g.mu.Unlock()
			<-wait
			g.mu.Lock()
			continue
		}
		done := make(chan struct{})
		g.running = done
		g.started++
		n := g.started
		g.mu.Unlock()
		err := sync()
		g.mu.Lock()
		g.running = nil
		g.finished, g.lastErr = n, err
		close(done)
	}
}
