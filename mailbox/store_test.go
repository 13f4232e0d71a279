package mailbox

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"io"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestAppendReadCRLF(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		body := "Subject: hi\n\nline one\r\nline two\nend"
		want := "Subject: hi\r\n\r\nline one\r\nline two\r\nend"
		date := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
		r := e.append("alice", "INBOX", body, &AppendOptions{InternalDate: date})
		if r.UID != 1 || r.UIDValidity == 0 || r.Size != int64(len(want)) || r.ModSeq == 0 {
			t.Fatalf("AppendResult = %+v", r)
		}
		f := e.open("alice", "INBOX")
		ms := f.Messages()
		if len(ms) != 1 || ms[0].UID != 1 || ms[0].Size != int64(len(want)) || !ms[0].InternalDate.Equal(date) || len(ms[0].Flags) != 0 {
			t.Fatalf("Messages = %+v", ms)
		}
		if got := e.read(f, 1); got != want {
			t.Fatalf("content = %q, want %q", got, want)
		}
		// Random access.
		mr, err := f.Open(bg, 1)
		if err != nil {
			t.Fatal(err)
		}
		defer mr.Close()
		buf := make([]byte, 8)
		n, err := mr.ReadAt(buf, 15)
		if n != 8 || string(buf) != want[15:23] || (err != nil && err != io.EOF) {
			t.Fatalf("ReadAt = %d %q %v", n, buf[:n], err)
		}
		n, err = mr.ReadAt(buf, int64(len(want)-3))
		if n != 3 || err != io.EOF || string(buf[:3]) != "end" {
			t.Fatalf("ReadAt at end = %d %q %v", n, buf[:n], err)
		}
		// Without flags the file is in new/, named with its sizes.
		nf := e.files("alice", "INBOX", "new")
		if len(nf) != 1 || !strings.Contains(nf[0], ",S=38,W=38") || strings.Contains(nf[0], ":") {
			t.Fatalf("new/ = %v", nf)
		}
		if _, err := f.Open(bg, 2); !errors.Is(err, ErrNoSuchMessage) {
			t.Fatalf("Open(2) = %v", err)
		}
		st, err := e.s.Status(bg, "alice", "INBOX")
		if err != nil || st.Messages != 1 || st.Unseen != 1 || st.UIDNext != 2 || st.Size != int64(len(want)) || st.HighestModSeq < r.ModSeq {
			t.Fatalf("Status = %+v, %v", st, err)
		}
	})
}

func TestAppendNoSuchFolder(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		_, err := e.s.Append(bg, "alice", "Nope", strings.NewReader("x"), nil)
		if !errors.Is(err, ErrNoSuchFolder) {
			t.Fatalf("Append to missing folder: %v", err)
		}
		if _, err := e.s.Append(bg, "alice", "INBOX", strings.NewReader("x"), &AppendOptions{Flags: []string{`\Recent`}}); !errors.Is(err, ErrInvalidFlag) {
			t.Fatalf("Append with \\Recent: %v", err)
		}
		if _, err := e.s.Append(bg, "../etc", "INBOX", strings.NewReader("x"), nil); !errors.Is(err, ErrInvalidName) {
			t.Fatalf("Append for user ../etc: %v", err)
		}
	})
}

