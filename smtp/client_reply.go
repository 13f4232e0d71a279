package smtp

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// ErrBadReply reports a server reply that the Client cannot accept: it breaks
// the syntax of RFC 5321 section 4.2, mixes reply codes, has a code the
// command does not allow, or exceeds Client.MaxLineLength or
// Client.MaxReplyLines. The returned errors wrap it with details; after one
// the connection is out of step and the Client refuses further commands.
var ErrBadReply = errors.New("smtp: bad reply from server")

// clientReply is one complete server reply (RFC 5321 section 4.2).
type clientReply struct {
	code     int
	enhanced EnhancedCode // RFC 2034 code of the first line; zero if none
	lines    []string     // text of each line, without code, separator or enhanced code
}

// message joins the non-empty lines of the reply with single spaces, so that
// it fits the one-line Error.Message.
func (r *clientReply) message() string {
	if len(r.lines) == 1 {
		return r.lines[0]
	}
	var b strings.Builder
	for _, l := range r.lines {
		if l == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(l)
	}
	return b.String()
}

// String formats the reply on one line, as "250 2.0.0 text".
func (r *clientReply) String() string {
	s := strconv.Itoa(r.code)
	if ec := r.enhanced.String(); ec != "" {
		s += " " + ec
	}
	if m := r.message(); m != "" {
		s += " " + m
	}
	return s
}

// toError returns the reply as an *Error if it is a 4xx or 5xx reply, else nil.
func (r *clientReply) toError() error {
	if r.code < 400 {
		return nil
	}
	return &Error{Code: r.code, EnhancedCode: r.enhanced, Message: r.message()}
}

// clientBadReply builds an error wrapping ErrBadReply.
func clientBadReply(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrBadReply}, args...)...)
}

// parseClientReply assembles the lines of one reply, as read from the wire
// without their line ending. It is pure: no I/O, no state.
//
// RFC 5321 section 4.2: every line is a three-digit code followed by "-" on
// all lines but the last, and by a space (or nothing) on the last one; "In a
// multiline reply, the reply code on each of the lines MUST be the same."
// With enhanced set (the server advertised ENHANCEDSTATUSCODES, RFC 2034),
// a leading "class.subject.detail " whose class matches the reply code is
// taken off each line, and the first line's code becomes r.enhanced.
func parseClientReply(lines []string, enhanced bool) (*clientReply, error) {
	if len(lines) == 0 {
		return nil, clientBadReply("empty reply")
	}
	r := &clientReply{lines: make([]string, len(lines))}
	for i, line := range lines {
		last := i == len(lines)-1
		if len(line) < 3 {
			return nil, clientBadReply("short line %q", line)
		}
		// RFC 5321 4.2: Reply-code = %x32-35 %x30-35 %x30-39. The second
		// digit is accepted up to 9: being strict there helps no one.
		if line[0] < '2' || line[0] > '5' || !clientIsDigit(line[1]) || !clientIsDigit(line[2]) {
			return nil, clientBadReply("no reply code in %q", line)
		}
		code := int(line[0]-'0')*100 + int(line[1]-'0')*10 + int(line[2]-'0')
		if i == 0 {
			r.code = code
		} else if code != r.code {
			return nil, clientBadReply("reply code changes from %d to %d within one reply", r.code, code)
		}
		text := ""
		switch {
		case len(line) == 3:
			if !last {
				return nil, clientBadReply("continuation line without '-': %q", line)
			}
		case line[3] == '-':
			if last {
				return nil, clientBadReply("reply ends with a continuation line %q", line)
			}
			text = line[4:]
		case line[3] == ' ':
			if !last {
				return nil, clientBadReply("final line %q before the end of the reply", line)
			}
			text = line[4:]
		default:
			return nil, clientBadReply("bad separator after reply code in %q", line)
		}
		// RFC 5321 4.2: textstring is HT and printable characters; CR, LF
		// and NUL in particular could smuggle lines into logs or bounces.
		if strings.ContainsAny(text, "\r\n\x00") {
			return nil, clientBadReply("control character in reply text")
		}
		if enhanced {
			if ec, rest, ok := parseClientEnhancedCode(text); ok && ec[0] == code/100 {
				if i == 0 {
					r.enhanced = ec
				}
				text = rest
			}
		}
		r.lines[i] = text
	}
	return r, nil
}

// parseClientEnhancedCode splits an RFC 3463 status code off the start of
// text: class "." subject "." detail, where class is 2, 4 or 5 and subject
// and detail have one to three digits, followed by a space or the end.
func parseClientEnhancedCode(text string) (EnhancedCode, string, bool) {
	var ec EnhancedCode
	if len(text) < 5 || (text[0] != '2' && text[0] != '4' && text[0] != '5') || text[1] != '.' {
		return ec, text, false
	}
	ec[0] = int(text[0] - '0')
	i := 2
	for part := 1; part <= 2; part++ {
		n, start := 0, i
		for i < len(text) && clientIsDigit(text[i]) && i-start < 3 {
			n = n*10 + int(text[i]-'0')
			i++
		}
		if i == start {
			return EnhancedCode{}, text, false
		}
		ec[part] = n
		if part == 1 {
			if i >= len(text) || text[i] != '.' {
				return EnhancedCode{}, text, false
			}
			i++
		}
	}
	switch {
	case i == len(text):
		return ec, "", true
	case text[i] == ' ':
		return ec, text[i+1:], true
	}
	return EnhancedCode{}, text, false
}

func clientIsDigit(c byte) bool { return c >= '0' && c <= '9' }

// readClientReply reads one reply from br: lines up to and including the
// first one that is not a continuation ("xyz-"). At most maxLines lines of at
// most maxLen bytes each (not counting the line ending) are read, so that a
// hostile server cannot make the client buffer more than about
// maxLines*maxLen bytes.
func readClientReply(br *bufio.Reader, maxLines, maxLen int, enhanced bool) (*clientReply, error) {
	var lines []string
	for {
		line, err := readClientLine(br, maxLen)
		if err != nil {
			return nil, err
		}
		if len(lines) == maxLines {
			return nil, clientBadReply("more than %d lines in one reply", maxLines)
		}
		lines = append(lines, line)
		if len(line) < 4 || line[3] != '-' {
			break
		}
	}
	return parseClientReply(lines, enhanced)
}

// readClientLine reads one line of at most maxLen bytes and returns it
// without its line ending. RFC 5321 2.3.8 says CRLF, but a lone LF is
// accepted, as almost every client does; a CR elsewhere is left in the line
// for parseClientReply to refuse.
func readClientLine(br *bufio.Reader, maxLen int) (string, error) {
	chunk, err := br.ReadSlice('\n')
	var buf []byte
	for err == bufio.ErrBufferFull {
		if len(buf)+len(chunk) > maxLen+2 {
			return "", clientBadReply("line longer than %d bytes", maxLen)
		}
		buf = append(buf, chunk...)
		chunk, err = br.ReadSlice('\n')
	}
	if err != nil {
		if err == io.EOF {
			return "", fmt.Errorf("smtp: server closed the connection: %w", io.ErrUnexpectedEOF)
		}
		return "", err
	}
	var line []byte
	if buf == nil {
		line = chunk
	} else {
		line = append(buf, chunk...)
	}
	line = line[:len(line)-1]
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	if len(line) > maxLen {
		return "", clientBadReply("line longer than %d bytes", maxLen)
	}
	return string(line), nil
}
