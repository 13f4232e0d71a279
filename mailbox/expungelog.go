package mailbox

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strconv"
)

// The expunge log remembers which UIDs were expunged at which MODSEQ, so
// that an IMAP client resynchronizing with QRESYNC (RFC 7162 section
// 3.2.5) learns what vanished since it last looked. It is an append-only
// file beside the UID list, one record per expunge, fsync'd with the
// expunge:
//
//	MWEXP1 <uidvalidity> <floor>
//	E<modseq> <uid-set>
//	...
//
// where <uid-set> is "1:3,7" (ascending, disjoint ranges). The floor says
// "every expunge with a MODSEQ at or below it is forgotten": asked about
// anything older, the log answers conservatively with every UID ever
// allocated, which RFC 7162 section 3.2.5.2 allows (the client is told
// about UIDs it may never have seen). The log is bounded: past
// maxExpungeRanges ranges the oldest records are dropped and the floor
// rises, and the file is rewritten atomically.
const expungeLogFile = "mailwright-expunged"

const (
	// maxExpungeRanges bounds the ranges the log keeps (memory and file).
	maxExpungeRanges = 4096
	// maxExpungeLogSize: a bigger file is not ours (or damaged): it is
	// not read, and the log starts again with a raised floor.
	maxExpungeLogSize = 1 << 20
)

// expungeEntry is the UIDs expunged at one MODSEQ.
type expungeEntry struct {
	modseq uint64
	uids   UIDSet // ascending, disjoint, no open end
}

// expungeLog is the in-memory form of the file. It is guarded by the
// folderState's mutex and loaded when first needed.
type expungeLog struct {
	loaded  bool
	floor   uint64
	entries []expungeEntry // ascending modseq
	ranges  int            // total ranges in entries
	file    wfile
	// minFloor is set by a folder load that found the folder not shut
	// down cleanly: expunges made before then may not have reached the
	// file, so nothing at or below it is trusted.
	minFloor uint64
	// loadHMS is HIGHESTMODSEQ when the folder was loaded: the floor of
	// a log started afresh in this process.
	loadHMS uint64
	// stale is set when the file could not be rewritten: it was removed
	// (a missing file is read as "nothing known before the load") and
	// the next record rewrites it rather than appending.
	stale bool
}

// expungeLogData is a parsed expunge log file.
type expungeLogData struct {
	uidValidity uint32
	floor       uint64
	entries     []expungeEntry
	// torn is set when the file ends in an incomplete record (a crash
	// during an append) or a damaged one: what follows is ignored and the
	// file must be rewritten before anything is appended.
	torn bool
}

var errBadExpungeLog = errors.New("mailbox: damaged expunge log")

// parseExpungeLog parses an expunge log file. A bad header is an error; a
// bad or incomplete record ends the parse with torn set, keeping the
// records before it. Memory is bounded by the input (itself bounded by
// maxExpungeLogSize) and by maxExpungeRanges.
func parseExpungeLog(data []byte) (*expungeLogData, error) {
	nl := bytes.IndexByte(data, '\n')
	if nl < 0 {
		return nil, errBadExpungeLog
	}
	h := bytes.Fields(data[:nl])
	if len(h) != 3 || string(h[0]) != "MWEXP1" {
		return nil, errBadExpungeLog
	}
	v, err1 := strconv.ParseUint(string(h[1]), 10, 32)
	floor, err2 := strconv.ParseUint(string(h[2]), 10, 64)
	if err1 != nil || err2 != nil || v == 0 {
		return nil, errBadExpungeLog
	}
	d := &expungeLogData{uidValidity: uint32(v), floor: floor}
	rest := data[nl+1:]
	ranges := 0
	for len(rest) > 0 {
		e := bytes.IndexByte(rest, '\n')
		if e < 0 {
			d.torn = true
			break
		}
		line := rest[:e]
		rest = rest[e+1:]
		ent, ok := parseExpungeRecord(line)
		if !ok || ent.modseq <= floor || (len(d.entries) > 0 && ent.modseq <= d.entries[len(d.entries)-1].modseq) ||
			ranges+len(ent.uids) > maxExpungeRanges {
			d.torn = true
			break
		}
		ranges += len(ent.uids)
		d.entries = append(d.entries, ent)
	}
	return d, nil
}

