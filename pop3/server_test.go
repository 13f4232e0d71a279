package pop3_test

import (
	"bufio"
	"context"
	"crypto/md5"
	"crypto/tls"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mailwright/mailwright/pop3"
	"github.com/mailwright/mailwright/pop3/backendtest"
)

const (
	// msg1 has LF endings and a line that needs byte-stuffing: 32 octets
	// with CRLF. msg2 has CRLF endings and no final newline: 58 octets.
	msg1 = "Subject: one\n\nhello\n.dotted\n"
	msg2 = "Subject: two\r\nFrom: x@example.org\r\n\r\nline1\r\nline2\r\nline3"
)

func TestSizesOfTestMessages(t *testing.T) {
	// The transcripts below hard-code these sizes.
	if n := backendtest.CRLFSize([]byte(msg1)); n != 32 {
		t.Fatalf("msg1 is %d octets", n)
	}
	if n := backendtest.CRLFSize([]byte(msg2)); n != 58 {
		t.Fatalf("msg2 is %d octets", n)
	}
}

func TestSession(t *testing.T) {
	ts := startServer(t, nil)
	ts.deliver(t, "alice", msg1)
	ts.deliver(t, "alice", msg2)
	c := dial(t, ts.addr)
	c.run(`
		S: +OK POP3 server ready
		C: CAPA
		S: +OK Capability list follows
		S: TOP
		S: UIDL
		S: RESP-CODES
		S: AUTH-RESP-CODE
		S: PIPELINING
		S: USER
		S: SASL PLAIN LOGIN
		S: .
		C: STAT
		S: -ERR Not logged in; STAT is valid after login
		C: user alice
		S: +OK Send PASS
		C: pass secret
		S: +OK Logged in, 2 messages (90 octets)
		C: USER bob
		S: -ERR Already logged in; USER is valid only before login
		C: STAT
		S: +OK 2 90
		C: LIST
		S: +OK 2 messages (90 octets)
		S: 1 32
		S: 2 58
		S: .
		C: LIST 2
		S: +OK 2 58
		C: LIST 3
		S: -ERR No such message, only 2 messages in maildrop
		C: UIDL
		S: +OK Unique-ID listing follows
		S: 1 m1
		S: 2 m2
		S: .
		C: uidl 2
		S: +OK 2 m2
		C: RETR 1
		S: +OK 32 octets
		S: Subject: one
		S:
		S: hello
		S: ..dotted
		S: .
		C: RETR 2
		S: +OK 58 octets
		S: Subject: two
		S: From: x@example.org
		S:
		S: line1
		S: line2
		S: line3
		S: .
		C: TOP 2 0
		S: +OK Top of message follows
		S: Subject: two
		S: From: x@example.org
		S:
		S: .
		C: TOP 2 2
		S: +OK Top of message follows
		S: Subject: two
		S: From: x@example.org
		S:
		S: line1
		S: line2
		S: .
		C: Top 2 99999999999
		S: +OK Top of message follows
		S: Subject: two
		S: From: x@example.org
		S:
		S: line1
		S: line2
		S: line3
		S: .
		C: TOP 1 1
		S: +OK Top of message follows
		S: Subject: one
		S:
		S: hello
		S: .
		C: DELE 1
		S: +OK Message 1 deleted
		C: DELE 1
		S: -ERR Message already deleted
		C: RETR 1
		S: -ERR Message already deleted
		C: STAT
		S: +OK 1 58
		C: LIST
		S: +OK 1 messages (58 octets)
		S: 2 58
		S: .
		C: UIDL
		S: +OK Unique-ID listing follows
		S: 2 m2
		S: .
		C: RSET
		S: +OK Maildrop has 2 messages (90 octets)
		C: LIST 1
		S: +OK 1 32
		C: NOOP
		S: +OK
		C: CAPA
		S: +OK Capability list follows
		S: TOP
		S: UIDL
		S: RESP-CODES
		S: AUTH-RESP-CODE
		S: PIPELINING
		S: .
		C: DELE 2
		S: +OK Message 2 deleted
		C: QUIT
		S: +OK Bye, 1 messages deleted
		S: <closed>
	`)
	waitFor(t, "maildrop close", func() bool { return ts.spy.has("close") })
	if got := ts.mem.UIDs("alice"); !slices.Equal(got, []string{"m1"}) {
		t.Errorf("after QUIT, maildrop holds %v, want [m1]", got)
	}
	want := []string{"login alice", "messages", "open m1", "open m2", "open m2", "open m2", "open m2", "open m1", "delete m2", "close"}
	if got := ts.spy.Events(); !slices.Equal(got, want) {
		t.Errorf("backend calls:\n got %q\nwant %q", got, want)
	}
	// Every backend call got the connection's context, cancelled now.
	for _, ctx := range ts.spy.contexts() {
		if ctx.Err() == nil {
			t.Error("a backend call's context is still live after the session ended")
		}
	}
}

