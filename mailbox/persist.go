package mailbox

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"hash/crc32"
	"io"
	"strconv"
	"strings"
	"time"
)

// Per-folder state files, beside cur/ new/ tmp/ in the folder's directory.
const (
	uidlistFile  = "mailwright-uidlist"
	indexFile    = "mailwright-index"
	keywordsFile = "dovecot-keywords" // Dovecot's format: "<n> <keyword>", n=0 is letter a
)

// Per-user state files, at the root of the user's Maildir.
const (
	subscriptionsFile = "subscriptions"
	specialUseFile    = "mailwright-specialuse"
	uidValidityFile   = "mailwright-uidvalidity"
)

// The UID list is the durable record of which file has which UID, in the
// spirit of Dovecot's dovecot-uidlist. It is a log: a header line written
// when the file is (re)created, then records appended (and fsync'd) as
// messages arrive:
//
//	MWUID1 <file-id> <uidvalidity> <uidnext>
//	+<uid> <base file name>
//	R<modseq ceiling>
//
// A base name is the file name up to ":2,". "R" records reserve modification
// sequence numbers: every MODSEQ handed out is at most the last ceiling.
// When the log has grown well past the number of messages it is compacted:
// rewritten with only live records and atomically replaced (temp file,
// fsync, rename, directory fsync). A torn last line (a crash in the middle
// of an append) is ignored; a corrupt line loses only that message's UID.

type uidlist struct {
	ok          bool // a valid header was read
	id          string
	uidValidity uint32
	uidNext     uint32
	ceiling     uint64
	entries     map[uint32]string // uid -> base
	size        int64             // bytes of valid content
	records     int
	damaged     bool // torn or corrupt lines: compact soon
}

func newFileID() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// parseUidlistHeader parses the first line of a UID list.
func parseUidlistHeader(line string) (id string, uidValidity, uidNext uint32, ok bool) {
	f := strings.Fields(line)
	if len(f) != 4 || f[0] != "MWUID1" || f[1] == "" {
		return "", 0, 0, false
	}
	v, err1 := strconv.ParseUint(f[2], 10, 32)
	n, err2 := strconv.ParseUint(f[3], 10, 32)
	if err1 != nil || err2 != nil || v == 0 || n == 0 {
		return "", 0, 0, false
	}
	return f[1], uint32(v), uint32(n), true
}

// parseUidlist parses a whole UID list, or, if from > 0, only the records
// from byte offset from (the part appended since the index was written).
func parseUidlist(data []byte, from int64) *uidlist {
	ul := &uidlist{entries: map[uint32]string{}}
	nl := bytes.IndexByte(data, '\n')
	if nl < 0 {
		return ul
	}
	id, v, n, ok := parseUidlistHeader(string(data[:nl]))
	if !ok {
		return ul
	}
	ul.ok, ul.id, ul.uidValidity, ul.uidNext = true, id, v, n
	pos := int64(nl + 1)
	if from > pos && from <= int64(len(data)) {
		pos = from
	}
	ul.size = pos
	dup := map[uint32]bool{}
	for pos < int64(len(data)) {
		rest := data[pos:]
		e := bytes.IndexByte(rest, '\n')
		if e < 0 {
			ul.damaged = true // torn tail: never acknowledged, ignore
			break
		}
		line := string(rest[:e])
		pos += int64(e + 1)
		ul.size = pos
		ul.records++
		if !ul.parseRecord(line, dup) {
			ul.damaged = true
		}
	}
	for uid := range dup {
		// Two records claim one UID: trust neither. The files get new UIDs,
		// which to a client looks like an expunge and a new message.
		delete(ul.entries, uid)
	}
	return ul
}

func (ul *uidlist) parseRecord(line string, dup map[uint32]bool) bool {
	if line == "" {
		return false
	}
	switch line[0] {
	case '+':
		sp := strings.IndexByte(line, ' ')
		if sp < 0 {
			return false
		}
		uid, err := strconv.ParseUint(line[1:sp], 10, 32)
		base := line[sp+1:]
		if err != nil || uid == 0 || base == "" || strings.ContainsAny(base, "/: \x00") {
			return false
		}
		if old, ok := ul.entries[uint32(uid)]; ok && old != base {
			dup[uint32(uid)] = true
		}
		ul.entries[uint32(uid)] = base
		if uint32(uid) >= ul.uidNext {
			ul.uidNext = uint32(uid) + 1
		}
		return true
	case 'R':
		c, err := strconv.ParseUint(line[1:], 10, 63)
		if err != nil {
			return false
		}
		if c > ul.ceiling {
			ul.ceiling = c
		}
		return true
	}
	return false
}

