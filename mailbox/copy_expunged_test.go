package mailbox

import (
	"errors"
	"testing"
)

// TestCopyExpungedSincePoll: COPY is all or nothing (RFC 3501 section
// 6.4.7), so Copy and Move of a set holding a message that another
// session expunged since this handle's last Poll fail with
// ErrNoSuchMessage (IMAP [EXPUNGEISSUED]) and copy nothing; after the
// Poll, the same set copies what is left.
func TestCopyExpungedSincePoll(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		for range 3 {
			e.append("alice", Inbox, "Subject: x\n\nbody\n", nil)
		}
		if err := e.s.CreateFolder(bg, "alice", "Dest"); err != nil {
			t.Fatal(err)
		}
		a := e.open("alice", Inbox)
		b := e.open("alice", Inbox)
		if _, err := b.SetFlags(bg, UIDSetOf(2), FlagsAdd, []string{`\Deleted`}, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := b.Expunge(bg, nil); err != nil {
			t.Fatal(err)
		}
		all := UIDSet{{1, 3}}
		if _, err := a.Copy(bg, all, "Dest"); !errors.Is(err, ErrNoSuchMessage) {
			t.Fatalf("Copy = %v, want ErrNoSuchMessage", err)
		}
		if _, err := a.Move(bg, all, "Dest"); !errors.Is(err, ErrNoSuchMessage) {
			t.Fatalf("Move = %v, want ErrNoSuchMessage", err)
		}
		if st, err := e.s.Status(bg, "alice", "Dest"); err != nil || st.Messages != 0 {
			t.Fatalf("Dest after failed copies: %+v, %v; want empty", st, err)
		}
		if got := uidsOf(a.Messages()); !equalUIDs(got, []uint32{1, 2, 3}) {
			t.Fatalf("view after failed Move = %v", got)
		}
		// A set without the expunged message still copies.
		if res, err := a.Copy(bg, UIDSetOf(1, 3), "Dest"); err != nil || len(res.DestUIDs) != 2 {
			t.Fatalf("Copy 1,3 = %+v, %v", res, err)
		}
		e.poll(a)
		if res, err := a.Move(bg, all, "Dest"); err != nil || !equalUIDs(res.SourceUIDs, []uint32{1, 3}) {
			t.Fatalf("Move after Poll = %+v, %v", res, err)
		}
	})
}
