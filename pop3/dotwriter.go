package pop3

import (
	"bytes"
	"errors"
	"io"
)

// errTopDone stops the copy of a message once TOP has sent enough lines.
var errTopDone = errors.New("pop3: TOP line count reached")

// dotWriter writes a message as the body of a multi-line response (RFC 1939
// section 3): every line ends with CRLF (a lone LF becomes CRLF), a line
// that starts with "." gets one more ".", and Close ends the response with
// ".\r\n" after a CRLF if the message did not end with one. It works on the
// bytes as they come, so memory stays bounded by the caller's buffers, and
// writes unchanged runs in one call.
//
// For TOP (RFC 1939 section 7) it can stop after the header, the blank line
// and a number of body lines; Write then returns errTopDone.
type dotWriter struct {
	w io.Writer
	// err is the first error from w, kept to tell it from read errors.
	err error

	bol    bool // at the beginning of a line
	prevCR bool // the last byte written was CR
	empty  bool // nothing written yet

	// TOP state. lines < 0: no limit.
	lines     int
	inBody    bool
	lineLen   int // bytes of the current line so far (for the blank line test)
	bodyLines int
	done      bool
}

// reset prepares d for a new message written to w; lines < 0 means the
// whole message, otherwise the header plus that many body lines.
func (d *dotWriter) reset(w io.Writer, lines int) {
	*d = dotWriter{w: w, bol: true, empty: true, lines: lines}
}

func (d *dotWriter) write(p []byte) bool {
	if d.err != nil || len(p) == 0 {
		return d.err == nil
	}
	_, d.err = d.w.Write(p)
	return d.err == nil
}

// Write converts and writes p. It reports len(p) consumed unless the
// underlying writer fails.
func (d *dotWriter) Write(p []byte) (int, error) {
	if d.err != nil {
		return 0, d.err
	}
	if d.done {
		return len(p), errTopDone
	}
	if len(p) == 0 {
		return 0, nil
	}
	if d.lines >= 0 {
		return d.writeTop(p)
	}
	d.empty = false
	start := 0 // p[start:i] is the pending unchanged run
	i := 0
	if d.bol && p[0] == '.' {
		if !d.write(dot) {
			return 0, d.err
		}
	}
	for {
		j := bytes.IndexByte(p[i:], '\n')
		if j < 0 {
			break
		}
		j += i
		if (j > 0 && p[j-1] != '\r') || (j == 0 && !d.prevCR) {
			// A lone LF: flush the run, then CRLF in its place.
			if !d.write(p[start:j]) || !d.write(crlf) {
				return 0, d.err
			}
			start = j + 1
		}
		i = j + 1
		if i < len(p) && p[i] == '.' {
			// RFC 1939 section 3: byte-stuff a line starting with ".".
			if !d.write(p[start:i]) || !d.write(dot) {
				return 0, d.err
			}
			start = i
		}
		if i == len(p) {
			break
		}
	}
	if !d.write(p[start:]) {
		return 0, d.err
	}
	last := p[len(p)-1]
	d.bol = last == '\n'
	d.prevCR = last == '\r'
	return len(p), nil
}

// writeTop is Write for TOP: line by line, counting body lines.
func (d *dotWriter) writeTop(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		j := bytes.IndexByte(p, '\n')
		seg := p
		if j >= 0 {
			seg = p[:j]
		}
		if len(seg) > 0 {
			if d.bol && seg[0] == '.' && !d.write(dot) {
				return 0, d.err
			}
			if !d.write(seg) {
				return 0, d.err
			}
			d.empty = false
			d.bol = false
			d.prevCR = seg[len(seg)-1] == '\r'
			d.lineLen += len(seg)
		}
		if j < 0 {
			break
		}
		// End of a line. It is blank when it held nothing or a lone CR.
		blank := d.lineLen == 0 || (d.lineLen == 1 && d.prevCR)
		if d.prevCR {
			if !d.write(lf) {
				return 0, d.err
			}
		} else if !d.write(crlf) {
			return 0, d.err
		}
		d.empty = false
		d.bol, d.prevCR, d.lineLen = true, false, 0
		p = p[j+1:]
		if d.inBody {
			d.bodyLines++
		} else if blank {
			d.inBody = true
		} else {
			continue
		}
		if d.bodyLines >= d.lines {
			d.done = true
			return n, errTopDone
		}
	}
	return n, nil
}

// Close ends the multi-line response: CRLF if the last line had none
// (not for an empty message), then the terminating ".\r\n".
func (d *dotWriter) Close() error {
	if d.err != nil {
		return d.err
	}
	if !d.empty && !d.bol && !d.write(crlf) {
		return d.err
	}
	d.write(dotCRLF)
	return d.err
}

var (
	dot     = []byte(".")
	lf      = []byte("\n")
	crlf    = []byte("\r\n")
	dotCRLF = []byte(".\r\n")
)