func appendUidRecord(b []byte, uid uint32, base string) []byte {
	b = append(b, '+')
	b = strconv.AppendUint(b, uint64(uid), 10)
	b = append(b, ' ')
	b = append(b, base...)
	return append(b, '\n')
}

func appendCeilingRecord(b []byte, c uint64) []byte {
	b = append(b, 'R')
	b = strconv.AppendUint(b, c, 10)
	return append(b, '\n')
}

// The index is a cache of everything needed to list a folder without
// touching its message files: it is written atomically from time to time and
// never trusted over the files. It is used as is only when the UID list has
// not grown since, the mtimes of new/ and cur/ are those recorded, and
// those mtimes were already old when recorded (a directory can change
// twice within one timestamp tick). Otherwise the directories are listed
// (names only, no stat) and the index supplies sizes and dates of the
// files it knows. It ends with a CRC; a damaged index is ignored.
//
//	MWIDX1 <uidvalidity> <uidnext> <highestmodseq> <ceiling> <uidlist-id> <uidlist-size> <new-mtime> <cur-mtime> <observed> <count> <first-recent>
//	<uid> <modseq> <size> <raw-size> <date> <n|c> <file name>
//	...
//	end <crc32>
//
// first-recent is the lowest UID that may still be \Recent (recent.go);
// an index written before it existed has none, and then no message it
// knows is recent.

type indexData struct {
	uidValidity  uint32
	uidNext      uint32
	hms, ceiling uint64
	uidlistID    string
	uidlistSize  int64
	newMtime     int64
	curMtime     int64
	observed     int64
	firstRecent  uint64
	msgs         []msgRec
}

var errBadIndex = errors.New("mailbox: damaged index")

func parseIndex(data []byte) (*indexData, error) {
	end := bytes.LastIndex(data, []byte("\nend "))
	if end < 0 {
		return nil, errBadIndex
	}
	body := data[:end+1]
	tail := strings.TrimSuffix(string(data[end+5:]), "\n")
	sum, err := strconv.ParseUint(tail, 16, 32)
	if err != nil || uint32(sum) != crc32.ChecksumIEEE(body) {
		return nil, errBadIndex
	}
	return parseIndexBody(body)
}

// parseIndexBody parses an index whose CRC has been checked (body ends
// with a newline).
func parseIndexBody(body []byte) (*indexData, error) {
	nl := bytes.IndexByte(body, '\n')
	if nl < 0 {
		return nil, errBadIndex
	}
	h := strings.Fields(string(body[:nl]))
	if len(h) != 11 && len(h) != 12 || h[0] != "MWIDX1" {
		return nil, errBadIndex
	}
	var nums [12]int64
	for i, f := range h[1:] {
		if i == 4 {
			continue // uidlist id
		}
		v, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return nil, errBadIndex
		}
		nums[i] = v
	}
	idx := &indexData{
		uidValidity: uint32(nums[0]), uidNext: uint32(nums[1]),
		hms: uint64(nums[2]), ceiling: uint64(nums[3]), uidlistID: h[5],
		uidlistSize: nums[5], newMtime: nums[6], curMtime: nums[7], observed: nums[8],
	}
	count := nums[9]
	idx.firstRecent = uint64(nums[10])
	if len(h) == 11 {
		idx.firstRecent = uint64(idx.uidNext)
	}
	if idx.uidValidity == 0 || count < 0 || count > int64(len(body)) {
		return nil, errBadIndex
	}
	idx.msgs = make([]msgRec, 0, count)
	rest := body[nl+1:]
	// File names are substrings of one string: one allocation, not one
	// per message.
	sbody := string(body)
	var prev uint32
	for len(rest) > 0 {
		e := bytes.IndexByte(rest, '\n')
		if e < 0 {
			return nil, errBadIndex
		}
		lineEnd := len(body) - len(rest) + e
		line := rest[:e]
		rest = rest[e+1:]
		var f [7][]byte
		for i := 0; i < 6; i++ {
			sp := bytes.IndexByte(line, ' ')
			if sp < 0 {
				return nil, errBadIndex
			}
			f[i], line = line[:sp], line[sp+1:]
		}
		f[6] = line
		uid, e1 := atou(f[0])
		ms, e2 := atou(f[1])
		size, e3 := atou(f[2])
		raw, e4 := atou(f[3])
		date, e5 := atoi(f[4])
		if e1 || e2 || e3 || e4 || e5 || uid == 0 || uid > 1<<32-1 || uint32(uid) <= prev || len(f[6]) == 0 {
			return nil, errBadIndex
		}
		prev = uint32(uid)
		r := msgRec{uid: uint32(uid), modseq: ms, size: int64(size), raw: int64(raw), date: date, name: sbody[lineEnd-len(f[6]) : lineEnd]}
		switch string(f[5]) {
		case "n":
			r.inNew = true
		case "c":
		default:
			return nil, errBadIndex
		}
		r.setFlagsFromName()
		idx.msgs = append(idx.msgs, r)
	}
	if int64(len(idx.msgs)) != count {
		return nil, errBadIndex
	}
	return idx, nil
}