// parseExpungeRecord parses "E<modseq> <uid-set>".
func parseExpungeRecord(line []byte) (expungeEntry, bool) {
	if len(line) < 4 || line[0] != 'E' {
		return expungeEntry{}, false
	}
	sp := bytes.IndexByte(line, ' ')
	if sp < 0 {
		return expungeEntry{}, false
	}
	ms, err := strconv.ParseUint(string(line[1:sp]), 10, 64)
	if err != nil || ms == 0 {
		return expungeEntry{}, false
	}
	set, ok := parseUIDRanges(line[sp+1:])
	if !ok {
		return expungeEntry{}, false
	}
	return expungeEntry{modseq: ms, uids: set}, true
}

// parseUIDRanges parses "a[:b](,a[:b])*" with nonzero UIDs, each range
// ascending and above the previous one (the form appendUIDRanges writes).
func parseUIDRanges(b []byte) (UIDSet, bool) {
	if len(b) == 0 {
		return nil, false
	}
	var out UIDSet
	for len(b) > 0 {
		part := b
		if c := bytes.IndexByte(b, ','); c >= 0 {
			part, b = b[:c], b[c+1:]
			if len(b) == 0 {
				return nil, false
			}
		} else {
			b = nil
		}
		lo, hi := part, part
		if c := bytes.IndexByte(part, ':'); c >= 0 {
			lo, hi = part[:c], part[c+1:]
		}
		start, err1 := strconv.ParseUint(string(lo), 10, 32)
		stop, err2 := strconv.ParseUint(string(hi), 10, 32)
		if err1 != nil || err2 != nil || start == 0 || stop < start {
			return nil, false
		}
		if len(out) > 0 && uint64(out[len(out)-1].Stop) >= start {
			return nil, false
		}
		if len(out) >= maxExpungeRanges {
			return nil, false
		}
		out = append(out, UIDRange{uint32(start), uint32(stop)})
	}
	return out, true
}

// appendUIDRanges writes a set in the form parseUIDRanges reads.
func appendUIDRanges(b []byte, s UIDSet) []byte {
	for i, r := range s {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendUint(b, uint64(r.Start), 10)
		if r.Stop != r.Start {
			b = append(b, ':')
			b = strconv.AppendUint(b, uint64(r.Stop), 10)
		}
	}
	return b
}

// rangesOf turns ascending UIDs into ranges.
func rangesOf(uids []uint32) UIDSet {
	var out UIDSet
	for _, u := range uids {
		if n := len(out); n > 0 && out[n-1].Stop+1 == u {
			out[n-1].Stop = u
			continue
		}
		out = append(out, UIDRange{u, u})
	}
	return out
}

// mergeRanges sorts ranges and joins those that overlap or touch.
func mergeRanges(s UIDSet) UIDSet {
	slices.SortFunc(s, func(a, b UIDRange) int {
		switch {
		case a.Start < b.Start:
			return -1
		case a.Start > b.Start:
			return 1
		}
		return 0
	})
	out := s[:0]
	for _, r := range s {
		if n := len(out); n > 0 && uint64(r.Start) <= uint64(out[n-1].Stop)+1 {
			out[n-1].Stop = max(out[n-1].Stop, r.Stop)
			continue
		}
		out = append(out, r)
	}
	return out
}

func formatExpungeHeader(b []byte, uidValidity uint32, floor uint64) []byte {
	b = append(b, "MWEXP1 "...)
	b = strconv.AppendUint(b, uint64(uidValidity), 10)
	b = append(b, ' ')
	b = strconv.AppendUint(b, floor, 10)
	return append(b, '\n')
}

