package sieve

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// str is a string argument: a constant, or with the variables extension
// a template of literal parts and variable references (RFC 5229 3).
type str struct {
	lit   string
	parts []strPart // nil for a constant
}

// strPart is a literal (name and match both empty/-1) or a reference to
// a variable (name, lower case) or to a match variable (match >= 0).
type strPart struct {
	lit    string
	name   string
	match  int
	global bool // ${global.name} (RFC 6609 3.5)
}

func (s str) constant() bool { return s.parts == nil }

// Variable names: RFC 5229 3 identifiers, at most 63 characters (as
// Pigeonhole's EXT_VARIABLES_MAX_VARIABLE_NAME_LEN).
const (
	maxVariableName = 63
	maxMatchIndex   = 32 // highest ${N}, as Pigeonhole's SIEVE_MAX_MATCH_VALUES
)

// validIdentifier reports whether s is a variable name (RFC 5229 3).
func validIdentifier(s string) bool {
	if s == "" || len(s) > maxVariableName || isDigit(int(s[0])) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isAlpha(int(s[i])) && !isDigit(int(s[i])) {
			return false
		}
	}
	return true
}

// varName parses a variable-name at s[i:] (RFC 5229 3): an identifier,
// namespace elements joined by '.', or a number. It returns the name,
// whether it is a number, and the index after it; ok is false when there
// is no valid name.
func varName(s string, i int) (name string, num bool, end int, ok bool) {
	start := i
	if i < len(s) && isDigit(int(s[i])) {
		for i < len(s) && isDigit(int(s[i])) {
			i++
		}
		return s[start:i], true, i, true
	}
	elements := 0
	for {
		if i >= len(s) || !isAlpha(int(s[i])) {
			return "", false, i, false
		}
		e := i
		for i < len(s) && (isAlpha(int(s[i])) || isDigit(int(s[i]))) {
			i++
			if i-e > maxVariableName {
				return "", false, i, false
			}
		}
		elements++
		if elements > 10 || i >= len(s) || s[i] != '.' {
			break
		}
		i++
	}
	return s[start:i], false, i, elements <= 10
}

// template parses the variable references of s (RFC 5229 3). An invalid
// reference stays literal text. Literal parts are passed through lit,
// which decodes encoded characters when the script requires them.
func (c *compiler) template(s string, p Pos) (str, error) {
	if !c.has("variables") {
		d, err := c.literal(s, p)
		return str{lit: d}, err
	}
	var parts []strPart
	litStart := 0
	for i := 0; i+1 < len(s); {
		if s[i] != '$' || s[i+1] != '{' {
			i++
			continue
		}
		name, num, end, ok := varName(s, i+2)
		if !ok || end >= len(s) || s[end] != '}' {
			i = max(end, i+2)
			continue
		}
		part := strPart{match: -1}
		switch {
		case num:
			n := 0
			for _, d := range name {
				if n = n*10 + int(d-'0'); n > maxMatchIndex {
					return str{}, &Error{Pos: p, Msg: fmt.Sprintf("match variable ${%s} out of range (max %d)", name, maxMatchIndex)}
				}
			}
			part.match = n
		case strings.Contains(name, "."):
			g, ok := cutPrefixFold(name, "global.")
			if !ok || !c.has("include") || !validIdentifier(g) {
				return str{}, &Error{Pos: p, Msg: fmt.Sprintf("unknown variable namespace in ${%s}", name)}
			}
			part.name, part.global = strings.ToLower(g), true
		default:
			part.name = strings.ToLower(name)
			if err := c.declare(part.name, p); err != nil {
				return str{}, err
			}
		}
		if i > litStart {
			d, err := c.literal(s[litStart:i], p)
			if err != nil {
				return str{}, err
			}
			parts = append(parts, strPart{lit: d, match: -1})
		}
		parts = append(parts, part)
		i = end + 1
		litStart = i
	}
	if parts == nil {
		d, err := c.literal(s, p)
		return str{lit: d}, err
	}
	if litStart < len(s) {
		d, err := c.literal(s[litStart:], p)
		if err != nil {
			return str{}, err
		}
		parts = append(parts, strPart{lit: d, match: -1})
	}
	return str{parts: parts}, nil
}

// literal decodes the encoded characters of s when the script requires
// encoded-character (RFC 5228 2.4.2.4): "${hex:41 42}" and
// "${unicode:263a}". A malformed encoding stays as it is; a code point
// that is not a Unicode scalar value is an error.
func (c *compiler) literal(s string, p Pos) (string, error) {
	if !c.has("encoded-character") || !strings.Contains(s, "${") {
		return s, nil
	}
	var b strings.Builder
	last := 0
	for i := 0; i+1 < len(s); i++ {
		if s[i] != '$' || s[i+1] != '{' {
			continue
		}
		decoded, end, err := decodeEncoded(s, i+2)
		if err != nil {
			return "", &Error{Pos: p, Msg: err.Error()}
		}
		if end < 0 {
			continue
		}
		b.WriteString(s[last:i])
		b.WriteString(decoded)
		last = end
		i = end - 1
	}
	if last == 0 {
		return s, nil
	}
	b.WriteString(s[last:])
	return b.String(), nil
}

// decodeEncoded decodes "hex:..." or "unicode:..." up to '}' at s[i:];
// end is the index after '}', or -1 when the text is not an encoding.
func decodeEncoded(s string, i int) (decoded string, end int, err error) {
	j := i
	for j < len(s) && isAlpha(int(s[j])) && s[j] != '_' {
		j++
	}
	if j >= len(s) || s[j] != ':' {
		return "", -1, nil
	}
	kind := strings.ToLower(s[i:j])
	if kind != "hex" && kind != "unicode" {
		return "", -1, nil
	}
	j++
	var b []byte
	values := 0
	var bad rune = -1
	for {
		for j < len(s) && (s[j] == ' ' || s[j] == '\t' || s[j] == '\r' || s[j] == '\n') {
			j++
		}
		k := j
		for k < len(s) && isHex(s[k]) {
			k++
		}
		if k == j {
			break
		}
		if kind == "hex" {
			if k-j > 2 {
				return "", -1, nil
			}
			b = append(b, byte(hexValue(s[j:k])))
		} else {
			if k-j > 6 {
				return "", -1, nil
			}
			r := rune(hexValue(s[j:k]))
			if !utf8.ValidRune(r) {
				if bad < 0 {
					bad = r
				}
			} else {
				b = utf8.AppendRune(b, r)
			}
		}
		values++
		j = k
	}
	if values == 0 || j >= len(s) || s[j] != '}' {
		return "", -1, nil
	}
	if bad >= 0 {
		return "", -1, fmt.Errorf("invalid Unicode character 0x%x in an encoded character", bad)
	}
	return string(b), j + 1, nil
}

func isHex(c byte) bool { return isDigit(int(c)) || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

func hexValue(s string) int {
	v := 0
	for i := 0; i < len(s); i++ {
		c := lower(s[i])
		if c <= '9' {
			v = v<<4 | int(c-'0')
		} else {
			v = v<<4 | int(c-'a'+10)
		}
	}
	return v
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && equalFold(s[:len(prefix)], prefix) {
		return s[len(prefix):], true
	}
	return s, false
}
