package smtp

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailwright/mailwright/internal/logtest"
	"github.com/mailwright/mailwright/internal/testcert"
)

// received is one message a testBackend accepted.
type received struct {
	From     string
	MailOpts MailOptions
	Rcpts    []string
	RcptOpts []RcptOptions
	Body     []byte
	Auth     string // the connection's AuthIdentity
	Helo     string
}

// testBackend records what it receives and can be told to refuse.
type testBackend struct {
	mu       sync.Mutex
	messages []received
	resets   int
	logouts  int

	rejectRcpt map[string]error // RCPT address -> error
	dataErr    error            // returned by Data after reading
	panicOn    string           // "MAIL" makes Mail panic, "LOGOUT" Logout
	users      map[string]string
	verify     bool // sessions implement Verifier and Expander
	// urls, when set, makes sessions implement BURLSession with these
	// URL contents (burl_test.go).
	urls map[string]string
	open int // URL readers opened and not closed
}

func (b *testBackend) NewSession(ctx context.Context, c *Conn) (Session, error) {
	s := &testSession{b: b, c: c}
	switch {
	case b.urls != nil:
		return &burlSession{s}, nil
	case b.users != nil && b.verify:
		return &verifyAuthSession{s}, nil
	case b.users != nil:
		return &authSession{s}, nil
	case b.verify:
		return &verifySession{s}, nil
	}
	return s, nil
}

func (b *testBackend) Messages() []received {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]received(nil), b.messages...)
}

type testSession struct {
	b   *testBackend
	c   *Conn
	cur received
}

func (s *testSession) Mail(ctx context.Context, from string, opts *MailOptions) error {
	if s.b.panicOn == "MAIL" {
		panic("test panic")
	}
	s.cur = received{From: from, MailOpts: *opts, Helo: s.c.Hostname(), Auth: s.c.AuthIdentity()}
	return nil
}

func (s *testSession) Rcpt(ctx context.Context, to string, opts *RcptOptions) error {
	if err := s.b.rejectRcpt[to]; err != nil {
		return err
	}
	s.cur.Rcpts = append(s.cur.Rcpts, to)
	s.cur.RcptOpts = append(s.cur.RcptOpts, *opts)
	return nil
}

func (s *testSession) Data(ctx context.Context, r io.Reader) error {
	body, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if s.b.dataErr != nil {
		return s.b.dataErr
	}
	s.cur.Body = body
	s.b.mu.Lock()
	s.b.messages = append(s.b.messages, s.cur)
	s.b.mu.Unlock()
	return nil
}

func (s *testSession) Reset(ctx context.Context) {
	s.cur = received{}
	s.b.mu.Lock()
	s.b.resets++
	s.b.mu.Unlock()
}

func (s *testSession) Logout(ctx context.Context) error {
	if s.b.panicOn == "LOGOUT" {
		panic("test panic in Logout")
	}
	s.b.mu.Lock()
	s.b.logouts++
	s.b.mu.Unlock()
	return nil
}

type authSession struct{ *testSession }

func (s *authSession) AuthPassword(ctx context.Context, identity, username, password string) error {
	if pw, ok := s.b.users[username]; ok && pw == password {
		return nil
	}
	if username == "broken" {
		return errors.New("database unavailable: secret detail")
	}
	return ErrAuthFailed
}

type verifySession struct{ *testSession }

func (s *verifySession) Verify(ctx context.Context, name string) (string, error) {
	if name == "alice" || name == "alice@example.org" {
		return "alice@example.org", nil
	}
	return "", &Error{Code: 550, EnhancedCode: EnhancedCode{5, 1, 1}, Message: "No such user"}
}

func (s *verifySession) Expand(ctx context.Context, list string) ([]string, error) {
	if list == "team" {
		return []string{"alice@example.org", "bob@example.org"}, nil
	}
	return nil, &Error{Code: 550, EnhancedCode: EnhancedCode{5, 1, 1}, Message: "No such list"}
}

type verifyAuthSession struct{ *testSession }

func (s *verifyAuthSession) AuthPassword(ctx context.Context, identity, username, password string) error {
	return (&authSession{s.testSession}).AuthPassword(ctx, identity, username, password)
}
func (s *verifyAuthSession) Verify(ctx context.Context, name string) (string, error) {
	return (&verifySession{s.testSession}).Verify(ctx, name)
}

// startServer serves s on a loopback port until the test ends. Without a
// Logger of its own, the server logs into the test's log, shown when the
// test fails.
func startServer(t testing.TB, s *Server) string {
	t.Helper()
	if s.Domain == "" {
		s.Domain = "mx.test"
	}
	if s.Logger == nil {
		logger, logs := logtest.New()
		s.Logger = logger
		t.Cleanup(func() {
			if t.Failed() {
				t.Logf("server log:\n%s", logs)
			}
		})
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(l) }()
	t.Cleanup(func() {
		s.Close()
		if err := <-done; !errors.Is(err, ErrServerClosed) {
			t.Errorf("Serve returned %v, want ErrServerClosed", err)
		}
	})
	return l.Addr().String()
}

// transcript drives a session from a script of "C: line" (client sends
// line+CRLF; consecutive C lines go out in one write, as a pipelining client
// sends them) and "S: line" (the next reply line must equal it). "S: prefix*"
// matches by prefix. Lines are trimmed of the tab indentation used in tests.
func transcript(t *testing.T, conn net.Conn, script string) {
	t.Helper()
	br := bufio.NewReader(conn)
	var pending strings.Builder
	flush := func() {
		if pending.Len() == 0 {
			return
		}
		if _, err := io.WriteString(conn, pending.String()); err != nil {
			t.Fatalf("write: %v", err)
		}
		pending.Reset()
	}
	for _, raw := range strings.Split(script, "\n") {
		line := strings.TrimLeft(raw, "\t ")
		if line == "" {
			continue
		}
		switch {
		case line == "C:":
			pending.WriteString("\r\n")
		case strings.HasPrefix(line, "C: "):
			pending.WriteString(line[3:] + "\r\n")
		case strings.HasPrefix(line, "S: "):
			flush()
			conn.SetReadDeadline(time.Now().Add(10 * time.Second))
			got, err := br.ReadString('\n')
			if err != nil {
				t.Fatalf("reading reply (want %q): %v", line[3:], err)
			}
			got = strings.TrimSuffix(got, "\r\n")
			want := line[3:]
			if strings.HasSuffix(want, "*") {
				if !strings.HasPrefix(got, strings.TrimSuffix(want, "*")) {
					t.Fatalf("S: got %q, want prefix %q", got, want)
				}
			} else if got != want {
				t.Fatalf("S: got %q, want %q", got, want)
			}
		default:
			t.Fatalf("bad transcript line %q", line)
		}
	}
	flush()
}

// dial connects to addr and returns the connection, closed at the end of
// the test.
func dial(t testing.TB, addr string) net.Conn {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// expectClosed checks that the server closes the connection.
func expectClosed(t *testing.T, conn net.Conn) {
	t.Helper()
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 512)
	for {
		n, err := conn.Read(buf)
		if err != nil {
			if isTimeout(err) {
				t.Fatal("connection still open")
			}
			return
		}
		if n > 0 {
			t.Fatalf("unexpected data %q before close", buf[:n])
		}
	}
}

// testCertificate returns the static test certificate, a pool that
// trusts it, and its DER bytes.
func testCertificate(t testing.TB) (tls.Certificate, *x509.CertPool, []byte) {
	cert := testcert.Static()
	return cert, testcert.Pool(), cert.Certificate[0]
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