func TestUpdateStateOnlyAfterQuit(t *testing.T) {
	ts := startServer(t, nil)
	ts.deliver(t, "alice", msg1)
	ts.deliver(t, "alice", msg2)

	// The connection drops after DELE: nothing is deleted.
	c := dial(t, ts.addr)
	c.run(`
		S: +OK *
		C: USER alice
		S: +OK Send PASS
		C: PASS secret
		S: +OK Logged in, 2 messages (90 octets)
		C: DELE 1
		S: +OK Message 1 deleted
		C: DELE 2
		S: +OK Message 2 deleted
	`)
	c.conn.Close()
	waitFor(t, "maildrop close", func() bool { return ts.spy.has("close") })
	for _, ev := range ts.spy.Events() {
		if strings.HasPrefix(ev, "delete") {
			t.Fatalf("Delete called after the connection dropped: %q", ev)
		}
	}

	// QUIT after DELE deletes; the next session sees the result.
	c = dial(t, ts.addr)
	c.run(`
		S: +OK *
		C: USER alice
		S: +OK Send PASS
		C: PASS secret
		S: +OK Logged in, 2 messages (90 octets)
		C: DELE 1
		S: +OK Message 1 deleted
		C: QUIT
		S: +OK Bye, 1 messages deleted
		S: <closed>
	`)
	waitFor(t, "second close", func() bool { return ts.spy.count("close") == 2 })
	c = dial(t, ts.addr)
	c.run(`
		S: +OK *
		C: USER alice
		C: PASS secret
		C: UIDL
		C: QUIT
		S: +OK Send PASS
		S: +OK Logged in, 1 messages (58 octets)
		S: +OK Unique-ID listing follows
		S: 1 m2
		S: .
		S: +OK Bye, 0 messages deleted
		S: <closed>
	`)
	waitFor(t, "third close", func() bool { return ts.spy.count("close") == 3 })
	if n := ts.spy.count("delete m1"); n != 1 {
		t.Errorf("Delete(m1) called %d times, want 1", n)
	}
}

func TestSnapshotAtLogin(t *testing.T) {
	ts := startServer(t, nil)
	ts.deliver(t, "alice", msg1)
	c := dial(t, ts.addr)
	c.run(`
		S: +OK *
		C: USER alice
		C: PASS secret
		S: +OK Send PASS
		S: +OK Logged in, 1 messages (32 octets)
	`)
	ts.deliver(t, "alice", msg2)
	c.run(`
		C: STAT
		S: +OK 1 32
		C: DELE 1
		C: QUIT
		S: +OK Message 1 deleted
		S: +OK Bye, 1 messages deleted
	`)
	waitFor(t, "close", func() bool { return ts.spy.has("close") })
	c = dial(t, ts.addr)
	c.run(`
		S: +OK *
		C: USER alice
		C: PASS secret
		C: UIDL
		S: +OK Send PASS
		S: +OK Logged in, 1 messages (58 octets)
		S: +OK Unique-ID listing follows
		S: 1 m2
		S: .
	`)
}

