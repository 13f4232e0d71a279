package mailbox

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mailwright/mailwright/internal/syncgroup"
)

const (
	// modseqReserve is how many MODSEQ values one "R" record reserves.
	modseqReserve = 1000
	// quietAfter: a directory mtime is trusted as a summary of its
	// content only if it was at least this old when recorded.
	quietAfter = 2 * time.Second
	// recheckAfter: a directory that is not quiet is listed again at
	// most this often when its mtime has not changed, which bounds how
	// long a change another process made in the same mtime tick as one
	// of ours stays unseen, without listing a busy folder on every poll.
	recheckAfter = time.Second
	// indexEvery: write the index after this many changes even while the
	// folder stays open, so that a crash costs a bounded re-read.
	indexEvery = 2000
	// tmpMaxAge: the Maildir convention for leftovers in tmp/.
	tmpMaxAge = 36 * time.Hour
)

// msgRec is one message of a folder as the store keeps it in memory.
type msgRec struct {
	uid     uint32
	bits    uint8 // system flags
	inNew   bool  // file is in new/ (else cur/)
	pending bool  // being appended: not visible until durable
	kw      uint32
	modseq  uint64
	size    int64 // with CRLF line endings: what IMAP and POP3 announce
	raw     int64 // bytes in the file
	date    int64 // internal date, Unix nanoseconds
	name    string
}

func (r *msgRec) setFlagsFromName() {
	_, info := parseInfo(r.name)
	r.bits, r.kw = infoBits(info)
}

func (r *msgRec) base() string {
	b, _ := parseInfo(r.name)
	return b
}

func subdir(inNew bool) string {
	if inNew {
		return "/new/"
	}
	return "/cur/"
}

type dirObs struct{ mtime, at int64 }

func (o dirObs) quiet() bool { return o.mtime != 0 && o.at-o.mtime >= int64(quietAfter) }

// folderState is a folder as loaded in this process, shared by every
// handle and appender on it. Its fields are guarded by mu, except refs and
// the LRU links, which the Store guards.
type folderState struct {
	s               *Store
	user, name, dir string
	key             string
	refs            int
	lastUse         time.Time
	mu              sync.Mutex
	loaded          bool
	deleted         bool // deleted or renamed away: handles fail
	evicted         bool
	uidValidity     uint32
	uidNext         uint32
	hms, ceiling    uint64
	firstRecent     uint64 // lowest UID that may be \Recent (recent.go)
	needR           bool   // next modseq must first extend the reservation
	msgs            []msgRec
	byBase          map[string]uint32
	pending         []uint32 // UIDs staged but not durable, ascending
	keywords        []string
	version         uint64
	otherVersion    uint64 // version of the last change that was not an append
	// flagLog lists the flag changes made through SetFlags, so that Poll
	// finds them without comparing the whole folder. It is complete for
	// the changes after version flagLogFrom; unloggedVersion is the
	// version of the last change that is neither an append nor in it.
	flagLog         []flagLogEntry
	flagLogFrom     uint64
	unloggedVersion uint64
	dirty           bool
	changes         int
	ulID            string
	ulSize          int64
	ulRecords       int
	ulFile          wfile
	obs             [2]dirObs          // new/, cur/
	dirSync         [2]syncgroup.Group // new/, cur/: fsyncs shared by sessions
	expSync         syncgroup.Group
	flagCache       map[uint64][]string
	exp             expungeLog // QRESYNC: expunged UIDs by MODSEQ (expungelog.go)
}

func (st *folderState) fs() fsys { return st.s.fs }

// usable reports why the state cannot be used any more, if it cannot.
func (st *folderState) usable() error {
	switch {
	case st.deleted:
		return ErrFolderDeleted
	case st.evicted:
		return ErrClosed // only a closed store evicts a state with handles
	}
	return nil
}

// find returns the index of uid in msgs, or -1.
func (st *folderState) find(uid uint32) int {
	i := sort.Search(len(st.msgs), func(i int) bool { return st.msgs[i].uid >= uid })
	if i < len(st.msgs) && st.msgs[i].uid == uid {
		return i
	}
	return -1
}

// visibleLimit: messages with a UID below it (and not pending) are
// visible. Appends become visible in UID order, so a reader never sees a
// UID appear below one it has already seen.
func (st *folderState) visibleLimit() uint64 {
	if len(st.pending) > 0 {
		return uint64(st.pending[0])
	}
	return 1 << 32
}

