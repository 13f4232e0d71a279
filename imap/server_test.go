package imap_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/mailwright/mailwright/imap"
)

const msg1 = "From: Alice <alice@example.org>\r\n" +
	"To: bob@example.org\r\n" +
	"Subject: Hello\r\n" +
	"Date: Tue, 5 Mar 2024 10:00:00 +0000\r\n" +
	"Message-ID: <1@example.org>\r\n" +
	"\r\n" +
	"Hi Bob.\r\n"

const msg2 = "From: Carol <carol@example.org>\r\n" +
	"To: alice@example.org\r\n" +
	"Subject: Lunch\r\n" +
	"MIME-Version: 1.0\r\n" +
	"Content-Type: multipart/mixed; boundary=xx\r\n" +
	"\r\n" +
	"--xx\r\n" +
	"Content-Type: text/plain; charset=utf-8\r\n" +
	"\r\n" +
	"Noon at the usual place?\r\n" +
	"--xx\r\n" +
	"Content-Type: application/octet-stream\r\n" +
	"Content-Transfer-Encoding: base64\r\n" +
	"\r\n" +
	"aGVsbG8=\r\n" +
	"--xx--\r\n"

func TestGreetingCapabilityNoopLogout(t *testing.T) {
	ts := startServer(t, nil)
	c := ts.dial(t)
	c.run(`
C: a1 CAPABILITY
S: * CAPABILITY IMAP4rev1 IMAP4rev2 AUTH=PLAIN AUTH=SCRAM-SHA-256 LITERAL+ SASL-IR ID ENABLE IDLE NAMESPACE UIDPLUS MOVE UNSELECT CHILDREN SPECIAL-USE CREATE-SPECIAL-USE ESEARCH SEARCHRES LIST-EXTENDED LIST-STATUS APPENDLIMIT=33554432 STATUS=SIZE MULTIAPPEND CATENATE BINARY UTF8=ACCEPT CONDSTORE SORT SORT=DISPLAY ESORT THREAD=ORDEREDSUBJECT THREAD=REFERENCES CONTEXT=SEARCH CONTEXT=SORT PARTIAL URLAUTH URLAUTH=BINARY
S: a1 OK CAPABILITY completed
C: a2 NOOP
S: a2 OK NOOP completed
C: a3 SELECT INBOX
S: a3 BAD SELECT is not valid before login
C: a4 FROB
S: a4 BAD Unknown command FROB
C: a5 LOGOUT
S: * BYE Logging out
S: a5 OK LOGOUT completed`)
	c.expectClosed()
}

