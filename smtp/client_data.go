package smtp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// clientChunkSize is the size of the BDAT chunks that Bdat sends.
const clientChunkSize = 64 << 10

var errClientWriterClosed = errors.New("smtp: message writer already closed")

// Data sends DATA (RFC 5321 4.1.1.4) and returns a writer for the message.
// The writer turns every lone LF (and lone CR) into CRLF and doubles a dot
// at the start of a line (RFC 5321 4.5.2); Close ends the data with
// CRLF.CRLF, adding the missing CRLF if the message did not end with one,
// and returns the server's verdict: nil, or an *Error for 4xx and 5xx.
//
// In LMTP mode Close reads one reply per recipient accepted by Rcpt
// (RFC 2033 4.2) and returns nil if all of them succeeded, else the failures
// joined, each wrapped with its recipient; use LMTPData to get them one by one.
//
// A transaction started with BodyBinaryMIME must use Bdat instead.
//
// ctx bounds the DATA command and every Write and Close of the writer: a
// message cannot be abandoned half sent, so once ctx ends, the writer and
// the Client fail.
func (c *Client) Data(ctx context.Context) (io.WriteCloser, error) {
	return c.data(ctx, nil)
}

// LMTPData is Data for an LMTP client (NewLMTPClient): after the end of the
// data, Close calls status once per recipient accepted by Rcpt, in order,
// with nil or the *Error the server gave for that recipient (RFC 2033 4.2),
// and itself returns only transport and protocol errors.
func (c *Client) LMTPData(ctx context.Context, status func(rcpt string, err error)) (io.WriteCloser, error) {
	if !c.lmtp {
		return nil, errors.New("smtp: LMTPData on a client that is not LMTP")
	}
	if status == nil {
		status = func(string, error) {}
	}
	return c.data(ctx, status)
}