// uidNextVisible is UIDNEXT as clients may see it: no visible UID and no
// UID yet to become visible is at or above it... except those not yet
// allocated.
func (st *folderState) uidNextVisible() uint32 {
	if len(st.pending) > 0 {
		return st.pending[0]
	}
	return st.uidNext
}

func (st *folderState) flagsOf(r *msgRec) []string {
	if r.bits == 0 && r.kw == 0 {
		return nil
	}
	k := uint64(r.bits)<<32 | uint64(r.kw)
	if f, ok := st.flagCache[k]; ok {
		return f
	}
	if st.flagCache == nil {
		st.flagCache = map[uint64][]string{}
	}
	f := flagStrings(r.bits, r.kw, st.keywords)
	st.flagCache[k] = f
	return f
}

func (st *folderState) info(r *msgRec) MessageInfo {
	return MessageInfo{
		UID:          r.uid,
		ModSeq:       r.modseq,
		Size:         r.size,
		InternalDate: time.Unix(0, r.date),
		Flags:        st.flagsOf(r),
	}
}

// nextModSeq allocates a MODSEQ. When the reservation recorded in the UID
// list does not cover it (or the index was just written, so a crash from
// now on must be detectable), it appends an R record to buf; the caller
// makes buf durable before anyone sees the value.
func (st *folderState) nextModSeq(buf []byte) (uint64, []byte) {
	m := st.hms + 1
	if st.needR || m > st.ceiling {
		st.ceiling = m + modseqReserve
		buf = appendCeilingRecord(buf, st.ceiling)
		st.needR = false
	}
	st.hms = m
	return m, buf
}

// logAppend writes records to the UID list (without fsync).
func (st *folderState) logAppend(buf []byte) error {
	if len(buf) == 0 {
		return nil
	}
	if st.ulFile == nil {
		f, err := st.fs().OpenAppend(st.dir + "/" + uidlistFile)
		if err != nil {
			return err
		}
		st.ulFile = f
	}
	if _, err := st.ulFile.Write(buf); err != nil {
		// The file may now end in a torn record; a compaction rewrites it.
		st.compactUidlist()
		return err
	}
	st.ulSize += int64(len(buf))
	st.ulRecords += bytes.Count(buf, []byte{'\n'})
	return nil
}

// logSync makes the UID list durable.
func (st *folderState) logSync() error {
	if st.ulFile == nil {
		return nil
	}
	return st.ulFile.Sync()
}

// logWriteSync appends records and fsyncs them (for changes outside the
// group commit).
func (st *folderState) logWriteSync(buf []byte) error {
	if len(buf) == 0 {
		return nil
	}
	if err := st.logAppend(buf); err != nil {
		return err
	}
	return st.logSync()
}

// compactUidlist rewrites the UID list with the live records only.
func (st *folderState) compactUidlist() error {
	id := newFileID()
	var b []byte
	b = append(b, "MWUID1 "...)
	b = append(b, id...)
	b = append(b, ' ')
	b = strconv.AppendUint(b, uint64(st.uidValidity), 10)
	b = append(b, ' ')
	b = strconv.AppendUint(b, uint64(st.uidNext), 10)
	b = append(b, '\n')
	if st.ceiling > 0 {
		b = appendCeilingRecord(b, st.ceiling)
	}
	for i := range st.msgs {
		b = appendUidRecord(b, st.msgs[i].uid, st.msgs[i].base())
	}
	if st.ulFile != nil {
		st.ulFile.Close()
		st.ulFile = nil
	}
	if err := writeAtomicBytes(st.fs(), st.dir, uidlistFile, b); err != nil {
		st.ulID = "" // the index must not rely on the old file's offsets
		return err
	}
	st.ulID, st.ulSize, st.ulRecords = id, int64(len(b)), len(st.msgs)+1
	st.dirty = true
	return nil
}

