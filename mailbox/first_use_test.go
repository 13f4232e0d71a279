package mailbox_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/mailwright/mailwright/mailbox"
)

// TestCloseFailedStore: the Close a user defers before checking the error
// of NewMaildirStore does not panic on the nil Store it returned.
func TestCloseFailedStore(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	store, err := mailbox.NewMaildirStore(filepath.Join(file, "mail")) // under a file: fails
	if err == nil {
		t.Fatal("NewMaildirStore under a file succeeded")
	}
	if err := store.Close(); !errors.Is(err, mailbox.ErrClosed) {
		t.Fatalf("Close of the failed store: %v, want ErrClosed", err)
	}
}

// TestAccountsWithDomains: accounts opened with their domains let a user
// log in with the address that mail reaches (alice@example.org for the
// account alice), and report those domains to the delivery agent.
func TestAccountsWithDomains(t *testing.T) {
	ctx := context.Background()
	file, err := mailbox.OpenAccountsFile(filepath.Join(t.TempDir(), "accounts"), "example.org")
	if err != nil {
		t.Fatal(err)
	}
	file.Cost = 4
	memory := mailbox.NewMemoryAccounts("example.org")
	for name, a := range map[string]interface {
		mailbox.Accounts
		Add(name, password string) error
		LocalDomains() []string
	}{"file": file, "memory": memory} {
		if err := a.Add("alice", "secret"); err != nil {
			t.Fatal(err)
		}
		if user, err := a.Authenticate(ctx, "Alice@example.org", "secret"); err != nil || user != "alice" {
			t.Errorf("%s: Authenticate(alice@example.org) = %q, %v", name, user, err)
		}
		domains := a.LocalDomains()
		if !slices.Equal(domains, []string{"example.org"}) {
			t.Errorf("%s: LocalDomains = %q", name, domains)
		}
		domains[0] = "changed.example"
		if got := a.LocalDomains(); got[0] != "example.org" {
			t.Errorf("%s: LocalDomains shares its slice: %q", name, got)
		}
	}
}
