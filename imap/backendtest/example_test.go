package backendtest_test

import (
	"testing"

	"github.com/mailwright/mailwright/imap/backendtest"
	"github.com/mailwright/mailwright/mailbox"
)

// A backend's tests call Run with a function that makes a fresh backend
// with one user whose INBOX is empty, in a test function such as this
// one (here with the mailbox package's in-memory store).
func ExampleRun() {
	testConformance := func(t *testing.T) {
		backendtest.Run(t, func(t *testing.T) backendtest.Harness {
			accts := mailbox.NewMemoryAccounts()
			accts.Add("alice", "secret")
			return backendtest.Harness{
				Backend:  mailbox.NewIMAPBackend(mailbox.NewMemoryStore(), accts),
				Username: "alice", Password: "secret",
			}
		})
	}
	_ = testConformance // func TestConformance(t *testing.T) in a _test.go file
}
