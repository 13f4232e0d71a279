package imap

import "strings"

// maxAddresses bounds the addresses parsed from one field.
const maxAddresses = 10000

// parseAddressList parses an RFC 5322 address list leniently, as mail in
// the wild needs: display names are kept as written (encoded words too),
// a comment stands in for a missing display name, groups give start and
// end markers, and a missing local part or domain is filled with
// MISSING_MAILBOX or MISSING_DOMAIN. It never fails: what cannot be read
// is skipped.
func parseAddressList(v string) []address {
	t := addrTokenizer{s: v}
	var out []address
	inGroup := false
	for len(out) < maxAddresses {
		t.lastComment = ""
		t.skipCFWS()
		if t.eof() {
			break
		}
		switch t.s[t.i] {
		case ',':
			t.i++
			continue
		case ';':
			t.i++
			if inGroup {
				out = append(out, address{})
				inGroup = false
			}
			continue
		}
		start := t.i
		a, kind := t.mailbox(inGroup)
		switch kind {
		case addrGroupStart:
			out = append(out, address{Mailbox: a.Name})
			inGroup = true
		case addrMailbox:
			out = append(out, a)
		}
		if t.i == start {
			t.i++ // a character that starts nothing: skip it
		}
	}
	if inGroup {
		out = append(out, address{})
	}
	return out
}

const (
	addrNone = iota
	addrMailbox
	addrGroupStart
)

type addrTokenizer struct {
	s           string
	i           int
	lastComment string
}

func (t *addrTokenizer) eof() bool { return t.i >= len(t.s) }

// skipCFWS skips white space, line breaks and comments, remembering the
// text of the last comment.
func (t *addrTokenizer) skipCFWS() {
	for t.i < len(t.s) {
		switch t.s[t.i] {
		case ' ', '\t', '\r', '\n':
			t.i++
		case '(':
			t.lastComment = t.comment()
		default:
			return
		}
	}
}

// comment reads a (possibly nested) comment and returns its text.
func (t *addrTokenizer) comment() string {
	t.i++
	depth := 1
	var b strings.Builder
	for t.i < len(t.s) {
		c := t.s[t.i]
		t.i++
		switch c {
		case '\\':
			if t.i < len(t.s) {
				b.WriteByte(t.s[t.i])
				t.i++
			}
			continue
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return strings.TrimSpace(b.String())
			}
		case '\r', '\n':
			continue
		}
		b.WriteByte(c)
	}
	return strings.TrimSpace(b.String())
}

// isAddrSpecial reports RFC 5322 specials that end an atom; '.' is kept in
// atoms so that dot-atoms and "Q." initials read as one word.
func isAddrSpecial(c byte) bool {
	switch c {
	case '(', ')', '<', '>', '[', ']', ':', ';', '@', '\\', ',', '"', ' ', '\t', '\r', '\n':
		return true
	}
	return false
}

// word reads an atom (with dots) or a quoted string; quoted reports which.
func (t *addrTokenizer) word() (w string, quoted, ok bool) {
	t.skipCFWS()
	if t.eof() {
		return "", false, false
	}
	if t.s[t.i] == '"' {
		t.i++
		var b strings.Builder
		for t.i < len(t.s) {
			c := t.s[t.i]
			t.i++
			switch c {
			case '"':
				return b.String(), true, true
			case '\\':
				if t.i < len(t.s) {
					b.WriteByte(t.s[t.i])
					t.i++
				}
				continue
			case '\r', '\n':
				continue
			}
			b.WriteByte(c)
		}
		return b.String(), true, true
	}
	start := t.i
	for t.i < len(t.s) && !isAddrSpecial(t.s[t.i]) {
		t.i++
	}
	if t.i == start {
		return "", false, false
	}
	return t.s[start:t.i], false, true
}

