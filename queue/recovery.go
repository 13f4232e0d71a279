package queue

import (
	"bufio"
	"cmp"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

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
	name := cmp.Or(id, fmt.Sprintf("seg-%016x-%d", n, off))
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
