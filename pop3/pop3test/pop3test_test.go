package pop3test

import (
	"bufio"
	"crypto/tls"
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// transcript drives a session: "C: " lines are sent, "S: " lines must
// match the server's next line (a trailing "*" matches any rest).
func transcript(t *testing.T, conn net.Conn, script string) {
	t.Helper()
	r := bufio.NewReader(conn)
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	for _, line := range strings.Split(strings.TrimSpace(script), "\n") {
		line = strings.TrimSpace(line)
		if line == "S:" { // an empty server line
			line = "S: "
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

func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

const msg = "From: a@example.org\r\nTo: bob@example.org\r\nSubject: Hi\r\n\r\nHello Bob.\r\n"

func TestDeliverAndRetrieve(t *testing.T) {
	t.Parallel()
	srv := NewServer(t)
	if err := srv.Deliver("bob", []byte(msg)); err != nil {
		t.Fatal(err)
	}
	transcript(t, dial(t, srv.Addr), `
		S: +OK*
		C: USER bob
		S: +OK*
		C: PASS anything
		S: +OK*
		C: STAT
		S: +OK 1 69
		C: RETR 1
		S: +OK*
		S: From: a@example.org
		S: To: bob@example.org
		S: Subject: Hi
		S: 
		S: Hello Bob.
		S: .
		C: QUIT
		S: +OK*
	`)
}

func TestServersAreIsolated(t *testing.T) {
	t.Parallel()
	a, b := NewServer(t), NewServer(t)
	if err := a.Deliver("bob", []byte(msg)); err != nil {
		t.Fatal(err)
	}
	transcript(t, dial(t, b.Addr), `
		S: +OK*
		C: USER bob
		S: +OK*
		C: PASS x
		S: +OK*
		C: STAT
		S: +OK 0 0
	`)
}

func TestAddUserNeedsPassword(t *testing.T) {
	t.Parallel()
	srv := NewServer(t)
	if err := srv.AddUser("alice", "secret"); err != nil {
		t.Fatal(err)
	}
	if err := srv.Deliver("Alice", []byte(msg)); err != nil {
		t.Fatal(err)
	}
	transcript(t, dial(t, srv.Addr), `
		S: +OK*
		C: USER alice
		S: +OK*
		C: PASS wrong
		S: -ERR*
		C: USER alice
		S: +OK*
		C: PASS secret
		S: +OK*
		C: STAT
		S: +OK 1 69
	`)
}

func TestNoAutoCreate(t *testing.T) {
	t.Parallel()
	srv := NewUnstartedServer(t)
	srv.AutoCreateUsers = false
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	if err := srv.Deliver("nobody", []byte(msg)); err == nil {
		t.Fatal("Deliver to an unknown user succeeded without AutoCreateUsers")
	}
	transcript(t, dial(t, srv.Addr), `
		S: +OK*
		C: USER nobody
		S: +OK*
		C: PASS x
		S: -ERR*
	`)
}

func TestStartTLS(t *testing.T) {
	t.Parallel()
	srv := NewUnstartedServer(t)
	if err := srv.StartTLS(); err != nil {
		t.Fatal(err)
	}
	if err := srv.Deliver("bob", []byte(msg)); err != nil {
		t.Fatal(err)
	}
	c := dial(t, srv.Addr)
	transcript(t, c, `
		S: +OK*
		C: STLS
		S: +OK*
	`)
	tc := tls.Client(c, srv.ClientTLSConfig())
	if err := tc.Handshake(); err != nil {
		t.Fatal(err)
	}
	transcript(t, tc, `
		C: USER bob
		S: +OK*
		C: PASS x
		S: +OK*
		C: STAT
		S: +OK 1 69
	`)
}

func TestPythonPoplib(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 not installed: poplib interop not run")
	}
	srv := NewServer(t)
	if err := srv.Deliver("carol@example.org", []byte(msg)); err != nil {
		t.Fatal(err)
	}
	host, port, _ := net.SplitHostPort(srv.Addr)
	script := `
import poplib, sys
p = poplib.POP3(sys.argv[1], int(sys.argv[2]), timeout=10)
p.user("carol@example.org"); p.pass_("whatever")
print(p.stat()[0])
resp, lines, octets = p.retr(1)
print(b"\n".join(lines).decode())
p.dele(1)
p.quit()
`
	out, err := exec.Command("python3", "-c", script, host, port).CombinedOutput()
	if err != nil {
		t.Fatalf("python3: %v\n%s", err, out)
	}
	// poplib returns the lines without CRLF; the empty line separates
	// header and body.
	if want := "1\nFrom: a@example.org\nTo: bob@example.org\nSubject: Hi\n\nHello Bob.\n"; string(out) != want {
		t.Fatalf("poplib output:\n%s\nwant:\n%s", out, want)
	}
	// DELE + QUIT removed the message from the store.
	transcript(t, dial(t, srv.Addr), `
		S: +OK*
		C: USER carol@example.org
		S: +OK*
		C: PASS x
		S: +OK*
		C: STAT
		S: +OK 0 0
	`)
}