// phrase reads words up to a special character. It returns them joined
// by single spaces (a display name) and joined with nothing (a local
// part: "john . doe" is "john.doe", "\"john doe\"" is "john doe").
func (t *addrTokenizer) phrase() (string, string) {
	var b, local strings.Builder
	for {
		save := t.i
		w, _, ok := t.word()
		if !ok {
			t.i = save
			t.skipCFWS()
			return b.String(), local.String()
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(w)
		local.WriteString(w)
	}
}

// domain reads a domain: dot-atoms or a domain literal, up to a special.
func (t *addrTokenizer) domain() string {
	t.skipCFWS()
	if t.eof() {
		return ""
	}
	if t.s[t.i] == '[' {
		start := t.i
		for t.i < len(t.s) && t.s[t.i] != ']' {
			t.i++
		}
		if t.i < len(t.s) {
			t.i++
		}
		return t.s[start:t.i]
	}
	var b strings.Builder
	for {
		w, _, ok := t.word()
		if !ok {
			return b.String()
		}
		b.WriteString(w)
		t.skipCFWS()
		if t.eof() || t.s[t.i] != '.' {
			return b.String()
		}
	}
}

// mailbox reads one mailbox, or the start of a group ("name:").
func (t *addrTokenizer) mailbox(inGroup bool) (address, int) {
	name, local := t.phrase()
	if t.eof() {
		if name == "" {
			return address{}, addrNone
		}
		// A bare word: a local part without a domain.
		return address{Mailbox: local, Host: missingDomain, Name: t.lastComment}, addrMailbox
	}
	switch t.s[t.i] {
	case ':':
		t.i++
		if inGroup {
			// No nested groups: the phrase is dropped.
			return address{}, addrNone
		}
		return address{Name: name}, addrGroupStart
	case '<':
		// A comment before the bracket may stand for the display name;
		// one inside it is white space in the addr-spec (RFC 5322
		// 3.4.1), never a name.
		before := t.lastComment
		t.i++
		a := t.angleAddr()
		a.Name = name
		if a.Name == "" {
			a.Name = before
		}
		return a, addrMailbox
	case '@':
		t.i++
		a := address{Mailbox: local, Host: t.domain()}
		t.skipCFWS()
		if a.Mailbox == "" {
			a.Mailbox = missingMailbox
		}
		if a.Host == "" {
			a.Host = missingDomain
		}
		a.Name = t.lastComment
		return a, addrMailbox
	}
	if name == "" {
		return address{}, addrNone
	}
	return address{Mailbox: local, Host: missingDomain, Name: t.lastComment}, addrMailbox
}

// angleAddr reads "[route:] local@domain >" after "<".
func (t *addrTokenizer) angleAddr() address {
	var a address
	t.skipCFWS()
	if !t.eof() && t.s[t.i] == '@' {
		// obs-route: "@a,@b:"
		start := t.i
		for t.i < len(t.s) && t.s[t.i] != ':' && t.s[t.i] != '>' {
			t.i++
		}
		if t.i < len(t.s) && t.s[t.i] == ':' {
			a.ADL = strings.Map(dropSpace, t.s[start:t.i])
			t.i++
		} else {
			t.i = start
		}
	}
	var local strings.Builder
	for {
		w, _, ok := t.word()
		if !ok {
			break
		}
		local.WriteString(w)
	}
	a.Mailbox = local.String()
	t.skipCFWS()
	if !t.eof() && t.s[t.i] == '@' {
		t.i++
		a.Host = t.domain()
	}
	// Skip to the closing bracket.
	for t.i < len(t.s) && t.s[t.i] != '>' && t.s[t.i] != ',' && t.s[t.i] != ';' {
		t.i++
	}
	if t.i < len(t.s) && t.s[t.i] == '>' {
		t.i++
	}
	if a.Mailbox == "" && a.Host == "" {
		// "<>": the null address.
		a.Mailbox, a.Host = missingMailbox, missingDomain
	}
	if a.Mailbox == "" {
		a.Mailbox = missingMailbox
	}
	if a.Host == "" {
		a.Host = missingDomain
	}
	return a
}

// formatAddresses writes parsed addresses as one string, the way SEARCH
// looks at them: "Name <mailbox@host>" or "mailbox@host" with the display
// name decoded (RFC 2047), a group as "name: members;", separated by
// ", ".
func formatAddresses(as []address) string {
	var b strings.Builder
	inGroup := false
	for i, a := range as {
		switch {
		case a.Host == "" && a.Mailbox == "":
			b.WriteByte(';') // group end
			inGroup = false
			continue
		case i > 0 && !(inGroup && as[i-1].Host == ""):
			b.WriteString(", ")
		case inGroup:
			b.WriteByte(' ')
		}
		if a.Host == "" {
			b.WriteString(a.Mailbox) // group start
			b.WriteByte(':')
			inGroup = true
			continue
		}
		if n := decodeHeaderValue(a.Name); n != "" {
			b.WriteString(n)
			b.WriteString(" <")
			b.WriteString(a.Mailbox)
			b.WriteByte('@')
			b.WriteString(a.Host)
			b.WriteByte('>')
			continue
		}
		b.WriteString(a.Mailbox)
		b.WriteByte('@')
		b.WriteString(a.Host)
	}
	return b.String()
}

func dropSpace(r rune) rune {
	if r == ' ' || r == '\t' || r == '\r' || r == '\n' {
		return -1
	}
	return r
}