// writeIndex saves the index (atomically). Failure is not fatal: the index
// is a cache.
func (st *folderState) writeIndex() error {
	if st.ulID == "" {
		if err := st.compactUidlist(); err != nil {
			return err
		}
	}
	idx := &indexData{
		uidValidity: st.uidValidity, uidNext: st.uidNext,
		hms: st.hms, ceiling: st.ceiling, firstRecent: st.firstRecent,
		uidlistID: st.ulID, uidlistSize: st.ulSize,
		newMtime: st.obs[0].mtime, curMtime: st.obs[1].mtime,
		// Record the older observation: the index is trusted only if both
		// directories were quiet.
		observed: min(st.obs[0].at, st.obs[1].at),
	}
	msgs := st.msgs
	if len(st.pending) > 0 {
		msgs = make([]msgRec, 0, len(st.msgs))
		for _, m := range st.msgs {
			if !m.pending {
				msgs = append(msgs, m)
			}
		}
	}
	err := writeAtomic(st.fs(), st.dir, indexFile, func(w io.Writer) error { return formatIndex(w, idx, msgs) })
	if err != nil {
		return err
	}
	st.dirty = false
	st.changes = 0
	st.needR = true
	return nil
}

// touched records a change for the index policy and for Poll.
func (st *folderState) touched(n int) {
	st.touchedByAppend(n)
	st.otherVersion = st.version
	st.unloggedVersion = st.version
}

// flagLogEntry is one message's flag change, at a folder version.
type flagLogEntry struct {
	version uint64
	uid     uint32
}

// maxFlagLog bounds the flag log; a session further behind compares the
// whole folder.
const maxFlagLog = 1024

// touchedFlags records a flag change of the messages uids.
func (st *folderState) touchedFlags(uids []uint32) {
	st.touchedByAppend(len(uids))
	st.otherVersion = st.version
	if len(uids) > maxFlagLog/2 {
		st.flagLog = st.flagLog[:0]
		st.flagLogFrom = st.version
		return
	}
	if len(st.flagLog)+len(uids) > maxFlagLog {
		drop := len(st.flagLog) + len(uids) - maxFlagLog
		st.flagLogFrom = st.flagLog[drop-1].version
		st.flagLog = append(st.flagLog[:0], st.flagLog[drop:]...)
	}
	for _, u := range uids {
		st.flagLog = append(st.flagLog, flagLogEntry{st.version, u})
	}
}

// touchedByAppend records a change that only added messages, with UIDs
// above all others (made visible in UID order): Poll then finds them
// without comparing the whole folder.
func (st *folderState) touchedByAppend(n int) {
	st.version++
	st.dirty = true
	st.changes += n
}

// maybeMaintain writes the index or compacts the UID list when due.
func (st *folderState) maybeMaintain() {
	if st.ulRecords > 2*len(st.msgs)+1000 && len(st.pending) == 0 {
		st.compactUidlist()
	}
	if st.changes >= indexEvery {
		st.writeIndex()
	}
}

