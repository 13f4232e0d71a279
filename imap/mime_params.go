package imap

import "strings"

// isToken reports an RFC 2045 token: no space, controls or tspecials.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`()<>@,;:\"/[]?=`, c) >= 0 {
			return false
		}
	}
	return true
}

// stripComments removes RFC 822 comments and surrounding white space.
func stripComments(s string) string {
	if strings.IndexByte(s, '(') < 0 {
		return strings.TrimSpace(s)
	}
	var b strings.Builder
	depth := 0
	inQuote := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case inQuote:
			if c == '\\' && i+1 < len(s) {
				b.WriteByte(c)
				i++
				c = s[i]
			} else if c == '"' {
				inQuote = false
			}
		case depth > 0:
			if c == '\\' {
				i++
			} else if c == '(' {
				depth++
			} else if c == ')' {
				depth--
			}
			continue
		case c == '(':
			depth++
			continue
		case c == '"':
			inQuote = true
		}
		b.WriteByte(c)
	}
	return strings.TrimSpace(b.String())
}

// parseMIMEValue parses "value *(; name=value)" (Content-Type,
// Content-Disposition), leniently: comments are dropped, a value may be
// quoted or not, and parameters that cannot be read are skipped.
func parseMIMEValue(raw string) (string, []Param, bool) {
	s := unfold(raw)
	semi := indexUnquoted(s, ';')
	head := s
	rest := ""
	if semi >= 0 {
		head, rest = s[:semi], s[semi+1:]
	}
	v := strings.ReplaceAll(stripComments(head), " ", "")
	v = strings.ReplaceAll(v, "\t", "")
	if v == "" {
		return "", nil, false
	}
	var params []Param
	for rest != "" && len(params) < maxParamsPerField {
		semi := indexUnquoted(rest, ';')
		seg := rest
		if semi >= 0 {
			seg, rest = rest[:semi], rest[semi+1:]
		} else {
			rest = ""
		}
		eq := strings.IndexByte(seg, '=')
		if eq < 0 {
			continue
		}
		name := stripComments(seg[:eq])
		if !isToken(name) {
			continue
		}
		val := strings.TrimSpace(seg[eq+1:])
		if strings.HasPrefix(val, "\"") {
			val = unquote(val)
		} else {
			val = stripComments(val)
		}
		params = append(params, Param{name, val})
	}
	return v, mergeRFC2231(params), true
}

// indexUnquoted finds c outside quoted strings and comments.
func indexUnquoted(s string, c byte) int {
	inQuote := false
	depth := 0
	for i := 0; i < len(s); i++ {
		switch ch := s[i]; {
		case ch == '\\' && (inQuote || depth > 0):
			i++
		case inQuote:
			if ch == '"' {
				inQuote = false
			}
		case ch == '"' && depth == 0:
			inQuote = true
		case ch == '(':
			depth++
		case ch == ')' && depth > 0:
			depth--
		case ch == c && depth == 0:
			return i
		}
	}
	return -1
}

// unquote reads a quoted string at the start of s; text after the closing
// quote is ignored, an unterminated one runs to the end.
func unquote(s string) string {
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		c := s[i]
		if c == '\\' && i+1 < len(s) {
			i++
			b.WriteByte(s[i])
			continue
		}
		if c == '"' {
			break
		}
		b.WriteByte(c)
	}
	return b.String()
}

// mergeRFC2231 joins RFC 2231 parameter continuations (name*0, name*1,
// name*0*, ...) into one parameter, "name" or, when the first segment is
// extended (charset'lang'%xx), "name*" with the encoded value, as
// Dovecot does.
func mergeRFC2231(params []Param) []Param {
	has := false
	for _, p := range params {
		if strings.IndexByte(p.Name, '*') >= 0 {
			has = true
			break
		}
	}
	if !has {
		return params
	}
	type seg struct {
		n        int
		extended bool
		value    string
	}
	segs := map[string][]seg{}
	var out []Param
	for _, p := range params {
		star := strings.IndexByte(p.Name, '*')
		if star < 0 {
			out = append(out, p)
			continue
		}
		base, suffix := p.Name[:star], p.Name[star+1:]
		extended := strings.HasSuffix(suffix, "*")
		num := strings.TrimSuffix(suffix, "*")
		n := 0
		if num != "" {
			if len(num) > 3 || strings.Trim(num, "0123456789") != "" {
				out = append(out, p)
				continue
			}
			for _, c := range num {
				n = n*10 + int(c-'0')
			}
		} else {
			extended = true // "name*=..."
		}
		key := strings.ToLower(base)
		if _, seen := segs[key]; !seen {
			out = append(out, Param{Name: base}) // placeholder, filled below
		}
		if len(segs[key]) < maxRFC2231Segments {
			segs[key] = append(segs[key], seg{n, extended, p.Value})
		}
	}
	for i := range out {
		ss, ok := segs[strings.ToLower(out[i].Name)]
		if !ok || out[i].Value != "" {
			continue
		}
		// Order by segment number (insertion sort: few segments).
		for a := 1; a < len(ss); a++ {
			for b := a; b > 0 && ss[b].n < ss[b-1].n; b-- {
				ss[b], ss[b-1] = ss[b-1], ss[b]
			}
		}
		var v strings.Builder
		for _, s := range ss {
			v.WriteString(s.value)
		}
		if ss[0].extended {
			out[i].Name += "*"
		}
		out[i].Value = v.String()
		delete(segs, strings.ToLower(strings.TrimSuffix(out[i].Name, "*")))
	}
	return out
}

// parseLanguages splits a Content-Language value into its tags.
func parseLanguages(raw string) []string {
	s := stripComments(unfold(raw))
	var tags []string
	for _, t := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' }) {
		if isToken(t) && len(tags) < maxParamsPerField {
			tags = append(tags, t)
		}
	}
	return tags
}
