package imap_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"log/slog"
	"net"
	"slices"
	"strings"
	"testing"

	"github.com/mailwright/mailwright/imap"
	"github.com/mailwright/mailwright/internal/logtest"
	"github.com/mailwright/mailwright/mailbox"
)

// A TLS configuration without a certificate fails every handshake: the
// server must not offer STARTTLS with it, nor send clients to it.
func TestSTARTTLSNeedsCertificate(t *testing.T) {
	ts := startServer(t, func(s *imap.Server) {
		s.AllowInsecureAuth = false
		s.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	})
	c := ts.dial(t)
	c.send("a1 CAPABILITY")
	if caps := c.readLine(); strings.Contains(caps, "STARTTLS") {
		t.Fatalf("STARTTLS offered without a certificate: %s", caps)
	}
	c.run(`
S: a1 OK CAPABILITY completed
C: a2 STARTTLS
S: a2 BAD STARTTLS is not available
C: a3 LOGIN alice secret
S: a3 NO [PRIVACYREQUIRED] LOGIN is disabled on an unencrypted connection, and this server has no TLS configured`)
}

// Without TLS and without AllowInsecureAuth nobody can log in: the
// server says so at start, and the refusal says why instead of sending
// the client to a STARTTLS that is not offered.
func TestNoTLSNoInsecureAuth(t *testing.T) {
	ts := startServer(t, func(s *imap.Server) { s.AllowInsecureAuth = false })
	ts.dial(t).run(`
C: a1 LOGIN alice secret
S: a1 NO [PRIVACYREQUIRED] LOGIN is disabled on an unencrypted connection, and this server has no TLS configured
C: a2 AUTHENTICATE PLAIN AGFsaWNlAHNlY3JldA==
S: a2 NO [PRIVACYREQUIRED] Authentication is disabled on an unencrypted connection, and this server has no TLS configured`)
	want := `level=WARN msg="imap: no TLS configured (TLSConfig has no certificate) and AllowInsecureAuth is off: no client can log in" addr=` + ts.addr
	if !ts.logs.Has(want) {
		t.Errorf("log has no start warning %q:\n%s", want, ts.logs)
	}

	serverTLS, _ := testCert(t)
	for _, configure := range []func(*imap.Server){
		func(s *imap.Server) { s.AllowInsecureAuth = false; s.TLSConfig = serverTLS },
		func(s *imap.Server) { s.AllowInsecureAuth = true },
	} {
		ts := startServer(t, configure)
		ts.dial(t)
		if n := ts.logs.Count("no client can log in"); n != 0 {
			t.Errorf("warning logged although clients can log in:\n%s", ts.logs)
		}
	}
}

// Failed logins are logged in the line that the three protocols share.
func TestFailedLoginLogged(t *testing.T) {
	ts := startServer(t, func(s *imap.Server) { s.MaxAuthFailures = 10 })
	ts.dial(t).run(`
C: a1 LOGIN alice wrong
S: a1 NO [AUTHENTICATIONFAILED] Authentication failed
C: a2 AUTHENTICATE PLAIN AGJvYgB3cm9uZw==
S: a2 NO [AUTHENTICATIONFAILED] Authentication failed
C: a3 AUTHENTICATE PLAIN YWRtaW4AYWxpY2UAc2VjcmV0
S: a3 NO [AUTHORIZATIONFAILED] Authorization identity refused
C: a4 LOGIN "eve\" x" wrong
S: a4 NO [AUTHENTICATIONFAILED] Authentication failed
C: a5 LOGIN alice secret
S: a5 OK [CAPABILITY *] Logged in`)
	want := []string{
		`level=WARN msg="login failed" proto=imap ip=127.0.0.1 user=alice method=LOGIN`,
		`level=WARN msg="login failed" proto=imap ip=127.0.0.1 user=bob method="AUTHENTICATE PLAIN"`,
		`level=WARN msg="login failed" proto=imap ip=127.0.0.1 user=alice method="AUTHENTICATE PLAIN"`,
		`level=WARN msg="login failed" proto=imap ip=127.0.0.1 user="eve\" x" method=LOGIN`,
	}
	if got := ts.logs.Matching("login failed"); !slices.Equal(got, want) {
		t.Errorf("failed-login lines:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// A nil Logger is slog.Default(), as in net/http.
func TestNilLoggerIsDefault(t *testing.T) {
	logger, logs := logtest.New()
	defer slog.SetDefault(slog.Default())
	slog.SetDefault(logger)
	srv := &imap.Server{Backend: mailbox.NewIMAPBackend(mailbox.NewMemoryStore(), mailbox.NewMemoryAccounts())}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(l)
	defer srv.Shutdown(context.Background())
	nc, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	(&client{t: t, conn: nc, r: bufio.NewReader(nc)}).expect("* OK [CAPABILITY *] IMAP server ready")
	if logs.Count("imap: no TLS configured") != 1 {
		t.Errorf("default logger got:\n%s", logs)
	}
}