func TestAuthFailures(t *testing.T) {
	ts := startServer(t, func(s *pop3.Server) { s.MaxAuthFailures = 3 })
	c := dial(t, ts.addr)
	c.run(`
		S: +OK *
		C: PASS secret
		S: -ERR Send USER first
		C: USER alice
		S: +OK Send PASS
		C: PASS wrong
		S: -ERR [AUTH] Authentication failed
		C: PASS secret
		S: -ERR Send USER first
		C: USER nobody
		S: +OK Send PASS
		C: PASS secret
		S: -ERR [AUTH] Authentication failed
		C: AUTH PLAIN ` + b64("\x00alice\x00bad") + `
		S: -ERR [AUTH] Authentication failed; too many failures, closing connection
		S: <closed>
	`)
	// Failures are counted per connection: a new one can log in.
	c = dial(t, ts.addr)
	c.run(`
		S: +OK *
		C: USER alice
		C: PASS secret
		S: +OK Send PASS
		S: +OK Logged in, 0 messages (0 octets)
	`)
	// IN-USE while that session holds the maildrop; not counted as a failure.
	c2 := dial(t, ts.addr)
	c2.run(`
		S: +OK *
		C: USER alice
		C: PASS secret
		S: +OK Send PASS
		S: -ERR [IN-USE] Maildrop already in use by another session
		C: USER alice
		C: PASS secret
		S: +OK Send PASS
		S: -ERR [IN-USE] Maildrop already in use by another session
		C: USER alice
		C: PASS secret
		S: +OK Send PASS
		S: -ERR [IN-USE] Maildrop already in use by another session
	`)
	c.run(`
		C: QUIT
		S: +OK Bye, 0 messages deleted
	`)
	waitFor(t, "close", func() bool { return ts.spy.has("close") })
	c2.run(`
		C: USER alice
		C: PASS secret
		S: +OK Send PASS
		S: +OK Logged in, 0 messages (0 octets)
	`)
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func TestInsecureAuthRefused(t *testing.T) {
	ts := startServer(t, func(s *pop3.Server) { s.AllowInsecureAuth = false })
	c := dial(t, ts.addr)
	c.run(`
		S: +OK POP3 server ready
		C: CAPA
		S: +OK Capability list follows
		S: TOP
		S: UIDL
		S: RESP-CODES
		S: AUTH-RESP-CODE
		S: PIPELINING
		S: .
		C: USER alice
		S: -ERR [AUTH] Plaintext authentication disallowed on an unencrypted connection, and this server has no TLS configured
		C: PASS secret
		S: -ERR [AUTH] Plaintext authentication disallowed on an unencrypted connection, and this server has no TLS configured
		C: AUTH PLAIN ` + b64("\x00alice\x00secret") + `
		S: -ERR [AUTH] Plaintext authentication disallowed on an unencrypted connection, and this server has no TLS configured
		C: AUTH
		S: +OK
		S: .
		C: STLS
		S: -ERR STLS not available
		C: QUIT
		S: +OK Bye
		S: <closed>
	`)
	if ev := ts.spy.Events(); len(ev) != 0 {
		t.Errorf("backend called: %q", ev)
	}
}

func TestSTLS(t *testing.T) {
	serverTLS, clientTLS, _, _ := testCert(t)
	ts := startServer(t, func(s *pop3.Server) {
		s.AllowInsecureAuth = false
		s.TLSConfig = serverTLS
	})
	ts.deliver(t, "alice", msg1)
	c := dial(t, ts.addr)
	// CAPA is pipelined behind STLS in the same write: that plaintext
	// must be discarded, not answered inside TLS.
	c.run(`
		S: +OK POP3 server ready
		C: CAPA
		S: +OK Capability list follows
		S: TOP
		S: UIDL
		S: RESP-CODES
		S: AUTH-RESP-CODE
		S: PIPELINING
		S: STLS
		S: .
		C: USER alice
		S: -ERR [AUTH] Plaintext authentication disallowed on an unencrypted connection; use STLS first
		C: STLS
		C: CAPA
		S: +OK Begin TLS negotiation
	`)
	c.startTLS(clientTLS)
	c.run(`
		C: NOOP
		S: -ERR Not logged in; NOOP is valid after login
		C: CAPA
		S: +OK Capability list follows
		S: TOP
		S: UIDL
		S: RESP-CODES
		S: AUTH-RESP-CODE
		S: PIPELINING
		S: USER
		S: SASL PLAIN LOGIN
		S: .
		C: STLS
		S: -ERR Already using TLS
		C: USER alice
		S: +OK Send PASS
		C: PASS secret
		S: +OK Logged in, 1 messages (32 octets)
		C: RETR 1
		S: +OK 32 octets
		S: Subject: one
		S:
		S: hello
		S: ..dotted
		S: .
		C: QUIT
		S: +OK Bye, 0 messages deleted
	`)
	ts.spy.mu.Lock()
	info := ts.spy.infos[0]
	ts.spy.mu.Unlock()
	if info.TLS == nil || !info.TLS.HandshakeComplete {
		t.Error("Login did not get the TLS state of the connection")
	}
	if info.RemoteAddr == nil || info.LocalAddr == nil {
		t.Error("Login did not get the connection addresses")
	}
}

func TestImplicitTLS(t *testing.T) {
	serverTLS, clientTLS, certFile, keyFile := testCert(t)
	for _, mode := range []string{"ServeTLS", "tls.NewListener"} {
		t.Run(mode, func(t *testing.T) {
			mem := backendtest.NewMemory()
			mem.AddUser("alice", "secret")
			mem.Deliver("alice", []byte(msg1))
			srv := &pop3.Server{Backend: mem}
			l, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			if mode == "ServeTLS" {
				go func() { done <- srv.ServeTLS(l, certFile, keyFile) }()
			} else {
				go func() { done <- srv.Serve(tls.NewListener(l, serverTLS)) }()
			}
			defer func() {
				srv.Close()
				if err := <-done; !errors.Is(err, pop3.ErrServerClosed) {
					t.Errorf("serve returned %v", err)
				}
			}()
			conn, err := tls.Dial("tcp", l.Addr().String(), clientTLS)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			conn.SetDeadline(time.Now().Add(20 * time.Second))
			c := &client{t: t, conn: conn, r: bufio.NewReader(conn)}
			// The greeting has an APOP timestamp: Memory implements APOP.
			// USER is accepted without AllowInsecureAuth: TLS from the start.
			c.run(`
				S: +OK POP3 server ready <*
				C: CAPA
				S: +OK Capability list follows
				S: TOP
				S: UIDL
				S: RESP-CODES
				S: AUTH-RESP-CODE
				S: PIPELINING
				S: USER
				S: SASL PLAIN LOGIN
				S: .
				C: USER alice
				C: PASS secret
				C: LIST
				C: QUIT
				S: +OK Send PASS
				S: +OK Logged in, 1 messages (32 octets)
				S: +OK 1 messages (32 octets)
				S: 1 32
				S: .
				S: +OK Bye, 0 messages deleted
			`)
		})
	}
}

func TestSASL(t *testing.T) {
	ts := startServer(t, func(s *pop3.Server) { s.MaxAuthFailures = -1 })
	for _, tc := range []struct{ name, transcript string }{
		{"PLAIN initial response", `
			C: AUTH PLAIN ` + b64("\x00alice\x00secret") + `
			S: +OK Logged in, 0 messages (0 octets)`},
		{"PLAIN with authzid equal to user", `
			C: auth plain ` + b64("alice\x00alice\x00secret") + `
			S: +OK Logged in, 0 messages (0 octets)`},
		{"PLAIN continuation", `
			C: AUTH PLAIN
			S: + *
			C: ` + b64("\x00alice\x00secret") + `
			S: +OK Logged in, 0 messages (0 octets)`},
		{"PLAIN bad password", `
			C: AUTH PLAIN ` + b64("\x00alice\x00nope") + `
			S: -ERR [AUTH] Authentication failed
			C: STAT
			S: -ERR Not logged in; STAT is valid after login`},
		{"PLAIN other authzid", `
			C: AUTH PLAIN ` + b64("bob\x00alice\x00secret") + `
			S: -ERR [AUTH] Authentication failed`},
		{"PLAIN malformed", `
			C: AUTH PLAIN ` + b64("alice secret") + `
			S: -ERR [AUTH] Authentication failed`},
		{"PLAIN empty initial response", `
			C: AUTH PLAIN =
			S: -ERR [AUTH] Authentication failed`},
		{"LOGIN", `
			C: AUTH LOGIN
			S: + ` + b64("Username:") + `
			C: ` + b64("alice") + `
			S: + ` + b64("Password:") + `
			C: ` + b64("secret") + `
			S: +OK Logged in, 0 messages (0 octets)`},
		{"LOGIN initial response", `
			C: AUTH LOGIN ` + b64("alice") + `
			S: + ` + b64("Password:") + `
			C: ` + b64("secret") + `
			S: +OK Logged in, 0 messages (0 octets)`},
		{"cancel", `
			C: AUTH LOGIN
			S: + ` + b64("Username:") + `
			C: *
			S: -ERR Authentication cancelled
			C: AUTH PLAIN
			S: + *
			C: *
			S: -ERR Authentication cancelled`},
		{"bad base64", `
			C: AUTH PLAIN !!!
			S: -ERR Invalid base64 in initial response
			C: AUTH LOGIN
			S: + ` + b64("Username:") + `
			C: not base64!
			S: -ERR Invalid base64 in response`},
		{"response too long", `
			C: AUTH PLAIN
			S: + *
			C: ` + strings.Repeat("QUFB", 2000) + `
			S: -ERR Authentication response too long
			C: AUTH PLAIN ` + strings.Repeat("QUFB", 200) + `
			S: -ERR Line too long`},
		{"unknown mechanism", `
			C: AUTH CRAM-MD5
			S: -ERR Unsupported authentication mechanism`},
		{"list mechanisms", `
			C: AUTH
			S: +OK
			S: PLAIN
			S: LOGIN
			S: .`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := dial(t, ts.addr)
			c.run("S: +OK *\n" + tc.transcript + "\nC: QUIT\nS: +OK Bye*\nS: <closed>")
		})
	}
}

