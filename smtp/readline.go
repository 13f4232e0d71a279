package smtp

import (
	"bytes"

	"github.com/mailwright/mailwright/internal/lineio"
)

// readLine reads one line of at most limit bytes (CRLF included) and
// returns it without its CRLF. Only CRLF ends a line (RFC 5321 2.3.8): a
// line with a bare LF or CR is refused by handle as one bad command (see
// package lineio). A longer line is skipped to its end without buffering
// it, and errLineTooLong returned.
func (c *Conn) readLine(limit int) ([]byte, error) {
	line, buf, err := lineio.ReadLine(c.br, c.lineBuf, limit)
	c.lineBuf = buf
	if err == lineio.ErrTooLong {
		return nil, errLineTooLong
	}
	return line, err
}

// hasBadChars reports whether a command line (without its CRLF) holds a
// NUL, or a CR or LF that did not end it (DESIGN.md: NUL, CR and LF are
// refused in addresses and parameters).
func hasBadChars(line []byte) bool {
	return bytes.IndexByte(line, 0) >= 0 || lineio.HasBare(line)
}
