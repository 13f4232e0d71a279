package mailbox

import (
	"bytes"
	"io/fs"
	"reflect"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

func deleteAndExpunge(t *testing.T, f *Folder, uids ...uint32) []uint32 {
	t.Helper()
	if _, err := f.SetFlags(bg, UIDSetOf(uids...), FlagsAdd, []string{FlagDeleted}, nil); err != nil {
		t.Fatal(err)
	}
	gone, err := f.Expunge(bg, UIDSetOf(uids...))
	if err != nil {
		t.Fatal(err)
	}
	return gone
}

func expungedSince(t *testing.T, f *Folder, m uint64) string {
	t.Helper()
	s, err := f.ExpungedSince(bg, m)
	if err != nil {
		t.Fatal(err)
	}
	return string(appendUIDRanges(nil, s))
}

// TestExpungeLog: RFC 7162 section 3.2, each expunge takes a new MODSEQ
// and the folder remembers the UIDs with it, across a clean restart;
// after a crash it answers conservatively for what came before.
func TestExpungeLog(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		for range 6 {
			e.append("alice", "INBOX", "m\n", nil)
		}
		f := e.open("alice", "INBOX")
		base := f.HighestModSeq()
		if got := expungedSince(t, f, base); got != "" {
			t.Fatalf("nothing expunged yet: %q", got)
		}
		deleteAndExpunge(t, f, 2, 3)
		ms1 := f.HighestModSeq()
		deleteAndExpunge(t, f, 5)
		ms2 := f.HighestModSeq()
		if ms2 <= ms1 || ms1 <= base+1 {
			t.Fatalf("HIGHESTMODSEQ %d, %d, %d: expunges must raise it", base, ms1, ms2)
		}
		check := func(when string) {
			t.Helper()
			for _, c := range []struct {
				m    uint64
				want string
			}{{base, "2:3,5"}, {ms1 - 1, "2:3,5"}, {ms1, "5"}, {ms2, ""}} {
				if got := expungedSince(t, f, c.m); got != c.want {
					t.Errorf("%s: ExpungedSince(%d) = %q, want %q", when, c.m, got, c.want)
				}
			}
		}
		check("before restart")
		f.Close()
		e.reopen()
		f = e.open("alice", "INBOX")
		if f.HighestModSeq() != ms2 {
			t.Fatalf("HIGHESTMODSEQ %d after reopen, want %d", f.HighestModSeq(), ms2)
		}
		check("after restart")

		// Another program deletes a file: the next look records it.
		victim := e.pathOf(f, 6)
		if err := e.fs.Remove(victim); err != nil {
			t.Fatal(err)
		}
		u := e.poll(f)
		if !equalUIDs(u.Expunged, []uint32{6}) || f.HighestModSeq() <= ms2 {
			t.Fatalf("after external removal: %+v, HIGHESTMODSEQ %d", u, f.HighestModSeq())
		}
		if got := expungedSince(t, f, ms2); got != "6" {
			t.Fatalf("external removal: ExpungedSince = %q, want 6", got)
		}
		ms3 := f.HighestModSeq()
		f.Close()

		// A crash: the log may miss what happened before it, so it
		// answers for anything older with every UID below UIDNEXT, and
		// exactly for what comes after.
		e.crash()
		f = e.open("alice", "INBOX")
		if got := expungedSince(t, f, ms3); got != "1:6" {
			t.Fatalf("after crash: ExpungedSince(%d) = %q, want the conservative 1:6", ms3, got)
		}
		after := f.HighestModSeq()
		deleteAndExpunge(t, f, 4)
		if got := expungedSince(t, f, after); got != "4" {
			t.Fatalf("after crash, new expunge: %q, want 4", got)
		}
	})
}

// pathOf returns the file of a message, relative to the store root.
func (e *env) pathOf(f *Folder, uid uint32) string {
	f.st.mu.Lock()
	defer f.st.mu.Unlock()
	i := f.st.find(uid)
	if i < 0 {
		e.t.Fatalf("no UID %d", uid)
	}
	return f.st.dir + subdir(f.st.msgs[i].inNew) + f.st.msgs[i].name
}

