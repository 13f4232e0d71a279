package pop3_test

import (
	"context"
	"crypto/md5"
	"crypto/tls"
	"encoding/hex"
	"log/slog"
	"net"
	"slices"
	"strings"
	"testing"

	"github.com/mailwright/mailwright/internal/logtest"
	"github.com/mailwright/mailwright/pop3"
	"github.com/mailwright/mailwright/pop3/backendtest"
)

// A TLS configuration without a certificate fails every handshake: the
// server must not offer STLS with it, nor send clients to it.
func TestSTLSNeedsCertificate(t *testing.T) {
	ts := startServer(t, func(s *pop3.Server) {
		s.AllowInsecureAuth = false
		s.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	})
	dial(t, ts.addr).run(`
		S: +OK POP3 server ready
		C: CAPA
		S: +OK Capability list follows
		S: TOP
		S: UIDL
		S: RESP-CODES
		S: AUTH-RESP-CODE
		S: PIPELINING
		S: .
		C: STLS
		S: -ERR STLS not available
		C: USER alice
		S: -ERR [AUTH] Plaintext authentication disallowed on an unencrypted connection, and this server has no TLS configured
	`)
}

// Without TLS and without AllowInsecureAuth no password is accepted: the
// server says so at start (TestInsecureAuthRefused checks the replies).
func TestNoTLSNoInsecureAuthWarns(t *testing.T) {
	ts := startServer(t, func(s *pop3.Server) { s.AllowInsecureAuth = false })
	dial(t, ts.addr).run(`S: +OK POP3 server ready`)
	want := `level=WARN msg="pop3: no TLS configured (TLSConfig has no certificate) and AllowInsecureAuth is off: no client can log in" addr=` + ts.addr
	if !ts.logs.Has(want) {
		t.Errorf("log has no start warning %q:\n%s", want, ts.logs)
	}

	serverTLS, _, _, _ := testCert(t)
	for _, configure := range []func(*pop3.Server){
		func(s *pop3.Server) { s.AllowInsecureAuth = false; s.TLSConfig = serverTLS },
		func(s *pop3.Server) { s.AllowInsecureAuth = true },
	} {
		ts := startServer(t, configure)
		dial(t, ts.addr).run(`S: +OK POP3 server ready`)
		if n := ts.logs.Count("no client can log in"); n != 0 {
			t.Errorf("warning logged although clients can log in:\n%s", ts.logs)
		}
	}
}

// When the server serves implicit TLS on another listener, a plaintext
// client is sent there.
func TestPlaintextRefusalPointsToImplicitTLS(t *testing.T) {
	_, clientTLS, certFile, keyFile := testCert(t)
	ts := startServer(t, func(s *pop3.Server) { s.AllowInsecureAuth = false })
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go ts.srv.ServeTLS(l, certFile, keyFile)
	c, err := tls.Dial("tcp", l.Addr().String(), clientTLS)
	if err != nil {
		t.Fatal(err)
	}
	c.Close() // ServeTLS is serving
	dial(t, ts.addr).run(`
		S: +OK POP3 server ready
		C: USER alice
		S: -ERR [AUTH] Plaintext authentication disallowed on an unencrypted connection; connect with TLS
	`)
}

// Failed logins are logged in the line that the three protocols share,
// for every way of logging in.
func TestFailedLoginLogged(t *testing.T) {
	mem := backendtest.NewMemory()
	mem.AddUser("alice", "secret")
	ts := startServer(t, func(s *pop3.Server) { s.Backend = mem; s.MaxAuthFailures = 10 })
	c := dial(t, ts.addr)
	greeting := c.readLine()
	stamp := greeting[strings.IndexByte(greeting, '<'):]
	sum := md5.Sum([]byte(stamp + "wrong"))
	c.run(`
		C: USER alice
		S: +OK Send PASS
		C: PASS wrong
		S: -ERR [AUTH] Authentication failed
		C: APOP bob ` + hex.EncodeToString(sum[:]) + `
		S: -ERR [AUTH] Authentication failed
		C: AUTH PLAIN ` + b64("\x00carol\x00wrong") + `
		S: -ERR [AUTH] Authentication failed
		C: AUTH LOGIN
		S: + VXNlcm5hbWU6
		C: ` + b64("dave") + `
		S: + UGFzc3dvcmQ6
		C: ` + b64("wrong") + `
		S: -ERR [AUTH] Authentication failed
		C: USER alice
		S: +OK Send PASS
		C: PASS secret
		S: +OK Logged in, 0 messages (0 octets)
	`)
	want := []string{
		`level=WARN msg="login failed" proto=pop3 ip=127.0.0.1 user=alice method=PASS`,
		`level=WARN msg="login failed" proto=pop3 ip=127.0.0.1 user=bob method=APOP`,
		`level=WARN msg="login failed" proto=pop3 ip=127.0.0.1 user=carol method="AUTH PLAIN"`,
		`level=WARN msg="login failed" proto=pop3 ip=127.0.0.1 user=dave method="AUTH LOGIN"`,
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
	srv := &pop3.Server{Backend: backendtest.NewMemory()}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(l)
	defer srv.Shutdown(context.Background())
	dial(t, l.Addr().String()).run(`S: +OK POP3 server ready*`)
	if logs.Count("pop3: no TLS configured") != 1 {
		t.Errorf("default logger got:\n%s", logs)
	}
}