func TestFlagsInFileNames(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		e.append("alice", "INBOX", "a\n", &AppendOptions{Flags: []string{`\Seen`}})
		e.append("alice", "INBOX", "b\n", nil)
		cur := e.files("alice", "INBOX", "cur")
		if len(cur) != 1 || !strings.HasSuffix(cur[0], ":2,S") {
			t.Fatalf("cur/ = %v", cur)
		}
		f := e.open("alice", "INBOX")
		res, err := f.SetFlags(bg, UIDSetOf(2), FlagsAdd, []string{`\flagged`, `\Answered`, "$Forwarded", "Work"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Messages) != 1 || !hasFlags(res.Messages[0], FlagFlagged, FlagAnswered, "$Forwarded", "Work") || res.Messages[0].ModSeq != res.ModSeq {
			t.Fatalf("SetFlags = %+v", res)
		}
		if n := e.files("alice", "INBOX", "new"); len(n) != 0 {
			t.Fatalf("message stayed in new/: %v", n)
		}
		cur = e.files("alice", "INBOX", "cur")
		if len(cur) != 2 || !strings.HasSuffix(cur[0], ":2,FRab") && !strings.HasSuffix(cur[1], ":2,FRab") {
			t.Fatalf("cur/ = %v, want one ending :2,FRab", cur)
		}
		kw, err := e.fs.ReadFile("alice/" + keywordsFile)
		if err != nil || string(kw) != "0 $Forwarded\n1 Work\n" {
			t.Fatalf("dovecot-keywords = %q, %v", kw, err)
		}
		// Remove some; replace on the other.
		if _, err := f.SetFlags(bg, UIDSetOf(2), FlagsRemove, []string{`\Answered`, "$Forwarded"}, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := f.SetFlags(bg, UIDSetOf(1), FlagsReplace, []string{`\Deleted`, `\Draft`, "Work"}, nil); err != nil {
			t.Fatal(err)
		}
		cur = e.files("alice", "INBOX", "cur")
		if !strings.HasSuffix(cur[0], ":2,DTb") && !strings.HasSuffix(cur[1], ":2,DTb") {
			t.Fatalf("cur/ = %v, want one ending :2,DTb", cur)
		}
		f.Close()
		e.reopen()
		f = e.open("alice", "INBOX")
		ms := f.Messages()
		if len(ms) != 2 || !hasFlags(ms[0], FlagDeleted, FlagDraft, "Work") || !hasFlags(ms[1], FlagFlagged, "Work") {
			t.Fatalf("after reopen: %+v", ms)
		}
		if !slices.Equal(f.Keywords(), []string{"$Forwarded", "Work"}) {
			t.Fatalf("Keywords = %v", f.Keywords())
		}
		if _, err := f.SetFlags(bg, UIDSetOf(1), FlagsAdd, []string{"bad(kw"}, nil); !errors.Is(err, ErrInvalidFlag) {
			t.Fatalf("bad keyword: %v", err)
		}
	})
}

func TestTooManyKeywords(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		e.append("alice", "INBOX", "a\n", nil)
		f := e.open("alice", "INBOX")
		for i := 0; i < 26; i++ {
			if _, err := f.SetFlags(bg, UIDSetOf(1), FlagsAdd, []string{"k" + string(rune('a'+i))}, nil); err != nil {
				t.Fatal(i, err)
			}
		}
		if f.CanCreateKeywords() {
			t.Fatal("CanCreateKeywords with 26 keywords")
		}
		if _, err := f.SetFlags(bg, UIDSetOf(1), FlagsAdd, []string{"one-more"}, nil); !errors.Is(err, ErrTooManyKeywords) {
			t.Fatalf("27th keyword: %v", err)
		}
		if len(f.Messages()[0].Flags) != 26 {
			t.Fatalf("flags = %v", f.Messages()[0].Flags)
		}
	})
}

func TestUIDsPersistAcrossReopen(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		var uv uint32
		for i := 0; i < 5; i++ {
			uv = e.append("alice", "INBOX", "m\n", nil).UIDValidity
		}
		f := e.open("alice", "INBOX")
		if _, err := f.SetFlags(bg, UIDSetOf(2), FlagsAdd, []string{FlagDeleted}, nil); err != nil {
			t.Fatal(err)
		}
		if gone, err := f.Expunge(bg, nil); err != nil || !equalUIDs(gone, []uint32{2}) {
			t.Fatalf("Expunge = %v %v", gone, err)
		}
		hms := f.HighestModSeq()
		f.Close()
		e.reopen()
		f = e.open("alice", "INBOX")
		if f.UIDValidity() != uv || !equalUIDs(uidsOf(f.Messages()), []uint32{1, 3, 4, 5}) || f.UIDNext() != 6 {
			t.Fatalf("after reopen: uidvalidity %d (want %d), uids %v, uidnext %d", f.UIDValidity(), uv, uidsOf(f.Messages()), f.UIDNext())
		}
		if f.HighestModSeq() != hms {
			t.Fatalf("HIGHESTMODSEQ %d after clean reopen, want %d", f.HighestModSeq(), hms)
		}
		if r := e.append("alice", "INBOX", "m\n", nil); r.UID != 6 || r.UIDValidity != uv {
			t.Fatalf("append after reopen: %+v", r)
		}
		f.Close()
		// The last UID expunged: UIDNEXT must not go back.
		f = e.open("alice", "INBOX")
		f.SetFlags(bg, UIDSetOf(6), FlagsAdd, []string{FlagDeleted}, nil)
		f.Expunge(bg, nil)
		f.Close()
		e.reopen()
		if r := e.append("alice", "INBOX", "m\n", nil); r.UID != 7 {
			t.Fatalf("UID reused after expunge+reopen: %+v", r)
		}
	})
}

