package queue

import (
	"errors"
	"sync"
)

// committer makes appended records durable in groups (group commit): a
// caller waits for a round that began after its append, and one round
// fdatasyncs, in parallel, every segment written since the last round, and
// fsyncs seg/ if segments were created.
type committer struct {
	fs  fileSystem
	dir string

	mu       sync.Mutex
	cond     *sync.Cond
	running  bool
	started  uint64
	finished uint64
	dirty    map[*segment]bool
	newSegs  []*segment // created, seg/ not yet fsync'd since
	dirErr   error      // of the last fsync of seg/
}

func newCommitter(fsys fileSystem, dir string) *committer {
	c := &committer{fs: fsys, dir: dir, dirty: map[*segment]bool{}}
	c.cond = sync.NewCond(&c.mu)
	return c
}

// created registers a new segment whose directory entry must be synced
// before any of its records is acknowledged.
func (c *committer) created(seg *segment) {
	c.mu.Lock()
	c.newSegs = append(c.newSegs, seg)
	c.mu.Unlock()
}

// failed reports whether an fdatasync of seg failed: what is written to it
// can no longer be trusted to reach the disk.
func (c *committer) failed(seg *segment) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return seg.syncErr != nil
}

// sync returns once everything appended to seg before the call is durable.
func (c *committer) sync(seg *segment) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.dirty[seg] = true
	ticket := c.started + 1 // the first round that can start after now
	for c.finished < ticket {
		if c.running {
			c.cond.Wait()
			continue
		}
		c.running = true
		c.started++
		n := c.started
		dirty, news := c.dirty, c.newSegs
		c.dirty, c.newSegs = map[*segment]bool{}, nil
		c.mu.Unlock()
		errs, dirErr := c.round(dirty, news)
		c.mu.Lock()
		for sg, err := range errs {
			if err != nil && sg.syncErr == nil {
				sg.syncErr = err
			}
		}
		if len(news) > 0 {
			c.dirErr = dirErr
			if dirErr == nil {
				for _, sg := range news {
					sg.dirSynced = true
				}
			} else {
				c.newSegs = append(c.newSegs, news...)
			}
		}
		c.running = false
		c.finished = n
		c.cond.Broadcast()
	}
	if seg.syncErr != nil {
		return seg.syncErr
	}
	if !seg.dirSynced {
		if c.dirErr != nil {
			return c.dirErr
		}
		return errors.New("segment directory not synced")
	}
	return nil
}

// round runs one group commit.
func (c *committer) round(dirty map[*segment]bool, news []*segment) (map[*segment]error, error) {
	errs := make(map[*segment]error, len(dirty))
	var mu sync.Mutex
	var wg sync.WaitGroup
	var dirErr error
	if len(news) > 0 {
		wg.Go(func() { dirErr = c.fs.SyncDir(c.dir) })
	}
	for sg := range dirty {
		if len(dirty) == 1 && len(news) == 0 {
			errs[sg] = sg.w.Datasync()
			break
		}
		wg.Go(func() {
			err := sg.w.Datasync()
			mu.Lock()
			errs[sg] = err
			mu.Unlock()
		})
	}
	wg.Wait()
	return errs, dirErr
}
