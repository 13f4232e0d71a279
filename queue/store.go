package queue

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mailwright/mailwright/internal/syncgroup"
)

// The queue directory:
//
//	<dir>/lock        held (flock) while a Queue has the directory open
//	<dir>/seg/        <n>.log: segments, append-only logs of new messages,
//	                  each record an envelope and its body (format in
//	                  segment.go); <n>.done: IDs of the segment's messages
//	                  that are finished, one a line
//	<dir>/msg/        <id>.env: the envelope and delivery state of a message
//	                  whose state changed after it was enqueued, replaced
//	                  atomically; it overrides the envelope in the segment.
//	                  <id>.msg beside an <id>.env with no segment record is
//	                  a message in the layout of earlier versions (body and
//	                  envelope in two files), still loaded and delivered.
//	<dir>/tmp/        envelopes being written; never read, emptied by Open
//	<dir>/corrupt/    what Open could not use: envelopes with their bodies,
//	                  damaged segment records (<name>.rec, raw bytes)
//
// Enqueue appends one record to a segment taken from a small pool (one
// writer per segment at a time) and returns once a group commit has
// fdatasync'd every segment written since the previous one (and seg/, when
// a segment was created): one write and a shared fdatasync per message, no
// file created. A finished message costs a line in the segment's .done
// file, written in batches and not synced; a segment whose messages are all
// finished is deleted with its .done file and its overrides. A state change
// of a message still queued is the slow, rare path: an envelope file in
// msg/ written in tmp/, fsync'd, renamed, and msg/ fsync'd.
const (
	bodySuffix = ".msg"
	envSuffix  = ".env"

	// A segment is closed to new records at about this size or count, so
	// that one slow message keeps little disk space from being freed.
	segMaxSize    = 4 << 20
	segMaxRecords = 1000
	// segPool is the number of segments open for appending: concurrent
	// enqueues write in parallel, one per segment. Up to segMaxOpen are
	// opened when writers hold them all for longer than segWait.
	segPool    = 4
	segMaxOpen = 32
	segWait    = 2 * time.Millisecond
)

// fileSystem is the seam through which the store writes, so that tests can
// simulate a crash between any two steps. Reads go straight to the os
// package (or through the segment file for segments this run created).
type fileSystem interface {
	Create(name string) (writeFile, error)          // O_WRONLY|O_CREATE|O_EXCL, 0600
	CreateSegment(name string) (segmentFile, error) // O_RDWR|O_CREATE|O_EXCL, 0600
	OpenAppend(name string) (writeFile, error)      // O_WRONLY|O_APPEND|O_CREATE, 0600
	Rename(oldpath, newpath string) error
	Remove(name string) error
	SyncDir(dir string) error
}

type writeFile interface {
	io.Writer
	Sync() error
	Close() error
}

// segmentFile is a segment being appended to; readers of its bodies share
// it (ReadAt does not move the file offset).
type segmentFile interface {
	io.WriterAt
	io.ReaderAt
	Truncate(size int64) error
	Datasync() error
	Close() error
}

// osFS is the real file system. noSync skips fsync: only for tests of
// scheduling, where durability is not what is measured.
type osFS struct{ noSync bool }

func (f osFS) Create(name string) (writeFile, error) {
	file, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, err
	}
	if f.noSync {
		return noSyncFile{file}, nil
	}
	return file, nil
}

func (f osFS) CreateSegment(name string) (segmentFile, error) {
	file, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, err
	}
	return osSegment{file, f.noSync}, nil
}

