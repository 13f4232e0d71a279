package sieve

import "strings"

// address is one address of an address list: valid when it has a local
// part and a domain.
type address struct {
	local, domain string
	valid         bool
}

func (a address) String() string { return quoteLocal(a.local) + "@" + a.domain }

// quoteLocal quotes a local part that is not a dot-atom (RFC 5322 3.4.1).
func quoteLocal(l string) string {
	if isDotAtom(l) {
		return l
	}
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(l); i++ {
		if l[i] == '"' || l[i] == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(l[i])
	}
	b.WriteByte('"')
	return b.String()
}

func isAtext(c byte) bool {
	return isAlpha(int(c)) || isDigit(int(c)) || c >= 0x80 || strings.IndexByte("!#$%&'*+-/=?^_`{|}~", c) >= 0
}

func isDotAtom(s string) bool {
	if s == "" || s[0] == '.' || s[len(s)-1] == '.' || strings.Contains(s, "..") {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] != '.' && !isAtext(s[i]) {
			return false
		}
	}
	return true
}

// parseAddressList parses a header value as an address list
// (RFC 5322 3.4), leniently as Dovecot does: display names, comments,
// route addresses and groups are accepted; an element that is not an
// address becomes an invalid entry, and so do the start and end of a
// group.
func parseAddressList(v string) []address {
	var out []address
	for _, elem := range splitTop(v, ',') {
		elem = strings.TrimSpace(stripComments(elem))
		// A group: "name: members;" (RFC 5322 3.4).
		if i := topIndex(elem, ':'); i >= 0 && !strings.Contains(elem[:i], "<") {
			out = append(out, address{})
			elem = strings.TrimSpace(elem[i+1:])
		}
		end := false
		if strings.HasSuffix(elem, ";") {
			elem, end = strings.TrimSpace(strings.TrimSuffix(elem, ";")), true
		}
		if elem != "" {
			out = append(out, parseMailbox(elem))
		}
		if end {
			out = append(out, address{})
		}
	}
	return out
}

// parseMailbox parses "name <addr-spec>" or a bare addr-spec.
func parseMailbox(s string) address {
	if i := topIndex(s, '<'); i >= 0 {
		j := strings.LastIndexByte(s, '>')
		if j < i || strings.TrimSpace(s[j+1:]) != "" {
			return address{}
		}
		spec := strings.TrimSpace(s[i+1 : j])
		// An obsolete route: "@a,@b:addr-spec" (RFC 5322 4.4).
		if strings.HasPrefix(spec, "@") {
			k := strings.IndexByte(spec, ':')
			if k < 0 {
				return address{}
			}
			spec = spec[k+1:]
		}
		return parseAddrSpec(spec)
	}
	return parseAddrSpec(s)
}

// parseAddrSpec parses local-part "@" domain (RFC 5322 3.4.1).
func parseAddrSpec(s string) address {
	s = strings.TrimSpace(s)
	at := topLastIndex(s, '@')
	if at <= 0 || at == len(s)-1 {
		return address{}
	}
	local, domain := strings.TrimSpace(s[:at]), strings.TrimSpace(s[at+1:])
	if strings.HasPrefix(local, `"`) {
		u, ok := unquote(local)
		if !ok {
			return address{}
		}
		local = u
	} else if !isDotAtom(strings.ReplaceAll(local, " ", "")) {
		return address{}
	} else {
		local = strings.ReplaceAll(local, " ", "")
	}
	if strings.HasPrefix(domain, "[") {
		if !strings.HasSuffix(domain, "]") {
			return address{}
		}
	} else if !isDotAtom(domain) {
		return address{}
	}
	return address{local: local, domain: domain, valid: true}
}

// unquote removes the quotes and backslash escapes of a quoted-string.
func unquote(s string) (string, bool) {
	if len(s) < 2 || s[0] != '"' || s[len(s)-1] != '"' {
		return "", false
	}
	var b strings.Builder
	for i := 1; i < len(s)-1; i++ {
		switch s[i] {
		case '\\':
			i++
			if i == len(s)-1 {
				return "", false
			}
		case '"':
			return "", false
		}
		b.WriteByte(s[i])
	}
	return b.String(), true
}

