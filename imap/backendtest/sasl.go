package backendtest

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/mailwright/mailwright/imap"
	"github.com/mailwright/mailwright/internal/saslmech"
)

// testSASL checks a backend's imap.SASLBackend, if it has one: no -PLUS
// mechanism without TLS, an error for a mechanism it does not offer,
// and, when it offers SCRAM-SHA-256, a wrong password refused with
// ErrAuthFailed and the right one giving the user's session.
func testSASL(t *testing.T, h Harness) {
	sb, ok := h.Backend.(imap.SASLBackend)
	if !ok {
		t.Skip("the backend is no imap.SASLBackend")
	}
	ctx := context.Background()
	// A password login first gives accounts of older formats their SCRAM
	// credentials (mailbox.SCRAMAuthenticator).
	if u, err := h.Backend.Login(ctx, imap.ConnInfo{}, h.Username, h.Password); err == nil {
		u.Logout()
	}
	mechs := sb.AuthMechanisms(imap.ConnInfo{})
	for _, m := range mechs {
		if strings.HasSuffix(m, saslmech.PlusSuffix) {
			t.Errorf("%s offered without TLS", m)
		}
	}
	if srv, err := sb.AuthSASL(ctx, imap.ConnInfo{}, "NO-SUCH-MECHANISM"); err == nil || srv != nil {
		t.Errorf("AuthSASL of a mechanism not offered: %v, %v", srv, err)
	}
	if !slices.Contains(mechs, saslmech.SHA256.Name) {
		return
	}
	scram := func(password string) (imap.SASLServer, error) {
		srv, err := sb.AuthSASL(ctx, imap.ConnInfo{}, saslmech.SHA256.Name)
		if err != nil {
			t.Fatalf("AuthSASL: %v", err)
		}
		serverErr, _ := saslmech.Exchange(&saslmech.SCRAMClient{Mech: saslmech.SHA256, Username: h.Username, Password: password}, srv)
		return srv, serverErr
	}
	if _, err := scram(h.Password + "x"); !errors.Is(err, imap.ErrAuthFailed) {
		t.Errorf("SCRAM-SHA-256 with a wrong password: %v, want ErrAuthFailed", err)
	}
	srv, err := scram(h.Password)
	if err != nil {
		t.Fatalf("SCRAM-SHA-256 with the right password: %v", err)
	}
	u, err := srv.User(ctx)
	if err != nil || u == nil {
		t.Fatalf("User after SCRAM-SHA-256: %v, %v", u, err)
	}
	if u.Username() == "" {
		t.Error("Username is empty")
	}
	u.Logout()
}