// load reads the folder from disk: index, UID list, and the directories
// when the index cannot be trusted.
func (st *folderState) load() error {
	fsys := st.fs()
	if st.ulFile != nil {
		st.ulFile.Close()
	}
	// Start from nothing (a failed load may have left fields set). refs,
	// lastUse and mu are not ours to touch.
	st.loaded, st.deleted, st.evicted = false, false, false
	st.uidValidity, st.uidNext, st.hms, st.ceiling, st.needR = 0, 0, 0, 0, false
	st.msgs, st.byBase, st.pending, st.keywords = nil, nil, nil, nil
	st.dirty, st.changes, st.flagCache = false, 0, nil
	st.ulID, st.ulSize, st.ulRecords, st.ulFile = "", 0, 0, nil
	st.obs = [2]dirObs{}
	st.expClose()
	if _, err := fsys.Stat(st.dir + "/cur"); err != nil {
		if !isNotExist(err) {
			return err
		}
		if st.name != Inbox {
			return ErrNoSuchFolder
		}
	}
	for _, sub := range []string{"", "/cur", "/new", "/tmp"} {
		if err := fsys.Mkdir(st.dir + sub); err != nil && !isExist(err) {
			return err
		}
	}
	st.loadKeywords()

	var idx *indexData
	if data, err := fsys.ReadFile(st.dir + "/" + indexFile); err == nil {
		idx, _ = parseIndex(data)
	}
	ul, partial, err := st.readUidlist(idx)
	if err != nil {
		return err
	}

	mapping := map[string]uint32{}
	clean := false
	rewrite := false
	switch {
	case ul != nil && ul.ok:
		st.uidValidity, st.uidNext = ul.uidValidity, ul.uidNext
		st.ulID, st.ulSize, st.ulRecords = ul.id, ul.size, ul.records
		if idx != nil && idx.uidValidity != ul.uidValidity {
			idx = nil
		}
		if partial {
			// The index's own names join mapping below, only if the
			// directories must be listed after all.
			st.uidNext = max(st.uidNext, idx.uidNext)
			st.ulRecords += len(idx.msgs)
			// An R record after the index was written means this process
			// (or an earlier one) changed the folder and may have handed
			// out MODSEQs the index does not know.
			clean = ul.ceiling == 0
			st.ceiling = max(idx.ceiling, ul.ceiling)
		} else {
			st.ceiling = ul.ceiling
		}
		used := make(map[uint32]bool, len(ul.entries))
		for uid, base := range ul.entries {
			mapping[base] = uid
			used[uid] = true
		}
		if idx != nil && !partial {
			// A damaged UID list loses records; the index may still know
			// those UIDs. Keep them where they do not conflict.
			for i := range idx.msgs {
				m := &idx.msgs[i]
				if _, ok := mapping[m.base()]; !ok && !used[m.uid] && m.uid < st.uidNext {
					mapping[m.base()] = m.uid
					used[m.uid] = true
				}
			}
		}
		rewrite = ul.damaged
	case idx != nil:
		// The UID list is gone or unreadable: the index still knows the UIDs.
		st.uidValidity, st.uidNext, st.ceiling = idx.uidValidity, idx.uidNext, idx.ceiling
		for i := range idx.msgs {
			mapping[idx.msgs[i].base()] = idx.msgs[i].uid
		}
		rewrite = true
	default:
		v, err := st.s.newUIDValidity(st.user)
		if err != nil {
			return err
		}
		st.uidValidity, st.uidNext = v, 1
		rewrite = true
	}
	if st.uidNext == 0 {
		st.uidNext = 1
	}
	// Without an index (a new folder, or one whose index was lost), no
	// session has taken \Recent from any message.
	st.firstRecent = 1
	if idx != nil {
		st.firstRecent = idx.firstRecent
	}
	if idx != nil {
		st.hms = max(idx.hms, st.ceiling)
		if clean {
			st.hms = idx.hms
		}
	} else {
		st.hms = st.ceiling
	}

	var prev []msgRec
	if idx != nil {
		prev = idx.msgs
	}
	now := time.Now().UnixNano()
	trusted := false
	if clean && len(ul.entries) == 0 {
		nst, err1 := fsys.Stat(st.dir + "/new")
		cst, err2 := fsys.Stat(st.dir + "/cur")
		o := [2]dirObs{{idx.newMtime, idx.observed}, {idx.curMtime, idx.observed}}
		if err1 == nil && err2 == nil && o[0].quiet() && o[1].quiet() &&
			nst.mtime.UnixNano() == idx.newMtime && cst.mtime.UnixNano() == idx.curMtime {
			trusted = true
			st.obs = o
			st.msgs = idx.msgs
			st.byBase = nil // built when first needed (scan)
		}
	}
	var buf []byte
	if !clean && len(prev) > 0 {
		// The index may be older than MODSEQs handed out before a crash:
		// give every message a MODSEQ above all of them, so clients that
		// cached flags resynchronize (RFC 7162 section 3.1).
		var m uint64
		m, buf = st.nextModSeq(buf)
		for i := range prev {
			prev[i].modseq = m
		}
	}
	// The expunge log (expungelog.go) is read when first needed; a log
	// started afresh forgets what came before this load, and after an
	// unclean shutdown expunges made before may be missing from it.
	st.exp.loadHMS = st.hms
	if !clean {
		st.exp.minFloor = st.hms
	}
	if !trusted {
		if partial {
			// Left out above: a trusted index (the usual case) does not
			// need them, and building this map took a third of the load
			// of a 100,000-message folder (BenchmarkBigFolder). Records
			// of the UID list come after the index, so they win.
			for i := range idx.msgs {
				b := idx.msgs[i].base()
				if _, ok := mapping[b]; !ok {
					mapping[b] = idx.msgs[i].uid
				}
			}
		}
		st.byBase = mapping
		var err error
		buf, _, err = st.scan([2]bool{true, true}, prev, buf, now)
		if err != nil {
			return err
		}
	}
	if rewrite {
		if err := st.compactUidlist(); err != nil {
			return err
		}
		buf = buf[:0]
	}
	if err := st.logWriteSync(buf); err != nil {
		return err
	}
	st.cleanTmp(now)
	st.loaded = true
	if !trusted || !clean || rewrite {
		st.writeIndex()
	} else {
		st.needR = true
	}
	return nil
}