func TestCapaOptional(t *testing.T) {
	ts := startServer(t, func(s *pop3.Server) {
		s.Implementation = "mailwright test"
		s.Expire = "NEVER"
		s.LoginDelay = 90 * time.Second
	})
	c := dial(t, ts.addr)
	c.run(`
		S: +OK *
		C: CAPA
		S: +OK Capability list follows
		S: TOP
		S: UIDL
		S: RESP-CODES
		S: AUTH-RESP-CODE
		S: PIPELINING
		S: USER
		S: SASL PLAIN LOGIN
		S: EXPIRE NEVER
		S: LOGIN-DELAY 90
		S: IMPLEMENTATION mailwright test
		S: .
	`)
}

func TestAPOP(t *testing.T) {
	mem := backendtest.NewMemory()
	mem.AddUser("alice", "secret")
	srv := &pop3.Server{Backend: mem}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(l)
	defer srv.Close()

	c := dial(t, l.Addr().String())
	greeting := c.readLine()
	i, j := strings.IndexByte(greeting, '<'), strings.LastIndexByte(greeting, '>')
	if !strings.HasPrefix(greeting, "+OK ") || i < 0 || j < i {
		t.Fatalf("greeting %q has no APOP timestamp", greeting)
	}
	ts := greeting[i : j+1]
	if !strings.Contains(ts, "@") {
		t.Errorf("APOP timestamp %q is not in msg-id form", ts)
	}
	digest := func(secret string) string {
		sum := md5.Sum([]byte(ts + secret))
		return hex.EncodeToString(sum[:])
	}
	// APOP does not send the password: allowed without TLS.
	c.run(`
		C: APOP alice ` + digest("wrong") + `
		S: -ERR [AUTH] Authentication failed
		C: APOP alice xyz
		S: -ERR Invalid APOP digest
		C: APOP alice ` + strings.ToUpper(digest("secret")) + `
		S: +OK Logged in, 0 messages (0 octets)
		C: QUIT
		S: +OK Bye, 0 messages deleted
	`)

	// Two connections get different timestamps.
	c2 := dial(t, l.Addr().String())
	if g2 := c2.readLine(); g2 == greeting {
		t.Errorf("two greetings share the timestamp %q", g2)
	}

	// Without APOPBackend: no timestamp, no APOP.
	ts2 := startServer(t, nil)
	c = dial(t, ts2.addr)
	c.run(`
		S: +OK POP3 server ready
		C: APOP alice 0123456789abcdef0123456789abcdef
		S: -ERR APOP not supported
	`)
}

