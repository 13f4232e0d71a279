package queue

import (
	"cmp"
	"errors"
	"io/fs"
)

// markDone records that a message is finished. For a message in a
// segment it buffers a done mark, which flushDone writes: a mark lost in a
// crash only brings the message back for another delivery, which
// at-least-once allows, so marks are not synced. A message in the old
// layout has its files removed at once, envelope first.
func (s *store) markDone(id string) error {
	s.mu.Lock()
	l := s.locs[id]
	if l == nil {
		s.mu.Unlock()
		return nil
	}
	delete(s.locs, id)
	seg := l.seg
	if seg == nil {
		s.mu.Unlock()
		if err := s.fs.Remove(s.envPath(id)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		if err := s.fs.Remove(s.bodyPath(id)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		return nil
	}
	seg.doneBuf = append(append(seg.doneBuf, id...), '\n')
	if !seg.pendingDone {
		seg.pendingDone = true
		s.doneQueue = append(s.doneQueue, seg)
	}
	if seg.overrides[id] {
		delete(seg.overrides, id)
		s.staleEnv = append(s.staleEnv, id)
	}
	seg.live--
	if seg.sealed && seg.live == 0 && !seg.doomed {
		seg.doomed = true
		s.doomed = append(s.doomed, seg)
	}
	s.mu.Unlock()
	return nil
}

// flushDone writes the buffered done marks, one write per segment, and
// deletes the segments whose messages are all finished.
func (s *store) flushDone() error {
	s.doneMu.Lock()
	defer s.doneMu.Unlock()
	s.mu.Lock()
	queue, doomed, stale := s.doneQueue, s.doomed, s.staleEnv
	s.doneQueue, s.doomed, s.staleEnv = nil, nil, nil
	bufs := make([][]byte, len(queue))
	for i, seg := range queue {
		if !seg.doomed { // else it is about to be deleted
			bufs[i] = seg.doneBuf
		}
		seg.doneBuf = nil
		seg.pendingDone = false
	}
	s.mu.Unlock()
	var first error
	for i, seg := range queue {
		if bufs[i] == nil {
			continue
		}
		if seg.doneF == nil {
			f, err := s.fs.OpenAppend(s.donePath(seg.n))
			if err != nil {
				first = cmp.Or(first, err)
				continue
			}
			seg.doneF = f
		}
		if _, err := seg.doneF.Write(bufs[i]); err != nil {
			first = cmp.Or(first, err)
		}
	}
	// A finished message's envelope in msg/ goes after its done mark: a
	// crash in between leaves a state file that Open deletes.
	for _, id := range stale {
		if err := s.fs.Remove(s.envPath(id)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			first = cmp.Or(first, err)
		}
	}
	for _, seg := range doomed {
		first = cmp.Or(first, s.deleteSegment(seg))
	}
	return first
}

// deleteSegment removes a segment whose messages are all finished: the
// envelopes that override its records first (with the segment there, a
// crash then only brings back messages the .done file names), then the
// segment, then its .done file. s.doneMu is held.
func (s *store) deleteSegment(seg *segment) error {
	s.mu.Lock()
	ids := make([]string, 0, len(seg.overrides))
	for id := range seg.overrides {
		ids = append(ids, id)
	}
	s.mu.Unlock()
	var first error
	for _, id := range ids {
		if err := s.fs.Remove(s.envPath(id)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			first = cmp.Or(first, err)
		}
	}
	if first == nil {
		first = s.fs.Remove(seg.path)
	}
	if seg.doneF != nil {
		seg.doneF.Close()
		seg.doneF = nil
	}
	if first == nil {
		if err := s.fs.Remove(s.donePath(seg.n)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			first = err
		}
	}
	s.mu.Lock()
	seg.gone = true
	delete(s.segs, seg.n)
	if seg.refs == 0 {
		s.closeSegLocked(seg)
	}
	s.mu.Unlock()
	return first
}

func (s *store) closeSegLocked(seg *segment) {
	if !seg.closed {
		seg.closed = true
		seg.c.Close()
	}
}

// remove deletes a message for Queue.Remove. Unlike a delivered
// message's, the removal is durable when remove returns: an operator who
// removed a message must not see it come back after a crash. So the done
// mark is written and fsync'd at once, and the directory is fsync'd too
// (it may hold a new .done file, or have lost the segment).
func (s *store) remove(id string) error {
	s.mu.Lock()
	var seg *segment
	if l := s.locs[id]; l != nil {
		seg = l.seg
	}
	s.mu.Unlock()
	if err := s.markDone(id); err != nil {
		return err
	}
	if err := s.flushDone(); err != nil {
		return err
	}
	if seg == nil { // the old layout: its files were removed
		return s.fs.SyncDir(s.msgDir)
	}
	s.doneMu.Lock()
	var err error
	if seg.doneF != nil { // else the segment was deleted
		err = seg.doneF.Sync()
	}
	s.doneMu.Unlock()
	if err != nil {
		return err
	}
	return s.fs.SyncDir(s.segDir)
}
