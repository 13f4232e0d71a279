package imap_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/mailwright/mailwright/imap"
	"github.com/mailwright/mailwright/mailbox"
)

// RFC 5530 3: when the user database cannot be read, LOGIN fails with
// UNAVAILABLE (try again later), not AUTHENTICATIONFAILED (the password
// is wrong), and the session goes on.
func TestLoginAccountsUnavailable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "accounts")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	accts, err := mailbox.OpenAccountsFile(path)
	if err != nil {
		t.Fatal(err)
	}
	ts := startServer(t, func(s *imap.Server) {
		s.Backend = mailbox.NewIMAPBackend(mailbox.NewMemoryStore(), accts)
	})
	// The file becomes unreadable (here: a directory in its place).
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(path, 0o700); err != nil {
		t.Fatal(err)
	}
	c := ts.dial(t)
	c.run(`
C: a1 LOGIN alice secret
S: a1 NO [UNAVAILABLE] Temporarily unavailable, try again later
C: a2 NOOP
S: a2 OK NOOP completed`)
}
