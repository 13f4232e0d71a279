package pop3

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"github.com/mailwright/mailwright/internal/clientio"
)

// Defaults for the zero values of the Client fields.
const (
	// RFC 1939 section 3: a server's autologout timer is at least 10
	// minutes, so a server that says nothing for 5 has a problem.
	clientDefaultCommandTimeout   = 5 * time.Minute
	clientDefaultMaxLineLength    = 8192
	clientDefaultMaxResponseLines = 128
	clientDefaultMaxMessages      = 100_000
	clientDialTimeout             = 30 * time.Second
	clientReadBufferSize          = 8192
	clientWriteBufferSize         = 1024
)

// errBodyOpen refuses a command while the body of a message is unread.
var errBodyOpen = errors.New("pop3: the message from Retrieve or Top is still open: read it to the end or close it first")

// Client is a POP3 client connection (RFC 1939) with CAPA and response
// codes (RFC 2449), STLS (RFC 2595) and SASL AUTH (RFC 5034).
//
// Create one with DialContext, DialTLSContext or NewClient, set the
// exported fields before the first command, log in (Login, APOP or Auth,
// after StartTLS on a plaintext connection), work on the maildrop (Stat,
// List, UIDL, Retrieve, Top, Delete, Reset, Noop) and end with Quit, which
// makes the deletions permanent (RFC 1939 section 6).
//
// Every method that talks to the server takes a context for that call.
// When it ends during the call, the read or write in progress is cut
// short and the call returns an error that wraps ctx.Err(); a context
// already done when the call begins fails it before anything is sent.
// CommandTimeout applies as well, whichever comes first.
//
// Retrieve and Top return the message as an io.ReadCloser that streams it
// from the connection, so a message of any size takes no more memory than
// the Client's buffers. Until it is read to the end (io.EOF) or closed,
// every other command is refused with an error, and the session goes on
// once it is; Close reads and discards what is left.
//
// A -ERR response is returned as an *Error with its RFC 2449 response
// code, if any: errors.Is(err, ErrInUse) and errors.Is(err,
// ErrAuthFailed) tell a locked maildrop and bad credentials (when the
// server sends the codes; RFC 3206 adds SYS/TEMP and SYS/PERM). The
// session goes on after one. Transport errors, timeouts, cancelled calls
// and malformed responses (ErrBadResponse) leave the connection in an
// unknown state: the Client then refuses further commands (Close still
// releases it).
//
// A Client is not safe for concurrent use, except that Close may be called
// from another goroutine to abort a command in progress.
type Client struct {
	// CommandTimeout bounds each command: writing it and reading its
	// whole response (a LIST of every message, say), and each Read of a
	// message from Retrieve or Top. Zero means 5 minutes. NewClient
	// reads the greeting with the default.
	CommandTimeout time.Duration

	// MaxLineLength is the longest response line accepted (a status line,
	// or a line of CAPA, LIST or UIDL), in bytes without the line ending;
	// zero means 8192. A longer line fails with ErrBadResponse. RFC 2449
	// section 4 allows 512 octets, but servers exceed it. Message content
	// is streamed and has no line limit.
	MaxLineLength int

	// MaxResponseLines is the largest number of lines accepted in the
	// CAPA response; zero means 128. More fail with ErrBadResponse.
	MaxResponseLines int

	// MaxMessages is the largest number of lines accepted in a LIST or
	// UIDL listing of all messages, each kept in memory (about 100 bytes);
	// zero means 100000. More fail with ErrBadResponse.
	MaxMessages int

	conn *clientio.Conn
	br   *bufio.Reader
	bw   *bufio.Writer

	serverName string // host name from Dial, for TLS verification
	isTLS      bool
	timestamp  string       // APOP timestamp of the greeting; "" if none
	broken     error        // set when the connection is out of step; sticky
	body       *messageBody // message being read; commands are refused until its end
	saslMechs  []string     // the SASL capability of the last CAPA, upper-case
	capaKnown  bool         // CAPA answered since the connection or STLS began
}

// DialContext connects to the POP3 server at addr ("host:port", port 110
// for STLS) and reads its greeting; ctx bounds both, with at most 30
// seconds for the TCP connection. Once DialContext has returned, the end
// of ctx no longer matters (each method takes its own). The host part of
// addr is remembered as the TLS server name for StartTLS.
func DialContext(ctx context.Context, addr string) (*Client, error) {
	return dial(ctx, &net.Dialer{Timeout: clientDialTimeout}, addr)
}

// Dial is DialContext with context.Background.
func Dial(addr string) (*Client, error) { return DialContext(context.Background(), addr) }

// DialTLSContext connects to the POP3 server at addr with implicit TLS
// (RFC 8314, POP3S on port 995) and reads its greeting; ctx bounds the
// connection, the TLS handshake and the greeting, as for DialContext. If
// config is nil or has no ServerName, the host part of addr is used to
// verify the certificate.
func DialTLSContext(ctx context.Context, addr string, config *tls.Config) (*Client, error) {
	host, _, _ := net.SplitHostPort(addr)
	return dial(ctx, &tls.Dialer{NetDialer: &net.Dialer{Timeout: clientDialTimeout}, Config: clientio.TLSConfig(config, host)}, addr)
}

