package imap

import (
	"io"
	"mime"
	"strings"

	"github.com/emersion/go-message/charset"
)

// Header is a message (or MIME part) header as written: its fields in
// order, with raw values.
type Header struct {
	Fields []HeaderField
}

// HeaderField is one header field. Value is the raw text after the colon,
// folding line breaks included, without the final line break.
type HeaderField struct {
	Name  string
	Value string
}

// Get returns the raw value of the first field with the given name
// (case-insensitive), and whether there is one.
func (h *Header) Get(name string) (string, bool) {
	if h == nil {
		return "", false
	}
	for _, f := range h.Fields {
		if equalFoldASCII(f.Name, name) {
			return f.Value, true
		}
	}
	return "", false
}

// Values returns the raw values of every field with the given name.
func (h *Header) Values(name string) []string {
	if h == nil {
		return nil
	}
	var vs []string
	for _, f := range h.Fields {
		if equalFoldASCII(f.Name, name) {
			vs = append(vs, f.Value)
		}
	}
	return vs
}

// Unfold removes the line breaks of a folded header value (RFC 5322
// section 2.2.3) and trims the surrounding white space.
func Unfold(v string) string {
	if strings.IndexByte(v, '\n') < 0 && strings.IndexByte(v, '\r') < 0 {
		return strings.Trim(v, " \t")
	}
	var b strings.Builder
	b.Grow(len(v))
	for i := 0; i < len(v); i++ {
		if c := v[i]; c != '\r' && c != '\n' {
			b.WriteByte(c)
		}
	}
	return strings.Trim(b.String(), " \t")
}

var wordDecoder = &mime.WordDecoder{CharsetReader: charsetReader}

func charsetReader(cs string, r io.Reader) (io.Reader, error) {
	if isUTF8Charset(cs) {
		return r, nil
	}
	return charset.Reader(cs, r)
}

func isUTF8Charset(cs string) bool {
	return cs == "" || equalFoldASCII(cs, "utf-8") || equalFoldASCII(cs, "us-ascii") ||
		equalFoldASCII(cs, "utf8") || equalFoldASCII(cs, "ascii")
}

// DecodeHeaderValue unfolds a raw header value and decodes its RFC 2047
// encoded words to UTF-8. Words it cannot decode (an unknown charset, bad
// encoding) are left as they are.
func DecodeHeaderValue(v string) string {
	v = Unfold(v)
	if !strings.Contains(v, "=?") {
		return v
	}
	d, err := wordDecoder.DecodeHeader(v)
	if err != nil {
		return v
	}
	return d
}

// ---- envelope ----

// Envelope is the ENVELOPE of a message (RFC 9051 section 7.5.2). String
// fields are the header values unfolded, RFC 2047 encoded words left as
// they are on the wire; "" is sent as NIL.
type Envelope struct {
	Date      string
	Subject   string
	From      []Address
	Sender    []Address // From when the header has no (or an empty) Sender
	ReplyTo   []Address // From when the header has no (or an empty) Reply-To
	To        []Address
	Cc        []Address
	Bcc       []Address
	InReplyTo string
	MessageID string
}

// Address is one address structure of an envelope. RFC 9051 section
// 7.5.2: a group start has an empty Host and the group name in Mailbox; a
// group end has all four fields empty.
type Address struct {
	Name    string // display name (phrase), quoting removed, encoded words kept
	ADL     string // source route ("@a,@b"), obsolete
	Mailbox string // local part
	Host    string // domain
}

// Placeholders for the parts of a malformed address, as Dovecot writes
// them, so that an address with no domain is not mistaken for a group.
const (
	missingMailbox = "MISSING_MAILBOX"
	missingDomain  = "MISSING_DOMAIN"
)

// envelope field indexes.
const (
	envDate = iota
	envSubject
	envFrom
	envSender
	envReplyTo
	envTo
	envCc
	envBcc
	envInReplyTo
	envMessageID
	envFields
)

var envelopeFieldNames = [envFields]string{"Date", "Subject", "From", "Sender", "Reply-To", "To", "Cc", "Bcc", "In-Reply-To", "Message-ID"}

// EnvelopeOf computes the ENVELOPE from a message header.
func EnvelopeOf(h *Header) *Envelope {
	var vals [envFields]string
	var have [envFields]bool
	for _, f := range h.Fields {
		for i, n := range envelopeFieldNames {
			if !have[i] && equalFoldASCII(f.Name, n) {
				vals[i], have[i] = f.Value, true
			}
		}
	}
	return buildEnvelope(&vals)
}

