package imap

import (
	"errors"
	"io"
	"time"
)

func (p *parser) eol() bool { return p.pos >= len(p.line) }

func (p *parser) peek() byte {
	if p.pos < len(p.line) {
		return p.line[p.pos]
	}
	return 0
}

func (p *parser) accept(c byte) bool {
	if p.pos < len(p.line) && p.line[p.pos] == c {
		p.pos++
		return true
	}
	return false
}

func (p *parser) expect(c byte, msg string) error {
	if !p.accept(c) {
		return badf(msg)
	}
	return nil
}

func (p *parser) sp() error { return p.expect(' ', "Missing space") }

func (p *parser) expectEOL() error {
	if !p.eol() {
		return badf("Unexpected text at end of command")
	}
	return nil
}

// atom reads 1*ATOM-CHAR; the result points into the line.
func (p *parser) atom() []byte {
	start := p.pos
	for p.pos < len(p.line) && isAtomChar(p.line[p.pos]) {
		p.pos++
	}
	return p.line[start:p.pos]
}

// word reads letters, digits, '.', '-' and '_': a keyword such as a fetch
// attribute name, which stops at '[' unlike an atom.
func (p *parser) word() []byte {
	start := p.pos
	for p.pos < len(p.line) {
		c := p.line[p.pos]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_') {
			break
		}
		p.pos++
	}
	return p.line[start:p.pos]
}

// keyword reads an atom and upper-cases it in place.
func (p *parser) keyword() []byte {
	b := p.atom()
	for i, c := range b {
		b[i] = toUpperASCII(c)
	}
	return b
}

// acceptKeyword consumes kw (upper-case) if the line continues with it,
// case-insensitively, followed by a non-atom character.
func (p *parser) acceptKeyword(kw string) bool {
	rest := p.line[p.pos:]
	if len(rest) < len(kw) {
		return false
	}
	for i := 0; i < len(kw); i++ {
		if toUpperASCII(rest[i]) != kw[i] {
			return false
		}
	}
	if len(rest) > len(kw) && isAtomChar(rest[len(kw)]) {
		return false
	}
	p.pos += len(kw)
	return true
}

// number reads an RFC 3501 number (32 bits).
func (p *parser) number() (uint32, error) {
	n, err := p.number64()
	if err != nil {
		return 0, err
	}
	if n > 0xffffffff {
		return 0, badf("Number out of range")
	}
	return uint32(n), nil
}

// number64 reads an RFC 9051 number64 (at most 2^63-1).
func (p *parser) number64() (uint64, error) {
	start := p.pos
	var n uint64
	for p.pos < len(p.line) && p.line[p.pos] >= '0' && p.line[p.pos] <= '9' {
		d := uint64(p.line[p.pos] - '0')
		if n > (1<<63-1-d)/10 {
			return 0, badf("Number out of range")
		}
		n = n*10 + d
		p.pos++
	}
	if p.pos == start {
		return 0, badf("Expected a number")
	}
	return n, nil
}

func (p *parser) nzNumber() (uint32, error) {
	n, err := p.number()
	if err == nil && n == 0 {
		err = badf("Expected a non-zero number")
	}
	return n, err
}

// quoted reads a quoted string after its opening quote has been seen. 8-bit
// bytes are accepted (RFC 9051 allows UTF-8 in quoted strings); escapes are
// limited to \" and \\ (RFC 3501 quoted-specials).
func (p *parser) quoted() ([]byte, error) {
	p.pos++ // '"'
	start := p.pos
	// Fast path: no escapes, the content is a slice of the line.
	for p.pos < len(p.line) {
		switch c := p.line[p.pos]; c {
		case '"':
			s := p.line[start:p.pos]
			p.pos++
			return s, nil
		case '\\':
			return p.quotedEscaped(start)
		case '\r', '\n', 0:
			return nil, badf("Invalid character in quoted string")
		}
		p.pos++
	}
	return nil, badf("Unterminated quoted string")
}

func (p *parser) quotedEscaped(start int) ([]byte, error) {
	// Unescape in place: the output is never longer than the input.
	w := p.pos
	for p.pos < len(p.line) {
		c := p.line[p.pos]
		switch c {
		case '"':
			p.pos++
			return p.line[start:w], nil
		case '\\':
			p.pos++
			if p.pos >= len(p.line) {
				return nil, badf("Unterminated quoted string")
			}
			c = p.line[p.pos]
			if c != '"' && c != '\\' {
				return nil, badf("Invalid escape in quoted string")
			}
		case '\r', '\n', 0:
			return nil, badf("Invalid character in quoted string")
		}
		p.line[w] = c
		w++
		p.pos++
	}
	return nil, badf("Unterminated quoted string")
}

