package pop3

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
)

// dotReader reads the body of a multi-line response (RFC 1939 section 3)
// from br: it drops the "." that the server put before each line starting
// with ".", and ends (io.EOF) at the "." line, which it consumes. The
// line endings are kept as they come (CRLF; a lone LF is accepted, and
// ".\n" ends the body as ".\r\n" does). It holds nothing but br's buffer,
// whatever the length of the message or of its lines, and once it has
// bytes to return it does not wait for more.
type dotReader struct {
	br      *bufio.Reader
	midLine bool // the next byte does not start a line
	done    bool // the "." line was read
}

// unexpectedEOF turns the end of the input within a body into
// io.ErrUnexpectedEOF: the server closed the connection too early.
func unexpectedEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

func (r *dotReader) Read(p []byte) (n int, err error) {
	if r.done {
		return 0, io.EOF
	}
	for n < len(p) {
		if !r.midLine {
			// A line start needs up to 3 bytes to decide: wait for them
			// only when there is nothing to return yet.
			if n > 0 && r.br.Buffered() < 3 {
				return n, nil
			}
			end, err := r.lineStart()
			if err != nil {
				return n, err
			}
			if end {
				r.done = true
				return n, io.EOF
			}
			r.midLine = true
		}
		if r.br.Buffered() == 0 {
			if n > 0 {
				return n, nil
			}
			if _, err := r.br.Peek(1); err != nil {
				return n, unexpectedEOF(err)
			}
		}
		// Copy what is buffered, up to the end of the line.
		chunk, _ := r.br.Peek(min(r.br.Buffered(), len(p)-n))
		if i := bytes.IndexByte(chunk, '\n'); i >= 0 {
			chunk = chunk[:i+1]
			r.midLine = false
		}
		n += copy(p[n:], chunk)
		r.br.Discard(len(chunk))
	}
	return n, nil
}

// lineStart looks at the start of a line: the "." line that ends the body
// (consumed; end is true), a stuffed "." (dropped), or anything else
// (left for the copy).
func (r *dotReader) lineStart() (end bool, err error) {
	b, err := r.br.Peek(1)
	if err != nil {
		return false, unexpectedEOF(err)
	}
	if b[0] != '.' {
		return false, nil
	}
	if b, err = r.br.Peek(2); err != nil {
		return false, unexpectedEOF(err)
	}
	switch b[1] {
	case '\n':
		r.br.Discard(2)
		return true, nil
	case '\r':
		if b, err = r.br.Peek(3); err != nil {
			return false, unexpectedEOF(err)
		}
		if b[2] == '\n' {
			r.br.Discard(3)
			return true, nil
		}
	}
	r.br.Discard(1)
	return false, nil
}

var errBodyClosed = errors.New("pop3: read of a closed message")

// messageBody is the io.ReadCloser of Retrieve and Top. While it is open
// the Client refuses other commands (Client.body points to it).
type messageBody struct {
	c      *Client
	ctx    context.Context
	r      dotReader
	err    error // io.EOF at the end, or the error that broke the Client
	closed bool
}

// Read reads the message; each call is one call of the Client, under the
// context of Retrieve or Top and CommandTimeout.
func (b *messageBody) Read(p []byte) (int, error) {
	if b.closed {
		return 0, errBodyClosed
	}
	if b.err != nil {
		return 0, b.err
	}
	if len(p) == 0 {
		return 0, nil
	}
	var n int
	err := b.c.conn.Do(b.ctx, b.c.commandTimeout(), func() (err error) {
		n, err = b.r.Read(p)
		if err != nil && err != io.EOF {
			err = b.c.fail(err)
		}
		return err
	})
	if err != nil {
		if err != io.EOF {
			// A context that ended before this Read also leaves the
			// rest of the message unread: the session is out of step.
			err = b.c.fail(err)
		}
		b.err = err
		if b.c.body == b {
			b.c.body = nil
		}
	}
	return n, err
}

// Close reads and discards the rest of the message, so that the session
// can go on, and reports the error that ended the message early, if any.
func (b *messageBody) Close() error {
	if b.closed {
		return nil
	}
	if b.err == nil {
		io.Copy(io.Discard, b)
	}
	b.closed = true
	if b.err != io.EOF {
		return b.err
	}
	return nil
}