func TestBadCommands(t *testing.T) {
	ts := startServer(t, nil)
	ts.deliver(t, "alice", msg1)
	c := dial(t, ts.addr)
	c.run(`
		S: +OK *
		C:
		S: -ERR Empty command
		C: XYZZY
		S: -ERR Unknown command
		C: HELO
		S: -ERR Unknown command
		C: USER
		S: -ERR Missing argument
		C: USER a b
		S: -ERR Too many arguments
		C: USER al` + "\x01" + `ice
		S: -ERR Invalid character in command
		C: CAPA now
		S: -ERR Too many arguments
		C: USER alice
		C: PASS secret
		S: +OK Send PASS
		S: +OK Logged in, 1 messages (32 octets)
		C: RETR
		S: -ERR Missing argument
		C: RETR 0
		S: -ERR No such message, only 1 messages in maildrop
		C: RETR -1
		S: -ERR Invalid message number
		C: RETR +1
		S: -ERR Invalid message number
		C: RETR one
		S: -ERR Invalid message number
		C: RETR 99999999999999999999
		S: -ERR Invalid message number
		C: RETR 2
		S: -ERR No such message, only 1 messages in maildrop
		C: TOP 1
		S: -ERR Missing argument
		C: TOP 1 x
		S: -ERR Invalid number of lines
		C: TOP 1 -1
		S: -ERR Invalid number of lines
		C: LIST 1 2
		S: -ERR Too many arguments
		C: DELE x
		S: -ERR Invalid message number
		C: STLS
		S: -ERR Already logged in; STLS is valid only before login
		C: PASS secret
		S: -ERR Already logged in; PASS is valid only before login
		C: list   1
		S: +OK 1 32
		C: STAT
		S: +OK 1 32
	`)
}

func TestLongLines(t *testing.T) {
	ts := startServer(t, nil)
	c := dial(t, ts.addr)
	c.run(`S: +OK *`)
	// Just under the limit (512 octets with CRLF) is parsed; over is not.
	fits := "USER " + strings.Repeat("a", 512-2-5)
	c.run(`
		C: ` + fits + `
		S: +OK Send PASS
		C: USER ` + strings.Repeat("a", 512-2-4) + `
		S: -ERR Line too long
	`)
	// A line far longer than the input buffer is discarded as it comes,
	// and the session goes on; the next command on the same write works.
	huge := "NOOP " + strings.Repeat("x", 1<<20) + "\r\nQUIT\r\n"
	go c.conn.Write([]byte(huge))
	c.run(`
		S: -ERR Line too long
		S: +OK Bye
		S: <closed>
	`)
}

func TestPipelining(t *testing.T) {
	ts := startServer(t, nil)
	for i := range 5 {
		ts.deliver(t, "alice", fmt.Sprintf("Subject: %d\r\n\r\nbody %d\r\n", i, i))
	}
	c := dial(t, ts.addr)
	c.run(`S: +OK *`)
	// Everything in one write, responses in order.
	var cmds, want strings.Builder
	cmds.WriteString("USER alice\r\nPASS secret\r\n")
	for i := 1; i <= 5; i++ {
		fmt.Fprintf(&cmds, "RETR %d\r\nDELE %d\r\n", i, i)
	}
	cmds.WriteString("STAT\r\nQUIT\r\n")
	if _, err := c.conn.Write([]byte(cmds.String())); err != nil {
		t.Fatal(err)
	}
	want.WriteString("+OK Send PASS\r\n+OK Logged in, 5 messages (110 octets)\r\n")
	for i := 1; i <= 5; i++ {
		fmt.Fprintf(&want, "+OK 22 octets\r\nSubject: %d\r\n\r\nbody %d\r\n.\r\n+OK Message %d deleted\r\n", i-1, i-1, i)
	}
	want.WriteString("+OK 0 0\r\n+OK Bye, 5 messages deleted\r\n")
	got, err := io.ReadAll(c.r)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want.String() {
		t.Errorf("pipelined responses:\n got %q\nwant %q", got, want.String())
	}
	waitFor(t, "close", func() bool { return ts.spy.has("close") })
	if n := len(ts.mem.UIDs("alice")); n != 0 {
		t.Errorf("%d messages left after pipelined DELE and QUIT", n)
	}
}

// countingListener counts the writes the server makes to its connections.
type countingListener struct {
	net.Listener
	writes atomic.Int64
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &countingConn{Conn: c, l: l}, nil
}

type countingConn struct {
	net.Conn
	l *countingListener
}

func (c *countingConn) Write(p []byte) (int, error) {
	c.l.writes.Add(1)
	return c.Conn.Write(p)
}

// TestPipeliningFlushesOnce checks that a pipelined batch is answered with
// one write, not one per command (RFC 2449 section 6.6).
func TestPipeliningFlushesOnce(t *testing.T) {
	mem := backendtest.NewMemory()
	mem.AddUser("alice", "secret")
	srv := &pop3.Server{Backend: struct{ pop3.Backend }{mem}, AllowInsecureAuth: true}
	tcp, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := &countingListener{Listener: tcp}
	go srv.Serve(l)
	defer srv.Close()

	c := dial(t, tcp.Addr().String())
	c.run(`
		S: +OK *
		C: USER alice
		C: PASS secret
		S: +OK Send PASS
		S: +OK Logged in, 0 messages (0 octets)
	`)
	before := l.writes.Load()
	c.run(strings.Repeat("C: NOOP\n", 50) + strings.Repeat("S: +OK\n", 50))
	// One batch in one client write arrives in one read on loopback, so
	// one server write answers it; allow for a split read, not for 50.
	if n := l.writes.Load() - before; n < 1 || n > 3 {
		t.Errorf("the server answered a batch of 50 commands with %d writes", n)
	}
	c.run(`
		C: NOOP
		S: +OK
	`)
	if n := l.writes.Load() - before; n < 2 || n > 4 {
		t.Errorf("a single command after the batch was not flushed on its own: %d writes in all", n)
	}
}

