package backendtest

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/mailwright/mailwright/imap"
)

// testURLAuth checks the mailbox access keys of URLAUTH (RFC 4467 3), for
// a backend that keeps them (imap.URLAuthBackend, imap.AccessKeyUser):
// made on demand, stable, one per mailbox, shared by the user's sessions,
// gone with RESETKEY and with the mailbox, and reachable by the user name
// a URL carries.
func testURLAuth(t *testing.T, h Harness, u imap.User) {
	b, ok := h.Backend.(imap.URLAuthBackend)
	keys, ok2 := u.(imap.AccessKeyUser)
	if !ok || !ok2 {
		t.Skip("the backend keeps no URLAUTH keys (imap.URLAuthBackend, imap.AccessKeyUser)")
	}
	ctx := context.Background()
	key := func(keys imap.AccessKeyUser, mbox string, create bool) []byte {
		t.Helper()
		k, err := keys.AccessKey(ctx, mbox, create)
		if err != nil {
			t.Fatalf("AccessKey(%s, %v): %v", mbox, create, err)
		}
		return k
	}
	if k := key(keys, "INBOX", false); k != nil {
		t.Fatalf("a key before any was made: %x", k)
	}
	inbox := key(keys, "INBOX", true)
	if len(inbox) < 16 {
		t.Fatalf("key of %d bytes, want at least 16 (RFC 4467 7)", len(inbox))
	}
	if k := key(keys, "INBOX", false); !bytes.Equal(k, inbox) {
		t.Fatalf("key changed: %x, then %x", inbox, k)
	}
	if k := key(keys, "INBOX", true); !bytes.Equal(k, inbox) {
		t.Fatalf("a second key made: %x, then %x", inbox, k)
	}
	var e *imap.Error
	if _, err := keys.AccessKey(ctx, "Missing", true); !errors.As(err, &e) || (e.Code != "NONEXISTENT" && e.Code != "TRYCREATE") {
		t.Errorf("AccessKey of a missing mailbox: %v, want ErrNonexistent", err)
	}
	if err := u.Create(ctx, "Box", nil); err != nil {
		t.Fatal(err)
	}
	box := key(keys, "Box", true)
	if bytes.Equal(box, inbox) {
		t.Error("two mailboxes share a key")
	}

	// Another session of the user, and the user as a URL names it.
	other, err := h.Backend.Login(ctx, imap.ConnInfo{}, h.Username, h.Password)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Logout()
	if k := key(other.(imap.AccessKeyUser), "INBOX", false); !bytes.Equal(k, inbox) {
		t.Errorf("another session sees key %x, want %x", k, inbox)
	}
	byURL, err := b.URLUser(ctx, h.Username)
	if err != nil {
		t.Fatalf("URLUser(%s): %v", h.Username, err)
	}
	defer byURL.Logout()
	if byURL.Username() != u.Username() {
		t.Errorf("URLUser(%s).Username() = %s, want %s", h.Username, byURL.Username(), u.Username())
	}
	if k := key(byURL.(imap.AccessKeyUser), "INBOX", false); !bytes.Equal(k, inbox) {
		t.Errorf("URLUser sees key %x, want %x", k, inbox)
	}
	if _, err := b.URLUser(ctx, "no-such-user-here"); !errors.As(err, &e) {
		t.Errorf("URLUser of an unknown user: %v, want an *imap.Error", err)
	}

	// RESETKEY of one mailbox, then of all.
	if err := keys.ResetAccessKeys(ctx, "INBOX"); err != nil {
		t.Fatal(err)
	}
	if k := key(keys, "INBOX", false); k != nil {
		t.Errorf("key %x after ResetAccessKeys(INBOX)", k)
	}
	if k := key(keys, "Box", false); !bytes.Equal(k, box) {
		t.Errorf("ResetAccessKeys(INBOX) changed Box's key")
	}
	if fresh := key(keys, "INBOX", true); bytes.Equal(fresh, inbox) {
		t.Error("the old key came back after a reset")
	}
	if err := keys.ResetAccessKeys(ctx, ""); err != nil {
		t.Fatal(err)
	}
	if key(keys, "INBOX", false) != nil || key(keys, "Box", false) != nil {
		t.Error("keys left after ResetAccessKeys(\"\")")
	}
	if err := keys.ResetAccessKeys(ctx, "Missing"); !errors.As(err, &e) || (e.Code != "NONEXISTENT" && e.Code != "TRYCREATE") {
		t.Errorf("ResetAccessKeys of a missing mailbox: %v, want ErrNonexistent", err)
	}

	// A mailbox made again under the same name must not take the old
	// key: its URLs would name other messages.
	key(keys, "Box", true)
	if err := u.Delete(ctx, "Box"); err != nil {
		t.Fatal(err)
	}
	if err := u.Create(ctx, "Box", nil); err != nil {
		t.Fatal(err)
	}
	if k := key(keys, "Box", false); k != nil {
		t.Errorf("a new mailbox has the deleted one's key %x", k)
	}
}
