package smtp

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mailwright/mailwright/internal/logtest"
	"github.com/mailwright/mailwright/internal/testcert"
)

// Configuration mistakes fail at start, not at the first client.

// refusedListener serves s on a fresh loopback listener and checks that
// Serve refuses at once, with an error matching want, and closes the
// listener (a client then cannot connect instead of hanging).
func refusedListener(t *testing.T, s *Server, serve func(*Server, net.Listener) error, want string) error {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- serve(s, l) }()
	select {
	case err = <-done:
	case <-time.After(10 * time.Second):
		s.Close()
		t.Fatal("the server started; want a refusal")
	}
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("got %v, want an error containing %q", err, want)
	}
	if c, err := net.DialTimeout("tcp", l.Addr().String(), 5*time.Second); err == nil {
		c.Close()
		t.Fatal("the listener is still open after the refusal")
	}
	return err
}

func serve(s *Server, l net.Listener) error { return s.Serve(l) }
func serveTLS(s *Server, l net.Listener) error {
	return s.ServeTLS(l, "", "")
}

func TestServeWithoutBackendClosesListener(t *testing.T) {
	refusedListener(t, &Server{Logger: discardLogger()}, serve, "Backend is nil")
	refusedListener(t, &Server{Logger: discardLogger()}, serveTLS, "Backend is nil")
	err := (&Server{Addr: "127.0.0.1:0", Logger: discardLogger()}).ListenAndServe()
	if err == nil || !strings.Contains(err.Error(), "Backend is nil") {
		t.Errorf("ListenAndServe = %v, want the Backend refused", err)
	}
}

func TestServeTLSWithoutCertificateRefused(t *testing.T) {
	b := &testBackend{}
	for _, cfg := range []*tls.Config{nil, {}} {
		refusedListener(t, &Server{Backend: b, TLSConfig: cfg, Logger: discardLogger()}, serveTLS, "needs a certificate")
		s := &Server{Addr: "127.0.0.1:0", Backend: b, TLSConfig: cfg, Logger: discardLogger()}
		done := make(chan error, 1)
		go func() { done <- s.ListenAndServeTLS("", "") }()
		select {
		case err := <-done:
			if err == nil || !strings.Contains(err.Error(), "needs a certificate") {
				t.Errorf("ListenAndServeTLS = %v, want no certificate refused", err)
			}
		case <-time.After(10 * time.Second):
			s.Close()
			t.Fatal("ListenAndServeTLS started without a certificate")
		}
	}
}

// validatingBackend is a Backend that implements Validator.
type validatingBackend struct {
	testBackend
	err error
}

func (b *validatingBackend) Validate() error { return b.err }

func TestValidatorRefusesStart(t *testing.T) {
	bad := errors.New("no mailbox store configured")
	b := &validatingBackend{err: bad}
	for _, fn := range []func(*Server, net.Listener) error{serve, serveTLS} {
		err := refusedListener(t, &Server{Backend: b, TLSConfig: testcert.ServerConfig(), Logger: discardLogger()}, fn, bad.Error())
		if !errors.Is(err, bad) {
			t.Errorf("error %v does not wrap Validate's", err)
		}
	}
	s := &Server{Addr: "127.0.0.1:0", Backend: b, Logger: discardLogger()}
	if err := s.ListenAndServe(); !errors.Is(err, bad) {
		t.Errorf("ListenAndServe = %v, want Validate's error", err)
	}
	if err := s.ListenAndServeTLS("", ""); !errors.Is(err, bad) {
		t.Errorf("ListenAndServeTLS = %v, want Validate's error", err)
	}

	// A Backend that validates serves.
	ok := &validatingBackend{}
	conn := dial(t, startServer(t, &Server{Backend: ok}))
	transcript(t, conn, `S: 220 mx.test ESMTP mailwright`)
}

func TestServeTLS(t *testing.T) {
	certFile, keyFile := testcert.Files(t)
	b := &testBackend{users: map[string]string{"alice": "secret"}}
	s := &Server{Backend: b, Domain: "mx.test", Logger: discardLogger()}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.ServeTLS(l, certFile, keyFile) }()
	t.Cleanup(func() {
		s.Close()
		if err := <-done; !errors.Is(err, ErrServerClosed) {
			t.Errorf("ServeTLS returned %v, want ErrServerClosed", err)
		}
	})
	conn, err := tls.Dial("tcp", l.Addr().String(), testcert.StaticClientConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// Implicit TLS: passwords are accepted, STARTTLS is not offered.
	br := bufio.NewReader(conn)
	if ext := ehlo(t, conn, br); !slices.Contains(ext, "AUTH PLAIN LOGIN") || slices.Contains(ext, "STARTTLS") {
		t.Fatalf("EHLO over implicit TLS: %q", ext)
	}
	transcript(t, bufConn{conn, br}, `
		C: AUTH PLAIN AGFsaWNlAHNlY3JldA==
		S: 235 2.7.0 Authentication successful`)
}

// bufConn reads through r, which holds what ehlo read ahead.
type bufConn struct {
	net.Conn
	r *bufio.Reader
}

func (c bufConn) Read(p []byte) (int, error) { return c.r.Read(p) }

// ehlo reads the greeting, sends EHLO and returns the extensions.
func ehlo(t *testing.T, conn net.Conn, br *bufio.Reader) []string {
	t.Helper()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	if line, err := br.ReadString('\n'); err != nil || !strings.HasPrefix(line, "220 ") {
		t.Fatalf("greeting %q, %v", line, err)
	}
	io.WriteString(conn, "EHLO client.test\r\n")
	var ext []string
	for first := true; ; first = false {
		line, err := br.ReadString('\n')
		if err != nil || !strings.HasPrefix(line, "250") {
			t.Fatalf("EHLO reply %q, %v", line, err)
		}
		if !first {
			ext = append(ext, strings.TrimSuffix(line[4:], "\r\n"))
		}
		if line[3] == ' ' {
			return ext
		}
	}
}

