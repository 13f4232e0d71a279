package backendtest

import (
	"testing"

	"github.com/mailwright/mailwright/pop3"
)

type memoryHarness struct{ m *Memory }

func (h memoryHarness) Backend() pop3.Backend         { return h.m }
func (h memoryHarness) User() (name, password string) { return "alice", "secret" }
func (h memoryHarness) Deliver(t *testing.T, user string, raw []byte) {
	t.Helper()
	if _, err := h.m.Deliver(user, raw); err != nil {
		t.Fatal(err)
	}
}

func TestMemory(t *testing.T) {
	Run(t, func(t *testing.T) Harness {
		m := NewMemory()
		m.AddUser("alice", "secret")
		return memoryHarness{m}
	})
}