func TestLoginDisabledWithoutTLS(t *testing.T) {
	srvTLS, cliTLS := testCert(t)
	ts := startServer(t, func(s *imap.Server) { s.AllowInsecureAuth = false; s.TLSConfig = srvTLS })
	c := ts.dial(t)
	c.run(`
C: a1 CAPABILITY
S: * CAPABILITY IMAP4rev1 IMAP4rev2 STARTTLS LOGINDISABLED LITERAL+ SASL-IR ID ENABLE IDLE NAMESPACE UIDPLUS MOVE UNSELECT CHILDREN SPECIAL-USE CREATE-SPECIAL-USE ESEARCH SEARCHRES LIST-EXTENDED LIST-STATUS APPENDLIMIT=33554432 STATUS=SIZE MULTIAPPEND CATENATE BINARY UTF8=ACCEPT CONDSTORE SORT SORT=DISPLAY ESORT THREAD=ORDEREDSUBJECT THREAD=REFERENCES CONTEXT=SEARCH CONTEXT=SORT PARTIAL URLAUTH URLAUTH=BINARY
S: a1 OK CAPABILITY completed
C: a2 LOGIN alice secret
S: a2 NO [PRIVACYREQUIRED] LOGIN is disabled on an unencrypted connection; use STARTTLS first
C: a3 AUTHENTICATE PLAIN AGFsaWNlAHNlY3JldA==
S: a3 NO [PRIVACYREQUIRED] Authentication is disabled on an unencrypted connection; use STARTTLS first
C: a4 STARTTLS
S: a4 OK Begin TLS negotiation now`)
	tc := tls.Client(c.conn, cliTLS)
	if err := tc.Handshake(); err != nil {
		t.Fatal(err)
	}
	c.conn = tc
	c.r = bufio.NewReader(tc)
	c.run(`
C: b1 CAPABILITY
S: * CAPABILITY IMAP4rev1 IMAP4rev2 AUTH=PLAIN AUTH=SCRAM-SHA-256-PLUS AUTH=SCRAM-SHA-256 LITERAL+ SASL-IR ID ENABLE IDLE NAMESPACE UIDPLUS MOVE UNSELECT CHILDREN SPECIAL-USE CREATE-SPECIAL-USE ESEARCH SEARCHRES LIST-EXTENDED LIST-STATUS APPENDLIMIT=33554432 STATUS=SIZE MULTIAPPEND CATENATE BINARY UTF8=ACCEPT CONDSTORE SORT SORT=DISPLAY ESORT THREAD=ORDEREDSUBJECT THREAD=REFERENCES CONTEXT=SEARCH CONTEXT=SORT PARTIAL URLAUTH URLAUTH=BINARY
S: b1 OK CAPABILITY completed
C: b3 LOGIN alice secret
S: b3 OK [CAPABILITY IMAP4rev1 IMAP4rev2 LITERAL+ SASL-IR ID ENABLE IDLE NAMESPACE UIDPLUS MOVE UNSELECT CHILDREN SPECIAL-USE CREATE-SPECIAL-USE ESEARCH SEARCHRES LIST-EXTENDED LIST-STATUS APPENDLIMIT=33554432 STATUS=SIZE MULTIAPPEND CATENATE BINARY UTF8=ACCEPT CONDSTORE QRESYNC NOTIFY SORT SORT=DISPLAY ESORT THREAD=ORDEREDSUBJECT THREAD=REFERENCES CONTEXT=SEARCH CONTEXT=SORT PARTIAL URLAUTH URLAUTH=BINARY] Logged in`)
}

func TestAuthenticate(t *testing.T) {
	ts := startServer(t, nil)
	c := ts.dial(t)
	// "\0alice\0secret" and a wrong password, with and without SASL-IR.
	c.run(`
C: a1 AUTHENTICATE PLAIN AGFsaWNlAHdyb25n
S: a1 NO [AUTHENTICATIONFAILED] Authentication failed
C: a2 AUTHENTICATE PLAIN
S: + {*}
C: *
S: a2 BAD Authentication canceled
C: a3 AUTHENTICATE CRAM-MD5
S: a3 NO Unsupported authentication mechanism
C: a4 AUTHENTICATE PLAIN
S: + {*}
C: AGFsaWNlAHNlY3JldA==
S: a4 OK [CAPABILITY *] Logged in
C: a5 LOGIN alice secret
S: a5 BAD LOGIN is not valid after login`)
}

func TestAuthFailureLimit(t *testing.T) {
	ts := startServer(t, func(s *imap.Server) { s.MaxAuthFailures = 2 })
	c := ts.dial(t)
	c.run(`
C: a1 LOGIN alice wrong
S: a1 NO [AUTHENTICATIONFAILED] Authentication failed
C: a2 LOGIN "alice" "wrong too"
S: a2 NO [AUTHENTICATIONFAILED] Authentication failed
S: * BYE Too many authentication failures`)
	c.expectClosed()
}

func TestBadCommandsLimit(t *testing.T) {
	ts := startServer(t, func(s *imap.Server) { s.MaxBadCommands = 3 })
	c := ts.dial(t)
	c.run(`
C: a1 FETCH 1 FLAGS
S: a1 BAD FETCH is not valid before login
C: a2 LOGIN
S: a2 BAD {*}
C: ???
S: {*} BAD {*}
S: * BYE Too many invalid commands`)
	c.expectClosed()
}

