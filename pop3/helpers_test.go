package pop3_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailwright/mailwright/internal/logtest"
	"github.com/mailwright/mailwright/internal/testcert"
	"github.com/mailwright/mailwright/pop3"
	"github.com/mailwright/mailwright/pop3/backendtest"
)

// testServer is a pop3.Server on a loopback listener with a spy over an
// in-memory backend holding alice/secret.
type testServer struct {
	srv  *pop3.Server
	addr string
	mem  *backendtest.Memory
	spy  *spy
	done chan error // Serve's result
	logs *logtest.Buffer
}

// startServer starts a server; configure adjusts it before Serve.
func startServer(t *testing.T, configure func(*pop3.Server)) *testServer {
	t.Helper()
	mem := backendtest.NewMemory()
	mem.AddUser("alice", "secret")
	mem.AddUser("bob", "hunter2")
	logger, logs := logtest.New()
	ts := &testServer{mem: mem, spy: &spy{Backend: mem}, done: make(chan error, 1), logs: logs}
	ts.srv = &pop3.Server{
		Backend:           ts.spy,
		AllowInsecureAuth: true,
		Logger:            logger,
	}
	if configure != nil {
		configure(ts.srv)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ts.addr = l.Addr().String()
	go func() { ts.done <- ts.srv.Serve(l) }()
	t.Cleanup(func() {
		ts.srv.Close()
		select {
		case err := <-ts.done:
			if !errors.Is(err, pop3.ErrServerClosed) {
				t.Errorf("Serve returned %v, want ErrServerClosed", err)
			}
		case <-time.After(5 * time.Second):
			t.Error("Serve did not return after Close")
		}
		if t.Failed() {
			t.Logf("server log:\n%s", ts.logs.String())
		}
	})
	return ts
}

// deliver puts a message into a user's maildrop.
func (ts *testServer) deliver(t *testing.T, user, raw string) {
	t.Helper()
	if _, err := ts.mem.Deliver(user, []byte(raw)); err != nil {
		t.Fatal(err)
	}
}

// client is the test side of a connection.
type client struct {
	t    *testing.T
	conn net.Conn
	r    *bufio.Reader
}

func dial(t *testing.T, addr string) *client {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	// No test conversation takes long; a hang fails instead of blocking.
	conn.SetDeadline(time.Now().Add(20 * time.Second))
	return &client{t: t, conn: conn, r: bufio.NewReader(conn)}
}

// run plays a transcript. "C: x" lines are sent with CRLF; consecutive C:
// lines go out in one write, so they are pipelined. "S: x" must be the
// next line received; an S: line ending in "*" matches by prefix, and
// "S: <closed>" expects the server to close the connection.
func (c *client) run(transcript string) {
	c.t.Helper()
	var pending []byte
	send := func() {
		if len(pending) > 0 {
			if _, err := c.conn.Write(pending); err != nil {
				c.t.Fatalf("sending %q: %v", pending, err)
			}
			pending = pending[:0]
		}
	}
	for _, line := range strings.Split(strings.TrimSpace(transcript), "\n") {
		line = strings.TrimSpace(line)
		if line == "S:" || line == "C:" {
			line += " " // an empty line
		}
		switch {
		case line == "":
		case strings.HasPrefix(line, "C: "):
			pending = append(pending, line[3:]+"\r\n"...)
		case line == "S: <closed>":
			send()
			got, err := c.r.ReadString('\n')
			if err == nil || got != "" {
				c.t.Fatalf("S: want the connection closed, got %q (err %v)", got, err)
			}
		case strings.HasPrefix(line, "S: "):
			send()
			want := line[3:]
			got, err := c.r.ReadString('\n')
			if err != nil {
				c.t.Fatalf("S: want %q, got %q and %v", want, got, err)
			}
			if !strings.HasSuffix(got, "\r\n") {
				c.t.Fatalf("S: line %q does not end with CRLF", got)
			}
			got = strings.TrimSuffix(got, "\r\n")
			if prefix, ok := strings.CutSuffix(want, "*"); ok {
				if !strings.HasPrefix(got, prefix) {
					c.t.Fatalf("S: want %q, got %q", want, got)
				}
			} else if got != want {
				c.t.Fatalf("S: want %q, got %q", want, got)
			}
		default:
			c.t.Fatalf("bad transcript line %q", line)
		}
	}
	send()
}

// readLine reads one response line without CRLF.
func (c *client) readLine() string {
	c.t.Helper()
	line, err := c.r.ReadString('\n')
	if err != nil {
		c.t.Fatalf("reading: %v (got %q)", err, line)
	}
	return strings.TrimSuffix(line, "\r\n")
}

// readMultiline reads the lines of a multi-line response up to ".",
// un-stuffed and joined with CRLF.
func (c *client) readMultiline() string {
	c.t.Helper()
	var b strings.Builder
	for {
		line := c.readLine()
		if line == "." {
			return b.String()
		}
		b.WriteString(strings.TrimPrefix(line, "."))
		b.WriteString("\r\n")
	}
}

// startTLS wraps the connection in TLS after "+OK" to STLS.
func (c *client) startTLS(cfg *tls.Config) {
	c.t.Helper()
	if n := c.r.Buffered(); n != 0 {
		c.t.Fatalf("%d bytes after the STLS response, before the handshake", n)
	}
	tc := tls.Client(c.conn, cfg)
	if err := tc.Handshake(); err != nil {
		c.t.Fatalf("TLS handshake: %v", err)
	}
	c.conn = tc
	c.r = bufio.NewReader(tc)
}

// spy wraps a backend and records the calls to it; it can inject failures.
type spy struct {
	pop3.Backend
	mu      sync.Mutex
	events  []string
	ctxs    []context.Context
	infos   []pop3.ConnInfo
	fail    map[string]error // by operation: login, messages, open, delete, read
	panicOn string
}

func (s *spy) record(ctx context.Context, ev string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.events = append(s.events, ev)
	if ctx != nil {
		s.ctxs = append(s.ctxs, ctx)
	}
	op, _, _ := strings.Cut(ev, " ")
	if s.panicOn == op {
		panic("injected panic in " + op)
	}
	return s.fail[op]
}

func (s *spy) setFail(op string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail == nil {
		s.fail = make(map[string]error)
	}
	s.fail[op] = err
}

func (s *spy) setPanic(op string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.panicOn = op
}

// Events returns the recorded calls so far.
func (s *spy) Events() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.events...)
}

