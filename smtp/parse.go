package smtp

import (
	"bytes"
	"strconv"
	"strings"
	"unicode/utf8"
)

// RFC 5321 4.5.3.1: size limits for the parts of a path.
const (
	maxLocalPartLen = 64
	maxDomainLen    = 255
	maxPathLen      = 256
)

// parseCommand splits a command line (without its line ending) into its
// verb, upper-cased ("" if the server does not know it), and the argument
// text after the first space.
func parseCommand(line []byte) (verb string, arg string) {
	line = bytes.TrimRight(line, " \t")
	i := bytes.IndexByte(line, ' ')
	if i < 0 {
		return knownVerb(line), ""
	}
	return knownVerb(line[:i]), strings.TrimLeft(string(line[i+1:]), " ")
}

// commandVerbs lists every verb the server knows, so that parseCommand can
// return an interned string without allocating. An unknown verb is "".
var commandVerbs = [...]string{
	"HELO", "EHLO", "LHLO", "MAIL", "RCPT", "DATA", "BDAT", "BURL", "RSET", "NOOP",
	"QUIT", "HELP", "VRFY", "EXPN", "VERB", "STARTTLS", "AUTH",
}

func knownVerb(b []byte) string {
	for _, v := range commandVerbs {
		if len(v) == len(b) && asciiEqualFold(b, v) {
			return v
		}
	}
	return ""
}

func asciiEqualFold(b []byte, upper string) bool {
	for i := 0; i < len(b); i++ {
		c := b[i]
		if 'a' <= c && c <= 'z' {
			c -= 'a' - 'A'
		}
		if c != upper[i] {
			return false
		}
	}
	return true
}

// parseFromTo parses the argument of MAIL ("FROM:<path> params") or RCPT
// ("TO:<path> params"). keyword is "FROM" or "TO". It returns the path (the
// text between the angle brackets, source route removed) and the parameters.
// A space after the colon is tolerated, as most servers do.
func parseFromTo(arg, keyword string) (path string, params []param, err *Error) {
	if len(arg) < len(keyword)+1 || !strings.EqualFold(arg[:len(keyword)], keyword) || arg[len(keyword)] != ':' {
		if keyword == "FROM" {
			return "", nil, errSyntax("Syntax: MAIL FROM:<address>")
		}
		return "", nil, errSyntax("Syntax: RCPT TO:<address>")
	}
	rest := strings.TrimLeft(arg[len(keyword)+1:], " ")
	if !strings.HasPrefix(rest, "<") {
		return "", nil, errSyntax("Address must be enclosed in <>")
	}
	end := pathEnd(rest)
	if end < 0 {
		return "", nil, errSyntax("Unterminated address")
	}
	path = rest[1:end]
	if len(path)+2 > maxPathLen {
		return "", nil, &Error{Code: 501, EnhancedCode: EnhancedCode{5, 1, 3}, Message: "Path too long"}
	}
	// RFC 5321 4.1.1.3 and appendix C: accept and ignore a source route.
	if strings.HasPrefix(path, "@") {
		colon := strings.IndexByte(path, ':')
		if colon < 0 {
			return "", nil, errBadAddress("Malformed source route")
		}
		path = path[colon+1:]
	}
	params, err = parseParams(rest[end+1:])
	return path, params, err
}

// pathEnd returns the index of the '>' that closes the path starting at s[0]
// == '<', skipping quoted strings, or -1.
func pathEnd(s string) int {
	inQuote := false
	for i := 1; i < len(s); i++ {
		switch c := s[i]; {
		case inQuote && c == '\\':
			i++
		case c == '"':
			inQuote = !inQuote
		case !inQuote && c == '>':
			return i
		}
	}
	return -1
}

// param is one ESMTP parameter: keyword (upper-cased) and optional value.
type param struct {
	Key   string
	Value string
	Set   bool // "KEY=VALUE" rather than "KEY"
}

// parseParams parses "KEY[=VALUE] KEY[=VALUE] ..." (RFC 5321 4.1.2
// esmtp-param). Keywords must be alphanumeric (with '-'); values are
// printable ASCII except '=' and space, or UTF-8 under SMTPUTF8.
func parseParams(s string) ([]param, *Error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	var params []param
	for _, field := range strings.Fields(s) {
		if len(params) >= 16 {
			return nil, errSyntax("Too many parameters")
		}
		key, value, set := strings.Cut(field, "=")
		if key == "" || !isKeyword(key) {
			return nil, errSyntax("Malformed parameter")
		}
		for i := 0; i < len(value); i++ {
			if c := value[i]; c < '!' || c == '=' || c == 0x7f {
				return nil, errSyntax("Malformed parameter value")
			}
		}
		if set && value == "" {
			return nil, errSyntax("Empty parameter value")
		}
		key = strings.ToUpper(key)
		for _, p := range params {
			if p.Key == key {
				return nil, errSyntax("Duplicate parameter " + key)
			}
		}
		params = append(params, param{Key: key, Value: value, Set: set})
	}
	return params, nil
}

