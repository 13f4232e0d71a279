package pop3

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
)

// FuzzClientResponse parses arbitrary status lines: never a panic, and an
// accepted line keeps no control character and formats back to itself.
//
//	go test -run='^$' -fuzz=FuzzClientResponse -fuzztime=60s ./pop3
func FuzzClientResponse(f *testing.F) {
	for _, seed := range []string{
		"+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>",
		"+OK 2 320",
		"-ERR [IN-USE] Maildrop already in use",
		"-ERR [SYS/TEMP]",
		"-ERR [AUTH]x",
		"-ERR [] [x] [",
		"-ERR [A/B/C] t",
		"+ VXNlcm5hbWU6",
		"+",
		"+ok",
		"-err  ",
		"+OKAY",
		"* OK",
		"-ERR a\rb",
		"1 whqtswO00WBw418f9t5JxYwZ",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, line string) {
		// The listing parsers see the same lines.
		if n, size, err := parseStat(line); err == nil && (n < 0 || size < 0) {
			t.Fatalf("parseStat(%q) = %d, %d", line, n, size)
		}
		if l, err := parseScanListing(line); err == nil && (l.Number < 1 || l.Size < 0) {
			t.Fatalf("parseScanListing(%q) = %v", line, l)
		}
		if l, err := parseUniqueIDListing(line); err == nil && (l.Number < 1 || !validUID(l.UID)) {
			t.Fatalf("parseUniqueIDListing(%q) = %v", line, l)
		}
		r, err := parseResponse(line)
		if err != nil {
			if !errors.Is(err, ErrBadResponse) {
				t.Fatalf("parseResponse(%q): %v is not ErrBadResponse", line, err)
			}
			return
		}
		if strings.ContainsAny(r.code+r.text, "\r\n\x00") {
			t.Fatalf("parseResponse(%q) = %+v: control characters", line, r)
		}
		var again string
		switch r.kind {
		case responseContinuation:
			again = "+ " + r.text
		case responseOK, responseErr:
			again = "+OK"
			if r.kind == responseErr {
				again = "-ERR"
			}
			if r.code != "" {
				again += " [" + r.code + "]"
			}
			if r.text != "" || r.code == "" && strings.HasSuffix(line, " ") {
				again += " " + r.text
			}
			if e := r.err().(*Error); e.Code != r.code || e.Message != r.text {
				t.Fatalf("err() = %+v", e)
			}
		default:
			t.Fatalf("parseResponse(%q): kind %d", line, r.kind)
		}
		r2, err := parseResponse(again)
		if err != nil || r2 != r {
			t.Fatalf("%q parsed as %+v, formatted as %q, parsed again as %+v, %v", line, r, again, r2, err)
		}
	})
}

// FuzzDotReader checks the dot-unstuffing reader against the plain
// statement of RFC 1939 section 3 (unstuffReference), over buffers and
// reads of several sizes, and checks that it undoes the server's
// dotWriter for content with CRLF line endings.
//
//	go test -run='^$' -fuzz=FuzzDotReader -fuzztime=60s ./pop3
func FuzzDotReader(f *testing.F) {
	for _, seed := range []string{
		"Subject: x\r\n\r\n..\r\n.\r\n",
		".\n",
		"a\r\n.b\r\n..\r\n.\r\n+OK",
		".\rx\r\n.\r\n",
		"no end",
		"\r\n.\r",
		strings.Repeat("x", 40) + "\r\n." + strings.Repeat("y", 40) + "\n.\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkDotReader(t, data)
		// Round trip: content whose every line ends with CRLF comes back
		// as it was.
		if len(data) > 0 && !strings.HasSuffix(string(data), "\r\n") || strings.Count(string(data), "\n") != strings.Count(string(data), "\r\n") {
			return
		}
		got, _, err := readDotted(stuff(t, data), 16, 7, func(r io.Reader) io.Reader { return r })
		if err != nil || string(got) != string(data) {
			t.Fatalf("round trip of %q: %q, %v", data, got, err)
		}
	})
}

