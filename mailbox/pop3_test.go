package mailbox

import (
	"context"
	"errors"
	"io"
	"strconv"
	"strings"
	"testing"

	"github.com/mailwright/mailwright/pop3"
)

var testAuth = AuthenticatorFunc(func(ctx context.Context, username, password string) (string, error) {
	if password != "secret" {
		return "", errors.New("bad password")
	}
	return strings.ToLower(username), nil
})

func TestPOP3Backend(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		b := NewPOP3Backend(e.s, testAuth)
		e.append("alice", Inbox, "Subject: one\n\nfirst\n", nil)
		r2 := e.append("alice", Inbox, "Subject: two\r\n\r\nsecond\r\n", nil)
		e.s.CreateFolder(bg, "alice", "Other")
		e.append("alice", "Other", "not in the maildrop\n", nil)

		if _, err := b.Login(bg, pop3.ConnInfo{}, "Alice", "wrong"); !errors.Is(err, pop3.ErrAuthFailed) {
			t.Fatalf("bad password: %v", err)
		}
		md, err := b.Login(bg, pop3.ConnInfo{}, "Alice", "secret")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := b.Login(bg, pop3.ConnInfo{}, "alice", "secret"); !errors.Is(err, pop3.ErrInUse) {
			t.Fatalf("second login: %v", err)
		}
		msgs, err := md.Messages(bg)
		if err != nil || len(msgs) != 2 {
			t.Fatalf("Messages = %+v, %v", msgs, err)
		}
		want := []string{"Subject: one\r\n\r\nfirst\r\n", "Subject: two\r\n\r\nsecond\r\n"}
		for i, m := range msgs {
			if m.Size != int64(len(want[i])) || len(m.UID) > 70 || strings.ContainsAny(m.UID, " \r\n") {
				t.Fatalf("message %d: %+v", i, m)
			}
			rc, err := md.Open(bg, m.UID)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := io.ReadAll(rc)
			rc.Close()
			if string(got) != want[i] {
				t.Fatalf("RETR %d = %q", i, got)
			}
		}
		if _, err := md.Open(bg, "1.999"); err == nil {
			t.Fatal("Open of unknown UID succeeded")
		}
		// Snapshot: a delivery during the session is not listed.
		e.append("alice", Inbox, "late\n", nil)
		if again, _ := md.Messages(bg); len(again) != 2 {
			t.Fatalf("snapshot changed: %+v", again)
		}
		// An IMAP session watching INBOX hears of the deletion.
		imap := e.open("alice", Inbox)
		sub := e.s.Watch("alice", Inbox)
		defer sub.Close()
		if err := md.Delete(bg, []string{msgs[0].UID}); err != nil {
			t.Fatal(err)
		}
		if err := md.Close(); err != nil {
			t.Fatal(err)
		}
		cs, _ := sub.Changes()
		if len(cs) != 1 || cs[0].Kind != ChangeExpunge || !equalUIDs(cs[0].UIDs, []uint32{1}) {
			t.Fatalf("changes after POP3 delete: %+v", cs)
		}
		if u := e.poll(imap); !equalUIDs(u.Expunged, []uint32{1}) {
			t.Fatalf("IMAP poll: %+v", u)
		}
		if n := len(e.files("alice", Inbox, "new")) + len(e.files("alice", Inbox, "cur")); n != 2 {
			t.Fatalf("%d files left, want 2", n)
		}
		// The lock is released; UIDs are stable across sessions and restarts.
		e.reopen()
		b = NewPOP3Backend(e.s, testAuth)
		md, err = b.Login(bg, pop3.ConnInfo{}, "alice", "secret")
		if err != nil {
			t.Fatal(err)
		}
		defer md.Close()
		msgs2, _ := md.Messages(bg)
		if len(msgs2) != 2 || msgs2[0].UID != msgs[1].UID || !strings.HasSuffix(msgs2[0].UID, "."+strconv.FormatUint(uint64(r2.UID), 10)) {
			t.Fatalf("after restart: %+v (before %+v)", msgs2, msgs)
		}
	})
}

func TestPOP3ContextError(t *testing.T) {
	s := NewMemoryStore()
	defer s.Close()
	ctx, cancel := context.WithCancel(bg)
	cancel()
	auth := AuthenticatorFunc(func(ctx context.Context, u, p string) (string, error) { return "", ctx.Err() })
	_, err := NewPOP3Backend(s, auth).Login(ctx, pop3.ConnInfo{}, "a", "b")
	if !errors.Is(err, context.Canceled) || errors.Is(err, pop3.ErrAuthFailed) {
		t.Fatalf("cancelled login: %v", err)
	}
}