func (c *Client) data(ctx context.Context, status func(string, error)) (io.WriteCloser, error) {
	var w *clientDataWriter
	err := c.do(ctx, func() error {
		if err := c.ensureHello(); err != nil {
			return err
		}
		if c.txBinary {
			return errors.New("smtp: BODY=BINARYMIME needs Bdat, not Data")
		}
		if _, err := c.cmd(3, "DATA"); err != nil {
			return err
		}
		w = &clientDataWriter{c: c, ctx: ctx, end: clientDataEnd{c: c, rcpts: c.rcpts, status: status}, lineStart: true}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return w, nil
}

// clientDataWriter writes the message after DATA with dot-stuffing.
type clientDataWriter struct {
	end       clientDataEnd
	c         *Client
	ctx       context.Context // of Data; nil within Send
	lineStart bool            // the next byte starts a line
	cr        bool            // the last byte was a CR, not yet written
	err       error           // sticky write error
	closed    bool
}

// Write copies p with line endings made CRLF and leading dots doubled.
func (w *clientDataWriter) Write(p []byte) (int, error) {
	return w.c.writeInData(w.ctx, w.write, p)
}

func (w *clientDataWriter) write(p []byte) (int, error) {
	if w.closed {
		return 0, errClientWriterClosed
	}
	if w.err != nil {
		return 0, w.err
	}
	bw := w.c.bw
	start := 0 // p[start:i] is pending verbatim output
	for i := 0; i < len(p); i++ {
		b := p[i]
		if w.cr {
			// RFC 5321 2.3.8: CR may only appear in CRLF. A CR without
			// LF still ends the line, so that the message stays valid.
			w.cr = false
			bw.WriteString("\r\n")
			w.lineStart = true
			if b == '\n' {
				start = i + 1
				continue
			}
		}
		switch b {
		case '\r':
			bw.Write(p[start:i])
			start = i + 1
			w.cr = true
			continue
		case '\n':
			bw.Write(p[start:i])
			bw.WriteString("\r\n")
			start = i + 1
			w.lineStart = true
			continue
		case '.':
			if w.lineStart {
				// RFC 5321 4.5.2: a line starting with a dot gets one more.
				bw.Write(p[start:i])
				bw.WriteByte('.')
				start = i
			}
		}
		w.lineStart = false
	}
	// bufio.Writer errors are sticky: checking the last write suffices.
	if _, err := bw.Write(p[start:]); err != nil {
		w.err = w.c.fail(err)
		return 0, w.err
	}
	return len(p), nil
}

// writeEnd buffers the end of the data: the missing CRLF of an unfinished
// last line, then ".\r\n" (RFC 5321 4.1.1.4).
func (w *clientDataWriter) writeEnd() {
	if w.cr || !w.lineStart {
		w.c.bw.WriteString("\r\n")
	}
	w.c.bw.WriteString(".\r\n")
}

// Close ends the message and reads the final reply or replies.
func (w *clientDataWriter) Close() error {
	return w.c.doInData(w.ctx, w.close)
}

func (w *clientDataWriter) close() error {
	if w.closed {
		return errClientWriterClosed
	}
	w.closed = true
	if w.err != nil {
		return w.err
	}
	w.writeEnd()
	if err := w.c.flush(); err != nil {
		return err
	}
	return w.end.finish()
}

// clientDataEnd reads the replies to the end of the message data: one in
// SMTP, one per accepted recipient in LMTP (RFC 2033 4.2).
type clientDataEnd struct {
	c       *Client
	rcpts   []string                    // LMTP: the accepted recipients, in order
	status  func(string, error)         // LMTPData callback
	onReply func(i int, r *clientReply) // Send's hook; replaces the defaults
}

// finish reads the final replies and returns the verdict (see Data). The
// transaction is over afterwards, whatever the replies say.
func (e *clientDataEnd) finish() error {
	c := e.c
	n := 1
	if c.lmtp {
		n = len(e.rcpts)
	}
	var errs []error
	for i := range n {
		r, err := c.readReply(c.submissionTimeout())
		if err != nil {
			return err
		}
		if r.code/100 != 2 && r.code < 400 {
			return c.check(r, 2)
		}
		switch {
		case e.onReply != nil:
			e.onReply(i, r)
		case !c.lmtp:
			errs = append(errs, r.toError())
		case e.status != nil:
			e.status(e.rcpts[i], r.toError())
		default:
			if err := r.toError(); err != nil {
				errs = append(errs, fmt.Errorf("smtp: recipient <%s>: %w", e.rcpts[i], err))
			}
		}
	}
	c.resetTx()
	if !c.lmtp && e.onReply == nil {
		return errs[0] // the *Error itself, not wrapped by errors.Join
	}
	return errors.Join(errs...)
}

// Bdat returns a writer that sends the message with BDAT chunks (RFC 3030,
// needs CHUNKING), as BODY=BINARYMIME requires. The bytes go as they are: no
// dot-stuffing and no line-ending conversion, so the caller supplies CRLF
// line endings for anything but binary MIME. Writes are buffered into chunks
// of 64 KiB; each chunk waits for its 250 reply. Close sends the last chunk
// with LAST and returns the final reply like Data's writer (per recipient in
// LMTP mode). If the server rejects a chunk, that *Error is returned by Write
// or Close and no more chunks are sent; call Reset before the next
// transaction (RFC 3030 section 2). ctx bounds every Write and Close, as
// for Data.
func (c *Client) Bdat(ctx context.Context) (io.WriteCloser, error) {
	var w *clientBdatWriter
	err := c.do(ctx, func() (err error) {
		w, err = c.bdat()
		return err
	})
	if err != nil {
		return nil, err
	}
	w.ctx = ctx
	return w, nil
}

// bdat starts a BDAT writer; nothing is sent before its first chunk.
func (c *Client) bdat() (*clientBdatWriter, error) {
	if err := c.ensureHello(); err != nil {
		return nil, err
	}
	if !c.hasExt("CHUNKING") {
		return nil, &MissingExtensionError{Extension: "CHUNKING"}
	}
	if c.chunkBuf == nil {
		c.chunkBuf = make([]byte, 0, clientChunkSize)
	}
	return &clientBdatWriter{c: c, end: clientDataEnd{c: c, rcpts: c.rcpts}, buf: c.chunkBuf[:0]}, nil
}

// clientBdatWriter collects the message into chunks for BDAT.
type clientBdatWriter struct {
	end    clientDataEnd
	c      *Client
	ctx    context.Context // of Bdat; nil within Send
	buf    []byte
	err    error
	closed bool
}

// Write buffers p and sends every full chunk that more data follows.
func (w *clientBdatWriter) Write(p []byte) (int, error) {
	return w.c.writeInData(w.ctx, w.write, p)
}

func (w *clientBdatWriter) write(p []byte) (int, error) {
	if w.closed {
		return 0, errClientWriterClosed
	}
	n := 0
	for len(p) > 0 {
		if w.err != nil {
			return n, w.err
		}
		// A full chunk goes only once more data is known to follow, so
		// that Close can send the tail as the LAST chunk.
		if len(w.buf) == cap(w.buf) {
			w.err = w.sendChunk(false)
			continue
		}
		k := copy(w.buf[len(w.buf):cap(w.buf)], p)
		w.buf = w.buf[:len(w.buf)+k]
		p = p[k:]
		n += k
	}
	return n, nil
}

func (w *clientBdatWriter) sendChunk(last bool) error {
	c := w.c
	line := "BDAT " + strconv.Itoa(len(w.buf))
	if last {
		line += " LAST"
	}
	if err := c.writeLine(line); err != nil {
		return err
	}
	if _, err := c.bw.Write(w.buf); err != nil {
		return c.fail(err)
	}
	w.buf = w.buf[:0]
	if err := c.flush(); err != nil {
		return err
	}
	if last {
		return w.end.finish()
	}
	r, err := c.readReply(c.commandTimeout())
	if err != nil {
		return err
	}
	return c.check(r, 2)
}

// Close sends the remaining data as the LAST chunk and reads the verdict.
func (w *clientBdatWriter) Close() error {
	return w.c.doInData(w.ctx, w.close)
}

func (w *clientBdatWriter) close() error {
	if w.closed {
		return errClientWriterClosed
	}
	w.closed = true
	if w.err != nil {
		return w.err
	}
	return w.sendChunk(true)
}