func (f osFS) OpenAppend(name string) (writeFile, error) {
	file, err := os.OpenFile(name, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	if f.noSync {
		return noSyncFile{file}, nil
	}
	return file, nil
}

func (osFS) Rename(oldpath, newpath string) error { return os.Rename(oldpath, newpath) }
func (osFS) Remove(name string) error             { return os.Remove(name) }

func (f osFS) SyncDir(dir string) error {
	if f.noSync {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

type noSyncFile struct{ *os.File }

func (noSyncFile) Sync() error { return nil }

type osSegment struct {
	*os.File
	noSync bool
}

func (s osSegment) Datasync() error {
	if s.noSync {
		return nil
	}
	return datasync(s.File)
}

// segment is one segment file.
type segment struct {
	n    uint64
	path string
	key  uint64
	seed uint32      // keyCRC(key)
	r    io.ReaderAt // bodies and envelopes are read through it
	c    io.Closer   // closes r (and w)
	w    segmentFile // nil for segments loaded by Open: never appended to

	// Owned by the writer that took the segment from the pool.
	size   int64
	nrec   int
	broken bool // a failed append could not be undone: no more appends

	// Guarded by store.mu.
	live        int  // records of messages not finished
	sealed      bool // no more appends: deleted once live is 0
	doomed      bool // queued for deletion
	gone        bool // deleted
	closed      bool
	refs        int // open body readers
	overrides   map[string]bool
	doneBuf     []byte // done marks not yet written
	pendingDone bool   // in store.doneQueue

	// Guarded by store.doneMu.
	doneF writeFile

	// Guarded by committer.mu.
	syncErr   error // a failed fdatasync: nothing written since is durable
	dirSynced bool
}

// loc says where a message is stored.
type loc struct {
	seg     *segment // nil: the old layout, msg/<id>.msg
	off     int64    // of the record
	bodyOff int64
	bodyLen int64
}

// store keeps messages in a queue directory.
type store struct {
	fs         fileSystem
	dir        string
	msgDir     string
	segDir     string
	tmpDir     string
	corruptDir string
	msgSync    syncgroup.Group // fsyncs of msg/, shared by concurrent saves
	commit     *committer
	lock       *dirLock
	tmpSeq     atomic.Uint64
	bufPool    sync.Pool

	// The pool of segments open for appending: segFree holds those no
	// writer has, segSlots one token per open segment.
	segFree  chan *segment
	segSlots chan struct{}
	segNext  atomic.Uint64

	mu        sync.Mutex
	locs      map[string]*loc
	segs      map[uint64]*segment
	doneQueue []*segment // with done marks to write
	doomed    []*segment // to delete
	staleEnv  []string   // finished messages whose envelope in msg/ is to delete

	closed bool // segment files are closed when their last reader is

	doneMu sync.Mutex // serializes writing done marks and deleting segments
}

// errLocked is returned by Open when another Queue holds the directory.
var errLocked = errors.New("queue: directory is in use by another queue")

func openStore(dir string, fsys fileSystem) (*store, error) {
	s := &store{
		fs:         fsys,
		dir:        dir,
		msgDir:     filepath.Join(dir, "msg"),
		segDir:     filepath.Join(dir, "seg"),
		tmpDir:     filepath.Join(dir, "tmp"),
		corruptDir: filepath.Join(dir, "corrupt"),
		segFree:    make(chan *segment, segMaxOpen),
		segSlots:   make(chan struct{}, segMaxOpen),
		locs:       map[string]*loc{},
		segs:       map[uint64]*segment{},
	}
	s.bufPool.New = func() any { b := make([]byte, 32<<10); return &b }
	for _, d := range []string{dir, s.msgDir, s.segDir, s.tmpDir, s.corruptDir} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, err
		}
	}
	l, err := lockDir(filepath.Join(dir, "lock"))
	if err != nil {
		return nil, err
	}
	s.lock = l
	s.commit = newCommitter(fsys, s.segDir)
	// Files left in tmp/ belong to updates that never completed: nothing
	// was acknowledged for them.
	ents, err := os.ReadDir(s.tmpDir)
	if err != nil {
		l.unlock()
		return nil, err
	}
	for _, e := range ents {
		os.Remove(filepath.Join(s.tmpDir, e.Name()))
	}
	return s, nil
}

// close writes the pending done marks, deletes the segments with no
// message left, and releases the directory. The Queue has stopped every
// writer and reader before.
func (s *store) close() {
	s.mu.Lock()
	for {
		select {
		case seg := <-s.segFree:
			<-s.segSlots
			s.sealLocked(seg)
			continue
		default:
		}
		break
	}
	s.mu.Unlock()
	s.flushDone()
	s.doneMu.Lock()
	s.mu.Lock()
	s.closed = true
	for _, seg := range s.segs {
		if seg.doneF != nil {
			seg.doneF.Close()
			seg.doneF = nil
		}
		if seg.refs == 0 {
			s.closeSegLocked(seg)
		}
	}
	s.mu.Unlock()
	s.doneMu.Unlock()
	s.lock.unlock()
}

func (s *store) segPath(n uint64) string {
	return filepath.Join(s.segDir, fmt.Sprintf("%016x%s", n, segSuffix))
}
func (s *store) donePath(n uint64) string {
	return filepath.Join(s.segDir, fmt.Sprintf("%016x%s", n, doneSuffix))
}
func (s *store) bodyPath(id string) string { return filepath.Join(s.msgDir, id+bodySuffix) }
func (s *store) envPath(id string) string  { return filepath.Join(s.msgDir, id+envSuffix) }

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

// ctxReader stops a copy when the context is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (r ctxReader) Read(p []byte) (int, error) {
	if err := r.ctx.Err(); err != nil {
		return 0, err
	}
	return r.r.Read(p)
}

