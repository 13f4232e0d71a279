package backendtest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/mailwright/mailwright/imap"
)

// testWatch checks the mailbox watch of a User that offers NOTIFY
// (imap.NotifyUser): each change below is reported, under the mailbox's
// name, with its kind, merged with the other events of that mailbox until
// taken. Events may come late (a store shared through a database), so
// each step waits, up to a bound, for its event.
func testWatch(t *testing.T, u imap.User) {
	nu, ok := u.(imap.NotifyUser)
	if !ok {
		t.Skip("the User does not offer NOTIFY (imap.NotifyUser)")
	}
	ctx := context.Background()
	w, err := nu.WatchMailboxes(ctx)
	if err != nil {
		t.Fatalf("WatchMailboxes: %v", err)
	}
	defer w.Close()
	seen := map[string]imap.MailboxEventKind{}
	oldNames := map[string]string{}
	// expect waits until name has had kind.
	expect := func(step, name string, kind imap.MailboxEventKind) {
		t.Helper()
		deadline := time.After(5 * time.Second)
		for seen[name]&kind != kind {
			select {
			case <-w.Ready():
			case <-deadline:
				t.Fatalf("%s: no event %b for %q (have %v)", step, kind, name, seen)
			}
			evs, overflow := w.Events()
			if overflow {
				t.Fatalf("%s: overflow after a few changes", step)
			}
			for _, e := range evs {
				seen[e.Name] |= e.Kind
				if e.OldName != "" {
					oldNames[e.Name] = e.OldName
				}
			}
		}
	}
	must := func(step string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
	}
	must("Create", u.Create(ctx, "w1", nil))
	expect("Create", "w1", imap.MailboxCreated)
	for i := 0; i < 3; i++ {
		_, err := u.Append(ctx, "w1", strings.NewReader(testMsg), &imap.AppendOptions{Size: int64(len(testMsg))})
		must("Append", err)
	}
	expect("Append", "w1", imap.MailboxMessagesAdded)
	mb, err := u.Open(ctx, "w1", false)
	must("Open", err)
	all := imap.SeqSet{Ranges: []imap.SeqRange{{Start: 1, Stop: mb.UIDNext() - 1}}}
	_, err = mb.SetFlags(ctx, all, imap.StoreAdd, []string{imap.FlagDeleted}, nil)
	must("SetFlags", err)
	expect("SetFlags", "w1", imap.MailboxFlagsChanged)
	_, err = mb.Expunge(ctx, nil)
	must("Expunge", err)
	expect("Expunge", "w1", imap.MailboxMessagesExpunged)
	mb.Close()
	must("Rename", u.Rename(ctx, "w1", "w2"))
	expect("Rename", "w2", imap.MailboxRenamed)
	if oldNames["w2"] != "w1" {
		t.Errorf("Rename: old name %q, want w1", oldNames["w2"])
	}
	if seen["w1"]&imap.MailboxDeleted != 0 {
		t.Error("Rename also reported the old name as deleted (RFC 5465 5.4: one LIST, with OLDNAME)")
	}
	must("Subscribe", u.Subscribe(ctx, "w2"))
	expect("Subscribe", "w2", imap.MailboxSubscription)
	must("Delete", u.Delete(ctx, "w2"))
	expect("Delete", "w2", imap.MailboxDeleted)
	if err := w.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
}