func TestModSeqAfterCrash(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		e.append("alice", "INBOX", "a\n", nil)
		e.append("alice", "INBOX", "b\n", nil)
		e.reopen() // index written: clean
		f := e.open("alice", "INBOX")
		res, err := f.SetFlags(bg, UIDSetOf(1), FlagsAdd, []string{FlagSeen}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.SetFlags(bg, UIDSetOf(1), FlagsRemove, []string{FlagSeen}, nil); err != nil {
			t.Fatal(err)
		}
		last := f.HighestModSeq()
		e.crash() // the index does not know these MODSEQs
		f = e.open("alice", "INBOX")
		ms := f.Messages()
		// A client that saw \Seen at res.ModSeq must learn about the
		// change back: every message's MODSEQ must be above what was
		// handed out before the crash.
		for _, m := range ms {
			if m.ModSeq <= last {
				t.Fatalf("after crash MODSEQ %d of UID %d <= %d handed out before (first change %d)", m.ModSeq, m.UID, last, res.ModSeq)
			}
		}
		if f.HighestModSeq() <= last || !equalUIDs(uidsOf(ms), []uint32{1, 2}) {
			t.Fatalf("after crash: hms %d, uids %v", f.HighestModSeq(), uidsOf(ms))
		}
	})
}

func TestUnchangedSince(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		e.append("alice", "INBOX", "a\n", nil)
		e.append("alice", "INBOX", "b\n", nil)
		f := e.open("alice", "INBOX")
		r1, _ := f.SetFlags(bg, UIDSetOf(1), FlagsAdd, []string{FlagFlagged}, nil)
		ms := f.Messages()
		since := ms[1].ModSeq // message 2 unchanged since; message 1 changed after
		if r1.ModSeq <= since {
			t.Fatalf("modseq did not grow: %d <= %d", r1.ModSeq, since)
		}
		res, err := f.SetFlags(bg, UIDSet{{1, 0}}, FlagsAdd, []string{FlagSeen}, &StoreOptions{UnchangedSince: since, CheckUnchanged: true})
		if err != nil {
			t.Fatal(err)
		}
		if !equalUIDs(res.Modified, []uint32{1}) || len(res.Messages) != 1 || res.Messages[0].UID != 2 || !res.Messages[0].HasFlag(FlagSeen) {
			t.Fatalf("UNCHANGEDSINCE result %+v", res)
		}
		if f.Messages()[0].HasFlag(FlagSeen) {
			t.Fatal("message 1 changed despite UNCHANGEDSINCE")
		}
	})
}

func TestIndexRebuilt(t *testing.T) {
	cases := []struct {
		name     string
		damage   func(e *env)
		sameUIDV bool
	}{
		{"index deleted", func(e *env) { e.fs.Remove("alice/" + indexFile) }, true},
		{"index corrupt", func(e *env) {
			overwrite(e, "alice/"+indexFile, func(b []byte) []byte { b[len(b)/2] ^= 0x55; return b })
		}, true},
		{"index truncated", func(e *env) { overwrite(e, "alice/"+indexFile, func(b []byte) []byte { return b[:len(b)/2] }) }, true},
		{"uidlist deleted", func(e *env) { e.fs.Remove("alice/" + uidlistFile) }, true},
		{"uidlist garbage line", func(e *env) {
			overwrite(e, "alice/"+uidlistFile, func(b []byte) []byte {
				i := strings.Index(string(b), "\n+2 ")
				return append(append(b[:i+1:i+1], "+zz garbage\n"...), b[i+1:]...)
			})
		}, true},
		{"uidlist torn tail", func(e *env) {
			overwrite(e, "alice/"+uidlistFile, func(b []byte) []byte { return append(b, "+9 1234.M1P1Q1.tor"...) })
		}, true},
		{"both deleted", func(e *env) { e.fs.Remove("alice/" + indexFile); e.fs.Remove("alice/" + uidlistFile) }, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			eachStore(t, func(t *testing.T, e *env) {
				var uv uint32
				for i := 0; i < 4; i++ {
					uv = e.append("alice", "INBOX", "m\n", nil).UIDValidity
				}
				f := e.open("alice", "INBOX")
				f.SetFlags(bg, UIDSetOf(1, 2), FlagsAdd, []string{FlagDeleted}, nil)
				f.Expunge(bg, UIDSetOf(1))
				f.SetFlags(bg, UIDSetOf(3), FlagsAdd, []string{FlagSeen, "Kw"}, nil)
				f.Close()
				e.reopen()
				c.damage(e)
				e.reopen()
				f = e.open("alice", "INBOX")
				ms := f.Messages()
				if !equalUIDs(uidsOf(ms), []uint32{2, 3, 4}) && c.sameUIDV {
					t.Fatalf("UIDs after rebuild %v, want [2 3 4]", uidsOf(ms))
				}
				if (f.UIDValidity() == uv) != c.sameUIDV {
					t.Fatalf("UIDVALIDITY %d, before %d, want same: %v", f.UIDValidity(), uv, c.sameUIDV)
				}
				if len(ms) != 3 || !hasFlags(ms[0], FlagDeleted) || !hasFlags(ms[1], FlagSeen, "Kw") {
					t.Fatalf("messages after rebuild: %+v", ms)
				}
				if r := e.append("alice", "INBOX", "m\n", nil); c.sameUIDV && r.UID != 5 {
					t.Fatalf("next UID %d, want 5", r.UID)
				}
				f.Close()
				// And it stays consistent on the next open.
				e.reopen()
				f = e.open("alice", "INBOX")
				if len(f.Messages()) != 4 {
					t.Fatalf("after second reopen: %v", uidsOf(f.Messages()))
				}
			})
		})
	}
}

