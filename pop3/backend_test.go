package pop3_test

import (
	"testing"

	"github.com/mailwright/mailwright/pop3"
	"github.com/mailwright/mailwright/pop3/backendtest"
)

// memoryHarness runs the conformance suite against the in-memory backend
// the server tests use.
type memoryHarness struct{ m *backendtest.Memory }

func (h memoryHarness) Backend() pop3.Backend         { return h.m }
func (h memoryHarness) User() (name, password string) { return "carol", "p4ss word" }
func (h memoryHarness) Deliver(t *testing.T, user string, raw []byte) {
	t.Helper()
	if _, err := h.m.Deliver(user, raw); err != nil {
		t.Fatal(err)
	}
}

func TestBackendConformance(t *testing.T) {
	backendtest.Run(t, func(t *testing.T) backendtest.Harness {
		m := backendtest.NewMemory()
		m.AddUser("carol", "p4ss word")
		return memoryHarness{m}
	})
}