// readUidlist reads the UID list: only its header and the records
// appended since the index was written when the index matches it, the
// whole file otherwise. It returns nil if there is no UID list.
func (st *folderState) readUidlist(idx *indexData) (*uidlist, bool, error) {
	p := st.dir + "/" + uidlistFile
	fi, err := st.fs().Stat(p)
	if err != nil {
		if isNotExist(err) {
			return nil, false, nil
		}
		return nil, false, err
	}
	if idx != nil && idx.uidlistSize > 0 && idx.uidlistSize <= fi.size {
		f, err := st.fs().Open(p)
		if err != nil {
			return nil, false, err
		}
		defer f.Close()
		head := make([]byte, min(fi.size, 512))
		n, _ := f.ReadAt(head, 0)
		head = head[:n]
		if nl := bytes.IndexByte(head, '\n'); nl > 0 && int64(nl) < idx.uidlistSize {
			id, v, _, ok := parseUidlistHeader(string(head[:nl]))
			if ok && id == idx.uidlistID && v == idx.uidValidity {
				data := make([]byte, nl+1, int64(nl+1)+fi.size-idx.uidlistSize)
				copy(data, head)
				data = data[:cap(data)]
				m, err := f.ReadAt(data[nl+1:], idx.uidlistSize)
				if err != nil && err != io.EOF {
					return nil, false, err
				}
				data = data[:nl+1+m]
				ul := parseUidlist(data, int64(nl+1))
				ul.size += idx.uidlistSize - int64(nl+1) // offsets in the file
				return ul, true, nil
			}
		}
	}
	data, err := st.fs().ReadFile(p)
	if err != nil {
		if isNotExist(err) {
			return nil, false, nil
		}
		return nil, false, err
	}
	return parseUidlist(data, 0), false, nil
}

