package queue

import (
	"cmp"
	"errors"
	"sync"

	"github.com/mailwright/mailwright/internal/syncgroup"
)

// committer makes appended records durable in groups (group commit): a
// caller marks its segment dirty and waits, through a syncgroup.Group, for
// a round that began after its append; one round fdatasyncs, in parallel,
// every segment written since the last round, and fsyncs seg/ if segments
// were created.
type committer struct {
	fs    fileSystem
	dir   string
	group syncgroup.Group

	mu      sync.Mutex
	dirty   map[*segment]bool
	newSegs []*segment // created, seg/ not yet fsync'd since
	dirErr  error      // of the last fsync of seg/
	rounds  uint64     // rounds run
}

func newCommitter(fsys fileSystem, dir string) *committer {
	return &committer{fs: fsys, dir: dir, dirty: map[*segment]bool{}}
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
// The round that Do waits for began after seg was marked dirty, so it, or
// an earlier round that took the mark, fdatasync'd seg after the append;
// a failure is recorded in seg and returned to every writer of seg since.
func (c *committer) sync(seg *segment) error {
	c.mu.Lock()
	c.dirty[seg] = true
	c.mu.Unlock()
	c.group.Do(func() error { c.round(); return nil })
	c.mu.Lock()
	defer c.mu.Unlock()
	if seg.syncErr != nil {
		return seg.syncErr
	}
	if !seg.dirSynced {
		return cmp.Or(c.dirErr, errors.New("segment directory not synced"))
	}
	return nil
}

// round runs one group commit: it takes the dirty and new segments, syncs
// them, and records the results in the segments.
func (c *committer) round() {
	c.mu.Lock()
	dirty, news := c.dirty, c.newSegs
	c.dirty, c.newSegs = map[*segment]bool{}, nil
	c.rounds++
	c.mu.Unlock()

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

	c.mu.Lock()
	defer c.mu.Unlock()
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
}