// FuzzClientSession gives arbitrary server output to a Client that runs a
// whole session, each command in turn whatever the previous one returned:
// no panic, no hang, results within the limits, and every error either
// the server's *Error, a malformed response (ErrBadResponse), a broken
// connection or the refusal of a command.
//
//	go test -run='^$' -fuzz=FuzzClientSession -fuzztime=60s ./pop3
func FuzzClientSession(f *testing.F) {
	for _, seed := range []string{
		"+OK ready <1.2@x>\r\n+OK\r\nTOP\r\nUSER\r\nSASL PLAIN\r\n.\r\n+OK\r\n+OK in\r\n-ERR [AUTH] no\r\n+ \r\n+OK\r\n" +
			"+OK 2 30\r\n+OK\r\n1 10\r\n2 20\r\n.\r\n+OK 1 10\r\n+OK\r\n1 a\r\n2 b\r\n.\r\n+OK 1 a\r\n" +
			"+OK\r\nSubject: x\r\n\r\n..\r\n.\r\n+OK\r\nSubject: x\r\n\r\n.\r\n+OK\r\n+OK\r\n+OK\r\n+OK bye\r\n",
		"-ERR [SYS/TEMP] busy\r\n",
		"+OK\r\n+OK\r\n" + strings.Repeat("X\r\n", 20) + ".\r\n",
		"+OK\r\n-ERR\r\n+OK\r\n+OK\r\n-ERR [IN-USE]\r\n+ =\r\n+ x\r\n",
		"+OK\r\n" + strings.Repeat("+OK\r\n", 6) + "+OK\r\n" + strings.Repeat("1 u\r\n", 20),
		"+OK\r\n" + strings.Repeat("+OK\r\n", 9) + "+OK\r\nendless body\r\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		conn, server := net.Pipe()
		go io.Copy(io.Discard, server) // the commands
		go func() {
			server.Write(data)
			server.Close()
		}()
		ctx := context.Background()
		c, err := NewClient(ctx, conn)
		if err != nil {
			checkClientError(t, "greeting", err)
			return
		}
		defer c.Close()
		c.CommandTimeout = 5 * time.Second
		c.MaxLineLength, c.MaxResponseLines, c.MaxMessages = 256, 16, 16
		for _, step := range clientSteps {
			if err := step.run(ctx, c); err != nil {
				checkClientError(t, step.name, err)
			}
		}
	})
}

// clientSteps is the session FuzzClientSession runs, with checks of what
// succeeds.
var clientSteps = []struct {
	name string
	run  func(context.Context, *Client) error
}{
	{"CAPA", func(ctx context.Context, c *Client) error {
		caps, err := c.Capabilities(ctx)
		if len(caps) > 16 {
			return errors.New("more capabilities than MaxResponseLines")
		}
		return err
	}},
	{"APOP", func(ctx context.Context, c *Client) error { return c.APOP(ctx, "u", "p") }},
	{"Login", func(ctx context.Context, c *Client) error { return c.Login(ctx, "u", "p") }},
	{"Auth", func(ctx context.Context, c *Client) error { return c.Auth(ctx, sasl.NewPlainClient("", "u", "p")) }},
	{"Stat", func(ctx context.Context, c *Client) error {
		n, size, err := c.Stat(ctx)
		if err == nil && (n < 0 || size < 0) {
			return errors.New("negative STAT")
		}
		return err
	}},
	{"List", func(ctx context.Context, c *Client) error {
		l, err := c.List(ctx)
		if len(l) > 16 {
			return errors.New("more LIST lines than MaxMessages")
		}
		return err
	}},
	{"ListMessage", func(ctx context.Context, c *Client) error {
		l, err := c.ListMessage(ctx, 1)
		if err == nil && l.Number != 1 {
			return errors.New("LIST 1 for another message")
		}
		return err
	}},
	{"UIDL", func(ctx context.Context, c *Client) error {
		l, err := c.UIDL(ctx)
		for _, u := range l {
			if !validUID(u.UID) {
				return errors.New("invalid UID")
			}
		}
		if len(l) > 16 {
			return errors.New("more UIDL lines than MaxMessages")
		}
		return err
	}},
	{"Retrieve", func(ctx context.Context, c *Client) error { return readMessage(c.Retrieve(ctx, 1)) }},
	{"Top", func(ctx context.Context, c *Client) error { return readMessage(c.Top(ctx, 1, 0)) }},
	{"Delete", func(ctx context.Context, c *Client) error { return c.Delete(ctx, 1) }},
	{"Reset", func(ctx context.Context, c *Client) error { return c.Reset(ctx) }},
	{"Noop", func(ctx context.Context, c *Client) error { return c.Noop(ctx) }},
	{"Quit", func(ctx context.Context, c *Client) error { return c.Quit(ctx) }},
}

func readMessage(rc io.ReadCloser, err error) error {
	if err != nil {
		return err
	}
	_, err = io.Copy(io.Discard, rc)
	if cerr := rc.Close(); err == nil {
		err = cerr
	}
	return err
}

// checkClientError fails t unless err is one a Client may return for a
// hostile server.
func checkClientError(t *testing.T, step string, err error) {
	t.Helper()
	var e *Error
	var ne net.Error
	switch {
	case errors.As(err, &e), errors.Is(err, ErrBadResponse), errors.Is(err, errors.ErrUnsupported),
		errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.ErrClosedPipe), errors.As(err, &ne),
		errors.Is(err, sasl.ErrUnexpectedServerChallenge),
		err == errBodyOpen, strings.HasPrefix(err.Error(), "pop3: SASL challenge"):
	default:
		t.Fatalf("%s: unexpected error %T %v", step, err, err)
	}
}