func overwrite(e *env, name string, edit func([]byte) []byte) {
	e.t.Helper()
	b, err := e.fs.ReadFile(name)
	if err != nil {
		e.t.Fatal(err)
	}
	b = edit(b)
	e.fs.Remove(name)
	f, err := e.fs.Create(name)
	if err != nil {
		e.t.Fatal(err)
	}
	f.Write(b)
	f.Close()
}

func TestExternalDrop(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		e.append("alice", "INBOX", "first\n", nil)
		f := e.open("alice", "INBOX")
		// Another MDA drops a message with LF line endings into new/.
		content := "From: x\nSubject: dropped\n\nhello\n"
		crlf := strings.ReplaceAll(content, "\n", "\r\n")
		date := time.Date(2023, 5, 6, 7, 8, 9, 0, time.UTC)
		e.drop("alice", "INBOX", "new", "1683356889.P99Q1.otherhost", content, date)
		u := e.poll(f)
		if len(u.Added) != 1 || u.Added[0].UID != 2 || u.Added[0].Size != int64(len(crlf)) || !u.Added[0].InternalDate.Equal(date) {
			t.Fatalf("Poll after drop: %+v", u)
		}
		if got := e.read(f, 2); got != crlf {
			t.Fatalf("content %q, want %q", got, crlf)
		}
		// Partial reads of an LF file see the CRLF form.
		mr, _ := f.Open(bg, 2)
		for _, off := range []int{0, 5, 7, 8, 20, len(crlf) - 2, 3} {
			buf := make([]byte, 6)
			n, _ := mr.ReadAt(buf, int64(off))
			want := crlf[off:min(off+6, len(crlf))]
			if string(buf[:n]) != want {
				t.Fatalf("ReadAt(%d) = %q, want %q", off, buf[:n], want)
			}
		}
		mr.Close()
		// A mail reader moves it to cur/ and marks it seen: same UID.
		if err := e.fs.Rename("alice/new/1683356889.P99Q1.otherhost", "alice/cur/1683356889.P99Q1.otherhost:2,S"); err != nil {
			t.Fatal(err)
		}
		u = e.poll(f)
		if len(u.Changed) != 1 || u.Changed[0].UID != 2 || !hasFlags(u.Changed[0], FlagSeen) || len(u.Added)+len(u.Expunged) != 0 {
			t.Fatalf("Poll after move to cur/: %+v", u)
		}
		// Dropped straight into cur/ with flags.
		e.drop("alice", "INBOX", "cur", "1683356890.P99Q2.otherhost:2,FS", "x\r\n", time.Time{})
		u = e.poll(f)
		if len(u.Added) != 1 || u.Added[0].UID != 3 || !hasFlags(u.Added[0], FlagFlagged, FlagSeen) {
			t.Fatalf("Poll after drop into cur/: %+v", u)
		}
		// Deleted by the other program.
		if err := e.fs.Remove("alice/cur/1683356889.P99Q1.otherhost:2,S"); err != nil {
			t.Fatal(err)
		}
		u = e.poll(f)
		if !equalUIDs(u.Expunged, []uint32{2}) {
			t.Fatalf("Poll after removal: %+v", u)
		}
		f.Close()
		// UIDs survive a restart, and the next delivery goes above them.
		e.reopen()
		f = e.open("alice", "INBOX")
		if !equalUIDs(uidsOf(f.Messages()), []uint32{1, 3}) {
			t.Fatalf("after reopen %v", uidsOf(f.Messages()))
		}
		if r := e.append("alice", "INBOX", "z\n", nil); r.UID != 4 {
			t.Fatalf("next UID %d", r.UID)
		}
	})
}

