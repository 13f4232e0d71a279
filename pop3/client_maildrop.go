package pop3

import (
	"context"
	"fmt"
	"io"
	"strconv"
)

// ScanListing is one message of a LIST response (RFC 1939 section 5).
type ScanListing struct {
	Number int   // message number in this session, from 1
	Size   int64 // size in octets, as RETR sends it (CRLF line endings)
}

// UniqueIDListing is one message of a UIDL response (RFC 1939 section 7).
type UniqueIDListing struct {
	Number int    // message number in this session, from 1
	UID    string // unique-id: stable across sessions, 1 to 70 characters 0x21-0x7E
}

// checkNumber refuses a message number that cannot be valid.
func checkNumber(n int) error {
	if n < 1 || n > maxMessageNumber {
		return fmt.Errorf("pop3: invalid message number %d", n)
	}
	return nil
}

// Stat sends STAT (RFC 1939 section 5) and returns the number of messages
// in the maildrop and their total size in octets, those marked deleted
// excepted.
func (c *Client) Stat(ctx context.Context) (count int, size int64, err error) {
	err = c.call(ctx, func() error {
		text, err := c.cmd("STAT")
		if err != nil {
			return err
		}
		if count, size, err = parseStat(text); err != nil {
			return c.fail(err)
		}
		return nil
	})
	return count, size, err
}

// List sends LIST (RFC 1939 section 5) and returns the number and size of
// every message not marked deleted, at most MaxMessages of them.
func (c *Client) List(ctx context.Context) ([]ScanListing, error) {
	return listAll(ctx, c, "LIST", parseScanListing)
}

// ListMessage sends "LIST n" and returns the size of message n. A message
// that does not exist or is marked deleted is an *Error.
func (c *Client) ListMessage(ctx context.Context, n int) (ScanListing, error) {
	return listOne(ctx, c, "LIST", n, parseScanListing)
}

// UIDL sends UIDL (RFC 1939 section 7) and returns the unique-id of every
// message not marked deleted, at most MaxMessages of them. A unique-id
// names the same message in every session, so a client that leaves mail
// on the server fetches only what it has not seen.
func (c *Client) UIDL(ctx context.Context) ([]UniqueIDListing, error) {
	return listAll(ctx, c, "UIDL", parseUniqueIDListing)
}

// UIDLMessage sends "UIDL n" and returns the unique-id of message n.
func (c *Client) UIDLMessage(ctx context.Context, n int) (UniqueIDListing, error) {
	return listOne(ctx, c, "UIDL", n, parseUniqueIDListing)
}

// listing is a line of LIST or UIDL.
type listing interface {
	ScanListing | UniqueIDListing
	number() int
}

func (l ScanListing) number() int     { return l.Number }
func (l UniqueIDListing) number() int { return l.Number }

// listAll sends verb and returns its multi-line listing, each line parsed
// by parse, at most MaxMessages of them.
func listAll[T listing](ctx context.Context, c *Client, verb string, parse func(string) (T, error)) ([]T, error) {
	var list []T
	err := c.call(ctx, func() error {
		if _, err := c.cmd(verb); err != nil {
			return err
		}
		return c.readMultiline(limit(c.MaxMessages, clientDefaultMaxMessages), verb, func(line string) error {
			l, err := parse(line)
			list = append(list, l)
			return err
		})
	})
	if err != nil {
		return nil, err
	}
	return list, nil
}

// listOne sends "verb n" and parses the +OK line, which must be about
// message n.
func listOne[T listing](ctx context.Context, c *Client, verb string, n int, parse func(string) (T, error)) (T, error) {
	var l T
	err := c.numbered(ctx, verb, n, func(text string) (err error) {
		l, err = parse(text)
		if err == nil && l.number() != n {
			err = badResponse("%s %d answered for message %d", verb, n, l.number())
		}
		return err
	})
	return l, err
}

// numbered sends "verb n" and passes the text of the +OK to parse; a parse
// error breaks the connection.
func (c *Client) numbered(ctx context.Context, verb string, n int, parse func(text string) error) error {
	if err := checkNumber(n); err != nil {
		return err
	}
	return c.call(ctx, func() error {
		text, err := c.cmd(verb + " " + strconv.Itoa(n))
		if err != nil {
			return err
		}
		if err := parse(text); err != nil {
			return c.fail(err)
		}
		return nil
	})
}

// Retrieve sends RETR (RFC 1939 section 5) and returns message n, streamed
// from the connection with the byte-stuffing undone: the bytes the server
// stored, with the line endings it sends (CRLF). ctx bounds the command
// and every Read and Close of the message, each Read bounded by
// CommandTimeout as well. Until the message is read to io.EOF or closed,
// other commands are refused; Close reads and discards the rest (use
// Client.Close to give up on a large message instead). The length is the
// server's to choose: wrap the message in an io.LimitReader to bound it.
// A message that does not exist or is marked deleted is an *Error.
func (c *Client) Retrieve(ctx context.Context, n int) (io.ReadCloser, error) {
	if err := checkNumber(n); err != nil {
		return nil, err
	}
	return c.openMessage(ctx, "RETR "+strconv.Itoa(n))
}

// Top sends TOP (RFC 1939 section 7) and returns the header of message n,
// the blank line and the first lines lines of its body, streamed as
// Retrieve streams a whole message. TOP is optional: a server that
// answers -ERR to it (see Capabilities) returns an *Error.
func (c *Client) Top(ctx context.Context, n, lines int) (io.ReadCloser, error) {
	if err := checkNumber(n); err != nil {
		return nil, err
	}
	if lines < 0 || lines > maxMessageNumber {
		return nil, fmt.Errorf("pop3: invalid number of lines %d", lines)
	}
	return c.openMessage(ctx, "TOP "+strconv.Itoa(n)+" "+strconv.Itoa(lines))
}

func (c *Client) openMessage(ctx context.Context, line string) (io.ReadCloser, error) {
	err := c.call(ctx, func() error {
		_, err := c.cmd(line)
		return err
	})
	if err != nil {
		return nil, err
	}
	c.body = &messageBody{c: c, ctx: ctx, r: dotReader{br: c.br}}
	return c.body, nil
}

// Delete marks message n deleted with DELE (RFC 1939 section 5). The
// server removes it only when Quit succeeds; Reset, or a connection that
// ends otherwise, keeps it.
func (c *Client) Delete(ctx context.Context, n int) error {
	return c.numbered(ctx, "DELE", n, func(string) error { return nil })
}

// Reset sends RSET (RFC 1939 section 5): no message is marked deleted any
// more.
func (c *Client) Reset(ctx context.Context) error {
	return c.simple(ctx, "RSET")
}

// Noop sends NOOP (RFC 1939 section 5), e.g. to keep a session from its
// autologout timer while the client does something else.
func (c *Client) Noop(ctx context.Context) error {
	return c.simple(ctx, "NOOP")
}

// simple sends a command without arguments whose +OK text does not matter.
func (c *Client) simple(ctx context.Context, line string) error {
	return c.call(ctx, func() error {
		_, err := c.cmd(line)
		return err
	})
}