// scan lists new/ and/or cur/ and reconciles them with prev (the records
// known so far, sorted by UID) and st.byBase (base name -> UID), assigning
// UIDs to files nobody has seen. It replaces st.msgs. UID list records for
// new UIDs (and any R record) are appended to buf; the caller makes them
// durable before releasing the lock.
func (st *folderState) scan(which [2]bool, prev []msgRec, buf []byte, now int64) ([]byte, bool, error) {
	fsys := st.fs()
	if st.byBase == nil {
		st.byBase = make(map[string]uint32, len(prev))
		for i := range prev {
			st.byBase[prev[i].base()] = prev[i].uid
		}
	}
	type found struct {
		name  string
		inNew bool
	}
	var lists [2][]dirEntry
	var stats [2]fileStat
	for attempt := 0; ; attempt++ {
		var err error
		var before, after [2]fileStat
		for i, sub := range []string{"/new", "/cur"} {
			if !which[i] {
				continue
			}
			if before[i], err = fsys.Stat(st.dir + sub); err != nil {
				return buf, false, st.goneErr(err)
			}
			if lists[i], err = fsys.ReadDir(st.dir + sub); err != nil {
				return buf, false, st.goneErr(err)
			}
		}
		for i, sub := range []string{"/new", "/cur"} {
			if which[i] {
				if after[i], err = fsys.Stat(st.dir + sub); err != nil {
					return buf, false, st.goneErr(err)
				}
			}
		}
		stats = before
		// A file renamed while we listed may be missing from both
		// listings; list again while the directories keep changing.
		if (before[0].mtime.Equal(after[0].mtime) && before[1].mtime.Equal(after[1].mtime)) || attempt == 3 {
			break
		}
	}
	for i := range 2 {
		if which[i] {
			st.obs[i] = dirObs{stats[i].mtime.UnixNano(), now}
		}
	}

	files := make(map[string]found, len(prev)+8)
	for i := range prev {
		if !which[0] && prev[i].inNew || !which[1] && !prev[i].inNew {
			files[prev[i].base()] = found{prev[i].name, prev[i].inNew}
		}
	}
	for i := range 2 {
		for _, e := range lists[i] {
			if e.isDir || e.name == "" || e.name[0] == '.' {
				continue
			}
			b, _ := parseInfo(e.name)
			files[b] = found{e.name, i == 0} // cur/ wins over new/
		}
	}

	changed := false
	var changeMS uint64
	modseq := func() uint64 {
		if changeMS == 0 {
			changeMS, buf = st.nextModSeq(buf)
		}
		return changeMS
	}
	msgs := make([]msgRec, 0, len(files))
	var vanished []uint32
	for i := range prev {
		p := prev[i]
		f, ok := files[p.base()]
		if !ok || st.byBase[p.base()] != p.uid {
			if !p.pending {
				changed = true // expunged by someone else
				vanished = append(vanished, p.uid)
			}
			continue
		}
		delete(files, p.base())
		if f.name != p.name || f.inNew != p.inNew {
			p.name, p.inNew = f.name, f.inNew
			p.setFlagsFromName()
			p.modseq = modseq()
			changed = true
		}
		msgs = append(msgs, p)
	}
	// Files known to the UID list but not to prev (index lost), and files
	// nobody has seen: read their size and date.
	type newFile struct {
		rec msgRec
		uid uint32
	}
	var fresh []newFile
	for b, f := range files {
		r := msgRec{name: f.name, inNew: f.inNew}
		r.setFlagsFromName()
		if err := st.measure(&r, b); err != nil {
			if isNotExist(err) {
				continue // gone meanwhile
			}
			return buf, false, err
		}
		fresh = append(fresh, newFile{r, st.byBase[b]})
	}
	sort.Slice(fresh, func(i, j int) bool {
		a, b := fresh[i], fresh[j]
		if a.uid != b.uid {
			if a.uid == 0 || b.uid == 0 {
				return a.uid != 0
			}
			return a.uid < b.uid
		}
		if a.rec.date != b.rec.date {
			return a.rec.date < b.rec.date
		}
		return a.rec.name < b.rec.name
	})
	for _, f := range fresh {
		r := f.rec
		r.modseq = modseq()
		if f.uid != 0 {
			r.uid = f.uid
		} else {
			r.uid = st.uidNext
			st.uidNext++
			st.byBase[r.base()] = r.uid
			buf = appendUidRecord(buf, r.uid, r.base())
		}
		msgs = append(msgs, r)
		changed = true
	}
	sort.Slice(msgs, func(i, j int) bool { return msgs[i].uid < msgs[j].uid })
	st.msgs = msgs
	if len(vanished) > 0 {
		// RFC 7162 section 3.2: an expunge takes a new MODSEQ, and QRESYNC
		// clients learn of it from the expunge log.
		// (A crash before the caller makes the R record in buf durable
		// is an unclean shutdown: the log's floor then covers this.)
		st.expRecord(vanished, modseq())
	}
	if changed {
		// Drop mappings of files that are gone, so the map does not grow.
		if len(st.byBase) > len(msgs)+len(msgs)/2+64 {
			m := make(map[string]uint32, len(msgs))
			for i := range msgs {
				m[msgs[i].base()] = msgs[i].uid
			}
			st.byBase = m
		}
		st.touched(1)
	}
	return buf, changed, nil
}

func (st *folderState) goneErr(err error) error {
	if isNotExist(err) && st.name != Inbox {
		return ErrNoSuchFolder
	}
	return err
}

// measure fills size, raw size and date of a file not in the index. The
// sizes come from Dovecot-style ",S=" and ",W=" fields when present;
// otherwise the file is read once to count the CRLF size.
func (st *folderState) measure(r *msgRec, base string) error {
	p := st.dir + subdir(r.inNew) + r.name
	fi, err := st.fs().Stat(p)
	if err != nil {
		return err
	}
	r.raw = fi.size
	r.date = fi.mtime.UnixNano()
	if w, ok := sizeField(base, ",W="); ok && fi.size == w {
		r.size = w
		return nil
	}
	f, err := st.fs().Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	n, err := crlfSize(f)
	if err != nil {
		return err
	}
	r.size = n
	return nil
}

// sizeField extracts a ",S=123"-style field from a base name.
func sizeField(base, key string) (int64, bool) {
	i := strings.Index(base, key)
	if i < 0 {
		return 0, false
	}
	s := base[i+len(key):]
	if j := strings.IndexAny(s, ",:"); j >= 0 {
		s = s[:j]
	}
	v, err := strconv.ParseInt(s, 10, 64)
	return v, err == nil && v >= 0
}