// A TLS configuration without a certificate fails every handshake: the
// server must not offer STARTTLS with it.
func TestSTARTTLSNeedsCertificate(t *testing.T) {
	b := &testBackend{users: map[string]string{"alice": "secret"}}
	addr := startServer(t, &Server{Backend: b, TLSConfig: &tls.Config{MinVersion: tls.VersionTLS12}})
	conn := dial(t, addr)
	br := bufio.NewReader(conn)
	if ext := ehlo(t, conn, br); slices.Contains(ext, "STARTTLS") {
		t.Fatalf("STARTTLS offered without a certificate: %q", ext)
	}
	transcript(t, bufConn{conn, br}, `
		C: STARTTLS
		S: 502 5.5.1 Command not implemented
		C: AUTH PLAIN AGFsaWNlAHNlY3JldA==
		S: 538 5.7.11 Encryption required for authentication, and this server has no TLS configured`)
}

// Without TLS and without AllowInsecureAuth nobody can log in: the
// server says so at the first session that offers AUTH, and the refusal
// says why instead of sending the client to a STARTTLS that is not
// offered.
func TestNoTLSNoInsecureAuth(t *testing.T) {
	logger, logs := logtest.New()
	b := &testBackend{users: map[string]string{"alice": "secret"}}
	addr := startServer(t, &Server{Backend: b, Logger: logger})
	conn := dial(t, addr)
	br := bufio.NewReader(conn)
	if ext := ehlo(t, conn, br); slices.ContainsFunc(ext, func(e string) bool { return strings.HasPrefix(e, "AUTH") }) {
		t.Fatalf("AUTH offered without TLS: %q", ext)
	}
	transcript(t, bufConn{conn, br}, `
		C: AUTH PLAIN AGFsaWNlAHNlY3JldA==
		S: 538 5.7.11 Encryption required for authentication, and this server has no TLS configured`)
	want := `level=WARN msg="smtp: sessions offer a login, but there is no TLS configured (TLSConfig has no certificate) and AllowInsecureAuth is off: no client can log in"`
	if !logs.Has(want) {
		t.Errorf("log has no warning %q:\n%s", want, logs)
	}
	transcript(t, dial(t, addr), `S: 220 *`)
	if n := logs.Count("no client can log in"); n != 1 {
		t.Errorf("warned %d times after two sessions, want once:\n%s", n, logs)
	}
	// With TLS, or with AllowInsecureAuth, or sessions that offer no AUTH
	// (a server that only receives mail), there is nothing to warn of.
	for _, s := range []*Server{{Backend: b, TLSConfig: testcert.ServerConfig()}, {Backend: b, AllowInsecureAuth: true}, {Backend: discardBackend{}}} {
		logger, logs := logtest.New()
		s.Logger = logger
		transcript(t, dial(t, startServer(t, s)), `S: 220 *`)
		if n := logs.Count("no client can log in"); n != 0 {
			t.Errorf("warning logged with TLSConfig %v, AllowInsecureAuth %v:\n%s", s.TLSConfig != nil, s.AllowInsecureAuth, logs)
		}
	}
}

// Failed logins are logged in the line that the three protocols share;
// a temporary backend failure is not a failed login.
func TestFailedLoginLogged(t *testing.T) {
	logger, logs := logtest.New()
	b := &testBackend{users: map[string]string{"alice": "secret"}}
	addr := startServer(t, &Server{Backend: b, AllowInsecureAuth: true, MaxAuthFailures: 10, Logger: logger})
	conn := dial(t, addr)
	br := bufio.NewReader(conn)
	ehlo(t, conn, br)
	transcript(t, bufConn{conn, br}, `
		C: AUTH PLAIN AGFsaWNlAHdyb25n
		S: 535 5.7.8 Authentication credentials invalid
		C: AUTH LOGIN
		S: 334 VXNlcm5hbWU6
		C: bWFsbG9yeQ==
		S: 334 UGFzc3dvcmQ6
		C: eA==
		S: 535 5.7.8 Authentication credentials invalid
		C: AUTH PLAIN AGJyb2tlbgB4
		S: 454 4.7.0 Temporary authentication failure
		C: AUTH PLAIN AGFsaWNlAHNlY3JldA==
		S: 235 2.7.0 Authentication successful`)
	want := []string{
		`level=WARN msg="login failed" proto=smtp ip=127.0.0.1 user=alice method="AUTH PLAIN"`,
		`level=WARN msg="login failed" proto=smtp ip=127.0.0.1 user=mallory method="AUTH LOGIN"`,
	}
	if got := logs.Matching("login failed"); !slices.Equal(got, want) {
		t.Errorf("failed-login lines:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// A nil Logger is slog.Default(), as in net/http.
func TestNilLoggerIsDefault(t *testing.T) {
	logger, logs := logtest.New()
	defer slog.SetDefault(slog.Default())
	slog.SetDefault(logger)
	s := &Server{Backend: &testBackend{users: map[string]string{"alice": "secret"}}, Domain: "mx.test"}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go s.Serve(l)
	defer s.Close()
	transcript(t, dial(t, l.Addr().String()), `S: 220 mx.test ESMTP mailwright`)
	if logs.Count("no client can log in") != 1 {
		t.Errorf("default logger got:\n%s", logs)
	}
	s.Shutdown(context.Background())
}