func appendExpungeRecord(b []byte, e expungeEntry) []byte {
	b = append(b, 'E')
	b = strconv.AppendUint(b, e.modseq, 10)
	b = append(b, ' ')
	b = appendUIDRanges(b, e.uids)
	return append(b, '\n')
}

// expLoad loads the expunge log if it is not loaded. A missing, foreign
// or damaged file starts a new log whose floor is the folder's
// HIGHESTMODSEQ when it was loaded: every expunge since went through
// expRecord, whatever was expunged before is forgotten, and clients
// resynchronizing from before get the conservative answer. Called with
// st.mu held, once the folder's UIDVALIDITY is known.
func (st *folderState) expLoad() error {
	x := &st.exp
	if x.loaded {
		return nil
	}
	var d *expungeLogData
	p := st.dir + "/" + expungeLogFile
	if fi, err := st.fs().Stat(p); err == nil && fi.size <= maxExpungeLogSize {
		if data, err := st.fs().ReadFile(p); err == nil {
			d, _ = parseExpungeLog(data)
		} else if !isNotExist(err) {
			return err
		}
	} else if err != nil && !isNotExist(err) {
		return err
	}
	rewrite := false
	if d == nil || d.uidValidity != st.uidValidity {
		d = &expungeLogData{uidValidity: st.uidValidity, floor: x.loadHMS}
		rewrite = true
	}
	x.floor, x.entries, x.ranges = d.floor, d.entries, 0
	for _, e := range x.entries {
		x.ranges += len(e.uids)
	}
	if d.torn {
		rewrite = true
	}
	if x.minFloor > x.floor {
		x.raiseFloor(x.minFloor)
		rewrite = true
	}
	x.loaded = true
	if rewrite {
		// A failure leaves the log usable in memory (expRewrite removes
		// the file and retries with the next record).
		st.expRewrite()
	}
	return nil
}

// raiseFloor forgets every entry at or below m.
func (x *expungeLog) raiseFloor(m uint64) {
	if m <= x.floor {
		return
	}
	x.floor = m
	i := 0
	for i < len(x.entries) && x.entries[i].modseq <= m {
		x.ranges -= len(x.entries[i].uids)
		i++
	}
	x.entries = slices.Delete(x.entries, 0, i)
}

// expRewrite replaces the file with the log as it is in memory. If that
// fails, the old file must not be trusted (or appended to) any more: it
// is removed, so that a later load starts afresh with a floor, and the
// next record tries the rewrite again.
func (st *folderState) expRewrite() error {
	x := &st.exp
	if x.file != nil {
		x.file.Close()
		x.file = nil
	}
	b := formatExpungeHeader(nil, st.uidValidity, x.floor)
	for _, e := range x.entries {
		b = appendExpungeRecord(b, e)
	}
	err := writeAtomicBytes(st.fs(), st.dir, expungeLogFile, b)
	x.stale = err != nil
	if err != nil {
		st.fs().Remove(st.dir + "/" + expungeLogFile)
		st.fs().SyncDir(st.dir)
	}
	return err
}

// expRecord records that uids (ascending) were expunged at modseq and
// makes it durable. Called with st.mu held. When the file cannot be
// written the log in memory stays exact and the file is rewritten or,
// failing that, removed (expRewrite), so no later answer relies on a
// file that misses the record.
func (st *folderState) expRecord(uids []uint32, modseq uint64) error {
	f, err := st.expAppend(uids, modseq)
	if err == nil && f != nil && f.Sync() != nil {
		return st.expRewrite()
	}
	return err
}