// writeSynced writes a new file through the seam and fsyncs it.
func (s *store) writeSynced(name string, src io.Reader) (n int64, err error) {
	f, err := s.fs.Create(name)
	if err != nil {
		return 0, err
	}
	bp := s.bufPool.Get().(*[]byte)
	n, err = io.CopyBuffer(onlyWriter{f}, src, *bp)
	s.bufPool.Put(bp)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return n, err
}

// onlyWriter hides any ReadFrom so that CopyBuffer uses our buffer and the
// write goes through the seam.
type onlyWriter struct{ io.Writer }

// create stores a new message: one record appended to a segment of the
// pool, then a group commit. m.Size is set from the body. On error the
// message is not acknowledged: a failed append is cut off the segment (or
// the segment is closed to appends), and a record whose commit failed is
// marked finished at once.
func (s *store) create(ctx context.Context, m *Message, body io.Reader) error {
	seg, err := s.acquire(ctx)
	if err != nil {
		return err
	}
	rec, err := s.appendRecord(ctx, seg, m, body)
	if err == nil {
		// Registered before the segment goes back to the pool, so
		// that it cannot be sealed and deleted with no live record.
		s.mu.Lock()
		s.locs[m.ID] = &loc{seg: seg, off: rec.off, bodyOff: rec.bodyOff, bodyLen: rec.bodyLen}
		seg.live++
		s.mu.Unlock()
	}
	s.release(seg)
	if err != nil {
		return err
	}
	if err := s.commit.sync(seg); err != nil {
		s.markDone(m.ID)
		return err
	}
	return nil
}

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

// appendRecord writes m and its body at the end of seg. The body streams
// through a 32 KiB buffer; a small message goes in one write with its
// header, a larger one is written with a zeroed header that is filled in
// last, so that a crash in between leaves no record that load would take.
func (s *store) appendRecord(ctx context.Context, seg *segment, m *Message, body io.Reader) (rec segRecord, err error) {
	start := seg.size
	pos := start
	defer func() {
		if err != nil && pos > start {
			if terr := seg.w.Truncate(start); terr != nil {
				seg.broken = true
			}
		}
	}()
	bp := s.bufPool.Get().(*[]byte)
	defer s.bufPool.Put(bp)
	buf := *bp
	clear(buf[:recHeaderSize])
	n := recHeaderSize
	n += copy(buf[n:], m.ID)
	crc := crc32.Update(seg.seed, castagnoli, buf[recHeaderSize:n])
	flushed := false
	var bodyLen int64
	r := ctxReader{ctx, body}
	for {
		if n == len(buf) {
			if _, err = seg.w.WriteAt(buf[:n], pos); err != nil {
				return rec, err
			}
			pos += int64(n)
			n, flushed = 0, true
		}
		k, rerr := r.Read(buf[n:])
		crc = crc32.Update(crc, castagnoli, buf[n:n+k])
		n += k
		bodyLen += int64(k)
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return rec, rerr
		}
	}
	m.Size = bodyLen
	env, err := marshalEnvelope(m)
	if err != nil {
		return rec, err
	}
	crc = crc32.Update(crc, castagnoli, env)
	h := recordHeader{idLen: len(m.ID), envLen: int64(len(env)), bodyLen: bodyLen, dataCRC: crc}
	if !flushed && n+len(env) <= len(buf) {
		encodeRecordHeader(buf, seg.key, h)
		n += copy(buf[n:], env)
		if _, err = seg.w.WriteAt(buf[:n], pos); err != nil {
			pos = max(pos, start+1)
			return rec, err
		}
		pos += int64(n)
	} else {
		if _, err = seg.w.WriteAt(buf[:n], pos); err != nil {
			pos = max(pos, start+1)
			return rec, err
		}
		pos += int64(n)
		if _, err = seg.w.WriteAt(env, pos); err != nil {
			return rec, err
		}
		pos += int64(len(env))
		// The header, magic last: until the magic is complete, load
		// takes the record for an append that never finished.
		var hb [recHeaderSize]byte
		encodeRecordHeader(hb[:], seg.key, h)
		if _, err = seg.w.WriteAt(hb[len(recMagic):], start+int64(len(recMagic))); err != nil {
			return rec, err
		}
		if _, err = seg.w.WriteAt(hb[:len(recMagic)], start); err != nil {
			return rec, err
		}
	}
	seg.size = pos
	seg.nrec++
	rec = segRecord{off: start, id: m.ID, bodyOff: start + recHeaderSize + int64(len(m.ID)), bodyLen: bodyLen}
	rec.envOff = rec.bodyOff + bodyLen
	rec.envLen = int64(len(env))
	return rec, nil
}

