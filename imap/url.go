package imap

import (
	"bufio"
	"errors"
	"strconv"
	"strings"
	"time"
)

// imapURL is an IMAP URL (RFC 5092) naming a message or a part of one,
// with the URLAUTH fields of RFC 4467 when present. Mailbox, User, Section
// and the access user are percent-decoded; the mailbox name is UTF-8
// (RFC 5092 3.1), as the Backend wants it.
type imapURL struct {
	// Server is set when the URL names a server ("imap://" or "//"):
	// User, Auth, Host and Port are from it.
	Server     bool
	User       string // enc-user, "" when absent
	Auth       string // ;AUTH= type, "" when absent
	Host, Port string // Port "" when absent

	// Mailbox is "" in a relative URL that names no mailbox (";UID=5"):
	// the selected mailbox is meant.
	Mailbox     string
	UIDValidity uint32 // 0 when absent
	UID         uint32 // 0 when absent (a message list or a server URL)
	Search      string // "?" enc-search of a message list, decoded

	// Section is the section as written (decoded), "" when absent; sec
	// is its parsed form.
	Section string
	sec     section
	// Partial is ";PARTIAL=offset[.count]"; PartialSet tells whether it
	// was given (Count 0: up to the end).
	PartialSet bool
	Partial    partial

	// URLAUTH (RFC 4467 2): Expire is zero when absent; Access is
	// "" (no URLAUTH), "authuser", "anonymous", "user" or "submit", with
	// AccessUser for the last two. Mechanism and Token are "" in a rump
	// URL (GENURLAUTH's input).
	Expire     time.Time
	Access     string
	AccessUser string
	Mechanism  string
	Token      string
	// Rump is the text of the URL up to and including the access
	// identifier: what the token authorizes (RFC 4467 7).
	Rump string
}

// Limits of the URL parser: a URL comes from a command line, which is
// bounded already; these bound what is kept of it.
const (
	maxURLLength  = 8 << 10
	maxURLSection = 1 << 10
)

// errURL is wrapped by every URL syntax error.
var errURL = errors.New("imap: invalid IMAP URL")

func urlSyntaxErr(msg string) error { return &urlSyntaxError{msg} }

type urlSyntaxError struct{ msg string }

func (e *urlSyntaxError) Error() string { return "imap: invalid IMAP URL: " + e.msg }
func (e *urlSyntaxError) Unwrap() error { return errURL }

// parseIMAPURL parses an absolute IMAP URL ("imap://...") or a relative
// one (RFC 5092 7: "//server/...", "/mailbox/;UID=n...", ";UID=n..."),
// which the caller resolves (an absent server or mailbox).
func parseIMAPURL(s string) (*imapURL, error) {
	if s == "" || len(s) > maxURLLength {
		return nil, urlSyntaxErr("empty or too long")
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] >= 0x7f {
			return nil, urlSyntaxErr("invalid character")
		}
	}
	u := &imapURL{}
	rest := s
	switch {
	case hasPrefixFold(rest, "imap://"):
		rest = rest[len("imap:"):]
		fallthrough
	case strings.HasPrefix(rest, "//"):
		var err error
		if rest, err = u.parseServer(rest[2:]); err != nil {
			return nil, err
		}
		if rest == "" {
			return u, nil
		}
		if rest[0] != '/' {
			return nil, urlSyntaxErr("expected / after the server")
		}
		rest = rest[1:]
	case strings.HasPrefix(rest, "/"):
		rest = rest[1:]
	}
	if err := u.parseCommand(rest, s); err != nil {
		return nil, err
	}
	if !u.Server && u.Mailbox == "" && u.UID == 0 {
		return nil, urlSyntaxErr("names nothing")
	}
	return u, nil
}

