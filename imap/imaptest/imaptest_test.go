package imaptest_test

import (
	"bufio"
	"fmt"
	"net"
	"net/smtp"
	"os/exec"
	"strings"
	"testing"
	"time"

	goimap "github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/mailwright/mailwright/imap/imaptest"
	"github.com/mailwright/mailwright/pop3/pop3test"
	"github.com/mailwright/mailwright/smtp/smtptest"
)

// transcript drives a session: "C: " lines are sent, "S: " lines must
// match the server's next line (a trailing "*" matches any rest).
func transcript(t *testing.T, conn net.Conn, r *bufio.Reader, script string) {
	t.Helper()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	for _, line := range strings.Split(strings.TrimSpace(script), "\n") {
		line = strings.TrimSpace(line)
		if line == "S:" || line == "C:" { // an empty line
			line += " "
		}
		switch {
		case strings.HasPrefix(line, "C: "):
			if _, err := conn.Write([]byte(line[3:] + "\r\n")); err != nil {
				t.Fatalf("write %q: %v", line, err)
			}
		case strings.HasPrefix(line, "S: "):
			got, err := r.ReadString('\n')
			if err != nil {
				t.Fatalf("want %q: %v", line[3:], err)
			}
			got = strings.TrimRight(got, "\r\n")
			want := line[3:]
			if strings.HasSuffix(want, "*") {
				if !strings.HasPrefix(got, want[:len(want)-1]) {
					t.Fatalf("got %q, want %q", got, want)
				}
			} else if got != want {
				t.Fatalf("got %q, want %q", got, want)
			}
		default:
			t.Fatalf("bad transcript line %q", line)
		}
	}
}

func dial(t *testing.T, addr string) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c, bufio.NewReader(c)
}

const msg = "From: a@example.org\r\nTo: bob@example.org\r\nSubject: Hi\r\n\r\nHello Bob.\r\n"

func TestTranscript(t *testing.T) {
	t.Parallel()
	srv := imaptest.NewServer(t)
	if err := srv.Deliver("bob", []byte(msg)); err != nil {
		t.Fatal(err)
	}
	c, r := dial(t, srv.Addr)
	transcript(t, c, r, `
		S: * OK*
		C: a LOGIN bob anything
		S: a OK*
		C: b STATUS INBOX (MESSAGES)
		S: * STATUS INBOX (MESSAGES 1)
		S: b OK*
		C: c LOGOUT
		S: * BYE*
		S: c OK*
	`)
}

func TestAddUserNeedsPassword(t *testing.T) {
	t.Parallel()
	srv := imaptest.NewServer(t)
	if err := srv.AddUser("alice", "secret"); err != nil {
		t.Fatal(err)
	}
	c, r := dial(t, srv.Addr)
	transcript(t, c, r, `
		S: * OK*
		C: a LOGIN alice wrong
		S: a NO*
		C: b LOGIN alice secret
		S: b OK*
	`)
}

func TestNoAutoCreate(t *testing.T) {
	t.Parallel()
	srv := imaptest.NewUnstartedServer(t)
	srv.AutoCreateUsers = false
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	if err := srv.Deliver("nobody", []byte(msg)); err == nil {
		t.Fatal("Deliver to an unknown user succeeded without AutoCreateUsers")
	}
	c, r := dial(t, srv.Addr)
	transcript(t, c, r, `
		S: * OK*
		C: a LOGIN nobody x
		S: a NO*
	`)
}