func isKeyword(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(isAlnum(c) || (c == '-' && i > 0)) {
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// addressError classifies why parseAddress refused an address.
type addressError int

const (
	addrOK       addressError = iota
	addrSyntax                // not a valid RFC 5321 mailbox
	addrTooLong               // over the RFC 5321 4.5.3.1 limits
	addrNeedUTF8              // non-ASCII without SMTPUTF8
)

// parseAddress validates an RFC 5321 Mailbox (Local-part "@" Domain) as
// found between the angle brackets. utf8OK allows RFC 6531 UTF-8 in the
// local part and domain. The special "postmaster" (no domain) is accepted
// when allowPostmaster is set (RCPT TO, RFC 5321 4.1.1.3).
func parseAddress(addr string, utf8OK, allowPostmaster bool) addressError {
	if allowPostmaster && strings.EqualFold(addr, "postmaster") {
		return addrOK
	}
	at := strings.LastIndexByte(addr, '@')
	if at <= 0 || at == len(addr)-1 {
		return addrSyntax
	}
	local, domain := addr[:at], addr[at+1:]
	if len(local) > maxLocalPartLen || len(domain) > maxDomainLen {
		return addrTooLong
	}
	ascii := true
	for i := 0; i < len(addr); i++ {
		if addr[i] >= 0x80 {
			ascii = false
			break
		}
	}
	if !ascii {
		if !utf8.ValidString(addr) {
			return addrSyntax
		}
		if !utf8OK {
			return addrNeedUTF8
		}
	}
	if !validLocalPart(local) || !validDomain(domain) {
		return addrSyntax
	}
	return addrOK
}

// validLocalPart accepts a Dot-string or a Quoted-string (RFC 5321 4.1.2),
// with bytes >= 0x80 allowed as in RFC 6531 (checked as UTF-8 by the caller).
func validLocalPart(s string) bool {
	if s == "" {
		return false
	}
	if s[0] == '"' {
		if len(s) < 2 || s[len(s)-1] != '"' {
			return false
		}
		for i := 1; i < len(s)-1; i++ {
			c := s[i]
			switch {
			case c == '\\':
				i++
				if i >= len(s)-1 || s[i] < ' ' || s[i] == 0x7f {
					return false
				}
			case c == '"' || c < ' ' || c == 0x7f:
				return false
			}
		}
		return true
	}
	prevDot := true // a leading dot is not allowed
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '.' {
			if prevDot {
				return false
			}
			prevDot = true
			continue
		}
		if !isAtext(c) {
			return false
		}
		prevDot = false
	}
	return !prevDot
}

// isAtext reports whether c may appear in an RFC 5322 atom (bytes >= 0x80
// are accepted as parts of UTF-8 sequences).
func isAtext(c byte) bool {
	if isAlnum(c) || c >= 0x80 {
		return true
	}
	return strings.IndexByte("!#$%&'*+-/=?^_`{|}~", c) >= 0
}

// validDomain accepts a dot-separated host name (labels of letters, digits
// and hyphens, not starting or ending with a hyphen; UTF-8 U-labels allowed)
// or an address literal such as [192.0.2.1] or [IPv6:2001:db8::1].
func validDomain(d string) bool {
	if d == "" {
		return false
	}
	if d[0] == '[' {
		if d[len(d)-1] != ']' {
			return false
		}
		return validAddressLiteral(d[1 : len(d)-1])
	}
	for label := range strings.SplitSeq(d, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			if c := label[i]; !(isAlnum(c) || c == '-' || c >= 0x80) {
				return false
			}
		}
	}
	return true
}

func validAddressLiteral(s string) bool {
	if rest, ok := strings.CutPrefix(s, "IPv6:"); ok {
		if !strings.Contains(rest, ":") {
			return false
		}
		for i := 0; i < len(rest); i++ {
			c := rest[i]
			if !(c == ':' || c == '.' || '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return false
			}
		}
		return len(rest) <= 45
	}
	parts := strings.Split(s, ".")
	if len(parts) != 4 {
		// RFC 5321 4.1.3 General-address-literal: tag ":" dcontent; accepted
		// but not interpreted.
		tag, content, ok := strings.Cut(s, ":")
		return ok && tag != "" && content != "" && isKeyword(tag)
	}
	for _, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 || n > 255 || len(p) > 3 {
			return false
		}
	}
	return true
}

// parseBDAT parses the argument of BDAT: "chunk-size [LAST]" (RFC 3030 2).
func parseBDAT(arg string) (size int64, last bool, ok bool) {
	fields := strings.Fields(arg)
	if len(fields) == 0 || len(fields) > 2 {
		return 0, false, false
	}
	if len(fields) == 2 {
		if !strings.EqualFold(fields[1], "LAST") {
			return 0, false, false
		}
		last = true
	}
	for i := 0; i < len(fields[0]); i++ {
		if c := fields[0][i]; c < '0' || c > '9' {
			return 0, false, false
		}
	}
	size, err := strconv.ParseInt(fields[0], 10, 64)
	if err != nil {
		return 0, false, false
	}
	return size, last, true
}

func errSyntax(msg string) *Error {
	return &Error{Code: 501, EnhancedCode: EnhancedCode{5, 5, 4}, Message: msg}
}

func errBadAddress(msg string) *Error {
	return &Error{Code: 501, EnhancedCode: EnhancedCode{5, 1, 3}, Message: msg}
}