// DialTLS is DialTLSContext with context.Background.
func DialTLS(addr string, config *tls.Config) (*Client, error) {
	return DialTLSContext(context.Background(), addr, config)
}

// dial connects with d, reads the greeting and keeps the host of addr
// for the verification of a certificate.
func dial(ctx context.Context, d interface {
	DialContext(ctx context.Context, network, addr string) (net.Conn, error)
}, addr string) (*Client, error) {
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	c, err := NewClient(ctx, conn)
	if err != nil {
		return nil, err
	}
	c.serverName, _, _ = net.SplitHostPort(addr)
	return c, nil
}

// NewClient returns a Client speaking POP3 over an existing connection,
// such as one from a net.Dialer with a chosen source address. It reads the
// server's greeting, within ctx and the default CommandTimeout, and fails
// unless it is +OK: a server over its connection limit greets with -ERR
// (often [SYS/TEMP]), which comes back as an *Error. On any error the
// connection is closed. If conn is a *tls.Conn the session counts as TLS.
// As NewClient cannot know the server's host name, StartTLS needs a
// tls.Config with ServerName set (or InsecureSkipVerify).
func NewClient(ctx context.Context, conn net.Conn) (*Client, error) {
	c := &Client{conn: clientio.New(conn, "pop3: ")}
	c.br = bufio.NewReaderSize(c.conn, clientReadBufferSize)
	c.bw = bufio.NewWriterSize(c.conn, clientWriteBufferSize)
	_, c.isTLS = conn.(*tls.Conn)
	var greeting response
	err := c.conn.Do(ctx, c.commandTimeout(), func() (err error) {
		greeting, err = c.readResponse()
		return err
	})
	if err == nil && greeting.kind != responseOK {
		err = greeting.err()
		if greeting.kind == responseContinuation {
			err = badResponse("greeting %q", "+ "+greeting.text)
		}
	}
	if err != nil {
		conn.Close()
		return nil, err
	}
	c.timestamp = apopTimestamp(greeting.text)
	return c, nil
}

// apopTimestamp finds the timestamp of RFC 1939 section 7 in the text of
// a greeting: a msg-id, "<" ... "@" ... ">", which APOP hashes with the
// secret. A text without one means the server does not offer APOP.
func apopTimestamp(text string) string {
	start := strings.IndexByte(text, '<')
	if start < 0 {
		return ""
	}
	end := strings.IndexByte(text[start:], '>')
	if end < 0 {
		return ""
	}
	ts := text[start : start+end+1]
	if !strings.Contains(ts, "@") || strings.ContainsAny(ts, " \t") {
		return ""
	}
	return ts
}

func (c *Client) commandTimeout() time.Duration {
	if c.CommandTimeout > 0 {
		return c.CommandTimeout
	}
	return clientDefaultCommandTimeout
}

func limit(v, def int) int {
	if v > 0 {
		return v
	}
	return def
}

// call runs one command of the Client under ctx (see clientio.Conn.Do). It
// is refused after the connection broke and while a message is open.
func (c *Client) call(ctx context.Context, f func() error) error {
	if err := c.usable(); err != nil {
		return err
	}
	if c.body != nil {
		return errBodyOpen
	}
	return c.conn.Do(ctx, c.commandTimeout(), f)
}

// fail marks the connection as unusable (later commands return the error)
// and returns the error to report: err, or the end of the call's context
// when that is what cut the I/O short.
func (c *Client) fail(err error) error {
	err = c.conn.Cause(err)
	if c.broken == nil {
		c.broken = err
	}
	return err
}

// usable returns an error if an earlier failure broke the connection.
func (c *Client) usable() error {
	if c.broken != nil {
		return fmt.Errorf("pop3: connection unusable after an earlier error: %w", c.broken)
	}
	return nil
}

// send writes one command line and flushes it. Arguments are checked by
// the callers; this is the last guard against a CR, LF or NUL splitting a
// command (nothing is sent then, and the session goes on).
func (c *Client) send(line string) error {
	if strings.ContainsAny(line, "\r\n\x00") {
		return errors.New("pop3: CR, LF or NUL in a command argument")
	}
	c.bw.WriteString(line)
	c.bw.WriteString("\r\n")
	if err := c.bw.Flush(); err != nil {
		return c.fail(err)
	}
	return nil
}

// readLine reads one response line, bounded by MaxLineLength.
func (c *Client) readLine() (string, error) {
	max := limit(c.MaxLineLength, clientDefaultMaxLineLength)
	line, err := clientio.ReadLine(c.br, max)
	switch {
	case err == nil:
		return line, nil
	case err == clientio.ErrLineTooLong:
		err = badResponse("line longer than %d bytes", max)
	case err == io.ErrUnexpectedEOF:
		err = fmt.Errorf("pop3: server closed the connection: %w", err)
	}
	return "", c.fail(err)
}

