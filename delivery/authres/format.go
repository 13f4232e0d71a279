package authres

import (
	"strconv"
	"strings"
)

// String formats h as a field value on one line:
// "mx.example.org; dkim=pass header.d=example.com; spf=none".
func (h *Header) String() string { return h.format("; ") }

// Fold formats h as a field value with each result on a line of its own,
// for writing into a message (no field name, no final CRLF).
func (h *Header) Fold() string { return h.format(";\r\n\t") }

// Field is the whole header field, folded, ending in CRLF, to be put on
// top of a message.
func (h *Header) Field() string { return FieldName + ": " + h.Fold() + "\r\n" }

func (h *Header) format(sep string) string {
	var b strings.Builder
	b.WriteString(quoteIfNeeded(h.AuthServID, isToken))
	if h.Version > 0 {
		b.WriteString(" ")
		b.WriteString(strconv.Itoa(h.Version))
	}
	if len(h.Results) == 0 {
		b.WriteString("; none")
		return b.String()
	}
	for _, r := range h.Results {
		b.WriteString(sep)
		r.write(&b)
	}
	return b.String()
}

// String formats r as it appears in a field: "dkim=pass header.d=example.com".
func (r MethodResult) String() string {
	var b strings.Builder
	r.write(&b)
	return b.String()
}

func (r MethodResult) write(b *strings.Builder) {
	b.WriteString(r.Method)
	if r.MethodVersion > 0 {
		b.WriteString("/")
		b.WriteString(strconv.Itoa(r.MethodVersion))
	}
	b.WriteString("=")
	b.WriteString(r.Result)
	if r.Reason != "" {
		b.WriteString(" reason=")
		b.WriteString(quote(r.Reason))
	}
	for _, p := range r.Properties {
		b.WriteString(" ")
		b.WriteString(p.Type)
		b.WriteString(".")
		b.WriteString(p.Name)
		b.WriteString("=")
		b.WriteString(quoteIfNeeded(p.Value, isPValue))
	}
}

func quoteIfNeeded(s string, bare func(string) bool) string {
	if bare(s) {
		return s
	}
	return quote(s)
}

// quote makes an RFC 5322 quoted-string. Control characters (CR, LF
// among them) would let a value break out of the field, so they become
// spaces.
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < ' ' || c == 0x7f:
			b.WriteByte(' ')
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isTokenChar(s[i]) {
			return false
		}
	}
	return true
}

// isPValue: a token, or an address "local@domain" / "@domain" whose parts
// are dot-atoms (RFC 8601 2.2 pvalue).
func isPValue(s string) bool {
	if isToken(s) {
		return true
	}
	local, domain, ok := strings.Cut(s, "@")
	return ok && (local == "" || isDotAtom(local)) && isDotAtom(domain)
}

func isDotAtom(s string) bool {
	if s == "" || s[0] == '.' || s[len(s)-1] == '.' || strings.Contains(s, "..") {
		return false
	}
	for i := 0; i < len(s); i++ {
		// RFC 5322 3.2.3 atext, plus '.', plus UTF-8 (RFC 6532).
		if c := s[i]; !isAlnum(c) && c < 0x80 && !strings.ContainsRune("!#$%&'*+-/=?^_`{|}~.", rune(c)) {
			return false
		}
	}
	return true
}