// atou parses a decimal number without allocating; bad is true on error.
func atou(b []byte) (v uint64, bad bool) {
	if len(b) == 0 || len(b) > 19 {
		return 0, true
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, true
		}
		v = v*10 + uint64(c-'0')
	}
	return v, false
}

func atoi(b []byte) (int64, bool) {
	neg := len(b) > 0 && b[0] == '-'
	if neg {
		b = b[1:]
	}
	v, bad := atou(b)
	if neg {
		return -int64(v), bad
	}
	return int64(v), bad
}

func formatIndex(w io.Writer, idx *indexData, msgs []msgRec) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	crc := crc32.NewIEEE()
	mw := io.MultiWriter(bw, crc)
	b := make([]byte, 0, 256)
	b = append(b, "MWIDX1 "...)
	for i, v := range []int64{int64(idx.uidValidity), int64(idx.uidNext), int64(idx.hms), int64(idx.ceiling)} {
		if i > 0 {
			b = append(b, ' ')
		}
		b = strconv.AppendInt(b, v, 10)
	}
	b = append(b, ' ')
	b = append(b, idx.uidlistID...)
	for _, v := range []int64{idx.uidlistSize, idx.newMtime, idx.curMtime, idx.observed, int64(len(msgs)), int64(idx.firstRecent)} {
		b = append(b, ' ')
		b = strconv.AppendInt(b, v, 10)
	}
	b = append(b, '\n')
	if _, err := mw.Write(b); err != nil {
		return err
	}
	for i := range msgs {
		m := &msgs[i]
		b = b[:0]
		b = strconv.AppendUint(b, uint64(m.uid), 10)
		b = append(b, ' ')
		b = strconv.AppendUint(b, m.modseq, 10)
		b = append(b, ' ')
		b = strconv.AppendInt(b, m.size, 10)
		b = append(b, ' ')
		b = strconv.AppendInt(b, m.raw, 10)
		b = append(b, ' ')
		b = strconv.AppendInt(b, m.date, 10)
		if m.inNew {
			b = append(b, " n "...)
		} else {
			b = append(b, " c "...)
		}
		b = append(b, m.name...)
		b = append(b, '\n')
		if _, err := mw.Write(b); err != nil {
			return err
		}
	}
	b = append(b[:0], "end "...)
	b = strconv.AppendUint(b, uint64(crc.Sum32()), 16)
	b = append(b, '\n')
	if _, err := bw.Write(b); err != nil {
		return err
	}
	return bw.Flush()
}

// writeAtomic replaces dir/name with data: temp file, fsync, rename,
// directory fsync (DESIGN.md, Durability).
func writeAtomic(fsys fsys, dir, name string, write func(io.Writer) error) error {
	tmp := dir + "/" + name + ".tmp" + newFileID()
	f, err := fsys.Create(tmp)
	if err != nil {
		return err
	}
	err = write(f)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = fsys.Rename(tmp, dir+"/"+name)
	}
	if err != nil {
		fsys.Remove(tmp)
		return err
	}
	return fsys.SyncDir(dir)
}

func writeAtomicBytes(fsys fsys, dir, name string, data []byte) error {
	return writeAtomic(fsys, dir, name, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}