func TestTmpCleanup(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		e.append("alice", "INBOX", "m\n", nil)
		old := time.Now().Add(-37 * time.Hour)
		e.drop("alice", "INBOX", "tmp", "old.P1Q1.otherhost", "x", old)
		e.drop("alice", "INBOX", "tmp", "fresh.P1Q1.otherhost", "x", time.Time{})
		e.drop("alice", "INBOX", "tmp", "1700000000.M1P1Q1Xdeadbeef.host", "partial", time.Time{})
		e.reopen()
		e.open("alice", "INBOX")
		if got := e.files("alice", "INBOX", "tmp"); !slices.Equal(got, []string{"fresh.P1Q1.otherhost"}) {
			t.Fatalf("tmp/ after open = %v", got)
		}
	})
}

// TestLargeMessageStreams appends and reads back a 50 MB message and
// checks that memory use stays far below the message size.
func TestLargeMessageStreams(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 50 MB")
	}
	e := storeKinds[0].open(t)             // on disk: the memory store holds mail in memory by design
	const size = 50 << 20 / 79 * 79        // whole lines
	line := strings.Repeat("x", 78) + "\n" // LF: stored as CRLF
	src := io.LimitReader(&repeatReader{s: line}, size)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	r, err := e.s.Append(bg, "big", Inbox, src, nil)
	if err != nil {
		t.Fatal(err)
	}
	lines := int64(size / len(line))
	if r.Size != size+lines {
		t.Fatalf("size %d, want %d", r.Size, size+lines)
	}
	f := e.open("big", Inbox)
	mr, err := f.Open(bg, r.UID)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	n, err := io.Copy(h, mr)
	mr.Close()
	runtime.ReadMemStats(&after)
	if err != nil || n != r.Size {
		t.Fatalf("read %d, %v", n, err)
	}
	want := sha256.New()
	io.Copy(want, io.LimitReader(&repeatReader{s: strings.ReplaceAll(line, "\n", "\r\n")}, size+lines))
	if !bytes.Equal(h.Sum(nil), want.Sum(nil)) {
		t.Fatal("content differs")
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 8<<20 {
		t.Fatalf("allocated %d MB for a 50 MB message", grew>>20)
	}
}

// repeatReader repeats a string forever.
type repeatReader struct {
	s   string
	off int
}

func (r *repeatReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		c := copy(p[n:], r.s[r.off:])
		n += c
		r.off = (r.off + c) % len(r.s)
	}
	return n, nil
}

func TestRootLock(t *testing.T) {
	root := t.TempDir()
	s, err := NewMaildirStore(root)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewMaildirStore(root); !errors.Is(err, ErrLocked) {
		t.Fatalf("second store on one root: %v", err)
	}
	s.Close()
	s2, err := NewMaildirStore(root)
	if err != nil {
		t.Fatalf("after Close: %v", err)
	}
	s2.Close()
	if _, err := s2.Append(bg, "a", Inbox, strings.NewReader("x"), nil); !errors.Is(err, ErrClosed) {
		t.Fatalf("Append on closed store: %v", err)
	}
}

// TestIndexAvoidsListing checks that a quiet folder opens from its index
// without listing new/ or cur/, and that a change made meanwhile by
// another program (which moves the directory mtime) is still seen.
func TestIndexAvoidsListing(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		for i := 0; i < 20; i++ {
			e.append("alice", Inbox, "m\n", nil)
		}
		old := time.Now().Add(-time.Hour)
		e.fs.Chtimes("alice/new", old)
		e.fs.Chtimes("alice/cur", old)
		e.reopen()
		e.open("alice", Inbox).Close() // lists (index stale), writes the index
		e.reopen()
		var n atomic.Int64
		e.s.fs = &countingFS{fsys: e.s.fs, readDirs: &n}
		f := e.open("alice", Inbox)
		if len(f.Messages()) != 20 || n.Load() != 0 {
			t.Fatalf("%d messages, %d listings", len(f.Messages()), n.Load())
		}
		f.Close()
		e.reopen()
		e.drop("alice", Inbox, "new", "1.P1Q1.other", "dropped\n", time.Time{})
		f = e.open("alice", Inbox)
		if len(f.Messages()) != 21 {
			t.Fatalf("dropped message not seen: %d", len(f.Messages()))
		}
	})
}