// literal reads a literal announced at the end of the line ("{n}" or
// "{n+}"), after checking it against the limits and calling Continue, then
// reads the line that follows it. The data stays valid until the next
// literal.
func (p *parser) literal() ([]byte, error) {
	if p.peek() == '~' {
		return nil, badf("Binary literal not allowed here")
	}
	li, err := p.literalHeader()
	if err != nil {
		return nil, err
	}
	if li.size > p.maxLiteral()-p.lits {
		return nil, &commandError{Status: "BAD", Code: "TOOBIG", Message: "Literal too large"}
	}
	if err := p.callContinue(announcedLiteral{Size: li.size, NonSync: li.nonSync}); err != nil {
		return nil, err
	}
	// The size has passed the limits: only now is memory allocated for it.
	buf := make([]byte, int(li.size))
	p.endLit = litInfo{}
	if _, err := io.ReadFull(p.r, buf); err != nil {
		return nil, ioError{unexpectedEOF(err)}
	}
	p.lits += li.size
	if err := p.nextLine(); err != nil {
		return nil, err
	}
	return buf, nil
}

// literalHeader parses "{n}" / "{n+}" / "~{n}" at the position, which must
// end the line, and checks the LITERAL- rule.
func (p *parser) literalHeader() (litInfo, error) {
	start := p.pos
	p.accept('~')
	if !p.accept('{') {
		return litInfo{}, badf("Expected a literal")
	}
	for p.pos < len(p.line) && p.line[p.pos] != '}' {
		p.pos++
	}
	if !p.accept('}') || !p.eol() {
		return litInfo{}, badf("Invalid literal")
	}
	li := literalAtEnd(p.line[start:])
	if !li.present || li.size < 0 {
		return litInfo{}, &commandError{Status: "BAD", Code: "TOOBIG", Message: "Invalid literal size"}
	}
	if li.nonSync && p.LiteralMinus && li.size > literalMinusMax {
		// RFC 7888 4: the client had to use a synchronizing literal.
		return litInfo{}, &commandError{Status: "BAD", Code: "TOOBIG", Message: "Non-synchronizing literal larger than 4096 bytes"}
	}
	return li, nil
}

func (p *parser) callContinue(l announcedLiteral) error {
	if p.Continue == nil {
		if l.NonSync {
			return nil
		}
		return &commandError{Status: "BAD", Message: "Literal not accepted", Err: errLiteralRefused}
	}
	if err := p.Continue(l); err != nil {
		var pe *commandError
		if errors.As(err, &pe) {
			return pe
		}
		return &commandError{Status: "BAD", Message: "Literal not accepted", Err: err}
	}
	return nil
}

// nextLine reads the continuation of the command after a literal.
func (p *parser) nextLine() error {
	if err := p.readLine(); err != nil {
		return err
	}
	if p.truncated {
		return &commandError{Status: "BAD", Code: "TOOBIG", Message: "Command line too long"}
	}
	if p.bare {
		return badf(errBareLine)
	}
	return nil
}

// atLiteral reports whether a literal ("{" or "~{") starts here.
func (p *parser) atLiteral() bool {
	c := p.peek()
	return c == '{' || c == '~' && p.pos+1 < len(p.line) && p.line[p.pos+1] == '{'
}

// string reads string = quoted / literal.
func (p *parser) string() ([]byte, error) {
	if p.peek() == '"' {
		return p.quoted()
	}
	if p.atLiteral() {
		return p.literal()
	}
	return nil, badf("Expected a string")
}

// astring reads 1*ASTRING-CHAR / string.
func (p *parser) astring() ([]byte, error) {
	if p.peek() == '"' || p.atLiteral() {
		return p.string()
	}
	start := p.pos
	for p.pos < len(p.line) && isAStringChar(p.line[p.pos]) {
		p.pos++
	}
	if p.pos == start {
		return nil, badf("Expected a string")
	}
	return p.line[start:p.pos], nil
}

// nstring reads string / NIL.
func (p *parser) nstring() (s []byte, isNil bool, err error) {
	if p.acceptKeyword("NIL") {
		return nil, true, nil
	}
	s, err = p.string()
	return s, false, err
}

// mailbox reads a mailbox name (astring), decodes it from modified UTF-7
// (or checks it as UTF-8 in UTF8 mode) and spells INBOX in upper case
// (RFC 3501 5.1: INBOX is case-insensitive).
func (p *parser) mailbox() (string, error) {
	b, err := p.astring()
	if err != nil {
		return "", err
	}
	return p.decodeMailbox(b)
}

func (p *parser) decodeMailbox(b []byte) (string, error) {
	if len(b) == 5 && equalFoldASCII(string(b), "INBOX") {
		return "INBOX", nil
	}
	if p.UTF8 {
		if !validUTF8MailboxName(string(b)) {
			return "", &commandError{Status: "NO", Code: "CANNOT", Message: "Mailbox name is not valid UTF-8", Err: errMailboxName}
		}
		return string(b), nil
	}
	name, err := decodeMailboxName(string(b))
	if err != nil {
		return "", &commandError{Status: "NO", Code: "CANNOT", Message: "Mailbox name is not valid modified UTF-7", Err: err}
	}
	return name, nil
}