// TestExpungeLogBounded: scattered expunges beyond maxExpungeRanges drop
// the oldest records; the floor makes older questions conservative and
// recent ones stay exact.
func TestExpungeLogBounded(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		e.append("alice", "INBOX", "m\n", nil)
		f := e.open("alice", "INBOX")
		st := f.st
		st.mu.Lock()
		start := st.hms
		st.uidNext = 3 * maxExpungeRanges
		n := maxExpungeRanges + 100
		for i := range n {
			var b []byte
			var ms uint64
			ms, b = st.nextModSeq(b)
			if err := st.logWriteSync(b); err != nil {
				t.Fatal(err)
			}
			if err := st.expRecord([]uint32{uint32(2*i + 10)}, ms); err != nil {
				t.Fatal(err)
			}
			if st.exp.ranges > maxExpungeRanges {
				t.Fatalf("%d ranges kept, more than %d", st.exp.ranges, maxExpungeRanges)
			}
		}
		last := st.hms
		floor := st.exp.floor
		size := int64(0)
		if fi, err := e.fs.Stat(st.dir + "/" + expungeLogFile); err == nil {
			size = fi.size
		}
		st.mu.Unlock()
		if floor <= start || size > maxExpungeLogSize {
			t.Fatalf("floor %d (start %d), file %d bytes", floor, start, size)
		}
		if got := expungedSince(t, f, start); got != "1:"+strconv.Itoa(3*maxExpungeRanges-1) {
			t.Fatalf("older than the floor: %q", got)
		}
		if got := expungedSince(t, f, last-2); got != strconv.Itoa(2*(n-2)+10)+","+strconv.Itoa(2*(n-1)+10) {
			t.Fatalf("recent: %q", got)
		}
		f.Close()
		e.reopen()
		f = e.open("alice", "INBOX")
		if got := expungedSince(t, f, last-1); got != strconv.Itoa(2*(n-1)+10) {
			t.Fatalf("recent after reopen: %q", got)
		}
	})
}

// TestExpungeLogScattered: one expunge of more scattered UIDs than the
// log keeps is forgotten (the floor rises to it), and the answer for
// anything older is conservative.
func TestExpungeLogScattered(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		e.append("alice", "INBOX", "m\n", nil)
		f := e.open("alice", "INBOX")
		st := f.st
		st.mu.Lock()
		st.uidNext = 4 * maxExpungeRanges
		base := st.hms
		var uids []uint32
		for i := range maxExpungeRanges + 1 {
			uids = append(uids, uint32(2*i+3))
		}
		var b []byte
		var ms uint64
		ms, b = st.nextModSeq(b)
		st.logWriteSync(b)
		err := st.expRecord(uids, ms)
		floor, n := st.exp.floor, len(st.exp.entries)
		st.mu.Unlock()
		if err != nil || floor != ms || n != 0 {
			t.Fatalf("expRecord: %v, floor %d (want %d), %d entries", err, floor, ms, n)
		}
		if got := expungedSince(t, f, base); got != "1:"+strconv.Itoa(4*maxExpungeRanges-1) {
			t.Fatalf("conservative answer: %q", got)
		}
		if got := expungedSince(t, f, ms); got != "" {
			t.Fatalf("after it: %q", got)
		}
	})
}

// TestExpungeLogTornTail: a record cut short by a crash is dropped and
// the file rewritten before the next append.
func TestExpungeLogTornTail(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		for range 4 {
			e.append("alice", "INBOX", "m\n", nil)
		}
		f := e.open("alice", "INBOX")
		base := f.HighestModSeq()
		deleteAndExpunge(t, f, 1)
		dir := f.st.dir
		f.Close()
		e.reopen()
		w, err := e.fs.OpenAppend(dir + "/" + expungeLogFile)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte("E99 3:"))
		w.Close()
		f = e.open("alice", "INBOX")
		if got := expungedSince(t, f, base); got != "1" {
			t.Fatalf("with a torn tail: %q", got)
		}
		hm := f.HighestModSeq()
		deleteAndExpunge(t, f, 2)
		if got := expungedSince(t, f, hm); got != "2" {
			t.Fatalf("after the torn tail: %q", got)
		}
		data, err := e.fs.ReadFile(dir + "/" + expungeLogFile)
		if err != nil {
			t.Fatal(err)
		}
		d, err := parseExpungeLog(data)
		if err != nil || d.torn || len(d.entries) != 2 {
			t.Fatalf("file after append: %q %+v %v", data, d, err)
		}
	})
}

