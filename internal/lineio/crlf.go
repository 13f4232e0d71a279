// Package lineio reads the command lines of the line-based protocols (SMTP,
// POP3), where only CRLF ends a line: RFC 5321 2.3.8, RFC 1939 3. A bare
// LF does not end one, so "MAIL FROM:<a@b>" LF "RCPT TO:<c@d>" CRLF is one
// line, which the protocol refuses as one bad command, rather than two
// commands that a server framing lines on LF would see: the ambiguity
// behind SMTP smuggling, and behind a command injected with a LF into a
// value that a client passes on.
package lineio

import (
	"bufio"
	"bytes"
	"errors"
)

// ErrTooLong is returned by ReadLine for a line over its limit, once the
// line has been read to its end and dropped.
var ErrTooLong = errors.New("line too long")

// ReadLine reads one line of at most limit bytes (CRLF included) from br
// and returns it without its CRLF. buf is scratch space for a line that
// does not fit br's buffer at once, or holds a bare LF; it is returned
// for the next call, its capacity bounded by about twice limit. The line
// is valid until the next read. A longer line is read to its end without
// being kept, and ErrTooLong returned. A partial line at the end of the
// input is not a line: ReadLine returns br's error.
func ReadLine(br *bufio.Reader, buf []byte, limit int) (line, scratch []byte, err error) {
	chunk, err := br.ReadSlice('\n')
	if err == nil && endsCRLF(chunk) {
		// The common case: a whole line in the buffer.
		if len(chunk) > limit {
			return nil, buf, ErrTooLong
		}
		return chunk[:len(chunk)-2], buf, nil
	}
	if err != nil && err != bufio.ErrBufferFull {
		return nil, buf, err
	}
	buf = append(buf[:0], chunk...)
	n := len(chunk)
	for err != nil || !endsCRLF(buf) {
		// A bare LF, or a line longer than the buffer: read on to the CRLF.
		prevCR := len(chunk) > 0 && chunk[len(chunk)-1] == '\r'
		chunk, err = br.ReadSlice('\n')
		if err != nil && err != bufio.ErrBufferFull {
			return nil, buf[:0], err
		}
		n += len(chunk)
		if n <= limit {
			buf = append(buf, chunk...)
		} else if err == nil && (endsCRLF(chunk) || prevCR && len(chunk) == 1) {
			break // the end of an over-long line, whose start was dropped
		}
	}
	if n > limit {
		return nil, buf[:0], ErrTooLong
	}
	return buf[:len(buf)-2], buf[:0], nil
}

func endsCRLF(b []byte) bool {
	return len(b) >= 2 && b[len(b)-2] == '\r' && b[len(b)-1] == '\n'
}

// HasBare reports whether a line that ReadLine returned holds a CR or LF,
// which did not end it: the protocol refuses it.
func HasBare(line []byte) bool {
	return bytes.IndexByte(line, '\r') >= 0 || bytes.IndexByte(line, '\n') >= 0
}
