package pop3_test

import (
	"bufio"
	"context"
	"encoding/base64"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/mailwright/mailwright/internal/fakeserver"
	"github.com/mailwright/mailwright/pop3"
)

// The Client against scripted and hostile servers (internal/fakeserver):
// the exact commands it sends, and what it does with what it should not
// accept.

// scriptClient starts a fake server with script and connects a Client.
func scriptClient(t *testing.T, script string) *pop3.Client {
	t.Helper()
	c, err := pop3.Dial(fakeserver.Script(t, script))
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	c.CommandTimeout = fakeserver.Timeout
	t.Cleanup(func() { c.Close() })
	return c
}

// saslClient is a mechanism with a fixed initial response.
type saslClient struct {
	mech string
	ir   []byte
}

func (s saslClient) Start() (string, []byte, error) { return s.mech, s.ir, nil }
func (s saslClient) Next(ch []byte) ([]byte, error) { return append([]byte("re:"), ch...), nil }

func TestClientAuthWire(t *testing.T) {
	ctx := context.Background()
	long := strings.Repeat("p", 200)
	longIR := base64.StdEncoding.EncodeToString([]byte("\x00alice\x00" + long)) // 276 octets
	c := scriptClient(t, `
		S: +OK ready
		C: AUTH PLAIN AGFsaWNlAHNlY3JldA==
		S: -ERR [AUTH] no
		C: AUTH PLAIN
		S: +
		C: `+longIR+`
		S: -ERR [SYS/TEMP] try later
		C: AUTH X-EMPTY =
		S: + Y2gx
		C: cmU6Y2gx
		S: + 
		C: cmU6
		S: +OK welcome
		C: QUIT
		S: +OK bye
	`)
	if err := c.Auth(ctx, sasl.NewPlainClient("", "alice", "secret")); !errors.Is(err, pop3.ErrAuthFailed) {
		t.Fatalf("first Auth: %v", err)
	}
	// Over 255 octets with the initial response: it waits for "+".
	err := c.Auth(ctx, sasl.NewPlainClient("", "alice", long))
	wantCode(t, err, "SYS/TEMP")
	// "=" is an empty initial response; "ch1" and "" are the challenges.
	if err := c.Auth(ctx, saslClient{"X-EMPTY", []byte{}}); err != nil {
		t.Fatalf("X-EMPTY: %v", err)
	}
	if err := c.Quit(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestClientAuthBadChallenge(t *testing.T) {
	ctx := context.Background()
	c := scriptClient(t, `
		S: +OK ready
		C: AUTH X
		S: + not base64!
		C: *
		S: -ERR cancelled
		C: NOOP
		S: +OK
		C: AUTH X
		S: + eA==
		C: cmU6eA==
		S: + eA==
		C: *
		S: +OK you are in anyway
	`)
	if err := c.Auth(ctx, saslClient{mech: "X"}); err == nil || !strings.Contains(err.Error(), "base64") {
		t.Fatalf("Auth with a bad challenge: %v", err)
	}
	if err := c.Noop(ctx); err != nil {
		t.Fatalf("Noop after a cancelled AUTH: %v", err)
	}
	// A mechanism that fails at the second challenge; the server says
	// +OK to the cancellation, which breaks the session.
	failing := &failAfter{n: 1}
	if err := c.Auth(ctx, failing); !errors.Is(err, pop3.ErrBadResponse) {
		t.Fatalf("+OK to \"*\": %v", err)
	}
}

// failAfter answers n challenges, then fails.
type failAfter struct{ n int }

func (f *failAfter) Start() (string, []byte, error) { return "X", nil, nil }
func (f *failAfter) Next(ch []byte) ([]byte, error) {
	if f.n == 0 {
		return nil, errors.New("enough")
	}
	f.n--
	return append([]byte("re:"), ch...), nil
}

func TestClientResponseCodes(t *testing.T) {
	ctx := context.Background()
	c := scriptClient(t, `
		S: +OK POP3 <1896.697170952@dbc.mtview.ca.us>
		C: APOP mrose c4c9334bac560ecc979e58001b3e22fb
		S: -ERR [LOGIN-DELAY] wait 10 minutes
		C: USER mrose
		S: +OK
		C: PASS tanstaaf
		S: -ERR [SYS/PERM/EXTRA] broken
		C: USER mrose
		S: -ERR [not a code
		C: USER mrose
		S: -ERR
		C: USER mrose
		S: +ok lower case is fine
		C: PASS tanstaaf
		S: +OK
		C: QUIT
		S: -ERR [SYS/TEMP] Some deleted messages not removed
	`)
	// RFC 1939 section 7's example: the digest of the timestamp and secret.
	err := c.APOP(ctx, "mrose", "tanstaaf")
	if e := wantCode(t, err, "LOGIN-DELAY"); e.Message != "wait 10 minutes" {
		t.Errorf("message %q", e.Message)
	}
	err = c.Login(ctx, "mrose", "tanstaaf")
	wantCode(t, err, "SYS/PERM/EXTRA")
	err = c.Login(ctx, "mrose", "tanstaaf")
	if e := wantCode(t, err, ""); e.Message != "[not a code" {
		t.Errorf("message %q", e.Message)
	}
	err = c.Login(ctx, "mrose", "tanstaaf")
	if e := wantCode(t, err, ""); e.Message != "" {
		t.Errorf("message %q", e.Message)
	}
	if err := c.Login(ctx, "mrose", "tanstaaf"); err != nil {
		t.Fatal(err)
	}
	// Quit reports the failed UPDATE state (RFC 3206 SYS/TEMP).
	wantCode(t, c.Quit(ctx), "SYS/TEMP")
}

func TestClientBadResponses(t *testing.T) {
	for _, tc := range []struct {
		name, script string
		call         func(*pop3.Client, context.Context) error
	}{
		{"status", "S: +OK\nC: NOOP\nS: OK fine", (*pop3.Client).Noop},
		{"no space after the status", "S: +OK\nC: NOOP\nS: +OKAY", (*pop3.Client).Noop},
		{"challenge to NOOP", "S: +OK\nC: NOOP\nS: + Zm9v", (*pop3.Client).Noop},
		{"NUL in the text", "S: +OK\nC: NOOP\nS: -ERR a\x00b", (*pop3.Client).Noop},
		{"STAT", "S: +OK\nC: STAT\nS: +OK many", func(c *pop3.Client, ctx context.Context) error {
			_, _, err := c.Stat(ctx)
			return err
		}},
		{"LIST line", "S: +OK\nC: LIST\nS: +OK\nS: 1 100\nS: 2 big\nCLOSE", func(c *pop3.Client, ctx context.Context) error {
			_, err := c.List(ctx)
			return err
		}},
		{"LIST message number 0", "S: +OK\nC: LIST\nS: +OK\nS: 0 100\nCLOSE", func(c *pop3.Client, ctx context.Context) error {
			_, err := c.List(ctx)
			return err
		}},
		{"LIST n for another message", "S: +OK\nC: LIST 2\nS: +OK 3 100", func(c *pop3.Client, ctx context.Context) error {
			_, err := c.ListMessage(ctx, 2)
			return err
		}},
		{"UIDL with a control character", "S: +OK\nC: UIDL\nS: +OK\nS: 1 a\x01b\nCLOSE", func(c *pop3.Client, ctx context.Context) error {
			_, err := c.UIDL(ctx)
			return err
		}},
		{"UIDL too long", "S: +OK\nC: UIDL 1\nS: +OK 1 " + strings.Repeat("u", 71), func(c *pop3.Client, ctx context.Context) error {
			_, err := c.UIDLMessage(ctx, 1)
			return err
		}},
		{"STLS injection", "S: +OK\nC: STLS\nS: +OK go ahead\nS: +OK injected", func(c *pop3.Client, ctx context.Context) error {
			return c.StartTLS(ctx, nil)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := scriptClient(t, tc.script)
			if err := tc.call(c, context.Background()); !errors.Is(err, pop3.ErrBadResponse) {
				t.Fatalf("got %v, want ErrBadResponse", err)
			}
			if err := c.Noop(context.Background()); !errors.Is(err, pop3.ErrBadResponse) {
				t.Fatalf("the next command: %v, want the sticky ErrBadResponse", err)
			}
		})
	}
}

func TestClientGreeting(t *testing.T) {
	for _, tc := range []struct {
		greeting string
		code     string // for a -ERR
	}{
		{"-ERR [SYS/TEMP] too many connections", "SYS/TEMP"},
		{"* OK IMAP4rev1 ready", ""},
		{"+ ready", ""},
	} {
		addr := fakeserver.Script(t, "S: "+tc.greeting+"\nCLOSE")
		_, err := pop3.Dial(addr)
		if tc.code != "" {
			wantCode(t, err, tc.code)
		} else if !errors.Is(err, pop3.ErrBadResponse) {
			t.Errorf("greeting %q: %v, want ErrBadResponse", tc.greeting, err)
		}
	}
}

func TestClientStartTLSScript(t *testing.T) {
	ctx := context.Background()
	c := scriptClient(t, `
		S: +OK ready
		C: STLS
		S: -ERR [SYS/TEMP] not now
		C: STLS
		S: +OK begin
		TLS
		C: CAPA
		S: +OK
		S: USER
		S: SASL PLAIN
		S: .
		C: QUIT
		S: +OK
	`)
	wantCode(t, c.StartTLS(ctx, fakeserver.ClientTLSConfig(t)), "SYS/TEMP")
	if err := c.StartTLS(ctx, fakeserver.ClientTLSConfig(t)); err != nil {
		t.Fatal(err)
	}
	caps, err := c.Capabilities(ctx)
	if err != nil || len(caps) != 2 || caps["SASL"][0] != "PLAIN" {
		t.Fatalf("Capabilities over TLS = %v, %v", caps, err)
	}
	if err := c.Quit(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestClientLimits(t *testing.T) {
	ctx := context.Background()
	long := strings.Repeat("x", 96)
	c := scriptClient(t, `
		S: +OK ready
		C: NOOP
		S: +OK `+long+`
		C: CAPA
		S: +OK
		S: A
		S: B
		S: C
		S: .
		C: LIST
		S: +OK
		S: 1 10
		S: 2 20
		S: .
		C: UIDL
		S: +OK
		S: 1 a
		S: 2 b
		S: 3 c
	`)
	c.MaxLineLength = 100
	c.MaxResponseLines = 3
	c.MaxMessages = 2
	if err := c.Noop(ctx); err != nil {
		t.Fatalf("a 100-byte line with MaxLineLength 100: %v", err)
	}
	if _, err := c.Capabilities(ctx); err != nil {
		t.Fatalf("3 CAPA lines with MaxResponseLines 3: %v", err)
	}
	if _, err := c.List(ctx); err != nil {
		t.Fatalf("2 LIST lines with MaxMessages 2: %v", err)
	}
	if _, err := c.UIDL(ctx); !errors.Is(err, pop3.ErrBadResponse) {
		t.Fatalf("3 UIDL lines with MaxMessages 2: %v", err)
	}
}

func TestClientHostileLongLine(t *testing.T) {
	c, err := pop3.Dial(fakeserver.Flood(t, "+OK ready", "+OK ", "a"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var serr error
	grew := heapGrowth(func() { _, _, serr = c.Stat(context.Background()) })
	c.Close()
	if !errors.Is(serr, pop3.ErrBadResponse) || !strings.Contains(serr.Error(), "longer") {
		t.Fatalf("got %v, want ErrBadResponse about the line length", serr)
	}
	if grew > 1<<20 {
		t.Errorf("reading the line allocated %d bytes", grew)
	}
}

func TestClientHostileEndlessResponse(t *testing.T) {
	for _, tc := range []struct {
		name, prefix, unit string
		call               func(*pop3.Client) error
		bound              uint64
	}{
		{"CAPA", "+OK\r\n", "X-ENDLESS\r\n", func(c *pop3.Client) error {
			_, err := c.Capabilities(context.Background())
			return err
		}, 1 << 20},
		// MaxMessages (100000) lines of a 70-character unique-id are
		// kept before the Client gives up: about 10 MB.
		{"UIDL", "+OK\r\n", "1 " + strings.Repeat("u", 70) + "\r\n", func(c *pop3.Client) error {
			_, err := c.UIDL(context.Background())
			return err
		}, 32 << 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := pop3.Dial(fakeserver.Flood(t, "+OK ready", tc.prefix, tc.unit))
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			var cerr error
			grew := heapGrowth(func() { cerr = tc.call(c) })
			c.Close()
			if !errors.Is(cerr, pop3.ErrBadResponse) || !strings.Contains(cerr.Error(), "lines") {
				t.Fatalf("got %v, want ErrBadResponse about the number of lines", cerr)
			}
			t.Logf("the endless %s response allocated %d bytes", tc.name, grew)
			if grew > tc.bound {
				t.Errorf("the endless %s response allocated %d bytes", tc.name, grew)
			}
		})
	}
}

// serveRetr greets, answers RETR with +OK and partial, then waits for the
// client to hang up.
func serveRetr(t *testing.T, partial string) string {
	return fakeserver.Serve(t, func(conn net.Conn) error {
		br := bufio.NewReader(conn)
		io.WriteString(conn, "+OK ready\r\n")
		if line, err := br.ReadString('\n'); err != nil || line != "RETR 1\r\n" {
			return errors.New("no RETR 1")
		}
		io.WriteString(conn, "+OK\r\n"+partial)
		io.Copy(io.Discard, br)
		return nil
	})
}

func TestClientMessageCut(t *testing.T) {
	addr := fakeserver.Serve(t, func(conn net.Conn) error {
		br := bufio.NewReader(conn)
		io.WriteString(conn, "+OK ready\r\n")
		br.ReadString('\n')
		io.WriteString(conn, "+OK\r\nSubject: cut\r\n\r\nhalf a mess")
		return nil // closes the connection
	})
	c, err := pop3.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	rc, err := c.Retrieve(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(rc)
	if !errors.Is(err, io.ErrUnexpectedEOF) || string(got) != "Subject: cut\r\n\r\nhalf a mess" {
		t.Fatalf("ReadAll = %q, %v; want the bytes and io.ErrUnexpectedEOF", got, err)
	}
	if err := rc.Close(); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("Close = %v", err)
	}
	if err := c.Noop(context.Background()); err == nil {
		t.Error("Noop after a cut message succeeded")
	}
}

func TestClientContext(t *testing.T) {
	// A context already done: nothing is sent, the session goes on.
	c := scriptClient(t, `
		S: +OK ready
		C: NOOP
		S: +OK
	`)
	done, cancel := context.WithCancel(context.Background())
	cancel()
	if err := c.Noop(done); !errors.Is(err, context.Canceled) {
		t.Fatalf("Noop with a done context: %v", err)
	}
	if err := c.Noop(context.Background()); err != nil {
		t.Fatal(err)
	}

	// A context that ends while a message is read breaks the session.
	c, err := pop3.Dial(serveRetr(t, "first line\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rc, err := c.Retrieve(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	if n, err := rc.Read(buf); err != nil || string(buf[:n]) != "first line\r\n" {
		t.Fatalf("Read = %q, %v", buf[:n], err)
	}
	// Whether it ends before or during the Read, the result is the same.
	stop := time.AfterFunc(10*time.Millisecond, cancel)
	defer stop.Stop()
	if _, err := rc.Read(buf); !errors.Is(err, context.Canceled) {
		t.Fatalf("Read after cancel: %v", err)
	}
	if err := c.Noop(context.Background()); !errors.Is(err, context.Canceled) {
		t.Fatalf("Noop after a cancelled read: %v", err)
	}
}

func TestClientCloseAborts(t *testing.T) {
	c, err := pop3.Dial(serveRetr(t, ""))
	if err != nil {
		t.Fatal(err)
	}
	rc, err := c.Retrieve(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	stop := time.AfterFunc(10*time.Millisecond, func() { c.Close() })
	defer stop.Stop()
	if _, err := io.ReadAll(rc); err == nil {
		t.Fatal("a read of a closed connection succeeded")
	}
}
