// Package backendtest is a conformance suite for imap.Backend
// implementations, in the spirit of testing/fstest.TestFS: a backend's own
// tests call Run with a function that makes a fresh, empty backend.
//
//	func TestIMAPBackend(t *testing.T) {
//		backendtest.Run(t, func(t *testing.T) backendtest.Harness {
//			return backendtest.Harness{Backend: myBackend(t), Username: "alice", Password: "secret"}
//		})
//	}
//
// Memory, the reference backend, passes it: read memory.go before
// writing a backend of your own, or serve Memory in tests of IMAP clients.
package backendtest

import (
	"context"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mailwright/mailwright/imap"
)

// Harness is a fresh backend with one user whose INBOX is empty.
type Harness struct {
	Backend            imap.Backend
	Username, Password string
}

const testMsg = "From: a@example.org\r\nSubject: test\r\n\r\nbody\r\n"

// Run runs the conformance tests, each on a new backend from newBackend.
func Run(t *testing.T, newBackend func(t *testing.T) Harness) {
	login := func(t *testing.T) (Harness, imap.User) {
		t.Helper()
		h := newBackend(t)
		u, err := h.Backend.Login(t.Context(), imap.ConnInfo{}, h.Username, h.Password)
		if err != nil {
			t.Fatalf("Login: %v", err)
		}
		t.Cleanup(func() { u.Logout() })
		return h, u
	}
	ctx := context.Background()
	appendMsg := func(t *testing.T, u imap.User, name string, flags ...string) imap.AppendResult {
		t.Helper()
		res, err := u.Append(ctx, name, strings.NewReader(testMsg), &imap.AppendOptions{Flags: flags, Size: int64(len(testMsg)),
			InternalDate: time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)})
		if err != nil {
			t.Fatalf("Append: %v", err)
		}
		return res
	}
	open := func(t *testing.T, u imap.User, name string) imap.Mailbox {
		t.Helper()
		mb, err := u.Open(ctx, name, false)
		if err != nil {
			t.Fatalf("Open(%s): %v", name, err)
		}
		t.Cleanup(func() { mb.Close() })
		return mb
	}
	wantCode := func(t *testing.T, op string, err error, code string) {
		t.Helper()
		var e *imap.Error
		if !errors.As(err, &e) || e.Code != code {
			t.Errorf("%s: error %v, want an *imap.Error with code %s", op, err, code)
		}
	}
	// The target of APPEND, COPY or MOVE is missing: the docs ask for
	// TRYCREATE, and the server takes NONEXISTENT as the same.
	wantMissingTarget := func(t *testing.T, op string, err error) {
		t.Helper()
		var e *imap.Error
		if !errors.As(err, &e) || (e.Code != "TRYCREATE" && e.Code != "NONEXISTENT") {
			t.Errorf("%s: error %v, want an *imap.Error with code TRYCREATE (or NONEXISTENT)", op, err)
		}
	}

	t.Run("Login", func(t *testing.T) {
		h := newBackend(t)
		_, err := h.Backend.Login(ctx, imap.ConnInfo{}, h.Username, h.Password+"x")
		if !errors.Is(err, imap.ErrAuthFailed) {
			t.Errorf("Login with a wrong password: %v, want ErrAuthFailed", err)
		}
		u, err := h.Backend.Login(ctx, imap.ConnInfo{}, h.Username, h.Password)
		if err != nil {
			t.Fatal(err)
		}
		if u.Username() == "" {
			t.Error("Username is empty")
		}
		u.Logout()
	})

	t.Run("SASL", func(t *testing.T) { testSASL(t, newBackend(t)) })

	t.Run("Folders", func(t *testing.T) {
		_, u := login(t)
		if err := u.Create(ctx, "A/B", nil); err != nil {
			t.Fatal(err)
		}
		wantCode(t, "Create existing", u.Create(ctx, "A/B", nil), "ALREADYEXISTS")
		list, err := u.List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		byName := map[string]imap.MailboxInfo{}
		for _, mi := range list {
			byName[mi.Name] = mi
		}
		if _, ok := byName["INBOX"]; !ok {
			t.Error("INBOX not listed")
		}
		if !byName["A"].HasChildren || byName["A/B"].HasChildren {
			t.Errorf("children: A %+v, A/B %+v", byName["A"], byName["A/B"])
		}
		if err := u.Rename(ctx, "A", "C"); err != nil {
			t.Fatal(err)
		}
		if _, err := u.Status(ctx, "C/B"); err != nil {
			t.Errorf("Status after rename: %v", err)
		}
		_, err = u.Status(ctx, "A/B")
		wantCode(t, "Status of renamed-away", err, "NONEXISTENT")
		if err := u.Delete(ctx, "C/B"); err != nil {
			t.Fatal(err)
		}
		wantCode(t, "Delete missing", u.Delete(ctx, "C/B"), "NONEXISTENT")
		if err := u.Create(ctx, "Special", &imap.CreateOptions{SpecialUse: `\Archive`}); err != nil {
			var e *imap.Error
			if !errors.As(err, &e) || e.Code != "USEATTR" {
				t.Errorf("Create with special use: %v", err)
			}
		}
		if err := u.Subscribe(ctx, "C"); err != nil {
			t.Fatal(err)
		}
		subs, _ := u.Subscriptions(ctx)
		if !slices.Contains(subs, "C") {
			t.Errorf("Subscriptions = %v", subs)
		}
		u.Unsubscribe(ctx, "C")
		subs, _ = u.Subscriptions(ctx)
		if slices.Contains(subs, "C") {
			t.Errorf("Subscriptions after Unsubscribe = %v", subs)
		}
	})

	t.Run("AppendOpenRead", func(t *testing.T) {
		_, u := login(t)
		res := appendMsg(t, u, "INBOX", imap.FlagSeen)
		_, err := u.Append(ctx, "Missing", strings.NewReader(testMsg), &imap.AppendOptions{Size: int64(len(testMsg))})
		wantMissingTarget(t, "Append to missing", err)
		mb := open(t, u, "INBOX")
		msgs := mb.Messages()
		if len(msgs) != 1 || msgs[0].UID != res.UID || mb.UIDValidity() != res.UIDValidity {
			t.Fatalf("Messages = %+v, append %+v", msgs, res)
		}
		if msgs[0].Size != int64(len(testMsg)) || !slices.Contains(msgs[0].Flags, imap.FlagSeen) {
			t.Errorf("message info %+v", msgs[0])
		}
		if mb.UIDNext() <= res.UID {
			t.Errorf("UIDNext %d <= UID %d", mb.UIDNext(), res.UID)
		}
		r, err := mb.Open(ctx, res.UID)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		b, err := io.ReadAll(io.NewSectionReader(r, 0, r.Size()))
		if err != nil || string(b) != testMsg {
			t.Errorf("content %q, %v", b, err)
		}
		st, err := u.Status(ctx, "INBOX")
		if err != nil || st.Messages != 1 || st.Unseen != 0 {
			t.Errorf("Status = %+v, %v", st, err)
		}
	})

	// RFC 4469 (CATENATE): the server does not know the size in advance
	// and passes -1; the backend reads to the end.
	t.Run("AppendUnknownSize", func(t *testing.T) {
		_, u := login(t)
		res, err := u.Append(ctx, "INBOX", strings.NewReader(testMsg), &imap.AppendOptions{Size: -1})
		if err != nil {
			t.Fatal(err)
		}
		r, err := open(t, u, "INBOX").Open(ctx, res.UID)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		if b, err := io.ReadAll(io.NewSectionReader(r, 0, r.Size())); err != nil || string(b) != testMsg {
			t.Errorf("content %q, %v", b, err)
		}
	})

	t.Run("URLAuth", func(t *testing.T) {
		h, u := login(t)
		testURLAuth(t, h, u)
	})

	t.Run("FlagsCopyMoveExpunge", func(t *testing.T) {
		_, u := login(t)
		r1 := appendMsg(t, u, "INBOX")
		r2 := appendMsg(t, u, "INBOX")
		if err := u.Create(ctx, "Dest", nil); err != nil {
			t.Fatal(err)
		}
		mb := open(t, u, "INBOX")
		set := imap.SeqSetFromNumbers([]uint32{r1.UID})
		fr, err := mb.SetFlags(ctx, set, imap.StoreAdd, []string{imap.FlagFlagged, "$Label"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(fr.Messages) != 1 || !slices.Contains(fr.Messages[0].Flags, "$Label") {
			t.Errorf("SetFlags = %+v", fr)
		}
		if !slices.Contains(mb.Keywords(), "$Label") {
			t.Errorf("Keywords = %v", mb.Keywords())
		}
		fr, _ = mb.SetFlags(ctx, set, imap.StoreRemove, []string{"$Label"}, nil)
		if len(fr.Messages) != 1 || slices.Contains(fr.Messages[0].Flags, "$Label") {
			t.Errorf("SetFlags remove = %+v", fr)
		}
		cr, err := mb.Copy(ctx, set, "Dest")
		if err != nil || len(cr.DestUIDs) != 1 || cr.SourceUIDs[0] != r1.UID {
			t.Fatalf("Copy = %+v, %v", cr, err)
		}
		_, err = mb.Copy(ctx, set, "Missing")
		wantMissingTarget(t, "Copy to missing", err)
		_, err = mb.Move(ctx, set, "Missing")
		wantMissingTarget(t, "Move to missing", err)
		if n := len(mb.Messages()); n != 2 {
			t.Errorf("after a failed Move: %d messages in view, want 2", n)
		}
		mr, err := mb.Move(ctx, imap.SeqSetFromNumbers([]uint32{r2.UID}), "Dest")
		if err != nil || len(mr.DestUIDs) != 1 {
			t.Fatalf("Move = %+v, %v", mr, err)
		}
		if n := len(mb.Messages()); n != 1 {
			t.Errorf("after Move: %d messages in view", n)
		}
		mb.SetFlags(ctx, set, imap.StoreAdd, []string{imap.FlagDeleted}, nil)
		gone, err := mb.Expunge(ctx, nil)
		if err != nil || len(gone) != 1 || gone[0] != r1.UID {
			t.Errorf("Expunge = %v, %v", gone, err)
		}
		st, _ := u.Status(ctx, "Dest")
		if st.Messages != 2 {
			t.Errorf("Dest has %d messages", st.Messages)
		}
	})

	// RFC 5465 (NOTIFY), for a User that offers it (imap.NotifyUser):
	// changes to any mailbox reach a watch of the user's mailboxes.
	t.Run("Watch", func(t *testing.T) {
		_, u := login(t)
		testWatch(t, u)
	})

	t.Run("PollAndUpdates", func(t *testing.T) {
		_, u := login(t)
		appendMsg(t, u, "INBOX")
		a := open(t, u, "INBOX")
		b := open(t, u, "INBOX")
		res := appendMsg(t, u, "INBOX")
		select {
		case <-a.Updates():
		case <-time.After(5 * time.Second):
			t.Fatal("no update after Append")
		}
		if n := len(a.Messages()); n != 1 {
			t.Errorf("view moved before Poll: %d messages", n)
		}
		up, err := a.Poll(ctx)
		if err != nil || len(up.Added) != 1 || up.Added[0].UID != res.UID {
			t.Fatalf("Poll = %+v, %v", up, err)
		}
		b.Poll(ctx)
		set := imap.SeqSetFromNumbers([]uint32{res.UID})
		if _, err := b.SetFlags(ctx, set, imap.StoreAdd, []string{imap.FlagDeleted}, nil); err != nil {
			t.Fatal(err)
		}
		up, _ = a.Poll(ctx)
		if len(up.Changed) != 1 || !slices.Contains(up.Changed[0].Flags, imap.FlagDeleted) {
			t.Errorf("Poll after flag change = %+v", up)
		}
		if _, err := b.Expunge(ctx, &set); err != nil {
			t.Fatal(err)
		}
		up, _ = a.Poll(ctx)
		if len(up.Expunged) != 1 || up.Expunged[0] != res.UID {
			t.Errorf("Poll after expunge = %+v", up)
		}
	})

	// RFC 2180 4, RFC 5530 3 (EXPUNGEISSUED): a message another session
	// expunged, while still in this session's view, may still be read
	// (RFC 2180 4.1.1) or fail with EXPUNGEISSUED; COPY and MOVE of a set
	// holding it fail with EXPUNGEISSUED and copy nothing (RFC 3501
	// 6.4.7: all or nothing).
	t.Run("ExpungedElsewhere", func(t *testing.T) {
		_, u := login(t)
		r1 := appendMsg(t, u, "INBOX")
		r2 := appendMsg(t, u, "INBOX")
		if err := u.Create(ctx, "Dest", nil); err != nil {
			t.Fatal(err)
		}
		a := open(t, u, "INBOX")
		b := open(t, u, "INBOX")
		gone := imap.SeqSetFromNumbers([]uint32{r1.UID})
		if _, err := b.SetFlags(ctx, gone, imap.StoreAdd, []string{imap.FlagDeleted}, nil); err != nil {
			t.Fatal(err)
		}
		if uids, err := b.Expunge(ctx, nil); err != nil || len(uids) != 1 {
			t.Fatalf("Expunge = %v, %v", uids, err)
		}
		if r, err := a.Open(ctx, r1.UID); err == nil {
			r.Close()
		} else {
			wantCode(t, "Open of an expunged message", err, "EXPUNGEISSUED")
		}
		both := imap.SeqSetFromNumbers([]uint32{r1.UID, r2.UID})
		_, err := a.Copy(ctx, both, "Dest")
		wantCode(t, "Copy of an expunged message", err, "EXPUNGEISSUED")
		_, err = a.Move(ctx, both, "Dest")
		wantCode(t, "Move of an expunged message", err, "EXPUNGEISSUED")
		if st, err := u.Status(ctx, "Dest"); err != nil || st.Messages != 0 {
			t.Errorf("Dest after failed Copy and Move: %+v, %v; want empty", st, err)
		}
	})

	// RFC 3501 2.3.2 (\Recent), for a User that keeps it
	// (imap.RecentUser): a read-only mailbox reports recent messages
	// without taking them, the first read-write one takes them, STATUS
	// counts what nobody took, and a new message goes to whichever
	// read-write mailbox is told of it first.
	t.Run("Recent", func(t *testing.T) {
		_, u := login(t)
		ru, ok := u.(imap.RecentUser)
		if !ok || !ru.KeepsRecent() {
			t.Skip("the User does not keep \\Recent (imap.RecentUser)")
		}
		uids := []uint32{appendMsg(t, u, "INBOX").UID, appendMsg(t, u, "INBOX").UID}
		recentIn := func(mb imap.Mailbox, uids []uint32) []uint32 {
			t.Helper()
			rm, ok := mb.(imap.RecentMailbox)
			if !ok {
				t.Fatal("KeepsRecent is true but the Mailbox is not an imap.RecentMailbox")
			}
			return rm.Recent(slices.Clone(uids))
		}
		statusRecent := func() uint32 {
			t.Helper()
			st, err := u.Status(ctx, "INBOX")
			if err != nil {
				t.Fatal(err)
			}
			return st.Recent
		}
		ro, err := u.Open(ctx, "INBOX", true)
		if err != nil {
			t.Fatal(err)
		}
		defer ro.Close()
		if got := recentIn(ro, uids); !slices.Equal(got, uids) {
			t.Errorf("read-only Recent = %v, want %v", got, uids)
		}
		if n := statusRecent(); n != 2 {
			t.Errorf("Status.Recent after a read-only look = %d, want 2", n)
		}
		rw := open(t, u, "INBOX")
		if got := recentIn(rw, uids); !slices.Equal(got, uids) {
			t.Errorf("read-write Recent = %v, want %v", got, uids)
		}
		if got := recentIn(open(t, u, "INBOX"), uids); len(got) != 0 {
			t.Errorf("second read-write Recent = %v, want none", got)
		}
		if n := statusRecent(); n != 0 {
			t.Errorf("Status.Recent after a read-write take = %d, want 0", n)
		}
		third := appendMsg(t, u, "INBOX").UID
		if n := statusRecent(); n != 1 {
			t.Errorf("Status.Recent after a new message = %d, want 1", n)
		}
		if up, err := rw.Poll(ctx); err != nil || len(up.Added) != 1 {
			t.Fatalf("Poll = %+v, %v", up, err)
		}
		if got := recentIn(rw, []uint32{third}); !slices.Equal(got, []uint32{third}) {
			t.Errorf("Recent of a polled message = %v, want [%d]", got, third)
		}
		if got := recentIn(ro, []uint32{third}); len(got) != 0 {
			t.Errorf("read-only Recent of a message taken = %v, want none", got)
		}
	})

	// RFC 7162 3.2 (QRESYNC), for a User that offers it
	// (imap.QResyncUser): every mailbox is an imap.VanishedReporter, an
	// expunge (EXPUNGE, UID EXPUNGE, MOVE) raises HIGHESTMODSEQ, and the
	// expunged UIDs are reported since any earlier mod-sequence, never a
	// UID that is still there when the answer is exact.
	t.Run("Vanished", func(t *testing.T) {
		_, u := login(t)
		q, ok := u.(imap.QResyncUser)
		if !ok || !q.QResync() {
			t.Skip("the User does not offer QRESYNC (imap.QResyncUser)")
		}
		if err := u.Create(ctx, "Dest", nil); err != nil {
			t.Fatal(err)
		}
		var uids []uint32
		for range 5 {
			uids = append(uids, appendMsg(t, u, "INBOX").UID)
		}
		mb := open(t, u, "INBOX")
		vr, ok := mb.(imap.VanishedReporter)
		if !ok {
			t.Fatal("QResync() is true but the Mailbox is not an imap.VanishedReporter")
		}
		reported := func(since uint64) imap.SeqSet {
			t.Helper()
			set, err := vr.ExpungedSince(ctx, since)
			if err != nil {
				t.Fatalf("ExpungedSince(%d): %v", since, err)
			}
			if set.Dynamic() {
				t.Fatalf("ExpungedSince(%d) = %v: no * allowed", since, set)
			}
			return set
		}
		base := mb.HighestModSeq()
		if base == 0 {
			t.Fatal("HighestModSeq is 0: QRESYNC needs mod-sequences")
		}
		del := imap.SeqSetFromNumbers([]uint32{uids[1], uids[3]})
		if _, err := mb.SetFlags(ctx, del, imap.StoreAdd, []string{imap.FlagDeleted}, nil); err != nil {
			t.Fatal(err)
		}
		flagged := mb.HighestModSeq()
		if gone, err := mb.Expunge(ctx, nil); err != nil || len(gone) != 2 {
			t.Fatalf("Expunge = %v, %v", gone, err)
		}
		afterExpunge := mb.HighestModSeq()
		if afterExpunge <= flagged {
			t.Errorf("HighestModSeq %d after EXPUNGE, want above %d", afterExpunge, flagged)
		}
		for _, since := range []uint64{base, flagged} {
			set := reported(since)
			max := max(uids[4], mb.UIDNext())
			if !set.Contains(uids[1], max) || !set.Contains(uids[3], max) {
				t.Errorf("ExpungedSince(%d) = %v, want %d and %d in it", since, set, uids[1], uids[3])
			}
		}
		if _, err := mb.Move(ctx, imap.SeqSetFromNumbers([]uint32{uids[0]}), "Dest"); err != nil {
			t.Fatal(err)
		}
		afterMove := mb.HighestModSeq()
		if afterMove <= afterExpunge {
			t.Errorf("HighestModSeq %d after MOVE, want above %d", afterMove, afterExpunge)
		}
		if set := reported(afterExpunge); !set.Contains(uids[0], mb.UIDNext()) {
			t.Errorf("ExpungedSince(%d) = %v, want the moved UID %d", afterExpunge, set, uids[0])
		}
		// Another handle sees the same.
		other := open(t, u, "INBOX")
		set, err := other.(imap.VanishedReporter).ExpungedSince(ctx, base)
		if err != nil || !set.Contains(uids[0], mb.UIDNext()) || !set.Contains(uids[3], mb.UIDNext()) {
			t.Errorf("other handle: ExpungedSince(%d) = %v, %v", base, set, err)
		}
	})
}