func buildEnvelope(v *[envFields]string) *Envelope {
	e := &Envelope{
		Date:      Unfold(v[envDate]),
		Subject:   Unfold(v[envSubject]),
		From:      ParseAddressList(v[envFrom]),
		Sender:    ParseAddressList(v[envSender]),
		ReplyTo:   ParseAddressList(v[envReplyTo]),
		To:        ParseAddressList(v[envTo]),
		Cc:        ParseAddressList(v[envCc]),
		Bcc:       ParseAddressList(v[envBcc]),
		InReplyTo: Unfold(v[envInReplyTo]),
		MessageID: Unfold(v[envMessageID]),
	}
	// RFC 9051 section 7.5.2: an absent or empty Sender or Reply-To takes
	// the value of From.
	if len(e.Sender) == 0 {
		e.Sender = e.From
	}
	if len(e.ReplyTo) == 0 {
		e.ReplyTo = e.From
	}
	return e
}

// maxAddresses bounds the addresses parsed from one field.
const maxAddresses = 10000

// ParseAddressList parses an RFC 5322 address list leniently, as mail in
// the wild needs: display names are kept as written (encoded words too),
// a comment stands in for a missing display name, groups give start and
// end markers, and a missing local part or domain is filled with
// MISSING_MAILBOX or MISSING_DOMAIN. It never fails: what cannot be read
// is skipped.
func ParseAddressList(v string) []Address {
	t := addrTokenizer{s: v}
	var out []Address
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
				out = append(out, Address{})
				inGroup = false
			}
			continue
		}
		start := t.i
		a, kind := t.mailbox(inGroup)
		switch kind {
		case addrGroupStart:
			out = append(out, Address{Mailbox: a.Name})
			inGroup = true
		case addrMailbox:
			out = append(out, a)
		}
		if t.i == start {
			t.i++ // a character that starts nothing: skip it
		}
	}
	if inGroup {
		out = append(out, Address{})
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
func (t *addrTokenizer) mailbox(inGroup bool) (Address, int) {
	name, local := t.phrase()
	if t.eof() {
		if name == "" {
			return Address{}, addrNone
		}
		// A bare word: a local part without a domain.
		return Address{Mailbox: local, Host: missingDomain, Name: t.lastComment}, addrMailbox
	}
	switch t.s[t.i] {
	case ':':
		t.i++
		if inGroup {
			// No nested groups: the phrase is dropped.
			return Address{}, addrNone
		}
		return Address{Name: name}, addrGroupStart
	case '<':
		t.i++
		a := t.angleAddr()
		a.Name = name
		if a.Name == "" && t.lastComment != "" {
			a.Name = t.lastComment
		}
		return a, addrMailbox
	case '@':
		t.i++
		a := Address{Mailbox: local, Host: t.domain()}
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
		return Address{}, addrNone
	}
	return Address{Mailbox: local, Host: missingDomain, Name: t.lastComment}, addrMailbox
}

// angleAddr reads "[route:] local@domain >" after "<".
func (t *addrTokenizer) angleAddr() Address {
	var a Address
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

func dropSpace(r rune) rune {
	if r == ' ' || r == '\t' || r == '\r' || r == '\n' {
		return -1
	}
	return r
}

// Envelope writes an ENVELOPE structure (RFC 9051 section 9, envelope).
func (w *Writer) Envelope(e *Envelope) {
	w.BeginList()
	w.NString(e.Date)
	w.SP()
	w.NString(e.Subject)
	for _, l := range [...][]Address{e.From, e.Sender, e.ReplyTo, e.To, e.Cc, e.Bcc} {
		w.SP()
		w.addressList(l)
	}
	w.SP()
	w.NString(e.InReplyTo)
	w.SP()
	w.NString(e.MessageID)
	w.EndList()
}

// addressList writes "(" 1*address ")" or NIL; addresses are not
// separated by spaces.
func (w *Writer) addressList(l []Address) {
	if len(l) == 0 {
		w.Nil()
		return
	}
	w.BeginList()
	for _, a := range l {
		w.BeginList()
		w.NString(a.Name)
		w.SP()
		w.NString(a.ADL)
		w.SP()
		w.NString(a.Mailbox)
		w.SP()
		w.NString(a.Host)
		w.EndList()
	}
	w.EndList()
}

// headerText appends the header fields unfolded and decoded, one per line,
// for a TEXT search.
func headerText(dst []byte, h *Header) []byte {
	for _, f := range h.Fields {
		dst = append(dst, f.Name...)
		dst = append(dst, ": "...)
		dst = append(dst, DecodeHeaderValue(f.Value)...)
		dst = append(dst, '\n')
	}
	return dst
}

// fieldNameIs compares a field name, case-insensitively.
func fieldNameIs(name []byte, want string) bool {
	return len(name) == len(want) && equalFoldASCII(string(name), want)
}
