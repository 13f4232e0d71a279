package spf

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// maxMacroParts caps a macro's DIGIT transformer: a domain name has at most
// 127 labels, so a larger count keeps them all (RFC 7208 7.3).
const maxMacroParts = 128

// MacroString is a parsed macro-string (RFC 7208 7.1): the target of a
// mechanism or modifier, or the text of an explanation.
type MacroString struct {
	raw   string
	parts []macroPart
	// endsInExpand: the last token is a macro-expand, which may end a
	// domain-spec in place of a top-level label (RFC 7208 7.1).
	endsInExpand bool
}

// macroPart is a literal (letter == 0) or one %{...} expansion.
type macroPart struct {
	literal string
	letter  byte   // lower case
	escape  bool   // upper-case letter: URL-escape the expansion
	keep    int    // right-hand parts to keep; 0 keeps all
	reverse bool   // the r transformer
	delims  string // split characters; empty means "."
}

// String returns the macro-string as written.
func (m MacroString) String() string { return m.raw }

// IsZero reports whether the macro-string is empty (a mechanism without
// a domain-spec).
func (m MacroString) IsZero() bool { return m.raw == "" }

// parseMacroString parses s. In a domain-spec the c, r and t letters and
// spaces are not allowed (RFC 7208 7.1, 7.2); in an explanation they are.
func parseMacroString(s string, explanation bool) (MacroString, error) {
	m := MacroString{raw: s}
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			m.parts = append(m.parts, macroPart{literal: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		m.endsInExpand = c == '%'
		if c != '%' {
			// RFC 7208 7.1: macro-literal = %x21-24 / %x26-7E; SP only in explain-string.
			if c < 0x21 && !(explanation && c == ' ') || c > 0x7e {
				return MacroString{}, fmt.Errorf("character %q not allowed in %q", c, s)
			}
			lit.WriteByte(c)
			continue
		}
		if i+1 == len(s) {
			return MacroString{}, fmt.Errorf("%q ends in a lone %%", s)
		}
		switch s[i+1] {
		case '%':
			lit.WriteByte('%')
			i++
			continue
		case '_':
			lit.WriteByte(' ')
			i++
			continue
		case '-':
			lit.WriteString("%20")
			i++
			continue
		case '{':
		default:
			return MacroString{}, fmt.Errorf("invalid macro %q in %q", s[i:i+2], s)
		}
		end := strings.IndexByte(s[i:], '}')
		if end < 0 {
			return MacroString{}, fmt.Errorf("unterminated macro in %q", s)
		}
		p, err := parseMacroExpand(s[i+2:i+end], explanation)
		if err != nil {
			return MacroString{}, fmt.Errorf("macro %q: %w", s[i:i+end+1], err)
		}
		flush()
		m.parts = append(m.parts, p)
		i += end
	}
	flush()
	return m, nil
}

// parseMacroExpand parses what is between "%{" and "}":
// macro-letter transformers *delimiter (RFC 7208 7.1).
func parseMacroExpand(s string, explanation bool) (macroPart, error) {
	if s == "" {
		return macroPart{}, fmt.Errorf("no macro letter")
	}
	p := macroPart{letter: lower(s[0]), escape: 'A' <= s[0] && s[0] <= 'Z'}
	switch p.letter {
	case 's', 'l', 'o', 'd', 'i', 'p', 'h', 'v':
	case 'c', 'r', 't':
		// RFC 7208 7.2: c, r and t are allowed only in "exp" text.
		if !explanation {
			return macroPart{}, fmt.Errorf("%%{%c} is allowed only in explanations", s[0])
		}
	default:
		return macroPart{}, fmt.Errorf("unknown macro letter %q", s[0])
	}
	rest := s[1:]
	n := 0
	for n < len(rest) && isDigit(rest[n]) {
		n++
	}
	if n > 0 {
		v := maxMacroParts
		if n <= 3 {
			v, _ = strconv.Atoi(rest[:n])
		}
		if v == 0 {
			// RFC 7208 7.3: "If a DIGIT is specified, the value MUST be nonzero."
			return macroPart{}, fmt.Errorf("zero DIGIT transformer")
		}
		p.keep = min(v, maxMacroParts)
		rest = rest[n:]
	}
	if rest != "" && lower(rest[0]) == 'r' {
		p.reverse = true
		rest = rest[1:]
	}
	for i := 0; i < len(rest); i++ {
		if !strings.ContainsRune(".-+,/_=", rune(rest[i])) {
			return macroPart{}, fmt.Errorf("invalid delimiter %q", rest[i])
		}
	}
	p.delims = rest
	return p, nil
}

// macroEnv gives the values of the macro letters (RFC 7208 7.2).
type macroEnv interface {
	macroValue(letter byte) (string, error)
}

// expand expands m in env. The only error is one from env (%{p} needs DNS).
func (m MacroString) expand(env macroEnv) (string, error) {
	var b strings.Builder
	for _, p := range m.parts {
		if p.letter == 0 {
			b.WriteString(p.literal)
			continue
		}
		v, err := env.macroValue(p.letter)
		if err != nil {
			return "", err
		}
		v = p.transform(v)
		if p.escape {
			v = urlEscape(v)
		}
		b.WriteString(v)
	}
	return b.String(), nil
}

// transform applies the transformers: split on the delimiters, reverse,
// keep the right-hand parts, join with "." (RFC 7208 7.3).
func (p macroPart) transform(v string) string {
	if p.keep == 0 && !p.reverse && p.delims == "" {
		return v
	}
	delims := p.delims
	if delims == "" {
		delims = "."
	}
	var parts []string
	start := 0
	for i := 0; i < len(v); i++ {
		if strings.IndexByte(delims, v[i]) >= 0 {
			parts = append(parts, v[start:i])
			start = i + 1
		}
	}
	parts = append(parts, v[start:])
	if p.reverse {
		for i, j := 0, len(parts)-1; i < j; i, j = i+1, j-1 {
			parts[i], parts[j] = parts[j], parts[i]
		}
	}
	if p.keep > 0 && p.keep < len(parts) {
		parts = parts[len(parts)-p.keep:]
	}
	return strings.Join(parts, ".")
}

// urlEscape escapes every byte outside RFC 3986's unreserved set, as
// upper-case macro letters ask (RFC 7208 7.3).
func urlEscape(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || isDigit(c) || strings.IndexByte("-._~", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

// dottedIP is the %{i} form of ip: dotted-quad for IPv4, dot-separated
// nibbles for IPv6 (RFC 7208 7.3).
func dottedIP(ip netip.Addr) string {
	if ip.Is4() {
		return ip.String()
	}
	const hex = "0123456789abcdef"
	a := ip.As16()
	b := make([]byte, 0, 63)
	for i, x := range a {
		if i > 0 {
			b = append(b, '.')
		}
		b = append(b, hex[x>>4], '.', hex[x&15])
	}
	return string(b)
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
