package pop3

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ErrBadResponse reports a server response that the Client cannot accept:
// a line that is not "+OK", "-ERR" (or "+ " during AUTH), a listing line
// that does not parse, control characters in the text, or a response over
// Client.MaxLineLength, Client.MaxResponseLines or Client.MaxMessages. The
// returned errors wrap it with details; after one the connection is out of
// step and the Client refuses further commands.
var ErrBadResponse = errors.New("pop3: bad response from server")

// badResponse builds an error wrapping ErrBadResponse.
func badResponse(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrBadResponse}, args...)...)
}

// responseKind tells the three kinds of status line apart.
type responseKind int

const (
	responseOK           responseKind = iota + 1 // "+OK"
	responseErr                                  // "-ERR"
	responseContinuation                         // "+ " challenge, RFC 5034 section 4
)

// response is one status line (RFC 1939 section 3, RFC 2449 section 3).
type response struct {
	kind responseKind
	code string // RFC 2449 section 8 response code without brackets; "" if none
	text string // the rest of the line; for a continuation, the base64 challenge
}

// err returns the response as the *Error that a -ERR becomes.
func (r response) err() error {
	return &Error{Code: r.code, Message: r.text}
}

// parseResponse parses one status line, without its line ending. It is
// pure: no I/O, no state.
//
// RFC 2449 section 3: single-line = status [SP text]; status = "+OK" /
// "-ERR" (RFC 1939 section 3 spells them in upper case; any case is
// accepted, as other clients do). RFC 2449 section 8: a response code in
// brackets may follow the status. RFC 5034 section 4: a server challenge
// is "+" SP base64, and "+" alone (or "+ ") is an empty one.
func parseResponse(line string) (response, error) {
	// The text ends up in errors and logs: CR, LF and NUL could forge
	// lines there. RFC 2449 section 3 allows only printable text and HT.
	if strings.ContainsAny(line, "\r\n\x00") {
		return response{}, badResponse("control character in %q", line)
	}
	var r response
	var rest string
	switch {
	case hasPrefixFold(line, "+OK"):
		r.kind, rest = responseOK, line[3:]
	case hasPrefixFold(line, "-ERR"):
		r.kind, rest = responseErr, line[4:]
	case line == "+":
		return response{kind: responseContinuation}, nil
	case strings.HasPrefix(line, "+ "):
		return response{kind: responseContinuation, text: line[2:]}, nil
	default:
		return response{}, badResponse("no +OK or -ERR in %q", line)
	}
	if rest != "" && rest[0] != ' ' {
		return response{}, badResponse("no space after the status in %q", line)
	}
	rest = strings.TrimPrefix(rest, " ")
	r.code, r.text = parseResponseCode(rest)
	return r, nil
}

// hasPrefixFold reports whether s begins with prefix, ignoring ASCII case.
func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// parseResponseCode splits an RFC 2449 section 8 response code off the
// start of text: "[" resp-level *("/" resp-level) "]", where a resp-level
// is printable ASCII other than "[", "]", "/" and space. Text that merely
// begins with "[" keeps it and has no code.
func parseResponseCode(text string) (code, rest string) {
	if !strings.HasPrefix(text, "[") {
		return "", text
	}
	end := strings.IndexByte(text, ']')
	if end < 2 {
		return "", text
	}
	code = text[1:end]
	for _, level := range strings.Split(code, "/") {
		if level == "" {
			return "", text
		}
		for i := 0; i < len(level); i++ {
			if c := level[i]; c <= ' ' || c >= 0x7f || c == '[' {
				return "", text
			}
		}
	}
	return code, strings.TrimPrefix(text[end+1:], " ")
}

// maxMessageNumber bounds message numbers and counts: nine digits, as the
// server parses them, so that they fit an int everywhere.
const maxMessageNumber = 999_999_999

// parseCount parses a message number or count: decimal digits only.
func parseCount(s string) (int, bool) {
	if s == "" || len(s) > 9 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, true
}

// parseSize parses a size in octets: decimal digits that fit an int64.
func parseSize(s string) (int64, bool) {
	if s == "" || s[0] < '0' || s[0] > '9' {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

// fields splits text at runs of spaces into at most n fields; the last one
// keeps whatever follows. RFC 1939 uses single spaces; runs are tolerated.
func fields(text string, n int) []string {
	var out []string
	for len(out) < n-1 {
		text = strings.TrimLeft(text, " ")
		i := strings.IndexByte(text, ' ')
		if i < 0 {
			break
		}
		out = append(out, text[:i])
		text = text[i:]
	}
	if text = strings.TrimLeft(text, " "); text != "" {
		out = append(out, text)
	}
	return out
}

// parseStat parses the text of the +OK to STAT (RFC 1939 section 5, the
// "drop listing"): the number of messages and their size in octets,
// possibly followed by more text.
func parseStat(text string) (count int, size int64, err error) {
	f := fields(text, 3)
	if len(f) >= 2 {
		var ok1, ok2 bool
		count, ok1 = parseCount(f[0])
		size, ok2 = parseSize(f[1])
		if ok1 && ok2 {
			return count, size, nil
		}
	}
	return 0, 0, badResponse("STAT response %q", text)
}

// parseScanListing parses one line of LIST (RFC 1939 section 5): the
// message number and its size in octets; RFC 1939 lets a server add
// information after the size, which is ignored.
func parseScanListing(line string) (ScanListing, error) {
	f := fields(line, 3)
	if len(f) >= 2 {
		n, ok1 := parseCount(f[0])
		size, ok2 := parseSize(f[1])
		if ok1 && ok2 && n > 0 {
			return ScanListing{Number: n, Size: size}, nil
		}
	}
	return ScanListing{}, badResponse("LIST line %q", line)
}

// parseUniqueIDListing parses one line of UIDL (RFC 1939 section 7): the
// message number and its unique id, 1 to 70 characters in 0x21-0x7E.
func parseUniqueIDListing(line string) (UniqueIDListing, error) {
	f := fields(line, 3)
	if len(f) == 2 {
		n, ok := parseCount(f[0])
		if ok && n > 0 && validUID(f[1]) {
			return UniqueIDListing{Number: n, UID: f[1]}, nil
		}
	}
	return UniqueIDListing{}, badResponse("UIDL line %q", line)
}

// validUID reports whether uid is a unique-id of RFC 1939 section 7.
func validUID(uid string) bool {
	if len(uid) == 0 || len(uid) > 70 {
		return false
	}
	for i := 0; i < len(uid); i++ {
		if uid[i] < 0x21 || uid[i] > 0x7e {
			return false
		}
	}
	return true
}

// parseCapability parses one line of the CAPA response (RFC 2449 section
// 5): a keyword, case-insensitive (returned in upper case), and its
// arguments separated by spaces. ok is false for a blank line.
func parseCapability(line string) (keyword string, args []string, ok bool) {
	f := strings.Fields(line)
	if len(f) == 0 {
		return "", nil, false
	}
	return strings.ToUpper(f[0]), f[1:], true
}
