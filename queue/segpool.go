package queue

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"time"
)

// acquire takes a segment for appending from the pool. It creates one if
// fewer than segPool are open; if all are taken for longer than
// segWait (a writer reading a slow body), it creates more, up to
// segMaxOpen, so that one slow enqueue does not hold up the others.
func (s *store) acquire(ctx context.Context) (*segment, error) {
	for {
		seg, err := s.takeSegment(ctx)
		if err != nil {
			return nil, err
		}
		if !s.commit.failed(seg) {
			return seg, nil
		}
		seg.broken = true
		s.release(seg)
	}
}

func (s *store) takeSegment(ctx context.Context) (*segment, error) {
	select {
	case seg := <-s.segFree:
		return seg, nil
	default:
	}
	if len(s.segSlots) < segPool {
		select {
		case s.segSlots <- struct{}{}:
			return s.newSegmentSlot()
		default:
		}
	}
	t := time.NewTimer(segWait)
	defer t.Stop()
	select {
	case seg := <-s.segFree:
		return seg, nil
	case <-t.C:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	select {
	case seg := <-s.segFree:
		return seg, nil
	case s.segSlots <- struct{}{}:
		return s.newSegmentSlot()
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// newSegmentSlot creates a segment for a slot just taken.
func (s *store) newSegmentSlot() (*segment, error) {
	seg, err := s.newSegment()
	if err != nil {
		<-s.segSlots
		return nil, err
	}
	return seg, nil
}

// release gives a segment back to the pool, or seals it when it is full
// or broken.
func (s *store) release(seg *segment) {
	if seg.broken || seg.size >= segMaxSize || seg.nrec >= segMaxRecords {
		s.mu.Lock()
		s.sealLocked(seg)
		s.mu.Unlock()
		<-s.segSlots
		return
	}
	s.segFree <- seg
}

// sealLocked closes seg to appends. s.mu is held.
func (s *store) sealLocked(seg *segment) {
	seg.sealed = true
	if seg.live == 0 && !seg.doomed {
		seg.doomed = true
		s.doomed = append(s.doomed, seg)
	}
}

// newSegment creates a segment file with its header.
func (s *store) newSegment() (*segment, error) {
	n := s.segNext.Add(1)
	path := s.segPath(n)
	f, err := s.fs.CreateSegment(path)
	if err != nil {
		return nil, err
	}
	var kb [8]byte
	rand.Read(kb[:])
	seg := &segment{n: n, path: path, key: binary.BigEndian.Uint64(kb[:]), r: f, c: f, w: f}
	seg.seed = keyCRC(seg.key)
	hdr := appendSegmentHeader(make([]byte, 0, segHeaderSize), seg.key)
	if _, err := f.WriteAt(hdr, 0); err != nil {
		f.Close()
		s.fs.Remove(path)
		return nil, err
	}
	seg.size = segHeaderSize
	s.mu.Lock()
	s.segs[n] = seg
	s.mu.Unlock()
	s.commit.created(seg)
	return seg, nil
}
