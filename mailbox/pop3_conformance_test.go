package mailbox_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/mailwright/mailwright/mailbox"
	"github.com/mailwright/mailwright/pop3"
	"github.com/mailwright/mailwright/pop3/backendtest"
)

// pop3Harness runs the pop3 conformance suite on a store.
type pop3Harness struct {
	store   *mailbox.Store
	backend *mailbox.POP3Backend
}

func (h *pop3Harness) Backend() pop3.Backend         { return h.backend }
func (h *pop3Harness) User() (name, password string) { return "alice", "wonderland" }
func (h *pop3Harness) Deliver(t *testing.T, user string, raw []byte) {
	t.Helper()
	if _, err := h.store.Append(context.Background(), user, mailbox.Inbox, bytes.NewReader(raw), nil); err != nil {
		t.Fatalf("deliver: %v", err)
	}
}

func newPOP3Harness(t *testing.T, store *mailbox.Store) backendtest.Harness {
	t.Cleanup(func() { store.Close() })
	accounts := mailbox.NewMemoryAccounts()
	accounts.Cost = 4 // bcrypt.MinCost: keeps the suite fast
	if err := accounts.Add("alice", "wonderland"); err != nil {
		t.Fatal(err)
	}
	return &pop3Harness{store: store, backend: mailbox.NewPOP3Backend(store, accounts)}
}

func TestPOP3ConformanceMaildir(t *testing.T) {
	backendtest.Run(t, func(t *testing.T) backendtest.Harness {
		store, err := mailbox.NewMaildirStore(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return newPOP3Harness(t, store)
	})
}

func TestPOP3ConformanceMemory(t *testing.T) {
	backendtest.Run(t, func(t *testing.T) backendtest.Harness {
		return newPOP3Harness(t, mailbox.NewMemoryStore())
	})
}
