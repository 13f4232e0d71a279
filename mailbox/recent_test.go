package mailbox

import (
	"bytes"
	"fmt"
	"hash/crc32"
	"testing"
)

// TestRecentTakenOnce: \Recent (RFC 3501 section 2.3.2) goes to the first
// handle that takes it and to no other; Recent only looks; Status counts
// what no handle took; a store reopened on the same data (a restart)
// remembers what was taken, and a new message is recent again.
func TestRecentTakenOnce(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		for range 2 {
			e.append("alice", Inbox, "Subject: x\n\nbody\n", nil)
		}
		recentCount := func() uint32 {
			t.Helper()
			st, err := e.s.Status(bg, "alice", Inbox)
			if err != nil {
				t.Fatal(err)
			}
			return st.Recent
		}
		f := e.open("alice", Inbox)
		g := e.open("alice", Inbox)
		uids := uidsOf(f.Messages())
		if got := f.Recent(uids); !equalUIDs(got, uids) {
			t.Fatalf("Recent = %v, want %v", got, uids)
		}
		if n := recentCount(); n != 2 {
			t.Fatalf("Status.Recent after looking = %d, want 2", n)
		}
		if got := f.TakeRecent(uids); !equalUIDs(got, uids) {
			t.Fatalf("TakeRecent = %v, want %v", got, uids)
		}
		if got := g.TakeRecent(uids); len(got) != 0 {
			t.Fatalf("second TakeRecent = %v, want none", got)
		}
		if n := recentCount(); n != 0 {
			t.Fatalf("Status.Recent after taking = %d, want 0", n)
		}
		f.Close()
		g.Close()
		third := e.append("alice", Inbox, "Subject: y\n\nbody\n", nil).UID
		e.reopen()
		h := e.open("alice", Inbox)
		defer h.Close()
		if got := h.Recent(uidsOf(h.Messages())); !equalUIDs(got, []uint32{third}) {
			t.Fatalf("Recent after reopening = %v, want [%d]", got, third)
		}
		if n := recentCount(); n != 1 {
			t.Fatalf("Status.Recent after reopening = %d, want 1", n)
		}
	})
}

// TestIndexWithoutFirstRecent: an index written before first-recent
// existed still loads, and none of the messages it knows is recent.
func TestIndexWithoutFirstRecent(t *testing.T) {
	body := "MWIDX1 7 3 9 1009 ab 40 0 0 0 1\n1 5 10 10 0 c 1.x:2,\n"
	data := fmt.Sprintf("%send %x\n", body, crc32.ChecksumIEEE([]byte(body)))
	idx, err := parseIndex([]byte(data))
	if err != nil {
		t.Fatal(err)
	}
	if idx.firstRecent != 3 {
		t.Fatalf("firstRecent = %d, want uidnext 3", idx.firstRecent)
	}
	var b bytes.Buffer
	idx.firstRecent = 2
	if err := formatIndex(&b, idx, idx.msgs); err != nil {
		t.Fatal(err)
	}
	if idx2, err := parseIndex(b.Bytes()); err != nil || idx2.firstRecent != 2 {
		t.Fatalf("round trip: %+v, %v", idx2, err)
	}
}