// parseServer reads iserver = [iuserinfo "@"] host [":" port].
func (u *imapURL) parseServer(s string) (string, error) {
	u.Server = true
	end := strings.IndexByte(s, '/')
	if end < 0 {
		end = len(s)
	}
	server, rest := s[:end], s[end:]
	if at := strings.LastIndexByte(server, '@'); at >= 0 {
		info := server[:at]
		server = server[at+1:]
		user := info
		if i := indexFold(info, ";AUTH="); i >= 0 {
			user = info[:i]
			u.Auth = info[i+len(";AUTH="):]
			if u.Auth == "" || (u.Auth != "*" && !allChars(u.Auth, isAChar)) {
				return "", urlSyntaxErr("invalid ;AUTH=")
			}
			var err error
			if u.Auth, err = pctDecode(u.Auth); err != nil {
				return "", err
			}
		}
		if user != "" {
			if !allChars(user, isAChar) {
				return "", urlSyntaxErr("invalid user name")
			}
			var err error
			if u.User, err = pctDecode(user); err != nil {
				return "", err
			}
		} else if u.Auth == "" {
			return "", urlSyntaxErr("empty user name")
		}
	}
	host := server
	if strings.HasPrefix(host, "[") {
		i := strings.IndexByte(host, ']')
		if i < 0 {
			return "", urlSyntaxErr("unterminated IP literal")
		}
		u.Host = host[:i+1]
		host = host[i+1:]
		if host != "" && host[0] != ':' {
			return "", urlSyntaxErr("invalid host")
		}
	} else {
		i := strings.IndexByte(host, ':')
		if i < 0 {
			i = len(host)
		}
		u.Host = host[:i]
		host = host[i:]
	}
	if u.Host == "" || !allChars(u.Host, isHostChar) {
		return "", urlSyntaxErr("invalid host")
	}
	if host != "" {
		u.Port = host[1:]
		if n, err := strconv.Atoi(u.Port); err != nil || n > 65535 || !allChars(u.Port, isDigit) {
			return "", urlSyntaxErr("invalid port")
		}
	}
	return rest, nil
}

// parseCommand reads what follows the server's "/" (or the start of a
// relative URL): imessagepart [iurlauth], or imessagelist. whole is the
// whole URL, to cut the rump from.
func (u *imapURL) parseCommand(s, whole string) error {
	if s == "" {
		return nil
	}
	// The mailbox runs up to the first ";" or "?" (bchar has neither);
	// a "/" before ";UID=" is the separator, not part of the name.
	end := strings.IndexAny(s, ";?")
	if end < 0 {
		end = len(s)
	}
	mbox := s[:end]
	rest := s[end:]
	if strings.HasSuffix(mbox, "/") && hasPrefixFold(rest, ";UID=") {
		mbox = mbox[:len(mbox)-1]
	}
	if mbox != "" {
		if !allChars(mbox, isBChar) {
			return urlSyntaxErr("invalid mailbox name")
		}
		var err error
		if u.Mailbox, err = pctDecode(mbox); err != nil {
			return err
		}
		if u.Mailbox == "" {
			return urlSyntaxErr("empty mailbox name")
		}
	}
	if hasPrefixFold(rest, ";UIDVALIDITY=") {
		var err error
		if u.UIDValidity, rest, err = urlNumber(rest[len(";UIDVALIDITY="):]); err != nil {
			return err
		}
		if rest != "" && rest[0] == '/' && hasPrefixFold(rest[1:], ";UID=") {
			rest = rest[1:]
		}
	}
	if strings.HasPrefix(rest, "?") {
		if u.Mailbox == "" || !allChars(rest[1:], isBChar) || len(rest) == 1 {
			return urlSyntaxErr("invalid search")
		}
		var err error
		u.Search, err = pctDecode(rest[1:])
		return err
	}
	if rest == "" {
		if u.Mailbox == "" {
			return urlSyntaxErr("missing mailbox")
		}
		return nil
	}
	if !hasPrefixFold(rest, ";UID=") {
		return urlSyntaxErr("expected ;UID=")
	}
	var err error
	if u.UID, rest, err = urlNumber(rest[len(";UID="):]); err != nil {
		return err
	}
	if hasPrefixFold(rest, "/;SECTION=") {
		rest = rest[len("/;SECTION="):]
		end := strings.IndexAny(rest, ";")
		if end < 0 {
			end = len(rest)
		}
		sec := rest[:end]
		if n := len(sec); n > 0 && sec[n-1] == '/' && hasPrefixFold(rest[end:], ";PARTIAL=") {
			sec = sec[:n-1] // the "/" of "/;PARTIAL="
		}
		if err := u.parseSection(sec); err != nil {
			return err
		}
		rest = rest[len(sec):]
		if strings.HasPrefix(rest, "/") {
			rest = rest[1:]
		}
	} else if strings.HasPrefix(rest, "/") {
		rest = rest[1:]
	}
	if hasPrefixFold(rest, ";PARTIAL=") {
		rest = rest[len(";PARTIAL="):]
		off, r, err := urlNumber64(rest, true)
		if err != nil {
			return err
		}
		u.PartialSet, u.Partial.Offset, rest = true, off, r
		if strings.HasPrefix(rest, ".") {
			n, r, err := urlNumber64(rest[1:], false)
			if err != nil {
				return err
			}
			u.Partial.Count, rest = n, r
		}
	}
	return u.parseURLAuth(rest, whole)
}

