package mailbox_test

import (
	"testing"

	"github.com/mailwright/mailwright/imap/backendtest"
	"github.com/mailwright/mailwright/mailbox"
)

func imapHarness(t *testing.T, store *mailbox.Store) backendtest.Harness {
	accts := mailbox.NewMemoryAccounts()
	if err := accts.Add("alice", "secret"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	return backendtest.Harness{Backend: mailbox.NewIMAPBackend(store, accts), Username: "alice", Password: "secret"}
}

func TestIMAPBackendMemory(t *testing.T) {
	backendtest.Run(t, func(t *testing.T) backendtest.Harness {
		return imapHarness(t, mailbox.NewMemoryStore())
	})
}

func TestIMAPBackendMaildir(t *testing.T) {
	backendtest.Run(t, func(t *testing.T) backendtest.Harness {
		s, err := mailbox.NewMaildirStore(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return imapHarness(t, s)
	})
}