func TestGoIMAPClientStartTLS(t *testing.T) {
	t.Parallel()
	srv := imaptest.NewUnstartedServer(t)
	if err := srv.StartTLS(); err != nil {
		t.Fatal(err)
	}
	if err := srv.Deliver("Bob@Example.org", []byte(msg)); err != nil {
		t.Fatal(err)
	}
	c, err := imapclient.DialStartTLS(srv.Addr, &imapclient.Options{TLSConfig: srv.ClientTLSConfig()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login("bob@example.org", "pw").Wait(); err != nil {
		t.Fatal(err)
	}
	list, err := c.List("", "*", nil).Collect()
	if err != nil {
		t.Fatal(err)
	}
	if len(list) == 0 || list[0].Mailbox != "INBOX" {
		t.Fatalf("LIST: %+v", list)
	}
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	msgs, err := c.Fetch(goimap.SeqSetNum(1), &goimap.FetchOptions{
		Envelope:    true,
		BodySection: []*goimap.FetchItemBodySection{{Specifier: goimap.PartSpecifierText, Peek: true}},
	}).Collect()
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 1 || msgs[0].Envelope.Subject != "Hi" || string(msgs[0].BodySection[0].Bytes) != "Hello Bob.\r\n" {
		t.Fatalf("FETCH: %+v", msgs)
	}
}

func TestPythonImaplib(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 not installed: imaplib interop not run")
	}
	srv := imaptest.NewServer(t)
	if err := srv.Deliver("carol", []byte(msg)); err != nil {
		t.Fatal(err)
	}
	host, port, _ := net.SplitHostPort(srv.Addr)
	script := `
import imaplib, sys
m = imaplib.IMAP4(sys.argv[1], int(sys.argv[2]), timeout=10)
m.login("carol", "whatever")
typ, data = m.select("INBOX")
print(data[0].decode())
typ, data = m.fetch("1", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
print(data[0][1].decode().strip())
m.logout()
`
	out, err := exec.Command("python3", "-c", script, host, port).CombinedOutput()
	if err != nil {
		t.Fatalf("python3: %v\n%s", err, out)
	}
	if want := "1\nSubject: Hi\n"; string(out) != want {
		t.Fatalf("imaplib output %q, want %q", out, want)
	}
}

// TestCaptureSharedStore wires smtptest, imaptest and pop3test together:
// mail sent over SMTP is read over IMAP and POP3.
func TestCaptureSharedStore(t *testing.T) {
	t.Parallel()
	mta := smtptest.NewServer(t)
	imapSrv := imaptest.NewServer(t)
	// A message received before Capture is delivered too.
	if err := smtp.SendMail(mta.Addr, nil, "app@example.org", []string{"dave@example.org"},
		[]byte("Subject: First\r\n\r\none\r\n")); err != nil {
		t.Fatal(err)
	}
	imapSrv.Capture(mta)
	imapSrv.Capture(mta) // no effect: no message is delivered twice
	if err := smtp.SendMail(mta.Addr, nil, "app@example.org", []string{"Dave@example.org", "erin@example.org"},
		[]byte("Subject: Second\r\n\r\ntwo\r\n")); err != nil {
		t.Fatal(err)
	}
	pop := pop3test.NewUnstartedServer(t)
	pop.Store, pop.Accounts = imapSrv.Store, imapSrv.Accounts
	if err := pop.Start(); err != nil {
		t.Fatal(err)
	}

	// Capture files each message before the 250: the INBOXes are full.
	loginWithMessages(t, imapSrv.Addr, "erin@example.org", 1)
	c, r := loginWithMessages(t, imapSrv.Addr, "dave@example.org", 2)
	transcript(t, c, r, `
		C: b EXAMINE INBOX`)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(line, "b ") {
			break
		}
	}
	transcript(t, c, r, `
		C: c FETCH 1:2 (BODY.PEEK[HEADER.FIELDS (SUBJECT)])
		S: * 1 FETCH (BODY[HEADER.FIELDS (SUBJECT)] {18}
		S: Subject: First
		S: 
		S: )
		S: * 2 FETCH (BODY[HEADER.FIELDS (SUBJECT)] {19}
		S: Subject: Second
		S: 
		S: )
		S: c OK*
	`)
	pc, pr := dial(t, pop.Addr)
	transcript(t, pc, pr, `
		S: +OK*
		C: USER erin@example.org
		S: +OK*
		C: PASS x
		S: +OK*
		C: TOP 1 0
		S: +OK*
		S: Subject: Second
		S: 
		S: .
	`)
}

// loginWithMessages logs in as user, checks that INBOX holds n messages,
// and returns the logged-in connection.
func loginWithMessages(t *testing.T, addr, user string, n int) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, r := dial(t, addr)
	transcript(t, c, r, fmt.Sprintf(`
		S: * OK*
		C: a LOGIN %s x
		S: a OK*
		C: s STATUS INBOX (MESSAGES)
		S: * STATUS INBOX (MESSAGES %d)
		S: s OK*
	`, user, n))
	return c, r
}