// save replaces the envelope of m atomically: temp file, fsync, rename over
// the old one, fsync of msg/. For a message in a segment it overrides the
// envelope there.
func (s *store) save(m *Message) error {
	data, err := marshalEnvelope(m)
	if err != nil {
		return err
	}
	tmp := filepath.Join(s.tmpDir, fmt.Sprintf("%s%s.%d", m.ID, envSuffix, s.tmpSeq.Add(1)))
	s.mu.Lock()
	if l := s.locs[m.ID]; l != nil && l.seg != nil {
		// Noted before the file exists, so that deleting the segment
		// never misses it.
		if l.seg.overrides == nil {
			l.seg.overrides = map[string]bool{}
		}
		l.seg.overrides[m.ID] = true
	}
	s.mu.Unlock()
	if _, err := s.writeSynced(tmp, bytes.NewReader(data)); err != nil {
		s.fs.Remove(tmp)
		return err
	}
	if err := s.fs.Rename(tmp, s.envPath(m.ID)); err != nil {
		s.fs.Remove(tmp)
		return err
	}
	return s.msgSync.Do(func() error { return s.fs.SyncDir(s.msgDir) })
}

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
				first = cmp(first, err)
				continue
			}
			seg.doneF = f
		}
		if _, err := seg.doneF.Write(bufs[i]); err != nil {
			first = cmp(first, err)
		}
	}
	// A finished message's envelope in msg/ goes after its done mark: a
	// crash in between leaves a state file that Open deletes.
	for _, id := range stale {
		if err := s.fs.Remove(s.envPath(id)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			first = cmp(first, err)
		}
	}
	for _, seg := range doomed {
		first = cmp(first, s.deleteSegment(seg))
	}
	return first
}

