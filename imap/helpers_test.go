package imap_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/mailwright/mailwright/imap"
	"github.com/mailwright/mailwright/internal/logtest"
	"github.com/mailwright/mailwright/internal/testcert"
	"github.com/mailwright/mailwright/mailbox"
)

// testServer is an imap.Server on a loopback listener over a memory store
// with the users alice/secret and bob/hunter2.
type testServer struct {
	srv   *imap.Server
	addr  string
	store *mailbox.Store
	done  chan error
	logs  *logtest.Buffer
}

func startServer(t *testing.T, configure func(*imap.Server)) *testServer {
	t.Helper()
	store := mailbox.NewMemoryStore()
	store.SpecialFolders = []mailbox.SpecialFolder{{Name: "Sent", Use: mailbox.UseSent}, {Name: "Trash", Use: mailbox.UseTrash}}
	return startServerStore(t, store, configure)
}

func startServerStore(t *testing.T, store *mailbox.Store, configure func(*imap.Server)) *testServer {
	t.Helper()
	accts := mailbox.NewMemoryAccounts()
	accts.Add("alice", "secret")
	accts.Add("bob", "hunter2")
	logger, logs := logtest.New()
	ts := &testServer{store: store, done: make(chan error, 1), logs: logs}
	ts.srv = &imap.Server{
		Backend:           mailbox.NewIMAPBackend(store, accts),
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
			if !errors.Is(err, imap.ErrServerClosed) {
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

// wrapUsers makes the server's backend hand out wrap(u) for each user u
// it logs in: a test changes one behaviour of the store that way.
func wrapUsers(wrap func(imap.User) imap.User) func(*imap.Server) {
	return func(s *imap.Server) {
		inner := s.Backend
		s.Backend = imap.BackendFunc(func(ctx context.Context, conn imap.ConnInfo, user, pass string) (imap.User, error) {
			u, err := inner.Login(ctx, conn, user, pass)
			if err != nil {
				return nil, err
			}
			return wrap(u), nil
		})
	}
}

// plainUser hides the optional interfaces of a User and of its mailboxes
// (RecentUser, RecentMailbox and the others), as a minimal backend has
// none.
type plainUser struct{ imap.User }

func (u plainUser) Open(ctx context.Context, name string, readOnly bool) (imap.Mailbox, error) {
	mb, err := u.User.Open(ctx, name, readOnly)
	if err != nil {
		return nil, err
	}
	return plainMailbox{mb}, nil
}

type plainMailbox struct{ imap.Mailbox }

// deliver appends a message to a user's folder through the store, as
// local delivery does.
func (ts *testServer) deliver(t *testing.T, user, folder, msg string, flags ...string) uint32 {
	t.Helper()
	res, err := ts.store.Append(context.Background(), user, folder, strings.NewReader(msg), &mailbox.AppendOptions{
		Flags: flags, InternalDate: time.Date(2024, 3, 5, 10, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	return res.UID
}

// client is one test connection, driven by transcripts.
type client struct {
	t    *testing.T
	conn net.Conn
	r    *bufio.Reader
}

func (ts *testServer) dial(t *testing.T) *client {
	t.Helper()
	nc, err := net.Dial("tcp", ts.addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	c := &client{t: t, conn: nc, r: bufio.NewReader(nc)}
	c.expect("* OK [CAPABILITY *] IMAP server ready")
	return c
}

// login dials and logs in as alice.
func (ts *testServer) login(t *testing.T) *client {
	c := ts.dial(t)
	c.run(`
C: L1 LOGIN alice secret
S: L1 OK [CAPABILITY *] Logged in`)
	return c
}

// run plays a transcript: "C: " lines are sent (with CRLF), "S: " lines
// are read and compared (see match for the wildcards). Blank lines and
// lines starting with "#" are skipped.
func (c *client) run(transcript string) {
	c.t.Helper()
	for _, line := range strings.Split(transcript, "\n") {
		line = strings.TrimRight(line, "\r")
		trimmed := strings.TrimLeft(line, " \t")
		switch {
		case trimmed == "", strings.HasPrefix(trimmed, "#"):
		case strings.HasPrefix(trimmed, "C: "):
			c.send(trimmed[3:])
		case strings.HasPrefix(trimmed, "S: "):
			c.expect(trimmed[3:])
		case trimmed == "S:":
			c.expect("")
		default:
			c.t.Fatalf("bad transcript line %q", line)
		}
	}
}

func (c *client) send(line string) {
	c.t.Helper()
	c.conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.conn.Write([]byte(line + "\r\n")); err != nil {
		c.t.Fatalf("C: %s: %v", line, err)
	}
}

func (c *client) sendRaw(b string) {
	c.t.Helper()
	if _, err := c.conn.Write([]byte(b)); err != nil {
		c.t.Fatal(err)
	}
}

func (c *client) readLine() string {
	c.t.Helper()
	c.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	line, err := c.r.ReadString('\n')
	if err != nil {
		c.t.Fatalf("reading response: %v (got %q)", err, line)
	}
	if !strings.HasSuffix(line, "\r\n") {
		c.t.Fatalf("response line without CRLF: %q", line)
	}
	return strings.TrimSuffix(line, "\r\n")
}

// expect reads one line and compares it with want, where "*" inside
// square brackets after "CAPABILITY " and the token "{*}" are wildcards.
func (c *client) expect(want string) {
	c.t.Helper()
	got := c.readLine()
	if !match(want, got) {
		c.t.Fatalf("S: want %q\n   got  %q", want, got)
	}
}

// match compares a response with a pattern in which "{*}" matches any run
// of characters, and "[CAPABILITY *]" any capability list.
func match(pattern, s string) bool {
	pattern = strings.ReplaceAll(pattern, "[CAPABILITY *]", "[CAPABILITY {*}]")
	parts := strings.Split(pattern, "{*}")
	if len(parts) == 1 {
		return pattern == s
	}
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	for i, p := range parts[1:] {
		if i == len(parts)-2 {
			return strings.HasSuffix(s, p)
		}
		j := strings.Index(s, p)
		if j < 0 {
			return false
		}
		s = s[j+len(p):]
	}
	return true
}

// expectClosed checks that the server closed the connection.
func (c *client) expectClosed() {
	c.t.Helper()
	c.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	line, err := c.r.ReadString('\n')
	if err == nil {
		c.t.Fatalf("want connection closed, got %q", line)
	}
}

// checkGoroutines fails if the number of goroutines does not come back to
// base within a few seconds.
func checkGoroutines(t *testing.T, base int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		n := runtime.NumGoroutine()
		if n <= base {
			return
		}
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			buf = buf[:runtime.Stack(buf, true)]
			t.Fatalf("goroutine leak: %d goroutines, want <= %d\n%s", n, base, buf)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// testCert returns a server TLS config with the static test certificate
// and a client config that trusts it.
func testCert(t testing.TB) (*tls.Config, *tls.Config) {
	return testcert.ServerConfig(), testcert.StaticClientConfig()
}
