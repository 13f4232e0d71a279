package pop3_test

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/mailwright/mailwright/pop3"
	"github.com/mailwright/mailwright/pop3/backendtest"
)

// The Client against our Server over loopback.

// dotted has lines that begin with dots, a line that is only a dot, and
// one that would end the response if the server did not stuff it.
const dotted = "Subject: dots\r\n\r\n.\r\n..\r\n...\r\n.leading\r\nmid.dle\r\n. \r\n.\r\n\r\nend\r\n"

// dialClient connects a Client to addr; no test command takes long, so a
// hang fails instead of blocking.
func dialClient(t *testing.T, addr string) *pop3.Client {
	t.Helper()
	c, err := pop3.DialContext(context.Background(), addr)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	c.CommandTimeout = 20 * time.Second
	t.Cleanup(func() { c.Close() })
	return c
}

// loginAlice connects a Client to ts and logs in as alice.
func loginAlice(t *testing.T, ts *testServer) *pop3.Client {
	t.Helper()
	c := dialClient(t, ts.addr)
	if err := c.Login(context.Background(), "alice", "secret"); err != nil {
		t.Fatal(err)
	}
	return c
}

// readAll reads a message from Retrieve or Top and closes it.
func readAll(t *testing.T, rc io.ReadCloser, err error) string {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("reading the message: %v", err)
	}
	if err := rc.Close(); err != nil {
		t.Fatalf("closing the message: %v", err)
	}
	return string(b)
}

// wantCode checks that err is a *pop3.Error with the response code.
func wantCode(t *testing.T, err error, code string) *pop3.Error {
	t.Helper()
	var e *pop3.Error
	if !errors.As(err, &e) || e.Code != code {
		t.Fatalf("got %v, want a *pop3.Error with code %q", err, code)
	}
	return e
}

