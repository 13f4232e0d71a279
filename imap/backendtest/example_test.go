package backendtest_test

import (
	"bufio"
	"fmt"
	"net"
	"strings"
	"testing"

	"github.com/mailwright/mailwright/imap"
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

// Memory behind an imap.Server: a complete IMAP server for a test or a
// demo, in a few lines.
func ExampleMemory() {
	m := backendtest.NewMemory()
	m.AddUser("alice", "secret")
	if _, err := m.Deliver("alice", "INBOX", []byte("Subject: hello\r\n\r\nHi Alice\r\n")); err != nil {
		panic(err)
	}
	srv := &imap.Server{Backend: m, AllowInsecureAuth: true} // loopback only: set TLSConfig otherwise
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	go srv.Serve(l)
	defer srv.Close()

	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		panic(err)
	}
	defer c.Close()
	r := bufio.NewReader(c)
	r.ReadString('\n') // the greeting
	fmt.Fprint(c, "a LOGIN alice secret\r\n"+
		"b SELECT INBOX\r\n"+
		"c FETCH 1 (FLAGS BODY[HEADER.FIELDS (Subject)])\r\n"+
		"d COPY 1 Archive\r\n"+
		"e LOGOUT\r\n")
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			break
		}
		if !strings.HasPrefix(line, "a OK") { // its capabilities vary
			fmt.Print(strings.ReplaceAll(line, "\r\n", "\n"))
		}
	}
	// Output:
	// * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
	// * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft \*)] Flags permitted
	// * 1 EXISTS
	// * 1 RECENT
	// * OK [UNSEEN 1] First unseen
	// * OK [UIDVALIDITY 1] UIDs valid
	// * OK [UIDNEXT 2] Predicted next UID
	// b OK [READ-WRITE] SELECT completed
	// * 1 FETCH (FLAGS (\Seen \Recent) BODY[HEADER.FIELDS (Subject)] {18}
	// Subject: hello
	//
	// )
	// c OK FETCH completed
	// d NO [TRYCREATE] No such mailbox
	// * BYE Logging out
	// e OK LOGOUT completed
}
