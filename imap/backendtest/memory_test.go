package backendtest

import (
	"bufio"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/mailwright/mailwright/imap"
)

// Memory passes the suite. It answers APPEND, COPY and MOVE to a missing
// mailbox with TRYCREATE, word for word as the imap.User docs ask (the
// mailbox store, which says NONEXISTENT, runs the suite in its own tests).
func TestMemory(t *testing.T) {
	Run(t, func(t *testing.T) Harness {
		m := NewMemory()
		m.AddUser("alice", "secret")
		return Harness{Backend: m, Username: "alice", Password: "secret"}
	})
}

// Memory behind a real imap.Server on loopback: flags, CONDSTORE, APPEND,
// SEARCH, MOVE and EXPUNGE as a client sees them.
func TestMemoryBehindServer(t *testing.T) {
	m := NewMemory()
	m.AddUser("alice", "secret")
	for _, s := range []string{"one", "two"} {
		if _, err := m.Deliver("alice", "INBOX", []byte("Subject: "+s+"\r\n\r\nbody\r\n")); err != nil {
			t.Fatal(err)
		}
	}
	srv := &imap.Server{Backend: m, AllowInsecureAuth: true}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(c)
	r.ReadString('\n')
	for _, step := range []struct{ cmd, want string }{
		{"a LOGIN alice secret", "a OK"},
		{"b CREATE Archive", "b OK"},
		{"c SELECT INBOX (CONDSTORE)", "* OK [HIGHESTMODSEQ 3]"},
		{"d STORE 1 +FLAGS.SILENT (\\Deleted)", "d OK"},
		{"e FETCH 1 (MODSEQ)", "* 1 FETCH (MODSEQ (4))"},
		{"f SEARCH SUBJECT two", "* SEARCH 2"},
		{"g APPEND INBOX {21}\r\nSubject: three\r\n\r\nx\r\n", "g OK [APPENDUID 1 3]"},
		{"h UID MOVE 2 Archive", "* OK [COPYUID 2 2 1]"},
		{"i EXPUNGE", "* 1 EXPUNGE"},
		{"j STATUS Archive (MESSAGES)", "* STATUS Archive (MESSAGES 1)"},
		{"k UID SEARCH ALL", "* SEARCH 3"},
	} {
		if _, err := c.Write([]byte(step.cmd + "\r\n")); err != nil {
			t.Fatal(err)
		}
		tag, _, _ := strings.Cut(step.cmd, " ")
		var seen []string
		for found := false; ; {
			line, err := r.ReadString('\n')
			if err != nil {
				t.Fatalf("%s: %v after %q", step.cmd, err, seen)
			}
			if line == "+ Ready for literal data\r\n" {
				continue
			}
			seen = append(seen, line)
			found = found || strings.HasPrefix(line, step.want)
			if strings.HasPrefix(line, tag+" ") {
				if !found || !strings.HasPrefix(line, tag+" OK") {
					t.Fatalf("%s: got %q, want a line starting %q and OK", step.cmd, seen, step.want)
				}
				break
			}
		}
	}
}
