// Package loopback lets a test be several clients at once: it dials a
// server from a chosen loopback address (127.0.0.2, 127.0.0.3, ...; Linux
// routes the whole of 127.0.0.0/8 to the loopback interface), so that
// per-source limits (connection caps, login throttling, rate limits,
// DNSBL listings) can be shown over real sockets.
package loopback

import (
	"bufio"
	"io"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// Dial connects to addr from the address from (port chosen by the
// system) and closes the connection when the test ends. It skips the test
// when from cannot be bound (a system without the whole of 127/8).
func Dial(t testing.TB, from, addr string) net.Conn {
	t.Helper()
	c, err := DialErr(from, addr)
	if err != nil {
		if !Usable(from) {
			t.Skipf("cannot dial from %s on this system: %v", from, err)
		}
		t.Fatalf("dial %s from %s: %v", addr, from, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// DialErr connects to addr from the address from, for loops that close
// their connections themselves.
func DialErr(from, addr string) (net.Conn, error) {
	d := net.Dialer{Timeout: 5 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}}
	return d.Dial("tcp", addr)
}

// Usable reports whether a socket can be bound to ip.
func Usable(ip string) bool {
	l, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		return false
	}
	l.Close()
	return true
}

// Addr returns the n-th address of 127.0.0.0/8 after 127.0.0.1, for n
// below 2^24 - 2: Addr(1) is 127.0.0.2.
func Addr(n int) string {
	b := netip.AddrFrom4([4]byte{127, byte((n + 1) >> 16), byte((n + 1) >> 8), byte(n + 1)})
	return b.String()
}

// Client is a test's side of a connection, driven by a transcript.
type Client struct {
	t    testing.TB
	Conn net.Conn
	r    *bufio.Reader
}

// DialClient is Dial returning a Client.
func DialClient(t testing.TB, from, addr string) *Client {
	t.Helper()
	c := Dial(t, from, addr)
	return &Client{t: t, Conn: c, r: bufio.NewReader(c)}
}

// Run plays a transcript, one step a line (leading blanks ignored): "C:
// text" sends text and CRLF; "S: text" reads a line and requires it to be
// text, or to start with it when it ends in "*"; "S...: text" reads lines
// until one is text in the same way (the end of a multiline reply whose
// other lines do not matter). Each read waits at most 10 seconds.
func (c *Client) Run(script string) {
	c.t.Helper()
	for _, line := range strings.Split(script, "\n") {
		line = strings.TrimLeft(line, " \t")
		switch {
		case line == "":
		case strings.HasPrefix(line, "C: "):
			c.Send(line[3:])
		case strings.HasPrefix(line, "S: "):
			if got := c.readLine(line[3:]); !matches(got, line[3:]) {
				c.t.Fatalf("S: want %q\n   got  %q", line[3:], got)
			}
		case strings.HasPrefix(line, "S...: "):
			for i := 0; !matches(c.readLine(line[6:]), line[6:]); i++ {
				if i == 1000 {
					c.t.Fatalf("S...: no line %q in 1000", line[6:])
				}
			}
		default:
			c.t.Fatalf("bad transcript line %q", line)
		}
	}
}

// Send sends line and CRLF: a step that a transcript cannot write down
// (it depends on what the server sent, as a SASL response does).
func (c *Client) Send(line string) {
	c.t.Helper()
	c.Conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c.Conn, line+"\r\n"); err != nil {
		c.t.Fatalf("C: %s: %v", line, err)
	}
}

// ReadLine reads a line, without its CRLF, waiting at most 10 seconds.
func (c *Client) ReadLine() string {
	c.t.Helper()
	return c.readLine("a line")
}

// readLine reads a line for the step that wants want.
func (c *Client) readLine(want string) string {
	c.t.Helper()
	c.Conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	got, err := c.r.ReadString('\n')
	if err != nil {
		c.t.Fatalf("S: want %q: %v (got %q)", want, err, got)
	}
	return strings.TrimSuffix(got, "\r\n")
}

// matches reports whether a line is want, or starts with want's text
// before a final "*".
func matches(got, want string) bool {
	prefix, ok := strings.CutSuffix(want, "*")
	return ok && strings.HasPrefix(got, prefix) || got == want
}