func TestIdleTimeout(t *testing.T) {
	ts := startServer(t, func(s *pop3.Server) { s.IdleTimeout = 200 * time.Millisecond })
	ts.deliver(t, "alice", msg1)

	// Silent client: closed without a response (RFC 1939 section 3).
	c := dial(t, ts.addr)
	c.run(`
		S: +OK *
		S: <closed>
	`)

	// Logged in with a DELE pending: closed, nothing deleted, maildrop closed.
	c = dial(t, ts.addr)
	c.run(`
		S: +OK *
		C: USER alice
		C: PASS secret
		C: DELE 1
		S: +OK Send PASS
		S: +OK Logged in, 1 messages (32 octets)
		S: +OK Message 1 deleted
		S: <closed>
	`)
	waitFor(t, "close", func() bool { return ts.spy.has("close") })
	if got := ts.mem.UIDs("alice"); len(got) != 1 {
		t.Errorf("messages after autologout: %v, want m1 kept", got)
	}

	// A byte every 50 ms does not keep a command alive: the timeout bounds
	// the whole line. The drip would take 2 s; the server cuts it at 200 ms.
	c = dial(t, ts.addr)
	c.run(`S: +OK *`)
	start := time.Now()
	closed := false
	for i := 0; i < 40 && !closed; i++ {
		if _, err := c.conn.Write([]byte("N")); err != nil {
			closed = true
			break
		}
		time.Sleep(50 * time.Millisecond)
		c.conn.SetReadDeadline(time.Now().Add(time.Millisecond))
		if _, err := c.r.ReadByte(); err != nil && !isTimeout(err) {
			closed = true
		}
	}
	if !closed {
		t.Fatalf("server kept a dripping connection open for %v", time.Since(start))
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func TestConnectionLimits(t *testing.T) {
	for _, tc := range []struct {
		name      string
		configure func(*pop3.Server)
		text      string
	}{
		{"per IP", func(s *pop3.Server) { s.MaxConnectionsPerIP = 2 }, "-ERR [SYS/TEMP] Too many connections from your address or network, try again later"},
		{"global", func(s *pop3.Server) { s.MaxConnections = 2 }, "-ERR [SYS/TEMP] Too many connections, try again later"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := startServer(t, tc.configure)
			c1 := dial(t, ts.addr)
			c1.run(`S: +OK *`)
			c2 := dial(t, ts.addr)
			c2.run(`S: +OK *`)
			c3 := dial(t, ts.addr)
			c3.run(`
				S: ` + tc.text + `
				S: <closed>
			`)
			c1.run(`
				C: QUIT
				S: +OK Bye
				S: <closed>
			`)
			// The slot frees when the session has ended on the server.
			waitFor(t, "a free slot", func() bool {
				c := dial(t, ts.addr)
				defer c.conn.Close()
				return strings.HasPrefix(c.readLine(), "+OK")
			})
			c2.run(`
				C: NOOP
				S: -ERR Not logged in; NOOP is valid after login
			`)
		})
	}
}

func TestBackendErrors(t *testing.T) {
	secretText := "disk /dev/sdz1 on fire"
	t.Run("Messages", func(t *testing.T) {
		ts := startServer(t, nil)
		ts.spy.setFail("messages", errors.New(secretText))
		c := dial(t, ts.addr)
		c.run(`
			S: +OK *
			C: USER alice
			C: PASS secret
			S: +OK Send PASS
			S: -ERR [SYS/TEMP] Temporary server error, try again later
			C: STAT
			S: -ERR Not logged in; STAT is valid after login
		`)
		waitFor(t, "close", func() bool { return ts.spy.has("close") })
		if !strings.Contains(ts.logs.String(), secretText) {
			t.Error("the internal error was not logged")
		}
	})
	t.Run("Login codes", func(t *testing.T) {
		ts := startServer(t, nil)
		c := dial(t, ts.addr)
		c.run(`S: +OK *`)
		ts.spy.setFail("login", &pop3.Error{Code: "LOGIN-DELAY", Message: "Wait 5 minutes"})
		c.run(`
			C: USER alice
			C: PASS secret
			S: +OK Send PASS
			S: -ERR [LOGIN-DELAY] Wait 5 minutes
		`)
		ts.spy.setFail("login", fmt.Errorf("ldap: %w", pop3.ErrInUse))
		c.run(`
			C: USER alice
			C: PASS secret
			S: +OK Send PASS
			S: -ERR [IN-USE] Maildrop already in use by another session
		`)
		ts.spy.setFail("login", &pop3.Error{Code: "SYS/PERM", Message: "Account\r\ndisabled", Err: errors.New(secretText)})
		c.run(`
			C: USER alice
			C: PASS secret
			S: +OK Send PASS
			S: -ERR [SYS/PERM] Account  disabled
		`)
		ts.spy.setFail("login", errors.New(secretText))
		c.run(`
			C: USER alice
			C: PASS secret
			S: +OK Send PASS
			S: -ERR [SYS/TEMP] Temporary server error, try again later
		`)
	})
	t.Run("Open and Delete", func(t *testing.T) {
		ts := startServer(t, nil)
		ts.deliver(t, "alice", msg1)
		ts.spy.setFail("open", errors.New(secretText))
		ts.spy.setFail("delete", errors.New(secretText))
		c := dial(t, ts.addr)
		c.run(`
			S: +OK *
			C: USER alice
			C: PASS secret
			S: +OK Send PASS
			S: +OK Logged in, 1 messages (32 octets)
			C: RETR 1
			S: -ERR [SYS/TEMP] Temporary server error, try again later
			C: TOP 1 0
			S: -ERR [SYS/TEMP] Temporary server error, try again later
			C: DELE 1
			S: +OK Message 1 deleted
			C: QUIT
			S: -ERR [SYS/TEMP] Some deleted messages not removed
			S: <closed>
		`)
		waitFor(t, "close", func() bool { return ts.spy.has("close") })
	})
	t.Run("read error mid-message", func(t *testing.T) {
		ts := startServer(t, nil)
		ts.deliver(t, "alice", msg1)
		ts.spy.setFail("read", errors.New(secretText))
		c := dial(t, ts.addr)
		c.run(`
			S: +OK *
			C: USER alice
			C: PASS secret
			C: RETR 1
			S: +OK Send PASS
			S: +OK Logged in, 1 messages (32 octets)
			S: +OK 32 octets
			S: Subject: one
		`)
		// The "+OK" was sent; the only honest signal left is to drop the
		// connection before the terminating "." line.
		rest, _ := io.ReadAll(c.r)
		if strings.Contains(string(rest), "\r\n.\r\n") || strings.HasPrefix(string(rest), ".\r\n") {
			t.Errorf("truncated message was terminated as if complete: %q", rest)
		}
		waitFor(t, "close", func() bool { return ts.spy.has("close") })
	})
}

func TestPanicRecovered(t *testing.T) {
	ts := startServer(t, nil)
	ts.deliver(t, "alice", msg1)
	ts.spy.setPanic("open")
	c := dial(t, ts.addr)
	c.run(`
		S: +OK *
		C: USER alice
		C: PASS secret
		S: +OK Send PASS
		S: +OK Logged in, 1 messages (32 octets)
		C: RETR 1
		S: <closed>
	`)
	waitFor(t, "close", func() bool { return ts.spy.has("close") })
	if !strings.Contains(ts.logs.String(), "injected panic in open") {
		t.Error("panic not logged")
	}
	// The server still serves.
	ts.spy.setPanic("")
	c = dial(t, ts.addr)
	c.run(`
		S: +OK *
		C: USER alice
		C: PASS secret
		C: RETR 1
		S: +OK Send PASS
		S: +OK Logged in, 1 messages (32 octets)
		S: +OK 32 octets
	`)
}

type ctxKey struct{}

func TestConnContext(t *testing.T) {
	var remotes []string
	ts := startServer(t, func(s *pop3.Server) {
		s.BaseContext = func(net.Listener) context.Context {
			return context.WithValue(context.Background(), ctxKey{}, "base")
		}
		s.ConnContext = func(ctx context.Context, c net.Conn) context.Context {
			remotes = append(remotes, c.RemoteAddr().String())
			return context.WithValue(ctx, ctxKey{}, ctx.Value(ctxKey{}).(string)+"+conn")
		}
	})
	c := dial(t, ts.addr)
	c.run(`
		S: +OK *
		C: USER alice
		C: PASS secret
		S: +OK Send PASS
		S: +OK Logged in, 0 messages (0 octets)
	`)
	ctxs := ts.spy.contexts()
	if len(ctxs) != 2 {
		t.Fatalf("%d backend calls, want Login and Messages", len(ctxs))
	}
	for _, ctx := range ctxs {
		if v, _ := ctx.Value(ctxKey{}).(string); v != "base+conn" {
			t.Errorf("backend context value %q, want base+conn", v)
		}
		if ctx.Err() != nil {
			t.Error("context cancelled during the session")
		}
	}
	if len(remotes) != 1 || remotes[0] != c.conn.LocalAddr().String() {
		t.Errorf("ConnContext saw %v, want the client address %v", remotes, c.conn.LocalAddr())
	}
	c.conn.Close()
	waitFor(t, "context cancelled at disconnect", func() bool { return ctxs[0].Err() != nil })
}

func TestShutdown(t *testing.T) {
	before := runtime.NumGoroutine()
	ts := startServer(t, nil)
	ts.deliver(t, "alice", msg1)

	idle := dial(t, ts.addr)
	idle.run(`S: +OK *`)
	busy := dial(t, ts.addr)
	busy.run(`
		S: +OK *
		C: USER alice
		C: PASS secret
		C: DELE 1
		S: +OK Send PASS
		S: +OK Logged in, 1 messages (32 octets)
		S: +OK Message 1 deleted
	`)
	shut := make(chan error, 1)
	go func() { shut <- ts.srv.Shutdown(context.Background()) }()

	// The session waiting before login is closed: it has nothing to lose.
	idle.run(`S: <closed>`)
	// The listener is closed: Serve returns and new connections fail.
	select {
	case err := <-ts.done:
		if !errors.Is(err, pop3.ErrServerClosed) {
			t.Errorf("Serve returned %v", err)
		}
		ts.done <- err // for the cleanup's check
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return after Shutdown")
	}
	if conn, err := net.Dial("tcp", ts.addr); err == nil {
		conn.Close()
		t.Error("new connection accepted after Shutdown")
	}
	// The logged-in session goes on until QUIT, and its DELE takes effect.
	select {
	case err := <-shut:
		t.Fatalf("Shutdown returned %v while a session was active", err)
	case <-time.After(50 * time.Millisecond):
	}
	busy.run(`
		C: STAT
		S: +OK 0 0
		C: QUIT
		S: +OK Bye, 1 messages deleted
		S: <closed>
	`)
	select {
	case err := <-shut:
		if err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Shutdown did not return after the last session ended")
	}
	if got := ts.mem.UIDs("alice"); len(got) != 0 {
		t.Errorf("after QUIT during shutdown, maildrop holds %v", got)
	}
	if l, err := net.Listen("tcp", "127.0.0.1:0"); err == nil {
		if err := ts.srv.Serve(l); !errors.Is(err, pop3.ErrServerClosed) {
			t.Errorf("Serve after Shutdown: %v", err)
		}
	}
	idle.conn.Close()
	busy.conn.Close()
	checkNoLeaks(t, before)
}

func TestShutdownDeadline(t *testing.T) {
	before := runtime.NumGoroutine()
	ts := startServer(t, nil)
	ts.deliver(t, "alice", msg1)
	c := dial(t, ts.addr)
	c.run(`
		S: +OK *
		C: USER alice
		C: PASS secret
		C: DELE 1
		S: +OK Send PASS
		S: +OK Logged in, 1 messages (32 octets)
		S: +OK Message 1 deleted
	`)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := ts.srv.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Shutdown = %v, want DeadlineExceeded", err)
	}
	// Forced close: no UPDATE state, the maildrop closed, contexts cancelled.
	c.run(`S: <closed>`)
	waitFor(t, "close", func() bool { return ts.spy.has("close") })
	if got := ts.mem.UIDs("alice"); len(got) != 1 {
		t.Errorf("forced close deleted messages: %v left", got)
	}
	for _, ctx := range ts.spy.contexts() {
		if ctx.Err() == nil {
			t.Error("backend context not cancelled after Close")
		}
	}
	c.conn.Close()
	<-ts.done
	ts.done <- pop3.ErrServerClosed
	checkNoLeaks(t, before)
}