// readResponse reads one status line.
func (c *Client) readResponse() (response, error) {
	line, err := c.readLine()
	if err != nil {
		return response{}, err
	}
	r, err := parseResponse(line)
	if err != nil {
		return r, c.fail(err)
	}
	return r, nil
}

// cmd sends one command and reads its status line: the text of a +OK, or
// the *Error of a -ERR. Anything else breaks the connection.
func (c *Client) cmd(line string) (string, error) {
	if err := c.send(line); err != nil {
		return "", err
	}
	r, err := c.readResponse()
	switch {
	case err != nil:
		return "", err
	case r.kind == responseOK:
		return r.text, nil
	case r.kind == responseErr:
		return "", r.err()
	}
	verb, _, _ := strings.Cut(line, " ")
	return "", c.fail(badResponse("AUTH challenge in response to %s", verb))
}

// readMultiline reads the lines of a multi-line response after its +OK
// (RFC 1939 section 3) up to the "." line, undoes the byte-stuffing and
// passes each line to fn; at most maxLines lines, what naming the command
// in errors. An error from fn breaks the connection, since the rest of
// the response is left unread.
func (c *Client) readMultiline(maxLines int, what string, fn func(line string) error) error {
	for n := 0; ; n++ {
		line, err := c.readLine()
		if err != nil {
			return err
		}
		if line == "." {
			return nil
		}
		if n == maxLines {
			return c.fail(badResponse("more than %d lines in the %s response", maxLines, what))
		}
		line = strings.TrimPrefix(line, ".")
		if strings.ContainsAny(line, "\r\x00") {
			return c.fail(badResponse("control character in the %s response", what))
		}
		if err := fn(line); err != nil {
			return c.fail(err)
		}
	}
}

// TLSConnectionState returns the TLS state of the connection; ok is false
// if it does not use TLS.
func (c *Client) TLSConnectionState() (state tls.ConnectionState, ok bool) {
	tc, ok := c.conn.NetConn().(*tls.Conn)
	if !ok {
		return state, false
	}
	return tc.ConnectionState(), true
}

// StartTLS upgrades the connection with STLS (RFC 2595 section 4). If
// config has no ServerName and does not skip verification, the host given
// to Dial is used. A refusal is an *Error and the session goes on in plain
// text; a failed handshake breaks the Client. RFC 2595 section 4: the
// client must forget what it learnt before TLS, so ask Capabilities again.
func (c *Client) StartTLS(ctx context.Context, config *tls.Config) error {
	return c.call(ctx, func() error {
		if c.isTLS {
			return errors.New("pop3: TLS already active")
		}
		if _, err := c.cmd("STLS"); err != nil {
			return err
		}
		// Bytes that arrived with the +OK were sent before the handshake,
		// in plain text: an attacker's injected responses (as
		// CVE-2011-0411 for SMTP). Refuse.
		if c.br.Buffered() > 0 {
			return c.fail(badResponse("data after the STLS response, before the TLS handshake"))
		}
		tc := tls.Client(c.conn.NetConn(), clientio.TLSConfig(config, c.serverName))
		if err := tc.Handshake(); err != nil {
			return c.fail(err)
		}
		c.conn.Replace(tc)
		c.isTLS = true
		c.capaKnown, c.saslMechs = false, nil
		return nil
	})
}

// Capabilities sends CAPA (RFC 2449 section 5) and returns what the
// server announces: each keyword in upper case, with its arguments. For
// example "SASL" lists the AUTH mechanisms, "STLS" and "TOP" have none.
// The answer may change after StartTLS and after logging in.
func (c *Client) Capabilities(ctx context.Context) (map[string][]string, error) {
	caps := make(map[string][]string)
	err := c.call(ctx, func() error {
		if _, err := c.cmd("CAPA"); err != nil {
			return err
		}
		return c.readMultiline(limit(c.MaxResponseLines, clientDefaultMaxResponseLines), "CAPA", func(line string) error {
			if kw, args, ok := parseCapability(line); ok {
				caps[kw] = args
			}
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	c.saslMechs = nil
	for _, m := range caps["SASL"] {
		c.saslMechs = append(c.saslMechs, strings.ToUpper(m))
	}
	c.capaKnown = true
	return caps, nil
}

// Quit sends QUIT (RFC 1939 section 6) and closes the connection, also
// when ctx ends before the response. It returns nil only when the server
// confirmed the UPDATE state, in which the messages marked with Delete are
// removed: after a -ERR (RFC 3206 [SYS/TEMP] "some deleted messages not
// removed", say) or any other failure, some may remain. Without a message
// marked, nothing is lost either way. If a message is still open, or the
// connection is unusable, Quit just closes it and returns an error.
func (c *Client) Quit(ctx context.Context) error {
	err := c.simple(ctx, "QUIT")
	// The server has answered: an error closing the connection (a TLS
	// close_notify to a peer already gone) changes nothing.
	c.Close()
	return err
}

// Close closes the connection without QUIT: messages marked with Delete
// stay (RFC 1939 section 6). It may be called from another goroutine to
// abort a command in progress.
func (c *Client) Close() error {
	return c.conn.Close()
}