// refresh picks up changes made by other programs: it lists new/ or cur/
// again when their mtime moved or was too recent to be trusted.
func (st *folderState) refresh() (bool, error) {
	if err := st.usable(); err != nil {
		return false, err
	}
	var which [2]bool
	now := time.Now().UnixNano()
	for i, sub := range []string{"/new", "/cur"} {
		fi, err := st.fs().Stat(st.dir + sub)
		if err != nil {
			if isNotExist(err) {
				return false, ErrFolderDeleted
			}
			return false, err
		}
		o := st.obs[i]
		which[i] = fi.mtime.UnixNano() != o.mtime || !o.quiet() && now-o.at >= int64(recheckAfter)
	}
	if !which[0] && !which[1] {
		return false, nil
	}
	buf, changed, err := st.scan(which, st.msgs, nil, now)
	if err == nil {
		err = st.logWriteSync(buf)
	}
	if err != nil {
		return changed, err
	}
	if changed {
		st.maybeMaintain()
	}
	return changed, nil
}

// cleanTmp removes leftovers in tmp/: files an earlier instance of this
// store left when it crashed (the root lock guarantees that no other
// instance is writing), and anyone's files older than 36 hours (the
// Maildir convention).
func (st *folderState) cleanTmp(now int64) {
	ents, err := st.fs().ReadDir(st.dir + "/tmp")
	if err != nil {
		return
	}
	for _, e := range ents {
		p := st.dir + "/tmp/" + e.name
		if inst, ok := tmpInstance(e.name); ok && inst != st.s.instance {
			st.fs().Remove(p)
			continue
		}
		if fi, err := st.fs().Stat(p); err == nil && !fi.isDir && now-fi.mtime.UnixNano() > int64(tmpMaxAge) {
			st.fs().Remove(p)
		}
	}
}

// tmpInstance extracts the store instance from one of our unique names
// ("<sec>.M<usec>P<pid>Q<n>X<instance>.<host>").
func tmpInstance(name string) (string, bool) {
	dot := strings.IndexByte(name, '.')
	if dot < 0 {
		return "", false
	}
	rest := name[dot+1:]
	end := strings.IndexByte(rest, '.')
	if end < 0 {
		return "", false
	}
	rest = rest[:end]
	q := strings.LastIndexByte(rest, 'Q')
	x := strings.LastIndexByte(rest, 'X')
	if !strings.HasPrefix(rest, "M") || q < 0 || x < q || x == len(rest)-1 {
		return "", false
	}
	return rest[x+1:], true
}

// loadKeywords reads the keyword names of the letters a-z.
func (st *folderState) loadKeywords() {
	data, err := st.fs().ReadFile(st.dir + "/" + keywordsFile)
	st.keywords = nil
	if err != nil {
		return
	}
	kw := make([]string, 26)
	n := 0
	for _, line := range strings.Split(string(data), "\n") {
		sp := strings.IndexByte(line, ' ')
		if sp < 0 {
			continue
		}
		i, err := strconv.Atoi(line[:sp])
		name := line[sp+1:]
		if err != nil || i < 0 || i >= 26 || !validKeyword(name) {
			continue
		}
		kw[i] = name
		n = max(n, i+1)
	}
	st.keywords = kw[:n]
}

// keywordBits maps keyword names to letter bits, adding new keywords to
// the keywords file (durably) when add is set.
func (st *folderState) keywordBits(names []string, add bool) (uint32, error) {
	var bits uint32
	var added bool
	for _, n := range names {
		i := -1
		for j, k := range st.keywords {
			if k == n {
				i = j
				break
			}
		}
		if i < 0 {
			if !add {
				continue
			}
			for j, k := range st.keywords {
				if k == "" {
					i = j
					break
				}
			}
			if i < 0 {
				if len(st.keywords) >= 26 {
					return 0, ErrTooManyKeywords
				}
				st.keywords = append(st.keywords, "")
				i = len(st.keywords) - 1
			}
			st.keywords[i] = n
			added = true
		}
		bits |= 1 << i
	}
	if added {
		var b strings.Builder
		for i, k := range st.keywords {
			if k != "" {
				b.WriteString(strconv.Itoa(i) + " " + k + "\n")
			}
		}
		if err := writeAtomicBytes(st.fs(), st.dir, keywordsFile, []byte(b.String())); err != nil {
			st.loadKeywords()
			return 0, err
		}
		st.flagCache = nil
	}
	return bits, nil
}

// errIsClosed reports a file closed under a sync (by a compaction, which
// made the same records durable in the new file).
func errIsClosed(err error) bool { return errors.Is(err, os.ErrClosed) || errors.Is(err, fs.ErrClosed) }