// splitTop splits s at sep outside quoted strings, comments, angle
// brackets and domain literals.
func splitTop(s string, sep byte) []string {
	var out []string
	start := 0
	scanTop(s, func(i int) bool {
		if s[i] == sep {
			out = append(out, s[start:i])
			start = i + 1
		}
		return true
	})
	return append(out, s[start:])
}

// topIndex is the first index of c outside quotes and comments, or -1.
func topIndex(s string, c byte) int {
	at := -1
	scanTop(s, func(i int) bool {
		if s[i] == c {
			at = i
			return false
		}
		return true
	})
	return at
}

func topLastIndex(s string, c byte) int {
	at := -1
	scanTop(s, func(i int) bool {
		if s[i] == c {
			at = i
		}
		return true
	})
	return at
}

// scanTop calls f with the index of each byte of s that is outside
// quoted strings, comments, <...> and [...], until f returns false.
func scanTop(s string, f func(int) bool) {
	depth, quoted, angle, literal := 0, false, false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quoted:
			if c == '\\' {
				i++
			} else if c == '"' {
				quoted = false
			}
			continue
		case depth > 0:
			if c == '\\' {
				i++
			} else if c == '(' {
				depth++
			} else if c == ')' {
				depth--
			}
			continue
		case literal:
			if c == ']' {
				literal = false
			}
			continue
		}
		if angle {
			if c == '>' {
				angle = false
			}
			if c != '<' && c != '@' && c != '>' {
				continue
			}
		}
		switch c {
		case '"':
			quoted = true
		case '(':
			depth = 1
		case '[':
			literal = true
		case '<':
			angle = true
		}
		if !f(i) {
			return
		}
	}
}

// stripComments removes RFC 5322 comments outside quoted strings.
func stripComments(s string) string {
	if !strings.Contains(s, "(") {
		return s
	}
	var b strings.Builder
	depth, quoted := 0, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quoted:
			b.WriteByte(c)
			if c == '\\' && i+1 < len(s) {
				i++
				b.WriteByte(s[i])
			} else if c == '"' {
				quoted = false
			}
		case depth > 0:
			if c == '\\' {
				i++
			} else if c == '(' {
				depth++
			} else if c == ')' {
				depth--
				if depth == 0 {
					b.WriteByte(' ')
				}
			}
		case c == '"':
			quoted = true
			b.WriteByte(c)
		case c == '(':
			depth = 1
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// addressPart is the ADDRESS-PART of address and envelope tests
// (RFC 5228 2.7.4, RFC 5233 4).
type addressPart int

const (
	partAll addressPart = iota
	partLocal
	partDomain
	partUser
	partDetail
)

var addressPartTags = []tagSpec{
	{name: "all", group: "part"},
	{name: "localpart", group: "part"},
	{name: "domain", group: "part"},
	{name: "user", ext: "subaddress", group: "part"},
	{name: "detail", ext: "subaddress", group: "part"},
}

func addressPartOf(b *bound) addressPart {
	return map[string]addressPart{"": partAll, "all": partAll, "localpart": partLocal, "domain": partDomain,
		"user": partUser, "detail": partDetail}[b.group("part")]
}

// extract returns the part of a valid address; ok is false when the part
// does not exist (:detail without a separator, RFC 5233 4).
func (p addressPart) extract(a address, delims string) (string, bool) {
	switch p {
	case partLocal:
		return a.local, true
	case partDomain:
		return a.domain, true
	case partUser, partDetail:
		i := strings.IndexAny(a.local, delims)
		if p == partUser {
			if i < 0 {
				return a.local, true
			}
			return a.local[:i], true
		}
		if i < 0 {
			return "", false
		}
		return a.local[i+1:], true
	}
	return a.String(), true
}

// addressValues returns the values an address test compares, for the
// raw field values given, as Pigeonhole does: the part of each valid
// address; an empty field as ""; and for :all the whole field when the
// list ends with something that is not an address.
func addressValues(fields []string, part addressPart, delims string) []string {
	var out []string
	for _, f := range fields {
		if f == "" {
			out = append(out, "")
			continue
		}
		list := parseAddressList(f)
		for i, a := range list {
			if a.valid {
				if v, ok := part.extract(a, delims); ok {
					out = append(out, v)
				}
				continue
			}
			if i == len(list)-1 && part == partAll {
				out = append(out, f)
			}
		}
	}
	return out
}