func TestParseExpungeLog(t *testing.T) {
	for _, c := range []struct {
		in      string
		err     bool
		floor   uint64
		entries []expungeEntry
		torn    bool
	}{
		{in: "MWEXP1 7 0\n", floor: 0},
		{in: "MWEXP1 7 3\nE4 1:3,9\nE6 12\n", floor: 3, entries: []expungeEntry{{4, UIDSet{{1, 3}, {9, 9}}}, {6, UIDSet{{12, 12}}}}},
		{in: "MWEXP1 7 3\nE4 1:3,9\nE6 1", floor: 3, entries: []expungeEntry{{4, UIDSet{{1, 3}, {9, 9}}}}, torn: true},
		{in: "MWEXP1 7 3\nE3 1\n", floor: 3, torn: true},                                           // at the floor
		{in: "MWEXP1 7 0\nE4 1\nE4 2\n", entries: []expungeEntry{{4, UIDSet{{1, 1}}}}, torn: true}, // not ascending
		{in: "MWEXP1 7 0\nE4 3:1\n", torn: true},
		{in: "MWEXP1 7 0\nE4 2,1\n", torn: true},
		{in: "MWEXP1 7 0\nE4 0\n", torn: true},
		{in: "MWEXP1 7 0\nE4 1,\n", torn: true},
		{in: "MWEXP1 7 0\nX4 1\n", torn: true},
		{in: "MWEXP1 0 0\n", err: true},
		{in: "MWEXP2 7 0\n", err: true},
		{in: "MWEXP1 7\n", err: true},
		{in: "", err: true},
	} {
		d, err := parseExpungeLog([]byte(c.in))
		if c.err {
			if err == nil {
				t.Errorf("%q: no error", c.in)
			}
			continue
		}
		if err != nil || d.floor != c.floor || d.torn != c.torn || !reflect.DeepEqual(d.entries, c.entries) {
			t.Errorf("%q: %+v %v", c.in, d, err)
		}
	}
}

func FuzzParseExpungeLog(f *testing.F) {
	for _, s := range []string{
		"MWEXP1 7 0\n",
		"MWEXP1 7 3\nE4 1:3,9\nE6 12\n",
		"MWEXP1 7 3\nE4 1:3,9\nE6 1",
		"MWEXP1 1 0\nE1 4294967295\nE2 1:4294967295\n",
		"MWEXP1 7 0\nE4 2,1\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := parseExpungeLog(data)
		if err != nil {
			return
		}
		// What parses is well-formed, bounded, and survives a round trip.
		ranges := 0
		b := formatExpungeHeader(nil, d.uidValidity, d.floor)
		for i, e := range d.entries {
			if e.modseq <= d.floor || (i > 0 && e.modseq <= d.entries[i-1].modseq) || len(e.uids) == 0 {
				t.Fatalf("bad entry %d: %+v", i, e)
			}
			for j, r := range e.uids {
				if r.Start == 0 || r.Stop < r.Start || (j > 0 && r.Start <= e.uids[j-1].Stop) {
					t.Fatalf("bad range %+v in %+v", r, e)
				}
			}
			ranges += len(e.uids)
			b = appendExpungeRecord(b, e)
		}
		if ranges > maxExpungeRanges {
			t.Fatalf("%d ranges", ranges)
		}
		d2, err := parseExpungeLog(b)
		if err != nil || d2.torn || d2.floor != d.floor || d2.uidValidity != d.uidValidity || !reflect.DeepEqual(d2.entries, d.entries) {
			t.Fatalf("round trip of %q: %+v %v", b, d2, err)
		}
	})
}

