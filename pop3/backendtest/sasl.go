package backendtest

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/mailwright/mailwright/internal/saslmech"
	"github.com/mailwright/mailwright/pop3"
)

// testSASL checks a backend's pop3.SASLBackend, if it has one: no -PLUS
// mechanism without TLS, an error for a mechanism it does not offer,
// and, when it offers SCRAM-SHA-256, a wrong password refused with
// ErrAuthFailed and the right one giving the user's maildrop, locked.
func testSASL(t *testing.T, h Harness) {
	sb, ok := h.Backend().(pop3.SASLBackend)
	if !ok {
		t.Skip("the backend is no pop3.SASLBackend")
	}
	user, pass := h.User()
	ctx := context.Background()
	// A password login first gives accounts of older formats their SCRAM
	// credentials (mailbox.SCRAMAuthenticator).
	_, closeMD := login(t, h)
	closeMD()
	mechs := sb.AuthMechanisms(connInfo)
	for _, m := range mechs {
		if strings.HasSuffix(m, saslmech.PlusSuffix) {
			t.Errorf("%s offered without TLS", m)
		}
	}
	if srv, err := sb.AuthSASL(ctx, connInfo, "NO-SUCH-MECHANISM"); err == nil || srv != nil {
		t.Errorf("AuthSASL of a mechanism not offered: %v, %v", srv, err)
	}
	if !slices.Contains(mechs, saslmech.SHA256.Name) {
		return
	}
	scram := func(password string) (pop3.SASLServer, error) {
		srv, err := sb.AuthSASL(ctx, connInfo, saslmech.SHA256.Name)
		if err != nil {
			t.Fatalf("AuthSASL: %v", err)
		}
		serverErr, _ := saslmech.Exchange(&saslmech.SCRAMClient{Mech: saslmech.SHA256, Username: user, Password: password}, srv)
		return srv, serverErr
	}
	if _, err := scram(pass + "x"); !errors.Is(err, pop3.ErrAuthFailed) {
		t.Errorf("SCRAM-SHA-256 with a wrong password: %v, want ErrAuthFailed", err)
	}
	srv, err := scram(pass)
	if err != nil {
		t.Fatalf("SCRAM-SHA-256 with the right password: %v", err)
	}
	md, err := srv.Maildrop(ctx)
	if err != nil || md == nil {
		t.Fatalf("Maildrop after SCRAM-SHA-256: %v, %v", md, err)
	}
	// The maildrop is locked as after Login.
	if other, err := h.Backend().Login(ctx, connInfo, user, pass); !errors.Is(err, pop3.ErrInUse) {
		if other != nil {
			other.Close()
		}
		t.Errorf("Login while the SCRAM session holds the maildrop: %v, want ErrInUse", err)
	}
	if err := md.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
}
