package backendtest_test

import (
	"context"
	"fmt"
	"net"
	"testing"

	"github.com/mailwright/mailwright/pop3"
	"github.com/mailwright/mailwright/pop3/backendtest"
)

// memHarness runs the suite against the package's own Memory backend;
// a store's tests write the same few lines around their own backend.
type memHarness struct{ m *backendtest.Memory }

func (h memHarness) Backend() pop3.Backend         { return h.m }
func (h memHarness) User() (name, password string) { return "alice", "secret" }
func (h memHarness) Deliver(t *testing.T, user string, raw []byte) {
	if _, err := h.m.Deliver(user, raw); err != nil {
		t.Fatal(err)
	}
}

// A backend's tests call Run with a function that makes a fresh backend
// with one user, in a test function such as this one.
func ExampleRun() {
	testConformance := func(t *testing.T) {
		backendtest.Run(t, func(t *testing.T) backendtest.Harness {
			m := backendtest.NewMemory()
			m.AddUser("alice", "secret")
			return memHarness{m}
		})
	}
	_ = testConformance // func TestConformance(t *testing.T) in a _test.go file
}

// Memory is a ready pop3.Backend for tests of POP3 clients: deliver
// messages, then serve it with a pop3.Server.
func ExampleMemory() {
	m := backendtest.NewMemory()
	m.AddUser("alice", "secret")
	m.Deliver("alice", []byte("Subject: hello\n\nfirst\n"))
	m.Deliver("alice", []byte("Subject: again\r\n\r\nsecond\r\n"))

	ctx := context.Background()
	md, err := m.Login(ctx, pop3.ConnInfo{RemoteAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)}}, "alice", "secret")
	if err != nil {
		panic(err)
	}
	defer md.Close()
	msgs, _ := md.Messages(ctx)
	for _, msg := range msgs {
		fmt.Println(msg.UID, msg.Size) // sizes count CRLF line endings
	}
	// Output:
	// m1 25
	// m2 26
}