// BenchmarkExpungedSince: a full log (maxExpungeRanges single-UID
// records), asked about the newer half, on the memory store.
//
//	go test -run='^$' -bench=BenchmarkExpungedSince ./mailbox
func BenchmarkExpungedSince(b *testing.B) {
	s := NewMemoryStore()
	defer s.Close()
	if _, err := s.Append(bg, "bench", Inbox, bytes.NewReader(benchMsg), nil); err != nil {
		b.Fatal(err)
	}
	f, err := s.OpenFolder(bg, "bench", Inbox)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	st := f.st
	st.mu.Lock()
	st.uidNext = 3 * maxExpungeRanges
	start := st.hms
	for i := range maxExpungeRanges {
		var buf []byte
		var ms uint64
		ms, buf = st.nextModSeq(buf)
		st.logWriteSync(buf)
		if err := st.expRecord([]uint32{uint32(2*i + 10)}, ms); err != nil {
			b.Fatal(err)
		}
	}
	mid := start + maxExpungeRanges/2
	st.mu.Unlock()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := f.ExpungedSince(bg, mid); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkExpungeWithLog: flag and expunge one message per iteration on
// a Maildir folder, the expunge log record included (one extra append
// and fsync per expunge).
//
//	go test -run='^$' -bench=BenchmarkExpungeWithLog -benchtime=200x ./mailbox
func BenchmarkExpungeWithLog(b *testing.B) {
	s, err := NewMaildirStore(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	var uids []uint32
	for range b.N {
		r, err := s.Append(bg, "bench", Inbox, bytes.NewReader(benchMsg), nil)
		if err != nil {
			b.Fatal(err)
		}
		uids = append(uids, r.UID)
	}
	f, err := s.OpenFolder(bg, "bench", Inbox)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		set := UIDSetOf(uids[i])
		if _, err := f.SetFlags(bg, set, FlagsAdd, []string{FlagDeleted}, nil); err != nil {
			b.Fatal(err)
		}
		if _, err := f.Expunge(bg, set); err != nil {
			b.Fatal(err)
		}
	}
}

// TestExpungeLogFollowsRename: the log lives in the folder's directory
// and moves with it; a folder deleted and created again starts afresh.
func TestExpungeLogFollowsRename(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		if err := e.s.CreateFolder(bg, "alice", "Work"); err != nil {
			t.Fatal(err)
		}
		for range 3 {
			e.append("alice", "Work", "m\n", nil)
		}
		f := e.open("alice", "Work")
		base := f.HighestModSeq()
		deleteAndExpunge(t, f, 2)
		f.Close()
		if err := e.s.RenameFolder(bg, "alice", "Work", "Done"); err != nil {
			t.Fatal(err)
		}
		f = e.open("alice", "Done")
		if got := expungedSince(t, f, base); got != "2" {
			t.Fatalf("after rename: %q", got)
		}
		f.Close()
		if err := e.s.DeleteFolder(bg, "alice", "Done"); err != nil {
			t.Fatal(err)
		}
		if err := e.s.CreateFolder(bg, "alice", "Done"); err != nil {
			t.Fatal(err)
		}
		e.append("alice", "Done", "m\n", nil)
		f = e.open("alice", "Done")
		if got := expungedSince(t, f, f.HighestModSeq()); got != "" {
			t.Fatalf("recreated folder: %q", got)
		}
	})
}

// TestExpungeLogWriteErrors: when the log cannot be written, no answer
// ever misses an expunge: the expunge still succeeds, the log in memory
// answers, and after a clean restart the answer is conservative.
func TestExpungeLogWriteErrors(t *testing.T) {
	// The append fails (write or fsync), then maybe the rewrite too
	// (create, write, fsync or rename of the new file).
	for _, ops := range []string{"write", "fsync", "write,create", "write,rename", "fsync,rename", "fsync,fsync"} {
		t.Run(ops, func(t *testing.T) {
			root := t.TempDir()
			s, err := NewMaildirStore(root)
			if err != nil {
				t.Fatal(err)
			}
			ff := &faultFS{fsys: s.fs}
			s.fs = ff
			for range 6 {
				if _, err := s.Append(bg, "alice", Inbox, strings.NewReader("m\n"), nil); err != nil {
					t.Fatal(err)
				}
			}
			f, err := s.OpenFolder(bg, "alice", Inbox)
			if err != nil {
				t.Fatal(err)
			}
			base := f.HighestModSeq()
			deleteAndExpunge(t, f, 1) // the log file exists from here
			hit := false
			setHook := func(h func(o, name string) error) {
				ff.mu.Lock()
				ff.hook = h
				ff.mu.Unlock()
			}
			faults := strings.Split(ops, ",")
			setHook(func(o, name string) error {
				if len(faults) > 0 && o == faults[0] && strings.Contains(name, expungeLogFile) {
					faults = faults[1:]
					hit = len(faults) == 0
					return &fs.PathError{Op: o, Path: name, Err: syscall.ENOSPC}
				}
				return nil
			})
			deleteAndExpunge(t, f, 2)
			deleteAndExpunge(t, f, 3)
			setHook(nil)
			if !hit {
				t.Fatalf("the faults %s were not all hit", ops)
			}
			if got := expungedSince(t, f, base); got != "1:3" {
				t.Fatalf("in memory: %q, want 1:3", got)
			}
			f.Close()
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			s, err = NewMaildirStore(root)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			f, err = s.OpenFolder(bg, "alice", Inbox)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			got := expungedSince(t, f, base)
			if got != "1:3" && got != "1:6" {
				t.Fatalf("after restart: %q, want 1:3 (exact) or 1:6 (conservative)", got)
			}
			hm := f.HighestModSeq()
			deleteAndExpunge(t, f, 4)
			if got := expungedSince(t, f, hm); got != "4" {
				t.Fatalf("new expunge after restart: %q", got)
			}
		})
	}
}
