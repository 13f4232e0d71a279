package smtp

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/mailwright/mailwright/internal/saslmech"
)

// TestClientDialCancel: a dial to a server that accepts the connection and
// never says a word (no greeting, no TLS handshake) returns ctx's error
// once ctx is cancelled, and closes the connection.
func TestClientDialCancel(t *testing.T) {
	dials := map[string]func(ctx context.Context, addr string) (*Client, error){
		"DialContext": DialContext,
		"DialTLSContext": func(ctx context.Context, addr string) (*Client, error) {
			return DialTLSContext(ctx, addr, &tls.Config{InsecureSkipVerify: true})
		},
	}
	for name, dial := range dials {
		t.Run(name, func(t *testing.T) {
			addr, st := clientServeStall(t, `STALL`)
			ctx, cancel := context.WithCancel(t.Context())
			done := make(chan error, 1)
			go func() {
				c, err := dial(ctx, addr)
				if c != nil {
					c.Close()
				}
				done <- err
			}()
			<-st.stalled // connected, waiting for the server
			cancel()
			if err := clientWaitCall(t, done); !errors.Is(err, context.Canceled) {
				t.Fatalf("%s = %v, want context.Canceled", name, err)
			}
			st.resume() // the server checks that the connection is closed
		})
	}
}

// clientEndlessReader is a message body that never ends.
type clientEndlessReader struct{}

func (clientEndlessReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'x'
		if i%80 == 79 {
			p[i] = '\n'
		}
	}
	return len(p), nil
}

// TestClientCallCancel: a call that waits for a server that stopped
// answering (or reading) returns ctx's error when ctx is cancelled; the
// Client is then unusable, and Quit closes the connection.
func TestClientCallCancel(t *testing.T) {
	const (
		mail = "C: MAIL FROM:<a@example.org>\nS: 250 2.1.0 ok\n"
		rcpt = "C: RCPT TO:<b@example.org>\nS: 250 2.1.5 ok\n"
		data = "C: DATA\nS: 354 go ahead\n"
	)
	bg := context.Background()
	// startData opens a transaction with a live context and calls Data
	// with ctx.
	startData := func(ctx context.Context, c *Client) (io.WriteCloser, error) {
		if err := c.Mail(bg, "a@example.org", nil); err != nil {
			return nil, err
		}
		if err := c.Rcpt(bg, "b@example.org", nil); err != nil {
			return nil, err
		}
		return c.Data(ctx)
	}
	cases := []struct {
		name   string
		script string // after EHLO
		call   func(ctx context.Context, c *Client) error
	}{
		{"Rcpt", mail + "C: RCPT TO:<b@example.org>\nSTALL", func(ctx context.Context, c *Client) error {
			if err := c.Mail(bg, "a@example.org", nil); err != nil {
				return err
			}
			return c.Rcpt(ctx, "b@example.org", nil)
		}},
		{"reply to DATA", mail + rcpt + "C: DATA\nSTALL", func(ctx context.Context, c *Client) error {
			_, err := startData(ctx, c)
			return err
		}},
		{"reply to the end of the data", mail + rcpt + data + `B: "Subject: x\r\n\r\nhello\r\n.\r\n"` + "\nSTALL", func(ctx context.Context, c *Client) error {
			w, err := startData(ctx, c)
			if err != nil {
				return err
			}
			io.WriteString(w, "Subject: x\r\n\r\nhello\r\n")
			return w.Close()
		}},
		{"message data the server does not read", mail + rcpt + data + "STALL", func(ctx context.Context, c *Client) error {
			w, err := startData(ctx, c)
			if err != nil {
				return err
			}
			_, err = io.Copy(w, clientEndlessReader{})
			return err
		}},
		{"Send", `
			C: MAIL FROM:<a@example.org>
			C: RCPT TO:<b@example.org>
			C: DATA
			S: 250 2.1.0 ok
			S: 250 2.1.5 ok
			S: 354 go ahead
			B: "Subject: x\r\n\r\nhello\r\n.\r\n"
			STALL
		`, func(ctx context.Context, c *Client) error {
			res, err := c.Send(ctx, "a@example.org", nil, []Recipient{{Address: "b@example.org"}}, strings.NewReader("Subject: x\r\n\r\nhello\r\n"))
			if len(res) != 1 || !errors.Is(res[0].Err, context.Canceled) {
				t.Errorf("Send results %+v, want the recipient cancelled", res)
			}
			return err
		}},
		// The SCRAM client goes through the same path: the server stalls
		// after the client's first message.
		{"Auth SCRAM-SHA-256", "C: AUTH SCRAM-SHA-256 " + base64.StdEncoding.EncodeToString([]byte("n,,n=alice,r=clientnonce")) + "\nSTALL", func(ctx context.Context, c *Client) error {
			return c.Auth(ctx, &saslmech.SCRAMClient{Mech: saslmech.SHA256, Username: "alice", Password: "secret", Nonce: func() string { return "clientnonce" }})
		}},
		{"Quit", "C: QUIT\nSTALL", func(ctx context.Context, c *Client) error {
			if err := c.Hello(bg, ""); err != nil {
				return err
			}
			return c.Quit(ctx)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			addr, st := clientServeStall(t, clientEhloBasic+tc.script)
			c, err := DialContext(t.Context(), addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.LocalName = "client.example.com"
			ctx, cancel := context.WithCancel(t.Context())
			done := make(chan error, 1)
			go func() { done <- tc.call(ctx, c) }()
			<-st.stalled
			cancel()
			if err := clientWaitCall(t, done); !errors.Is(err, context.Canceled) {
				t.Fatalf("call = %v, want context.Canceled", err)
			}
			if err := c.Noop(t.Context()); !errors.Is(err, context.Canceled) {
				t.Errorf("Noop after the cancelled call = %v, want the Client unusable for that reason", err)
			}
			if err := c.Quit(t.Context()); err != nil {
				t.Errorf("Quit of the unusable Client = %v, want nil (it closes)", err)
			}
			st.resume() // the server checks that the connection is closed
		})
	}
}

// TestClientCancelledBefore: a call whose context has already ended sends
// nothing and leaves the Client usable; a call that completed is not
// undone by the end of its context afterwards.
func TestClientCancelledBefore(t *testing.T) {
	c := clientDialScript(t, clientEhloBasic+`
		C: MAIL FROM:<b@example.org>
		S: 250 2.1.0 ok
		C: QUIT
		S: 221 2.0.0 bye
	`)
	c.LocalName = "client.example.com"
	ctx, cancel := context.WithCancel(t.Context())
	if err := c.Hello(ctx, ""); err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := c.Mail(ctx, "a@example.org", nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("Mail with a cancelled context = %v", err)
	}
	if _, err := c.Data(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Data with a cancelled context = %v", err)
	}
	if err := c.Mail(t.Context(), "b@example.org", nil); err != nil {
		t.Fatalf("Mail after the cancelled calls: %v", err)
	}
	if err := c.Quit(t.Context()); err != nil {
		t.Fatal(err)
	}
}
