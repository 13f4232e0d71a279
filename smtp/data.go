package smtp

import (
	"bufio"
	"errors"
	"io"
)

// errDataIncomplete reports that the connection ended before the end of the
// message data; the message is not accepted.
var errDataIncomplete = errors.New("smtp: connection closed during message data")

// dataReader streams the text of a DATA command (RFC 5321 4.1.1.4) with the
// dot-stuffing removed (4.5.2). Only <CRLF>.<CRLF> ends the data: a line
// ending in a bare LF or bare CR never begins a new line for the purpose of
// the terminator or of unstuffing, so "\n.\n" and "\r.\r" are message
// content, never an end (no SMTP smuggling).
//
// Memory is bounded by the bufio.Reader: lines are read with ReadSlice and
// handed on in pieces, never accumulated.
type dataReader struct {
	r         *bufio.Reader
	pending   []byte // unstuffed bytes not yet returned
	lineStart bool   // the next byte read starts a line (after CRLF)
	prevCR    bool   // the last byte of the previous slice was '\r'
	n         int64  // bytes returned so far
	limit     int64  // maximum bytes to return; <= 0 means none
	err       error  // sticky: io.EOF at the terminator, or a failure
}

func newDataReader(r *bufio.Reader, limit int64) *dataReader {
	return &dataReader{r: r, lineStart: true, limit: limit}
}

// next reads the next slice of the stream into d.pending, or sets d.err.
func (d *dataReader) next() {
	line, err := d.r.ReadSlice('\n')
	if err != nil && err != bufio.ErrBufferFull {
		d.err = errDataIncomplete
		if err != io.EOF {
			d.err = err
		}
		return
	}
	n := len(line)
	atStart := d.lineStart
	// Work out from the raw bytes whether this slice completes a CRLF line;
	// the CR may be the last byte of the previous slice.
	if line[n-1] == '\n' {
		d.lineStart = (n >= 2 && line[n-2] == '\r') || (n == 1 && d.prevCR)
	} else {
		d.lineStart = false
	}
	d.prevCR = line[n-1] == '\r'
	if atStart && line[0] == '.' {
		if n == 3 && line[1] == '\r' && line[2] == '\n' {
			d.err = io.EOF
			return
		}
		line = line[1:] // RFC 5321 4.5.2: remove the stuffed dot
	}
	d.pending = line
}

// Read implements io.Reader.
func (d *dataReader) Read(p []byte) (int, error) {
	for len(d.pending) == 0 {
		if d.err != nil {
			return 0, d.err
		}
		d.next()
	}
	n := copy(p, d.pending)
	d.pending = d.pending[n:]
	return n, d.account(n)
}

// WriteTo implements io.WriterTo, so that io.Copy hands the slices of the
// bufio.Reader straight to the destination without another copy.
func (d *dataReader) WriteTo(w io.Writer) (int64, error) {
	var total int64
	for {
		for len(d.pending) == 0 {
			if d.err != nil {
				if d.err == io.EOF {
					return total, nil
				}
				return total, d.err
			}
			d.next()
		}
		chunk := d.pending
		if d.limit > 0 && d.n+int64(len(chunk)) > d.limit {
			chunk = chunk[:max(d.limit-d.n, 0)]
		}
		d.pending = d.pending[len(chunk):]
		m, err := w.Write(chunk)
		total += int64(m)
		if aerr := d.account(m); aerr != nil {
			return total, aerr
		}
		if err != nil {
			return total, err
		}
		if m < len(chunk) {
			return total, io.ErrShortWrite
		}
		if len(d.pending) > 0 { // cut by the limit
			d.account(len(d.pending))
			d.pending = nil
			return total, d.err
		}
	}
}

// account adds n returned bytes and reports ErrDataTooLarge once the limit
// is passed. The rest of the message is then skipped by drain.
func (d *dataReader) account(n int) error {
	d.n += int64(n)
	if d.limit > 0 && d.n > d.limit && d.err == nil {
		d.err = ErrDataTooLarge
	}
	if d.err == ErrDataTooLarge {
		return d.err
	}
	return nil
}

// drain reads and discards the rest of the data up to the terminator. It
// returns nil when the terminator was seen, and the connection's error
// otherwise. It reports whether the size limit was exceeded.
func (d *dataReader) drain() (tooLarge bool, err error) {
	tooLarge = d.err == ErrDataTooLarge
	if tooLarge {
		d.err = nil
	}
	for d.err == nil {
		d.pending = nil
		d.next()
		d.n += int64(len(d.pending))
	}
	d.pending = nil
	if d.limit > 0 && d.n > d.limit {
		tooLarge = true
	}
	if d.err == io.EOF {
		return tooLarge, nil
	}
	return tooLarge, d.err
}
