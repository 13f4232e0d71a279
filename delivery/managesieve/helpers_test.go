package managesieve_test

import (
	"bufio"
	"crypto/tls"
	"errors"
	"net"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mailwright/mailwright/delivery/managesieve"
	"github.com/mailwright/mailwright/internal/logtest"
	"github.com/mailwright/mailwright/mailbox"
)

// testServer is a managesieve.Server on a loopback listener over a
// memory store, with alice/secret and bob/hunter2.
type testServer struct {
	srv   *managesieve.Server
	addr  string
	store *mailbox.Store
	logs  *logtest.Buffer
}

// startServer starts a server; configure adjusts it before Serve.
func startServer(t *testing.T, configure func(*managesieve.Server)) *testServer {
	t.Helper()
	accts := mailbox.NewMemoryAccounts("example.org")
	accts.Add("alice", "secret")
	accts.Add("bob", "hunter2")
	store := mailbox.NewMemoryStore()
	t.Cleanup(func() { store.Close() })
	logger, logs := logtest.New()
	ts := &testServer{store: store, logs: logs}
	ts.srv = &managesieve.Server{
		Backend:           managesieve.NewBackend(store, accts),
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
	done := make(chan error, 1)
	go func() { done <- ts.srv.Serve(l) }()
	t.Cleanup(func() {
		ts.srv.Close()
		select {
		case err := <-done:
			if !errors.Is(err, managesieve.ErrServerClosed) {
				t.Errorf("Serve returned %v, want ErrServerClosed", err)
			}
		case <-time.After(5 * time.Second):
			t.Error("Serve did not return after Close")
		}
		if t.Failed() {
			t.Logf("server log:\n%s", logs.String())
		}
	})
	return ts
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
	conn.SetDeadline(time.Now().Add(20 * time.Second))
	return &client{t: t, conn: conn, r: bufio.NewReader(conn)}
}

// run plays a transcript. "C: x" lines are sent with CRLF; consecutive C:
// lines go out in one write. "S: x" must be the next line received; one
// ending in "*" matches by prefix, and "S: <closed>" expects the server
// to close the connection.
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
		line = strings.TrimLeft(line, "\t ")
		if line == "S:" || line == "C:" {
			line += " "
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

// startTLS wraps the connection in TLS after the OK to STARTTLS.
func (c *client) startTLS(cfg *tls.Config) {
	c.t.Helper()
	if n := c.r.Buffered(); n != 0 {
		c.t.Fatalf("%d bytes after the STARTTLS response, before the handshake", n)
	}
	tc := tls.Client(c.conn, cfg)
	if err := tc.Handshake(); err != nil {
		c.t.Fatalf("TLS handshake: %v", err)
	}
	c.conn = tc
	c.r = bufio.NewReader(tc)
}

// literal is the "{n+}" marker of a script, as a transcript C: line ends.
func literal(script string) string { return "{" + strconv.Itoa(len(script)) + "+}" }

// capLines are the capability lines of a server with the default
// options: SASL lists sasl, and the lines of more ("STARTTLS", an OWNER)
// come before UNAUTHENTICATE.
func capLines(sasl string, more ...string) string {
	lines := []string{
		`S: "IMPLEMENTATION" "mailwright"`,
		`S: "SASL" "` + sasl + `"`,
		`S: "SIEVE" "body comparator-i;ascii-numeric copy date duplicate editheader encoded-character enotify envelope ereject fileinto imap4flags include index mailbox regex reject relational subaddress vacation vacation-seconds variables"`,
		`S: "NOTIFY" "mailto"`,
		`S: "MAXREDIRECTS" "4"`,
	}
	for _, m := range more {
		lines = append(lines, "S: "+m)
	}
	lines = append(lines, `S: "UNAUTHENTICATE"`, `S: "VERSION" "1.0"`)
	return "\n" + strings.Join(lines, "\n")
}

// caps are the capability lines on a plaintext connection that allows
// passwords.
var caps = capLines("PLAIN")

// loginAlice is the greeting and AUTHENTICATE PLAIN of alice.
var loginAlice = caps + `
	S: OK "ManageSieve ready"
	C: AUTHENTICATE "PLAIN" "AGFsaWNlAHNlY3JldA=="
	S: OK "Logged in"`

// checkNoLeaks fails if goroutines started after before remain, polling
// for a while: sessions end asynchronously.
func checkNoLeaks(t *testing.T, before int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		n := runtime.NumGoroutine()
		if n <= before {
			return
		}
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			buf = buf[:runtime.Stack(buf, true)]
			t.Fatalf("%d goroutines before, %d after:\n%s", before, n, buf)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