// parseSection decodes and checks enc-section: an IMAP section-spec
// (RFC 5092 6: the section of a FETCH BODY[...], case-insensitive).
func (u *imapURL) parseSection(enc string) error {
	if enc == "" || len(enc) > maxURLSection || !allChars(enc, isBChar) {
		return urlSyntaxErr("invalid section")
	}
	sec, err := pctDecode(enc)
	if err != nil {
		return err
	}
	p := &parser{line: []byte("[" + sec + "]"), r: bufio.NewReaderSize(strings.NewReader(""), 16)}
	parsed, err := p.section(false)
	if err != nil || !p.eol() {
		return urlSyntaxErr("invalid section")
	}
	u.Section, u.sec = sec, parsed
	return nil
}

// parseURLAuth reads [iurlauth-rump [iua-verifier]] (RFC 4467 2), the
// end of the URL.
func (u *imapURL) parseURLAuth(rest, whole string) error {
	if rest == "" {
		return nil
	}
	if hasPrefixFold(rest, ";EXPIRE=") {
		rest = rest[len(";EXPIRE="):]
		end := indexFold(rest, ";URLAUTH=")
		if end < 0 {
			return urlSyntaxErr(";EXPIRE= without ;URLAUTH=")
		}
		t, err := time.Parse(time.RFC3339, rest[:end])
		if err != nil {
			return urlSyntaxErr("invalid ;EXPIRE= date-time")
		}
		u.Expire = t
		rest = rest[end:]
	}
	if !hasPrefixFold(rest, ";URLAUTH=") {
		return urlSyntaxErr("unexpected text at the end")
	}
	rest = rest[len(";URLAUTH="):]
	access := rest
	if i := strings.IndexByte(rest, ':'); i >= 0 {
		access, rest = rest[:i], rest[i:]
	} else {
		rest = ""
	}
	u.Rump = whole[:len(whole)-len(rest)]
	switch {
	case equalFoldASCII(access, "authuser"):
		u.Access = "authuser"
	case equalFoldASCII(access, "anonymous"):
		u.Access = "anonymous"
	case hasPrefixFold(access, "user+"), hasPrefixFold(access, "submit+"):
		app, user, _ := strings.Cut(access, "+")
		if user == "" || !allChars(user, isAChar) {
			return urlSyntaxErr("invalid access identifier")
		}
		var err error
		if u.AccessUser, err = pctDecode(user); err != nil {
			return err
		}
		u.Access = strings.ToLower(app)
	default:
		return urlSyntaxErr("unknown access identifier")
	}
	if rest == "" {
		return nil
	}
	// iua-verifier = ":" uauth-mechanism ":" enc-urlauth
	mech, token, ok := strings.Cut(rest[1:], ":")
	if !ok || mech == "" || !allChars(mech, isMechChar) {
		return urlSyntaxErr("invalid URLAUTH mechanism")
	}
	if len(token) < 32 || !allChars(token, isHexDigit) {
		return urlSyntaxErr("invalid URLAUTH token")
	}
	u.Mechanism, u.Token = mech, token
	return nil
}

// String formats the URL (RFC 5092, with URLAUTH fields of RFC 4467):
// absolute when it names a server, relative otherwise.
func (u *imapURL) String() string {
	var b strings.Builder
	if u.Server {
		b.WriteString("imap://")
		if u.User != "" || u.Auth != "" {
			b.WriteString(pctEncode(u.User, isAChar))
			if u.Auth != "" {
				b.WriteString(";AUTH=")
				if u.Auth == "*" {
					b.WriteByte('*')
				} else {
					b.WriteString(pctEncode(u.Auth, isAChar))
				}
			}
			b.WriteByte('@')
		}
		b.WriteString(u.Host)
		if u.Port != "" {
			b.WriteByte(':')
			b.WriteString(u.Port)
		}
		if u.Mailbox == "" && u.UID == 0 {
			return b.String()
		}
		b.WriteByte('/')
	} else if u.Mailbox != "" {
		b.WriteByte('/')
	}
	mbox := pctEncode(u.Mailbox, isBChar)
	if strings.HasPrefix(mbox, "/") {
		// A relative URL "//..." would name a server.
		mbox = "%2F" + mbox[1:]
	}
	b.WriteString(mbox)
	if u.UIDValidity != 0 {
		b.WriteString(";UIDVALIDITY=")
		b.WriteString(utoa(u.UIDValidity))
	}
	if u.Search != "" {
		b.WriteByte('?')
		b.WriteString(pctEncode(u.Search, isBChar))
		return b.String()
	}
	if u.UID == 0 {
		return b.String()
	}
	if u.Mailbox != "" || u.UIDValidity != 0 {
		b.WriteByte('/')
	}
	b.WriteString(";UID=")
	b.WriteString(utoa(u.UID))
	if u.Section != "" {
		b.WriteString("/;SECTION=")
		b.WriteString(pctEncode(u.Section, isBChar))
	}
	if u.PartialSet {
		b.WriteString("/;PARTIAL=")
		b.WriteString(strconv.FormatInt(u.Partial.Offset, 10))
		if u.Partial.Count > 0 {
			b.WriteByte('.')
			b.WriteString(strconv.FormatInt(u.Partial.Count, 10))
		}
	}
	if u.Access != "" {
		if !u.Expire.IsZero() {
			b.WriteString(";EXPIRE=")
			b.WriteString(u.Expire.Format(time.RFC3339Nano))
		}
		b.WriteString(";URLAUTH=")
		b.WriteString(u.Access)
		if u.Access == "user" || u.Access == "submit" {
			b.WriteByte('+')
			b.WriteString(pctEncode(u.AccessUser, isAChar))
		}
		if u.Mechanism != "" {
			b.WriteByte(':')
			b.WriteString(u.Mechanism)
			b.WriteByte(':')
			b.WriteString(u.Token)
		}
	}
	return b.String()
}