func TestLargeMessageStreams(t *testing.T) {
	ts := startServer(t, nil)
	var b strings.Builder
	b.WriteString("Subject: large\n\n")
	for i := 0; b.Len() < 3<<20; i++ {
		if i%7 == 0 {
			b.WriteString(".")
		}
		fmt.Fprintf(&b, "line %d\n", i)
	}
	raw := b.String()
	ts.deliver(t, "alice", raw)
	c := dial(t, ts.addr)
	c.run(`
		S: +OK *
		C: USER alice
		C: PASS secret
		C: RETR 1
		S: +OK Send PASS
		S: +OK Logged in, 1 messages (*
	`)
	want := string(backendtest.NormalizeCRLF([]byte(raw)))
	if got := c.readLine(); got != fmt.Sprintf("+OK %d octets", len(want)) {
		t.Fatalf("RETR response %q", got)
	}
	if got := c.readMultiline(); got != want {
		t.Errorf("RETR content differs: got %d octets, want %d", len(got), len(want))
	}
}

// TestHalfCloseGetsAnswers: a client that pipelines commands and then
// shuts down its sending side, its last command cut short, still gets
// the responses to the complete ones (and no UPDATE state: no QUIT).
func TestHalfCloseGetsAnswers(t *testing.T) {
	ts := startServer(t, nil)
	for i := range 40 {
		ts.deliver(t, "alice", fmt.Sprintf("Subject: %d\r\n\r\n%s\r\n", i, strings.Repeat("y", 1000)))
	}
	c := dial(t, ts.addr)
	c.run(`S: +OK *`)
	c.conn.Write([]byte("USER alice\r\nPASS secret\r\nDELE 1\r\nLIST\r\nRETR 2\r\nRETR 3\r\nSTAT\r\nNOO"))
	c.conn.(*net.TCPConn).CloseWrite()
	got, err := io.ReadAll(c.r)
	if err != nil {
		t.Fatal(err)
	}
	out := string(got)
	// Message i is 1015 octets plus the digits of i.
	if !strings.HasSuffix(out, "\r\n.\r\n+OK 39 39654\r\n") || strings.Count(out, "+OK 1016 octets\r\n") != 2 || !strings.Contains(out, "\r\n40 1017\r\n.\r\n") {
		t.Errorf("responses end %q", out[max(0, len(out)-120):])
	}
	waitFor(t, "close", func() bool { return ts.spy.has("close") })
	if n := len(ts.mem.UIDs("alice")); n != 40 {
		t.Errorf("%d messages left, want 40 (DELE without QUIT)", n)
	}
}
