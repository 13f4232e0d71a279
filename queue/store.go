package queue

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mailwright/mailwright/internal/ctxio"
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
	r := ctxio.Reader(ctx, body)
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