func (s *spy) has(ev string) bool {
	for _, e := range s.Events() {
		if e == ev {
			return true
		}
	}
	return false
}

func (s *spy) count(ev string) int {
	n := 0
	for _, e := range s.Events() {
		if e == ev {
			n++
		}
	}
	return n
}

func (s *spy) contexts() []context.Context {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]context.Context(nil), s.ctxs...)
}

func (s *spy) Login(ctx context.Context, ci pop3.ConnInfo, user, pass string) (pop3.Maildrop, error) {
	s.mu.Lock()
	s.infos = append(s.infos, ci)
	s.mu.Unlock()
	if err := s.record(ctx, "login "+user); err != nil {
		return nil, err
	}
	md, err := s.Backend.Login(ctx, ci, user, pass)
	if err != nil {
		return nil, err
	}
	return &spyMaildrop{s: s, md: md}, nil
}

type spyMaildrop struct {
	s  *spy
	md pop3.Maildrop
}

func (m *spyMaildrop) Messages(ctx context.Context) ([]pop3.Message, error) {
	if err := m.s.record(ctx, "messages"); err != nil {
		return nil, err
	}
	return m.md.Messages(ctx)
}

func (m *spyMaildrop) Open(ctx context.Context, uid string) (io.ReadCloser, error) {
	if err := m.s.record(ctx, "open "+uid); err != nil {
		return nil, err
	}
	rc, err := m.md.Open(ctx, uid)
	if err != nil {
		return nil, err
	}
	m.s.mu.Lock()
	rerr := m.s.fail["read"]
	m.s.mu.Unlock()
	if rerr != nil {
		// Half the message, then the error.
		b, _ := io.ReadAll(rc)
		return io.NopCloser(io.MultiReader(bytes.NewReader(b[:len(b)/2]), &errReader{rerr})), nil
	}
	return rc, nil
}

type errReader struct{ err error }

func (r *errReader) Read([]byte) (int, error) { return 0, r.err }

func (m *spyMaildrop) Delete(ctx context.Context, uids []string) error {
	if err := m.s.record(ctx, "delete "+strings.Join(uids, " ")); err != nil {
		return err
	}
	return m.md.Delete(ctx, uids)
}

func (m *spyMaildrop) Close() error {
	m.s.record(nil, "close")
	return m.md.Close()
}

// waitFor polls cond for up to 5 seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// testCert returns a server TLS config with the static test certificate,
// a client config that trusts it, and the certificate and key as PEM
// files.
func testCert(t *testing.T) (server, client *tls.Config, certFile, keyFile string) {
	certFile, keyFile = testcert.Files(t)
	return testcert.ServerConfig(), testcert.StaticClientConfig(), certFile, keyFile
}

// checkNoLeaks fails if goroutines started after before remain, polling
// for up to 5 seconds while they wind down.
func checkNoLeaks(t *testing.T, before int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		n := runtime.NumGoroutine()
		if n <= before {
			return
		}
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			buf = buf[:runtime.Stack(buf, true)]
			t.Fatalf("%d goroutines before, %d after:\n%s", before, n, buf)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