// listMailbox reads list-mailbox = 1*list-char / string, decoded like a
// mailbox name (the wildcards are printable ASCII and decode to
// themselves). A pattern that does not decode is no error: no name
// matches it (RFC 3501 6.3.8, RFC 9051 6.3.9: LIST answers with the names
// that match; every name is valid modified UTF-7 once encoded), and
// matchable is false.
func (p *parser) listMailbox() (pattern string, matchable bool, err error) {
	var b []byte
	switch {
	case p.peek() == '"' || p.atLiteral():
		if b, err = p.string(); err != nil {
			return "", false, err
		}
	default:
		start := p.pos
		for p.pos < len(p.line) && isListChar(p.line[p.pos]) {
			p.pos++
		}
		if p.pos == start {
			return "", false, badf("Expected a mailbox pattern")
		}
		b = p.line[start:p.pos]
	}
	if len(b) == 5 && equalFoldASCII(string(b), "INBOX") {
		return "INBOX", true, nil
	}
	pattern, err = p.decodeMailbox(b)
	if errors.Is(err, errMailboxName) {
		return "", false, nil
	}
	return pattern, err == nil, err
}

// seqSet reads a sequence-set (or "$").
func (p *parser) seqSet() (SeqSet, error) {
	start := p.pos
	for p.pos < len(p.line) {
		c := p.line[p.pos]
		if !(c >= '0' && c <= '9' || c == ':' || c == ',' || c == '*' || c == '$') {
			break
		}
		p.pos++
	}
	set, err := parseSeqSet(p.line[start:p.pos], p.maxSeqRanges())
	switch err {
	case nil:
		return set, nil
	case errSeqSetTooLarge:
		return SeqSet{}, &commandError{Status: "BAD", Code: "TOOBIG", Message: "Too many ranges in sequence set", Err: err}
	}
	return SeqSet{}, &commandError{Status: "BAD", Message: "Invalid sequence set", Err: err}
}

// flag reads a flag: "\" atom (system flag or flag-extension) or a
// keyword atom. System flags are returned in their canonical spelling.
// \Recent and \* are refused: a client cannot set them (RFC 3501 2.3.2, RFC 9051 removes \Recent).
func (p *parser) flag() (string, error) {
	bs := p.accept('\\')
	a := p.atom()
	if len(a) == 0 {
		if bs && p.accept('*') {
			return "", badf(`\* is not a flag`)
		}
		return "", badf("Expected a flag")
	}
	if !bs {
		return string(a), nil
	}
	for _, f := range systemFlags {
		if equalFoldASCII(string(a), f[1:]) {
			if f == FlagRecent {
				return "", badf(`\Recent cannot be set by the client`)
			}
			return f, nil
		}
	}
	return "\\" + string(a), nil
}

// System flags (RFC 9051 2.3.2).
const (
	FlagSeen     = `\Seen`
	FlagAnswered = `\Answered`
	FlagFlagged  = `\Flagged`
	FlagDeleted  = `\Deleted`
	FlagDraft    = `\Draft`
	FlagRecent   = `\Recent`
)

var systemFlags = [...]string{FlagSeen, FlagAnswered, FlagFlagged, FlagDeleted, FlagDraft, FlagRecent}

// flagList reads "(" [flag *(SP flag)] ")".
func (p *parser) flagList() ([]string, error) {
	if err := p.expect('(', "Expected a flag list"); err != nil {
		return nil, err
	}
	var flags []string
	for !p.accept(')') {
		if len(flags) > 0 {
			if err := p.sp(); err != nil {
				return nil, err
			}
		}
		f, err := p.flag()
		if err != nil {
			return nil, err
		}
		flags = append(flags, f)
	}
	return flags, nil
}

// dateTime reads a quoted date-time: "dd-Mon-yyyy hh:mm:ss +zzzz" (the day
// may be one digit, with or without a leading space).
func (p *parser) dateTime() (time.Time, error) {
	if p.peek() != '"' {
		return time.Time{}, badf("Expected a date-time")
	}
	b, err := p.quoted()
	if err != nil {
		return time.Time{}, err
	}
	t, ok := parseDateTime(b)
	if !ok {
		return time.Time{}, badf("Invalid date-time")
	}
	return t, nil
}

// searchDate reads date = date-text / DQUOTE date-text DQUOTE.
// The result is midnight UTC of that day: search dates are days, without
// a time zone.
func (p *parser) searchDate() (time.Time, error) {
	var b []byte
	if p.peek() == '"' {
		var err error
		if b, err = p.quoted(); err != nil {
			return time.Time{}, err
		}
	} else {
		start := p.pos
		for p.pos < len(p.line) && isAtomChar(p.line[p.pos]) {
			p.pos++
		}
		b = p.line[start:p.pos]
	}
	d, rest, ok := parseDateText(b)
	if !ok || len(rest) != 0 {
		return time.Time{}, badf("Invalid date")
	}
	return time.Date(d.year, time.Month(d.month), d.day, 0, 0, 0, 0, time.UTC), nil
}