// expAppend is expRecord without the fsync of an appended record: it
// returns the file the record was appended to (nil when there is nothing
// left to sync), for the caller to fsync after unlocking (syncChanges with
// syncExpLog), so that concurrent expunges share the fsync.
func (st *folderState) expAppend(uids []uint32, modseq uint64) (wfile, error) {
	if len(uids) == 0 {
		return nil, nil
	}
	if err := st.expLoad(); err != nil {
		st.exp = expungeLog{minFloor: max(st.exp.minFloor, modseq), loadHMS: st.exp.loadHMS}
		return nil, err
	}
	x := &st.exp
	if modseq <= x.floor {
		return nil, nil // forgotten already: the floor answers for it
	}
	e := expungeEntry{modseq: modseq, uids: rangesOf(uids)}
	if n := len(x.entries); n > 0 && x.entries[n-1].modseq >= modseq {
		// MODSEQs only grow; anything else means the log is out of step
		// with the folder: forget it all.
		x.raiseFloor(modseq)
		return nil, st.expRewrite()
	}
	x.entries = append(x.entries, e)
	x.ranges += len(e.uids)
	if x.stale {
		return nil, st.expRewrite()
	}
	if x.ranges > maxExpungeRanges {
		// Drop the oldest records until half the budget is left (the
		// floor rises to the newest one dropped); if the new record alone
		// is over budget (very scattered UIDs), forget it too.
		var drop uint64
		left := x.ranges
		for _, old := range x.entries[:len(x.entries)-1] {
			if left <= maxExpungeRanges/2 {
				break
			}
			left -= len(old.uids)
			drop = old.modseq
		}
		if left > maxExpungeRanges {
			drop = modseq
		}
		x.raiseFloor(drop)
		return nil, st.expRewrite()
	}
	if x.file == nil {
		f, err := st.fs().OpenAppend(st.dir + "/" + expungeLogFile)
		if err != nil {
			return nil, st.expRewrite()
		}
		x.file = f
	}
	b := appendExpungeRecord(nil, e)
	if _, err := x.file.Write(b); err != nil {
		// The file may end in a torn record: replace it with the log in
		// memory (or remove it, expRewrite).
		return nil, st.expRewrite()
	}
	return x.file, nil
}

// expClose closes the log file and forgets the in-memory log (the
// folder is being reloaded or closed).
func (st *folderState) expClose() {
	if st.exp.file != nil {
		st.exp.file.Close()
	}
	st.exp = expungeLog{}
}

// expSince returns the UIDs expunged with a MODSEQ above modSeq, or all
// UIDs below UIDNEXT when the log has forgotten that far back. Called
// with st.mu held.
func (st *folderState) expSince(modSeq uint64) (UIDSet, error) {
	if err := st.expLoad(); err != nil {
		return nil, err
	}
	x := &st.exp
	if modSeq < x.floor {
		if st.uidNext <= 1 {
			return nil, nil
		}
		return UIDSet{{1, st.uidNext - 1}}, nil
	}
	i, _ := slices.BinarySearchFunc(x.entries, modSeq+1, func(e expungeEntry, m uint64) int {
		switch {
		case e.modseq < m:
			return -1
		case e.modseq > m:
			return 1
		}
		return 0
	})
	var out UIDSet
	for _, e := range x.entries[i:] {
		out = append(out, e.uids...)
	}
	return mergeRanges(out), nil
}

// ExpungedSince returns the UIDs of the messages expunged from the folder
// with a MODSEQ above modSeq, for QRESYNC (RFC 7162 section 3.2.5.2). The
// store remembers a bounded number of expunges (and none from before an
// unclean shutdown); asked about older ones, it answers with every UID
// below UIDNEXT, which the RFC allows: the set may hold UIDs that never
// existed or that are still in the folder (callers remove those they
// show), never fewer than the truth.
func (f *Folder) ExpungedSince(ctx context.Context, modSeq uint64) (UIDSet, error) {
	if err := f.check(); err != nil {
		return nil, err
	}
	if err := checkCtx(ctx); err != nil {
		return nil, err
	}
	st := f.st
	st.mu.Lock()
	defer st.mu.Unlock()
	if err := st.usable(); err != nil {
		return nil, err
	}
	return st.expSince(modSeq)
}