func cmp(first, err error) error {
	if first != nil {
		return first
	}
	return err
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
			first = cmp(first, err)
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

// openBody opens a message body for reading. A body in a segment is read
// through the segment's open file, which stays open until the segment is
// deleted and the last reader is closed.
func (s *store) openBody(id string) (io.ReadCloser, error) {
	s.mu.Lock()
	l := s.locs[id]
	if l == nil {
		s.mu.Unlock()
		return nil, &os.PathError{Op: "open", Path: id, Err: fs.ErrNotExist}
	}
	seg := l.seg
	if seg == nil {
		s.mu.Unlock()
		return os.Open(s.bodyPath(id))
	}
	seg.refs++
	s.mu.Unlock()
	return &segBody{SectionReader: io.NewSectionReader(seg.r, l.bodyOff, l.bodyLen), s: s, seg: seg}, nil
}

// segBody is a message body in a segment.
type segBody struct {
	*io.SectionReader
	s    *store
	seg  *segment
	once sync.Once
}

func (b *segBody) Close() error {
	b.once.Do(func() {
		b.s.mu.Lock()
		b.seg.refs--
		if b.seg.refs == 0 && (b.seg.gone || b.s.closed) {
			b.s.closeSegLocked(b.seg)
		}
		b.s.mu.Unlock()
	})
	return nil
}

// CorruptMessage describes a message that Open could not use and set
// aside in the corrupt/ subdirectory of the queue directory.
type CorruptMessage struct {
	// ID is the message ID, taken from the file name or the record; for a
	// damaged stretch of a segment whose ID is unreadable it is
	// "seg-<segment>-<offset>".
	ID string
	// Path is where the data is now: in corrupt/, an envelope file
	// (".env", with the body beside it with the suffix ".msg", if any),
	// a copy of a damaged segment record (".rec": the raw bytes, header,
	// ID, body and envelope) or a whole unreadable segment (".log"). If
	// it could not be set aside, Path is where it still is.
	Path string
	// Err says what was wrong; nil for files already in corrupt/ when the
	// queue was opened.
	Err error
}

// load reads the queue: the records of every segment that its .done file
// does not mark finished, with the envelope in msg/ overriding the
// segment's where there is one, and the messages in the old layout
// (msg/<id>.env with msg/<id>.msg). What cannot be used is copied or moved
// into corrupt/ and returned as corrupt: damaged records (after which the
// rest of the segment is still read), unreadable envelopes, envelopes
// without their body. An incomplete record at the end of a segment, and a
// body file without an envelope, belong to enqueues that never completed
// and were never acknowledged: they are dropped.
func (s *store) load() (msgs []*Message, corrupt []CorruptMessage, err error) {
	ents, err := os.ReadDir(s.msgDir)
	if err != nil {
		return nil, nil, err
	}
	envs := map[string]bool{}
	bodies := map[string]bool{}
	for _, e := range ents {
		name := e.Name()
		switch {
		case strings.HasSuffix(name, envSuffix):
			envs[strings.TrimSuffix(name, envSuffix)] = true
		case strings.HasSuffix(name, bodySuffix):
			bodies[strings.TrimSuffix(name, bodySuffix)] = true
		}
	}
	ents, err = os.ReadDir(s.segDir)
	if err != nil {
		return nil, nil, err
	}
	var logs []uint64
	dones := map[uint64]bool{}
	var maxN uint64
	for _, e := range ents {
		name := e.Name()
		suffix := filepath.Ext(name)
		n, perr := strconv.ParseUint(strings.TrimSuffix(name, suffix), 16, 64)
		if perr != nil {
			continue
		}
		maxN = max(maxN, n)
		switch suffix {
		case segSuffix:
			logs = append(logs, n)
		case doneSuffix:
			dones[n] = true
		}
	}
	s.segNext.Store(maxN)
	slices.Sort(logs)
	inSeg := map[string]bool{}   // messages loaded from segments
	doneIDs := map[string]bool{} // finished messages of segments still there
	for _, n := range logs {
		delete(dones, n)
		ms, cs, err := s.loadSegment(n, envs, inSeg, doneIDs)
		if err != nil {
			return nil, nil, err
		}
		msgs = append(msgs, ms...)
		corrupt = append(corrupt, cs...)
	}
	for n := range dones {
		s.fs.Remove(s.donePath(n)) // its segment was deleted
	}

	for id := range envs {
		if inSeg[id] {
			continue // an override, applied by loadSegment
		}
		if doneIDs[id] && !bodies[id] {
			s.fs.Remove(s.envPath(id)) // the override of a finished message
			continue
		}
		m, perr := s.readEnvelope(id)
		if perr == nil && m.ID != id {
			perr = fmt.Errorf("envelope names message %q", m.ID)
		}
		if perr == nil {
			if !bodies[id] {
				perr = errors.New("body file missing")
			} else if fi, serr := os.Stat(s.bodyPath(id)); serr != nil {
				perr = serr
			} else if fi.Size() != m.Size {
				perr = fmt.Errorf("body is %d bytes, envelope says %d", fi.Size(), m.Size)
			}
		}
		if perr != nil {
			corrupt = append(corrupt, s.setAside(id, bodies[id], perr))
			continue
		}
		s.locs[id] = &loc{}
		msgs = append(msgs, m)
	}
	for id := range bodies {
		if !envs[id] {
			s.fs.Remove(s.bodyPath(id))
		}
	}
	// Report what earlier runs set aside too, so that it stays listed.
	old, err := os.ReadDir(s.corruptDir)
	if err != nil {
		return nil, nil, err
	}
	listed := map[string]bool{}
	for _, c := range corrupt {
		listed[c.Path] = true
	}
	for _, e := range old {
		name := e.Name()
		id, ok := strings.CutSuffix(name, envSuffix)
		if !ok {
			id, ok = strings.CutSuffix(name, corruptRecordEx)
		}
		path := filepath.Join(s.corruptDir, name)
		if ok && !listed[path] {
			corrupt = append(corrupt, CorruptMessage{ID: id, Path: path})
		}
	}
	return msgs, corrupt, nil
}

// loadSegment reads segment n: its live messages, registered in s.locs
// and inSeg, with the envelope in msg/ when envs lists one, and what it
// had to set aside; it adds the finished messages to doneIDs. A segment with no live message left is deleted.
func (s *store) loadSegment(n uint64, envs, inSeg, doneIDs map[string]bool) (msgs []*Message, corrupt []CorruptMessage, err error) {
	path := s.segPath(n)
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	sc, err := scanSegment(f, fi.Size())
	if err != nil {
		f.Close()
		if errors.Is(err, errNoSegment) {
			// Created by an enqueue that a crash stopped before it
			// could acknowledge anything.
			s.fs.Remove(path)
			s.fs.Remove(s.donePath(n))
			return nil, nil, nil
		}
		name := fmt.Sprintf("seg-%016x", n)
		dst := s.corruptName(name, segSuffix)
		if rerr := s.fs.Rename(path, dst); rerr != nil {
			return nil, []CorruptMessage{{ID: name, Path: path, Err: fmt.Errorf("%w (and could not be moved aside: %v)", err, rerr)}}, nil
		}
		s.fs.SyncDir(s.corruptDir)
		return nil, []CorruptMessage{{ID: name, Path: dst, Err: err}}, nil
	}
	var marks map[string]bool
	if data, err := os.ReadFile(s.donePath(n)); err == nil {
		marks = parseDone(data)
	} else if !errors.Is(err, fs.ErrNotExist) {
		f.Close()
		return nil, nil, err
	}
	seg := &segment{n: n, path: path, key: sc.key, seed: keyCRC(sc.key), r: f, c: f, sealed: true}
	var newMarks []byte
	keep := false // a damaged record could not be copied aside
	setAside := func(off, end int64, id string, why error) {
		c, ok := s.setAsideRecord(f, n, off, end, id, why)
		corrupt = append(corrupt, c)
		if ok {
			newMarks = fmt.Appendf(newMarks, "@%d\n", off) // not copied again
		} else {
			keep = true
		}
	}
	for _, rec := range sc.records {
		if marks[rec.id] || marks["@"+strconv.FormatInt(rec.off, 10)] {
			doneIDs[rec.id] = true
			continue
		}
		if inSeg[rec.id] {
			continue // a second record of one message cannot be ours
		}
		m, perr := readRecordEnvelope(f, rec)
		if perr != nil {
			setAside(rec.off, rec.end(), rec.id, perr)
			continue
		}
		var om *Message
		oerr := fs.ErrNotExist
		if envs[rec.id] {
			om, oerr = s.readEnvelope(rec.id)
		}
		switch {
		case oerr == nil && om.ID == rec.id && om.Size == rec.bodyLen:
			m = om
		case oerr == nil:
			corrupt = append(corrupt, s.setAside(rec.id, false, fmt.Errorf("state file does not match its message (id %q, size %d)", om.ID, om.Size)))
		case !errors.Is(oerr, fs.ErrNotExist):
			corrupt = append(corrupt, s.setAside(rec.id, false, fmt.Errorf("state file: %w", oerr)))
		}
		if oerr == nil || !errors.Is(oerr, fs.ErrNotExist) {
			if seg.overrides == nil {
				seg.overrides = map[string]bool{}
			}
			seg.overrides[rec.id] = true
		}
		inSeg[rec.id] = true
		s.locs[rec.id] = &loc{seg: seg, off: rec.off, bodyOff: rec.bodyOff, bodyLen: rec.bodyLen}
		seg.live++
		msgs = append(msgs, m)
	}
	for _, d := range sc.damage {
		if marks["@"+strconv.FormatInt(d.off, 10)] {
			continue
		}
		setAside(d.off, d.end, d.id, d.err)
	}
	if len(newMarks) > 0 {
		if w, err := s.fs.OpenAppend(s.donePath(n)); err == nil {
			w.Write(newMarks)
			w.Close()
		}
	}
	s.segs[n] = seg
	if seg.live == 0 && !keep {
		seg.doomed = true
		s.doneMu.Lock()
		err := s.deleteSegment(seg)
		s.doneMu.Unlock()
		if err != nil {
			return nil, nil, err
		}
	}
	return msgs, corrupt, nil
}

// readRecordEnvelope reads and checks the envelope of a record.
func readRecordEnvelope(r io.ReaderAt, rec segRecord) (*Message, error) {
	data := make([]byte, rec.envLen) // bounded by maxEnvelopeFile
	if _, err := r.ReadAt(data, rec.envOff); err != nil {
		return nil, err
	}
	m, err := parseEnvelope(data)
	if err != nil {
		return nil, err
	}
	if m.ID != rec.id {
		return nil, fmt.Errorf("envelope names message %q", m.ID)
	}
	if m.Size != rec.bodyLen {
		return nil, fmt.Errorf("body is %d bytes, envelope says %d", rec.bodyLen, m.Size)
	}
	return m, nil
}

// corruptName returns a path in corrupt/ for name+suffix that is not taken,
// with a numeric suffix if needed.
func (s *store) corruptName(name, suffix string) string {
	base := name
	for i := 1; ; i++ {
		p := filepath.Join(s.corruptDir, base+suffix)
		if _, err := os.Lstat(p); errors.Is(err, fs.ErrNotExist) {
			return p
		}
		base = fmt.Sprintf("%s.%d", name, i)
	}
}

// setAsideRecord copies the bytes [off, end) of segment n, a damaged record
// or stretch, into corrupt/<id>.rec (or <segment>@<off>.rec when the ID is
// not readable) and returns the report. If the copy fails the report
// points into the segment, which is then kept.
func (s *store) setAsideRecord(r io.ReaderAt, n uint64, off, end int64, id string, why error) (CorruptMessage, bool) {
	name := id
	if name == "" {
		name = fmt.Sprintf("seg-%016x-%d", n, off)
	}
	dst := s.corruptName(name, corruptRecordEx)
	if _, err := s.writeSynced(dst, io.NewSectionReader(r, off, end-off)); err != nil {
		s.fs.Remove(dst)
		return CorruptMessage{ID: name, Path: s.segPath(n), Err: fmt.Errorf("%w (at offset %d; could not be copied aside: %v)", why, off, err)}, false
	}
	s.fs.SyncDir(s.corruptDir)
	return CorruptMessage{ID: name, Path: dst, Err: fmt.Errorf("segment %016x offset %d: %w", n, off, why)}, true
}

func (s *store) readEnvelope(id string) (*Message, error) {
	f, err := os.Open(s.envPath(id))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(bufio.NewReader(f), maxEnvelopeFile+1))
	if err != nil {
		return nil, err
	}
	return parseEnvelope(data)
}

// setAside moves an unusable envelope and its body into corrupt/. If a
// file of that name is already there, a numeric suffix keeps both.
func (s *store) setAside(id string, hasBody bool, why error) CorruptMessage {
	base := id
	for i := 1; ; i++ {
		if _, err := os.Lstat(filepath.Join(s.corruptDir, base+envSuffix)); errors.Is(err, fs.ErrNotExist) {
			break
		}
		base = fmt.Sprintf("%s.%d", id, i)
	}
	dst := filepath.Join(s.corruptDir, base+envSuffix)
	if err := s.fs.Rename(s.envPath(id), dst); err != nil {
		// It stays in msg/ and will be reported again at the next Open.
		return CorruptMessage{ID: id, Path: s.envPath(id), Err: fmt.Errorf("%w (and could not be moved aside: %v)", why, err)}
	}
	if hasBody {
		s.fs.Rename(s.bodyPath(id), filepath.Join(s.corruptDir, base+bodySuffix))
	}
	s.fs.SyncDir(s.corruptDir)
	s.msgSync.Do(func() error { return s.fs.SyncDir(s.msgDir) })
	return CorruptMessage{ID: id, Path: dst, Err: why}
}