// urlNumber reads an nz-number (32 bits) at the start of s.
func urlNumber(s string) (uint32, string, error) {
	n, rest, err := urlNumber64(s, false)
	if err != nil || n > 0xffffffff {
		return 0, s, urlSyntaxErr("invalid number")
	}
	return uint32(n), rest, nil
}

// urlNumber64 reads a number (zeroOK) or nz-number of at most 63 bits.
func urlNumber64(s string, zeroOK bool) (int64, string, error) {
	i := 0
	var n int64
	for i < len(s) && isDigit(s[i]) {
		d := int64(s[i] - '0')
		if n > (1<<63-1-d)/10 {
			return 0, s, urlSyntaxErr("number out of range")
		}
		n = n*10 + d
		i++
	}
	if i == 0 || (n == 0 && !zeroOK) {
		return 0, s, urlSyntaxErr("invalid number")
	}
	return n, s[i:], nil
}

// RFC 5092 11 character classes (RFC 3986 unreserved and pct-encoded).
func isUnreserved(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || isDigit(c) || c == '-' || c == '.' || c == '_' || c == '~'
}

// isUChar: unreserved / sub-delims-sh ("!$'()*+,"); "%" of pct-encoded
// is let through, pctDecode checks the escape.
func isUChar(c byte) bool {
	return isUnreserved(c) || strings.IndexByte("!$'()*+,%", c) >= 0
}

func isAChar(c byte) bool    { return isUChar(c) || c == '&' || c == '=' }
func isBChar(c byte) bool    { return isAChar(c) || c == ':' || c == '@' || c == '/' }
func isDigit(c byte) bool    { return c >= '0' && c <= '9' }
func isHexDigit(c byte) bool { return isDigit(c) || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

// isHostChar: reg-name, IPv4 and the inside of an IP-literal, loosely.
func isHostChar(c byte) bool {
	return isUnreserved(c) || strings.IndexByte("!$&'()*+,;=%:[]", c) >= 0
}

func isMechChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || isDigit(c) || c == '-' || c == '.'
}

func allChars(s string, ok func(byte) bool) bool {
	for i := 0; i < len(s); i++ {
		if !ok(s[i]) {
			return false
		}
	}
	return true
}

// pctDecode decodes %XX escapes; the result must not hold NUL or other
// control characters (RFC 5092 3.1 leaves them out of every field).
func pctDecode(s string) (string, error) {
	if strings.IndexByte(s, '%') < 0 {
		return s, nil
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '%' {
			if i+2 >= len(s) {
				return "", urlSyntaxErr("invalid percent escape")
			}
			hi, ok1 := unhex(s[i+1])
			lo, ok2 := unhex(s[i+2])
			if !ok1 || !ok2 {
				return "", urlSyntaxErr("invalid percent escape")
			}
			c = hi<<4 | lo
			if c < ' ' || c == 0x7f {
				return "", urlSyntaxErr("control character")
			}
			i += 2
		}
		b = append(b, c)
	}
	return string(b), nil
}

// pctEncode escapes every byte that keep rejects, and "%".
func pctEncode(s string, keep func(byte) bool) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if keep(c) && c != '%' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&15])
	}
	return b.String()
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && equalFoldASCII(s[:len(prefix)], prefix)
}

// indexFold is strings.Index, ASCII case-insensitive.
func indexFold(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if equalFoldASCII(s[i:i+len(sub)], sub) {
			return i
		}
	}
	return -1
}
