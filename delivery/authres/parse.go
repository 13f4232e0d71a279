package authres

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ErrSyntax is wrapped by every parse error.
var ErrSyntax = errors.New("malformed Authentication-Results")

// Parse parses the value of an Authentication-Results field (after the
// colon; folding allowed) as RFC 8601 2.2 defines it. Method, result and
// property names come back in lower case. Items that are neither reason=
// nor ptype.property=value (some servers add "action=none") are skipped,
// so that a result from a sloppy writer is still read.
func Parse(value string) (*Header, error) {
	l := &lexer{s: value}
	if err := l.cfws(); err != nil {
		return nil, err
	}
	id, err := l.value()
	if err != nil || id == "" {
		return nil, l.errorf("no authserv-id")
	}
	h := &Header{AuthServID: id}
	if err := l.cfws(); err != nil {
		return nil, err
	}
	if d := l.digits(); d != "" {
		if h.Version, err = strconv.Atoi(d); err != nil {
			return nil, l.errorf("bad version %q", d)
		}
	}
	for {
		if err := l.cfws(); err != nil {
			return nil, err
		}
		if l.eof() {
			return h, nil
		}
		if !l.consume(';') {
			return nil, l.errorf("want ';'")
		}
		if err := l.cfws(); err != nil {
			return nil, err
		}
		if l.eof() { // a trailing ';'
			return h, nil
		}
		r, none, err := l.resinfo()
		if err != nil {
			return nil, err
		}
		if !none {
			h.Results = append(h.Results, r)
		}
	}
}

// resinfo parses one result after its ';' (RFC 8601 2.2 resinfo), or the
// "none" of no-result.
func (l *lexer) resinfo() (r MethodResult, none bool, err error) {
	r.Method = strings.ToLower(l.keyword())
	if r.Method == "" {
		return r, false, l.errorf("no method")
	}
	if err := l.cfws(); err != nil {
		return r, false, err
	}
	if r.Method == "none" && (l.eof() || l.peek() == ';') {
		return r, true, nil
	}
	if l.consume('/') {
		if err := l.cfws(); err != nil {
			return r, false, err
		}
		if r.MethodVersion, err = strconv.Atoi(l.digits()); err != nil {
			return r, false, l.errorf("bad method version")
		}
		if err := l.cfws(); err != nil {
			return r, false, err
		}
	}
	if !l.consume('=') {
		return r, false, l.errorf("want '=' after %s", r.Method)
	}
	if err := l.cfws(); err != nil {
		return r, false, err
	}
	if r.Result = strings.ToLower(l.keyword()); r.Result == "" {
		return r, false, l.errorf("no result for %s", r.Method)
	}
	for {
		if err := l.cfws(); err != nil {
			return r, false, err
		}
		if l.eof() || l.peek() == ';' {
			return r, false, nil
		}
		if err := l.item(&r); err != nil {
			return r, false, err
		}
	}
}

// item parses reason=value or ptype.property=pvalue.
func (l *lexer) item(r *MethodResult) error {
	name := strings.ToLower(l.keyword())
	if name == "" {
		return l.errorf("unexpected %q", l.s[l.pos:l.pos+1])
	}
	if err := l.cfws(); err != nil {
		return err
	}
	var prop string
	if l.consume('.') {
		if err := l.cfws(); err != nil {
			return err
		}
		if prop = strings.ToLower(l.keyword()); prop == "" {
			return l.errorf("no property after %s.", name)
		}
		if err := l.cfws(); err != nil {
			return err
		}
	}
	if !l.consume('=') {
		return l.errorf("want '=' after %s", name)
	}
	if err := l.cfws(); err != nil {
		return err
	}
	v, err := l.pvalue()
	if err != nil {
		return err
	}
	switch {
	case prop != "":
		r.Properties = append(r.Properties, Property{Type: name, Name: prop, Value: v})
	case name == "reason":
		r.Reason = v
	}
	return nil
}

// lexer walks a field value. Comments nest (RFC 5322 3.2.2) and are
// skipped with a depth counter, not recursion.
type lexer struct {
	s   string
	pos int
}

func (l *lexer) eof() bool  { return l.pos >= len(l.s) }
func (l *lexer) peek() byte { return l.s[l.pos] }

func (l *lexer) consume(c byte) bool {
	if !l.eof() && l.s[l.pos] == c {
		l.pos++
		return true
	}
	return false
}

func (l *lexer) errorf(format string, args ...any) error {
	return fmt.Errorf("%w: %s at offset %d", ErrSyntax, fmt.Sprintf(format, args...), l.pos)
}

// cfws skips folding whitespace and comments.
func (l *lexer) cfws() error {
	depth := 0
	for !l.eof() {
		c := l.s[l.pos]
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
		case c == '(':
			depth++
		case c == ')' && depth > 0:
			depth--
		case c == '\\' && depth > 0:
			l.pos++ // a quoted-pair inside a comment
		case depth == 0:
			return nil
		}
		l.pos++
	}
	if depth > 0 {
		return l.errorf("unterminated comment")
	}
	return nil
}

func (l *lexer) span(ok func(byte) bool) string {
	start := l.pos
	for !l.eof() && ok(l.s[l.pos]) {
		l.pos++
	}
	return l.s[start:l.pos]
}

func (l *lexer) digits() string { return l.span(isDigit) }

// keyword: RFC 8601 2.2 Keyword (letters, digits, '-'; we also take '_').
func (l *lexer) keyword() string {
	return l.span(func(c byte) bool { return isAlnum(c) || c == '-' || c == '_' })
}

// value is RFC 2045 value: token or quoted-string.
func (l *lexer) value() (string, error) {
	if !l.eof() && l.peek() == '"' {
		return l.quoted()
	}
	return l.span(isTokenChar), nil
}

// pvalue is a value or an address ([local-part] "@" domain): everything
// up to whitespace, a comment or ';'.
func (l *lexer) pvalue() (string, error) {
	if !l.eof() && l.peek() == '"' {
		return l.quoted()
	}
	v := l.span(func(c byte) bool { return c > ' ' && c != ';' && c != '(' && c != '"' && c != 0x7f })
	if v == "" {
		return "", l.errorf("empty value")
	}
	return v, nil
}

func (l *lexer) quoted() (string, error) {
	l.pos++ // the opening quote
	var b strings.Builder
	for !l.eof() {
		c := l.s[l.pos]
		l.pos++
		switch c {
		case '"':
			return b.String(), nil
		case '\\':
			if l.eof() {
				return "", l.errorf("unterminated quoted-string")
			}
			b.WriteByte(l.s[l.pos])
			l.pos++
		case '\r', '\n': // folding inside a quoted-string
		default:
			b.WriteByte(c)
		}
	}
	return "", l.errorf("unterminated quoted-string")
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
func isAlnum(c byte) bool { return isDigit(c) || 'a' <= c|0x20 && c|0x20 <= 'z' }

// isTokenChar: RFC 2045 5.1 token, any CHAR except SPACE, CTLs and
// tspecials (UTF-8 bytes allowed, RFC 6532).
func isTokenChar(c byte) bool {
	return c > ' ' && c != 0x7f && !strings.ContainsRune(`()<>@,;:\"/[]?=`, rune(c))
}