func TestEnableIDNamespace(t *testing.T) {
	ts := startServer(t, func(s *imap.Server) { s.ID = map[string]string{"name": "mailwright"} })
	c := ts.login(t)
	c.run(`
C: a1 ID ("name" "test")
S: * ID ("name" "mailwright")
S: a1 OK ID completed
C: a2 NAMESPACE
S: * NAMESPACE (("" "/")) NIL NIL
S: a2 OK NAMESPACE completed
C: a3 ENABLE IMAP4rev2 CONDSTORE
S: * ENABLED IMAP4rev2 CONDSTORE
S: a3 OK ENABLE completed
C: a4 ENABLE IMAP4rev2
S: * ENABLED
S: a4 OK ENABLE completed`)
}

func TestIdleTimeoutSaysBye(t *testing.T) {
	ts := startServer(t, func(s *imap.Server) { s.IdleTimeout = 200 * time.Millisecond })
	c := ts.dial(t)
	c.run(`S: * BYE Autologout; idle for too long`)
	c.expectClosed()
}

func TestCommandTimeout(t *testing.T) {
	// One byte of a command, then nothing: the command timeout, not the
	// idle timeout, ends the session.
	ts := startServer(t, func(s *imap.Server) { s.CommandTimeout = 200 * time.Millisecond })
	c := ts.dial(t)
	c.sendRaw("a1 NO")
	c.run(`S: * BYE Autologout; idle for too long`)
	c.expectClosed()
}

func TestConnectionCapPerIP(t *testing.T) {
	ts := startServer(t, func(s *imap.Server) { s.MaxConnectionsPerIP = 1 })
	c := ts.dial(t)
	_ = c
	nc2 := ts.dialRaw(t)
	nc2.run(`S: * BYE [UNAVAILABLE] Too many connections from your address or network, try again later`)
	nc2.expectClosed()
}

func (ts *testServer) dialRaw(t *testing.T) *client {
	nc, err := net.Dial("tcp", ts.addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	return &client{t: t, conn: nc, r: bufio.NewReader(nc)}
}

func TestShutdownNoLeak(t *testing.T) {
	ts := startServer(t, nil)
	ts.deliver(t, "alice", "INBOX", msg1)
	base := runtime.NumGoroutine()
	c1 := ts.login(t)
	c1.run(`
C: s1 SELECT INBOX
S: {*}
S: {*}
S: {*}
S: {*}
S: {*}
S: {*}
S: {*}
S: s1 OK [READ-WRITE] SELECT completed
C: s2 IDLE
S: + idling`)
	c2 := ts.dial(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := ts.srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	c1.run(`S: * BYE Server shutting down`)
	c1.expectClosed()
	c2.run(`S: * BYE Server shutting down`)
	c2.expectClosed()
	<-ts.done
	ts.done <- imap.ErrServerClosed
	checkGoroutines(t, base)
}

// TestHalfCloseGetsAnswers: a client that pipelines commands and then
// shuts down its sending side (or whose last command is cut short) still
// gets the responses to the complete commands before the server closes,
// whether they fit in the output buffer or not.
func TestHalfCloseGetsAnswers(t *testing.T) {
	ts := startServer(t, nil)
	for i := range 30 {
		ts.deliver(t, "alice", "INBOX", fmt.Sprintf("Subject: message %d\r\n\r\n%s\r\n", i, strings.Repeat("x", 1000)))
	}
	for _, tail := range []string{"", "d NOO", "d SELECT INBOX\r"} {
		c := ts.login(t)
		c.sendRaw("a SELECT INBOX\r\nb FETCH 1:* BODY.PEEK[]\r\nc NOOP\r\n" + tail)
		c.conn.(*net.TCPConn).CloseWrite()
		c.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		all, err := io.ReadAll(c.r)
		if err != nil {
			t.Fatalf("tail %q: %v", tail, err)
		}
		out := string(all)
		if n := strings.Count(out, " FETCH (BODY[] {"); n != 30 || !strings.Contains(out, "\r\nb OK") || !strings.HasSuffix(out, "\r\nc OK NOOP completed\r\n") {
			t.Errorf("tail %q: %d FETCH responses, output ends %q", tail, n, out[max(0, len(out)-80):])
		}
	}
}