func TestClientSession(t *testing.T) {
	ctx := context.Background()
	ts := startServer(t, func(s *pop3.Server) { s.Implementation = "mailwright test" })
	ts.deliver(t, "alice", msg1)
	ts.deliver(t, "alice", msg2)
	ts.deliver(t, "alice", dotted)
	uids := ts.mem.UIDs("alice")

	c := dialClient(t, ts.addr)
	caps, err := c.Capabilities(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, kw := range []string{"TOP", "UIDL", "USER", "PIPELINING", "RESP-CODES"} {
		if _, ok := caps[kw]; !ok {
			t.Errorf("CAPA lacks %s: %v", kw, caps)
		}
	}
	if !slices.Equal(caps["SASL"], []string{"PLAIN", "LOGIN"}) || !slices.Equal(caps["IMPLEMENTATION"], []string{"mailwright", "test"}) {
		t.Errorf("CAPA arguments: %v", caps)
	}
	if err := c.Login(ctx, "alice", "secret"); err != nil {
		t.Fatal(err)
	}

	sizes := []int64{32, 58, int64(len(dotted))}
	total := sizes[0] + sizes[1] + sizes[2]
	if n, size, err := c.Stat(ctx); err != nil || n != 3 || size != total {
		t.Fatalf("Stat = %d, %d, %v; want 3, %d", n, size, err, total)
	}
	list, err := c.List(ctx)
	want := []pop3.ScanListing{{1, sizes[0]}, {2, sizes[1]}, {3, sizes[2]}}
	if err != nil || !slices.Equal(list, want) {
		t.Fatalf("List = %v, %v; want %v", list, err, want)
	}
	if l, err := c.ListMessage(ctx, 2); err != nil || l != want[1] {
		t.Fatalf("ListMessage(2) = %v, %v", l, err)
	}
	ul, err := c.UIDL(ctx)
	wantUIDs := []pop3.UniqueIDListing{{1, uids[0]}, {2, uids[1]}, {3, uids[2]}}
	if err != nil || !slices.Equal(ul, wantUIDs) {
		t.Fatalf("UIDL = %v, %v; want %v", ul, err, wantUIDs)
	}
	if u, err := c.UIDLMessage(ctx, 3); err != nil || u != wantUIDs[2] {
		t.Fatalf("UIDLMessage(3) = %v, %v", u, err)
	}

	// Byte for byte, as stored (with CRLF line endings) and dots unstuffed.
	for i, raw := range []string{msg1, msg2, dotted} {
		rc, err := c.Retrieve(ctx, i+1)
		got := readAll(t, rc, err)
		if want := string(backendtest.NormalizeCRLF([]byte(raw))); got != want {
			t.Errorf("Retrieve(%d) = %q, want %q", i+1, got, want)
		}
		if int64(len(got)) != sizes[i] {
			t.Errorf("message %d: %d octets, LIST said %d", i+1, len(got), sizes[i])
		}
	}
	rc, err := c.Top(ctx, 3, 0)
	if got := readAll(t, rc, err); got != "Subject: dots\r\n\r\n" {
		t.Errorf("Top(3, 0) = %q", got)
	}
	rc, err = c.Top(ctx, 3, 3)
	if got := readAll(t, rc, err); got != "Subject: dots\r\n\r\n.\r\n..\r\n...\r\n" {
		t.Errorf("Top(3, 3) = %q", got)
	}

	// A -ERR leaves the session usable.
	_, err = c.Retrieve(ctx, 4)
	wantCode(t, err, "")
	if err := c.Noop(ctx); err != nil {
		t.Fatalf("Noop after -ERR: %v", err)
	}

	// DELE marks; RSET unmarks; QUIT removes.
	if err := c.Delete(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if n, size, err := c.Stat(ctx); err != nil || n != 2 || size != total-sizes[0] {
		t.Fatalf("Stat after Delete = %d, %d, %v", n, size, err)
	}
	if _, err := c.ListMessage(ctx, 1); err == nil {
		t.Fatal("ListMessage of a deleted message succeeded")
	}
	if err := c.Reset(ctx); err != nil {
		t.Fatal(err)
	}
	if n, _, err := c.Stat(ctx); err != nil || n != 3 {
		t.Fatalf("Stat after Reset = %d, %v", n, err)
	}
	if err := c.Delete(ctx, 2); err != nil {
		t.Fatal(err)
	}
	if err := c.Quit(ctx); err != nil {
		t.Fatalf("Quit: %v", err)
	}
	if got := ts.mem.UIDs("alice"); !slices.Equal(got, []string{uids[0], uids[2]}) {
		t.Errorf("after Quit the maildrop holds %v, want %v", got, []string{uids[0], uids[2]})
	}
	if err := c.Noop(ctx); err == nil {
		t.Error("Noop after Quit succeeded")
	}
}

func TestClientCloseKeepsMessages(t *testing.T) {
	ctx := context.Background()
	ts := startServer(t, nil)
	ts.deliver(t, "alice", msg1)
	c := loginAlice(t, ts)
	if err := c.Delete(ctx, 1); err != nil {
		t.Fatal(err)
	}
	c.Close()
	// RFC 1939 section 6: no QUIT, no UPDATE state.
	waitFor(t, "the maildrop to be released", func() bool { return ts.spy.has("close") })
	if got := ts.mem.UIDs("alice"); len(got) != 1 {
		t.Fatalf("after Close without Quit the maildrop holds %v", got)
	}
}

func TestClientLoginErrors(t *testing.T) {
	ctx := context.Background()
	ts := startServer(t, nil)
	c := dialClient(t, ts.addr)
	if !errors.Is(c.Login(ctx, "alice", "wrong"), pop3.ErrAuthFailed) {
		t.Fatal("bad password: not ErrAuthFailed")
	}
	if err := c.Login(ctx, "al ice", "secret"); err == nil || strings.Contains(err.Error(), "secret") {
		t.Fatalf("user name with a space: %v", err)
	}
	if err := c.Login(ctx, "alice", "sec\r\nret"); err == nil || strings.Contains(err.Error(), "sec") {
		t.Fatalf("password with CRLF: %v", err)
	}
	// Nothing was sent for the two above, and the session goes on.
	if err := c.Login(ctx, "alice", "secret"); err != nil {
		t.Fatalf("Login after refusals: %v", err)
	}

	// RFC 2449 [IN-USE]: the maildrop is locked by the first session.
	c2 := dialClient(t, ts.addr)
	err := c2.Login(ctx, "alice", "secret")
	if !errors.Is(err, pop3.ErrInUse) {
		t.Fatalf("second session: %v, want ErrInUse", err)
	}
	if e := wantCode(t, err, "IN-USE"); e.Message == "" {
		t.Error("the -ERR text is lost")
	}
	if err := c2.Quit(ctx); err != nil {
		t.Fatalf("Quit after -ERR [IN-USE]: %v", err)
	}
}

func TestClientSysTemp(t *testing.T) {
	ts := startServer(t, nil)
	ts.deliver(t, "alice", msg1)
	ts.spy.setFail("messages", errors.New("disk on fire"))
	c := dialClient(t, ts.addr)
	err := c.Login(context.Background(), "alice", "secret")
	e := wantCode(t, err, "SYS/TEMP")
	if strings.Contains(e.Error(), "fire") {
		t.Errorf("internal error text reached the client: %v", e)
	}
}

func TestClientGreetingRefused(t *testing.T) {
	ts := startServer(t, func(s *pop3.Server) { s.MaxConnections = 1 })
	dialClient(t, ts.addr)
	_, err := pop3.Dial(ts.addr)
	wantCode(t, err, "SYS/TEMP")
}

func TestClientStartTLS(t *testing.T) {
	ctx := context.Background()
	serverTLS, clientTLS, _, _ := testCert(t)
	ts := startServer(t, func(s *pop3.Server) {
		s.TLSConfig = serverTLS
		s.AllowInsecureAuth = false
	})
	ts.deliver(t, "alice", dotted)
	c := dialClient(t, ts.addr)
	caps, err := c.Capabilities(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := caps["STLS"]; !ok {
		t.Fatalf("no STLS before TLS: %v", caps)
	}
	// Passwords are refused in plain text, with RFC 3206 [AUTH].
	if err := c.Login(ctx, "alice", "secret"); !errors.Is(err, pop3.ErrAuthFailed) {
		t.Fatalf("Login before STLS: %v", err)
	}
	if _, ok := c.TLSConnectionState(); ok {
		t.Fatal("TLS state before STLS")
	}
	if err := c.StartTLS(ctx, clientTLS); err != nil {
		t.Fatal(err)
	}
	if st, ok := c.TLSConnectionState(); !ok || !st.HandshakeComplete {
		t.Fatal("no TLS state after STLS")
	}
	if err := c.StartTLS(ctx, clientTLS); err == nil {
		t.Fatal("a second StartTLS succeeded")
	}
	caps, err = c.Capabilities(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := caps["STLS"]; ok {
		t.Errorf("STLS still offered over TLS: %v", caps)
	}
	if err := c.Login(ctx, "alice", "secret"); err != nil {
		t.Fatalf("Login over TLS: %v", err)
	}
	rc, err := c.Retrieve(ctx, 1)
	if got := readAll(t, rc, err); got != dotted {
		t.Errorf("Retrieve over TLS = %q", got)
	}
	if err := c.Quit(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestClientStartTLSUntrusted(t *testing.T) {
	serverTLS, _, _, _ := testCert(t)
	ts := startServer(t, func(s *pop3.Server) { s.TLSConfig = serverTLS })
	c := dialClient(t, ts.addr)
	if err := c.StartTLS(context.Background(), nil); err == nil {
		t.Fatal("StartTLS trusted an unknown certificate")
	}
	if err := c.Noop(context.Background()); err == nil {
		t.Fatal("the session went on after a failed handshake")
	}
}

func TestClientDialTLS(t *testing.T) {
	serverTLS, clientTLS, _, _ := testCert(t)
	ts := startServer(t, func(s *pop3.Server) { s.TLSConfig = serverTLS })
	// The same server, behind a TLS listener too: POP3S.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- ts.srv.Serve(tls.NewListener(l, serverTLS)) }()
	t.Cleanup(func() { ts.srv.Close(); <-done })
	c, err := pop3.DialTLS(l.Addr().String(), clientTLS)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, ok := c.TLSConnectionState(); !ok {
		t.Fatal("no TLS state")
	}
	if err := c.Login(context.Background(), "alice", "secret"); err != nil {
		t.Fatal(err)
	}
	if err := c.Quit(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestClientAPOP(t *testing.T) {
	ctx := context.Background()
	// The test server's spy hides APOP; the Memory backend has it.
	ts := startServer(t, func(s *pop3.Server) { s.Backend = s.Backend.(*spy).Backend })
	ts.deliver(t, "alice", msg1)
	c := dialClient(t, ts.addr)
	if !errors.Is(c.APOP(ctx, "alice", "wrong"), pop3.ErrAuthFailed) {
		t.Fatal("APOP with a wrong secret: not ErrAuthFailed")
	}
	if err := c.APOP(ctx, "alice", "secret"); err != nil {
		t.Fatalf("APOP: %v", err)
	}
	if n, _, err := c.Stat(ctx); err != nil || n != 1 {
		t.Fatalf("Stat after APOP = %d, %v", n, err)
	}
}

func TestClientAuth(t *testing.T) {
	ctx := context.Background()
	ts := startServer(t, nil)
	long := strings.Repeat("p", 300)
	ts.mem.AddUser("carol", long)
	for _, tc := range []struct {
		name string
		a    sasl.Client
		err  error
	}{
		{"plain", sasl.NewPlainClient("", "alice", "secret"), nil},
		{"plain bad password", sasl.NewPlainClient("", "alice", "nope"), pop3.ErrAuthFailed},
		// The initial response would make the line longer than 255
		// octets: it answers the server's empty challenge instead.
		{"plain long initial response", sasl.NewPlainClient("", "carol", long), nil},
		{"login", sasl.NewLoginClient("bob", "hunter2"), nil},
		{"login bad password", sasl.NewLoginClient("bob", "nope"), pop3.ErrAuthFailed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := dialClient(t, ts.addr)
			err := c.Auth(ctx, tc.a)
			if tc.err == nil && err != nil || tc.err != nil && !errors.Is(err, tc.err) {
				t.Fatalf("Auth = %v, want %v", err, tc.err)
			}
			if err := c.Quit(ctx); err != nil {
				t.Fatalf("Quit: %v", err)
			}
		})
	}
	if got := ts.spy.count("login carol"); got != 1 {
		t.Errorf("carol logged in %d times", got)
	}
}

// refusingSASL fails at the server's first challenge.
type refusingSASL struct{}

func (refusingSASL) Start() (string, []byte, error) { return "PLAIN", nil, nil }
func (refusingSASL) Next([]byte) ([]byte, error) {
	return nil, errors.New("the mechanism gives up")
}

// TestClientLoginRefusedKeepsSession: a login that the Client refuses
// itself, or cancels, leaves the session in step: USER and PASS work next.
func TestClientLoginRefusedKeepsSession(t *testing.T) {
	ctx := context.Background()
	ts := startServer(t, nil) // the spy hides APOP: no timestamp
	for _, tc := range []struct {
		name  string
		login func(*pop3.Client) error
		want  func(error) bool
	}{
		{"APOP without a timestamp, nothing sent", func(c *pop3.Client) error { return c.APOP(ctx, "alice", "secret") },
			func(err error) bool { return errors.Is(err, errors.ErrUnsupported) }},
		{"AUTH cancelled with *", func(c *pop3.Client) error { return c.Auth(ctx, refusingSASL{}) },
			func(err error) bool { return err != nil && strings.Contains(err.Error(), "gives up") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := dialClient(t, ts.addr)
			if err := tc.login(c); !tc.want(err) {
				t.Fatalf("got %v", err)
			}
			if err := c.Login(ctx, "alice", "secret"); err != nil {
				t.Fatalf("Login next: %v", err)
			}
			if err := c.Quit(ctx); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestClientMessageOpen(t *testing.T) {
	ctx := context.Background()
	ts := startServer(t, nil)
	ts.deliver(t, "alice", dotted)
	ts.deliver(t, "alice", msg2)
	c := loginAlice(t, ts)
	rc, err := c.Retrieve(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	head := make([]byte, 5)
	if _, err := io.ReadFull(rc, head); err != nil || string(head) != "Subje" {
		t.Fatalf("first bytes %q, %v", head, err)
	}
	// Commands are refused while the message is open...
	if _, _, err := c.Stat(ctx); err == nil || !strings.Contains(err.Error(), "still open") {
		t.Fatalf("Stat with a message open: %v", err)
	}
	if _, err := c.Retrieve(ctx, 2); err == nil {
		t.Fatal("a second Retrieve with a message open succeeded")
	}
	// ...and Close skips the rest, in step with the server.
	if err := rc.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := rc.Read(head); err == nil {
		t.Fatal("Read after Close succeeded")
	}
	rc, err = c.Retrieve(ctx, 2)
	if got := readAll(t, rc, err); got != string(backendtest.NormalizeCRLF([]byte(msg2))) {
		t.Fatalf("Retrieve(2) after a closed message = %q", got)
	}

	// A message read to io.EOF frees the session without Close.
	rc, err = c.Top(ctx, 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadAll(rc); err != nil {
		t.Fatal(err)
	}
	if err := c.Noop(ctx); err != nil {
		t.Fatalf("Noop after reading to EOF: %v", err)
	}
	if err := c.Quit(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestClientQuitWithMessageOpen(t *testing.T) {
	ctx := context.Background()
	ts := startServer(t, nil)
	ts.deliver(t, "alice", msg1)
	c := loginAlice(t, ts)
	if err := c.Delete(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Top(ctx, 1, 0); err == nil {
		t.Fatal("Top of a deleted message succeeded")
	}
	ts.deliver(t, "alice", msg2) // not in this session's snapshot
	if err := c.Reset(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Retrieve(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if err := c.Delete(ctx, 1); err == nil {
		t.Fatal("Delete with a message open succeeded")
	}
	// Quit cannot send QUIT behind an unread message: it closes, and
	// nothing is deleted.
	if err := c.Quit(ctx); err == nil {
		t.Fatal("Quit with a message open reported success")
	}
	waitFor(t, "the maildrop to be released", func() bool { return ts.spy.has("close") })
	if got := ts.mem.UIDs("alice"); len(got) != 2 {
		t.Fatalf("maildrop after Quit with a message open: %v", got)
	}
}

// generated is a maildrop of one large message made on the fly, so that
// neither side holds it whole: a header, then lines of which some begin
// with dots or are a dot alone.
type generated struct{ size int64 }

const generatedHeader = "Subject: big\r\n\r\n"

var generatedLines = []byte("a line of a large message\r\n.a dot\r\n..two dots\r\n.\r\n\r\n")

func (g generated) content() io.Reader {
	return io.LimitReader(io.MultiReader(strings.NewReader(generatedHeader), &cycle{b: generatedLines}), g.size)
}

// cycle repeats b for ever, without allocating.
type cycle struct {
	b   []byte
	off int
}

func (c *cycle) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		m := copy(p[n:], c.b[c.off:])
		n += m
		c.off = (c.off + m) % len(c.b)
	}
	return n, nil
}

func (g generated) Login(context.Context, pop3.ConnInfo, string, string) (pop3.Maildrop, error) {
	return g, nil
}
func (g generated) Messages(context.Context) ([]pop3.Message, error) {
	return []pop3.Message{{UID: "big", Size: int64(g.size)}}, nil
}
func (g generated) Open(context.Context, string) (io.ReadCloser, error) {
	return io.NopCloser(g.content()), nil
}
func (g generated) Delete(context.Context, []string) error { return nil }
func (g generated) Close() error                           { return nil }

func TestClientLargeMessageBoundedMemory(t *testing.T) {
	ctx := context.Background()
	// 16 MiB of whole lines, so that the server adds no final CRLF.
	g := generated{size: int64(len(generatedHeader)) + int64(len(generatedLines))*(16<<20/int64(len(generatedLines)))}
	var want hashWriter
	io.Copy(&want, g.content())
	ts := startServer(t, func(s *pop3.Server) { s.Backend = g })
	c := dialClient(t, ts.addr)
	if err := c.Login(ctx, "any", "any"); err != nil {
		t.Fatal(err)
	}
	var got hashWriter
	var rerr error
	grew := heapGrowth(func() {
		rc, err := c.Retrieve(ctx, 1)
		if err != nil {
			rerr = err
			return
		}
		_, rerr = io.Copy(&got, rc)
		rc.Close()
	})
	if rerr != nil {
		t.Fatal(rerr)
	}
	if got.n != g.size || got.sum() != want.sum() {
		t.Fatalf("got %d octets, want %d (or the content differs)", got.n, g.size)
	}
	// Server and client together: buffers only.
	t.Logf("streaming %d bytes allocated %d bytes", g.size, grew)
	if grew > 4<<20 {
		t.Errorf("streaming %d MiB allocated %d bytes", g.size>>20, grew)
	}
	if err := c.Quit(ctx); err != nil {
		t.Fatal(err)
	}
}
