package imap

import (
	"bufio"
	"errors"
	"io"
	"time"
)

// Default limits of a Parser; each has a field to change it.
const (
	DefaultMaxLineLength  = 64 << 10 // non-literal text of one command
	DefaultMaxLiteralSize = 64 << 10 // literals of one command, APPEND data aside
	DefaultMaxAppendSize  = 32 << 20 // one APPEND message
	DefaultMaxDiscard     = 16 << 20 // literal data skipped after an error
	DefaultMaxDepth       = 32       // nesting of search keys
	DefaultMaxSearchKeys  = 1000     // keys in one SEARCH, SORT or THREAD
)

// RFC 7888 section 4: with LITERAL-, non-synchronizing literals may carry at
// most 4096 bytes.
const literalMinusMax = 4096

// Literal describes a literal the client announced, before its data is read.
// Parser.Continue receives it so that the server can check the size (and,
// for APPEND, its quota and the mailbox) before it invites the client to
// send the data.
type Literal struct {
	Size    int64
	NonSync bool // "{n+}" (LITERAL+/LITERAL-, RFC 7888): the data follows without waiting
	Binary  bool // "~{n}" literal8 (RFC 3516): the data may contain NUL
	Append  bool // the message data of APPEND
}

// ParseError is a command the server must refuse: a syntax error (BAD), a
// command it cannot accept (NO, e.g. an unknown charset), or a stream it
// cannot go on with (Fatal: answer "* BYE" and close).
type ParseError struct {
	Tag     string // the command's tag; "" when it could not be read (answer with "*")
	Status  string // "BAD" or "NO"
	Code    string // response code without brackets, e.g. "TOOBIG", "BADCHARSET (US-ASCII UTF-8)"; may be ""
	Message string // human-readable text for the client
	Fatal   bool   // the connection cannot go on
	Err     error  // underlying cause, not shown to the client
	// SearchSave is set when the refused command was a SEARCH with
	// RETURN (SAVE): RFC 5182 section 2.1 has a failed SEARCH ... SAVE
	// leave the saved result ("$") empty.
	SearchSave bool
}

// Error formats the error for logs; the client sees Status, Code and Message.
func (e *ParseError) Error() string {
	s := "imap: " + e.Status
	if e.Code != "" {
		s += " [" + e.Code + "]"
	}
	s += " " + e.Message
	if e.Err != nil {
		s += " (" + e.Err.Error() + ")"
	}
	return s
}

// Unwrap returns the underlying cause.
func (e *ParseError) Unwrap() error { return e.Err }

func badf(msg string) *ParseError { return &ParseError{Status: "BAD", Message: msg} }

var errLiteralRefused = errors.New("imap: literal refused (no Continue callback)")

// Parser reads IMAP commands from a client connection (RFC 3501 / RFC 9051
// section 9 grammar). It does no writing: when the client announces a
// literal, the parser calls Continue, and the server answers "+" from
// there. APPEND message data is not read by the parser: ReadCommand stops
// after the mailbox name, and NextAppendMessage hands each message over as
// a stream.
//
// After a bad command the parser skips the rest of it, including
// non-synchronizing literals the client sent without waiting, so that the
// next ReadCommand starts on the next command.
//
// Options are fields; the zero value of each is a safe default. A Parser is
// not safe for concurrent use.
type Parser struct {
	// MaxLineLength bounds the non-literal text of one command, over all
	// its lines (DefaultMaxLineLength if 0).
	MaxLineLength int
	// MaxLiteralSize bounds the total size of the literals of one command,
	// APPEND message data aside (DefaultMaxLiteralSize if 0).
	MaxLiteralSize int64
	// MaxAppendSize bounds each APPEND message (DefaultMaxAppendSize if 0).
	MaxAppendSize int64
	// MaxDiscard bounds the literal data the parser reads and drops while
	// skipping a refused command (DefaultMaxDiscard if 0); beyond it the
	// error is Fatal.
	MaxDiscard int64
	// MaxDepth bounds the nesting of search keys: parentheses, NOT and OR
	// (DefaultMaxDepth if 0).
	MaxDepth int
	// MaxSeqRanges bounds the ranges of one sequence set (DefaultMaxSeqRanges if 0).
	MaxSeqRanges int
	// MaxSearchKeys bounds the keys of one search program (DefaultMaxSearchKeys if 0).
	MaxSearchKeys int
	// UTF8 is set after ENABLE UTF8=ACCEPT (RFC 6855) or in IMAP4rev2
	// sessions that use UTF-8 names: mailbox names are then UTF-8, not
	// modified UTF-7.
	UTF8 bool
	// LiteralMinus limits non-synchronizing literals to 4096 bytes (the
	// server advertises LITERAL- rather than LITERAL+, RFC 7888).
	LiteralMinus bool
	// Continue is called before the data of each literal is read, once its
	// size has passed the parser's own limits. For a synchronizing literal
	// (NonSync false) it must send the continuation request ("+ Ready")
	// and flush, or return an error to refuse the literal; the client then
	// sends nothing more for this command. For a non-synchronizing literal
	// it must not write anything; an error makes the parser drop the data.
	// A *ParseError returned here is passed on with its status and code; any
	// other error becomes BAD. If Continue is nil, synchronizing literals
	// are refused.
	Continue func(Literal) error

	r *bufio.Reader

	line      []byte  // current line without its line ending (at most the line budget)
	pos       int     // parse position in line
	truncated bool    // the current line was longer than the budget
	endLit    litInfo // literal announced at the end of the current line, not yet read
	text      int     // non-literal bytes of the current command so far
	lits      int64   // literal bytes of the current command so far
	discarded int64   // literal bytes dropped while skipping the current command
	keys      int     // search keys parsed in the current command
	tag       string
	state     int
	body      appendBody
	nAppend   int // messages of the current APPEND so far
	// appendParen is set while the data of an APPEND message given as
	// UTF8 (literal8) is read: its closing ")" follows the data.
	appendParen bool
}

const (
	stateIdle   = iota // between commands
	stateLine          // inside a command; line holds the current line
	stateAppend        // APPEND: the parser is before the next message or the end
	stateBody          // APPEND: message data is being read by the server
)

// litInfo is a literal announcement "{n}", "{n+}" or "~{n}" ending a line.
type litInfo struct {
	present bool
	size    int64 // -1 if too large to represent
	nonSync bool
	binary  bool
}

// NewParser returns a Parser reading from r.
func NewParser(r *bufio.Reader) *Parser {
	return &Parser{r: r}
}

func (p *Parser) maxLine() int {
	if p.MaxLineLength > 0 {
		return p.MaxLineLength
	}
	return DefaultMaxLineLength
}

func (p *Parser) maxLiteral() int64 {
	if p.MaxLiteralSize > 0 {
		return p.MaxLiteralSize
	}
	return DefaultMaxLiteralSize
}

func (p *Parser) maxAppend() int64 {
	if p.MaxAppendSize > 0 {
		return p.MaxAppendSize
	}
	return DefaultMaxAppendSize
}

func (p *Parser) maxDiscard() int64 {
	if p.MaxDiscard > 0 {
		return p.MaxDiscard
	}
	return DefaultMaxDiscard
}

func (p *Parser) maxDepth() int {
	if p.MaxDepth > 0 {
		return p.MaxDepth
	}
	return DefaultMaxDepth
}

func (p *Parser) maxSeqRanges() int {
	if p.MaxSeqRanges > 0 {
		return p.MaxSeqRanges
	}
	return DefaultMaxSeqRanges
}

func (p *Parser) maxSearchKeys() int {
	if p.MaxSearchKeys > 0 {
		return p.MaxSearchKeys
	}
	return DefaultMaxSearchKeys
}

// ReadCommand reads the next command. On a bad command it returns a
// *ParseError (Tag set when the tag could be read) after skipping the rest
// of the command; the session goes on unless the error is Fatal. Any other
// error comes from the connection (io.EOF when the client closed between
// commands).
//
// For APPEND, ReadCommand returns once the mailbox name is read; the
// caller then calls NextAppendMessage until it returns nil. If the previous
// command was not read to its end (an APPEND the server gave up on),
// ReadCommand skips what is left of it first.
func (p *Parser) ReadCommand() (*Command, error) {
	if p.state != stateIdle {
		if err := p.SkipCommand(); err != nil {
			return nil, err
		}
	}
	p.text, p.lits, p.discarded, p.keys, p.nAppend = 0, 0, 0, 0, 0
	p.appendParen = false
	p.tag = ""
	for {
		if err := p.readLine(); err != nil {
			return nil, err
		}
		// An empty line is not a command; skip it rather than answer it,
		// as clients sometimes send a bare CRLF.
		if len(p.line) > 0 || p.truncated {
			break
		}
		p.text = 0
	}
	p.state = stateLine
	cmd, err := p.parseCommand()
	if err != nil {
		return nil, p.fail(err)
	}
	if p.state == stateLine {
		p.state = stateIdle
	}
	return cmd, nil
}

// SkipCommand drops the rest of the current command: the remaining data of
// an APPEND message, the rest of the line and any non-synchronizing
// literals that follow. The server calls it when it refuses a command it
// has started to read (a failed MULTIAPPEND); ReadCommand calls it by
// itself when needed. The error is Fatal or from the connection.
func (p *Parser) SkipCommand() error {
	switch p.state {
	case stateIdle:
		return nil
	case stateBody, stateAppend:
		if err := p.discardBody(); err != nil {
			return err
		}
		if p.nAppend > 0 {
			// Message data ends a line: what follows it is on the next.
			p.text = 0
			if err := p.readLine(); err != nil {
				p.state = stateIdle
				return err
			}
		}
	}
	return p.resync()
}

// fail turns err into a *ParseError carrying the tag, and skips the rest
// of the command. I/O errors are returned as they are.
func (p *Parser) fail(err error) error {
	var pe *ParseError
	if !errors.As(err, &pe) {
		if isIOError(err) {
			p.state = stateIdle
			return err
		}
		pe = &ParseError{Status: "BAD", Message: "Invalid command", Err: err}
	}
	if pe.Tag == "" {
		pe.Tag = p.tag
	}
	if pe.Status == "" {
		pe.Status = "BAD"
	}
	if !pe.Fatal {
		if rerr := p.resync(); rerr != nil {
			return rerr
		}
	}
	p.state = stateIdle
	return pe
}

// ioError marks errors from the connection.
type ioError struct{ err error }

func (e ioError) Error() string { return e.err.Error() }
func (e ioError) Unwrap() error { return e.err }

func isIOError(err error) bool {
	var ie ioError
	return errors.As(err, &ie) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}

// resync skips to the end of the command: as long as the current line ends
// with a non-synchronizing literal, the literal's data and the next line
// are read and dropped. A line ending in a synchronizing literal ends the
// command: the client waits for "+" and, getting a tagged response
// instead, sends nothing more of it.
func (p *Parser) resync() error {
	for p.endLit.present && p.endLit.nonSync {
		n := p.endLit.size
		if n < 0 || n > p.maxDiscard()-p.discarded {
			p.state = stateIdle
			return &ParseError{Tag: p.tag, Status: "BAD", Code: "TOOBIG", Message: "Literal too large", Fatal: true}
		}
		p.endLit = litInfo{}
		if _, err := io.CopyN(io.Discard, p.r, n); err != nil {
			p.state = stateIdle
			return unexpectedEOF(err)
		}
		p.discarded += n
		p.text = 0 // skipped lines are only looked at, not kept
		if err := p.readLine(); err != nil {
			p.state = stateIdle
			return err
		}
	}
	p.state = stateIdle
	return nil
}

func unexpectedEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// readLine reads the next line into p.line, without its line ending (CRLF,
// or a bare LF). Text beyond the command's line budget is not kept: the
// line is then marked truncated and only its end is looked at, for a
// literal announcement.
func (p *Parser) readLine() error {
	p.line = p.line[:0]
	p.pos = 0
	p.truncated = false
	p.endLit = litInfo{}
	budget := p.maxLine() - p.text
	if budget < 0 {
		budget = 0
	}
	var tail [32]byte // the last bytes of a truncated line
	ntail := 0
	total := 0
	for {
		chunk, err := p.r.ReadSlice('\n')
		total += len(chunk)
		if !p.truncated && len(p.line)+len(chunk) <= budget+2 {
			p.line = append(p.line, chunk...)
		} else {
			if !p.truncated {
				p.truncated = true
				// Seed the tail with the end of what was kept so far.
				ntail = copy(tail[:], lastN(p.line, len(tail)))
				if keep := budget - len(p.line); keep > 0 {
					p.line = append(p.line, chunk[:keep]...)
				}
			}
			ntail = pushTail(&tail, ntail, chunk)
		}
		if err == nil {
			break
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err == io.EOF && total == 0 {
			return io.EOF
		}
		return ioError{unexpectedEOF(err)}
	}
	var end []byte
	if !p.truncated {
		p.line = trimEOL(p.line)
		end = p.line
		if len(p.line) > budget {
			p.truncated = true
			p.line = p.line[:budget]
		}
	} else {
		end = trimEOL(tail[:ntail])
	}
	if p.truncated {
		p.text += budget
	} else {
		p.text += len(p.line)
	}
	p.endLit = literalAtEnd(end)
	return nil
}

func lastN(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

func pushTail(tail *[32]byte, n int, chunk []byte) int {
	if len(chunk) >= len(tail) {
		return copy(tail[:], chunk[len(chunk)-len(tail):])
	}
	if n+len(chunk) > len(tail) {
		drop := n + len(chunk) - len(tail)
		copy(tail[:], tail[drop:n])
		n -= drop
	}
	return n + copy(tail[n:], chunk)
}

func trimEOL(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\n' {
		b = b[:n-1]
		if n := len(b); n > 0 && b[n-1] == '\r' {
			b = b[:n-1]
		}
	}
	return b
}

// literalAtEnd recognises "{n}", "{n+}" or "~{n}" (and "~{n+}") at the end
// of a line.
func literalAtEnd(b []byte) litInfo {
	n := len(b)
	if n < 3 || b[n-1] != '}' {
		return litInfo{}
	}
	i := n - 2
	nonSync := false
	if b[i] == '+' {
		nonSync = true
		i--
	}
	end := i + 1
	for i >= 0 && b[i] >= '0' && b[i] <= '9' {
		i--
	}
	if i < 0 || b[i] != '{' || i+1 == end {
		return litInfo{}
	}
	li := litInfo{present: true, nonSync: nonSync, size: parseSize(b[i+1 : end])}
	if i > 0 && b[i-1] == '~' {
		li.binary = true
	}
	return li
}

// parseSize parses a literal size, -1 if it does not fit in 63 bits.
func parseSize(d []byte) int64 {
	var n int64
	for _, c := range d {
		if n > (1<<63-1-9)/10 {
			return -1
		}
		n = n*10 + int64(c-'0')
	}
	return n
}

// ---- token level ----

func (p *Parser) eol() bool { return p.pos >= len(p.line) }

func (p *Parser) peek() byte {
	if p.pos < len(p.line) {
		return p.line[p.pos]
	}
	return 0
}

func (p *Parser) accept(c byte) bool {
	if p.pos < len(p.line) && p.line[p.pos] == c {
		p.pos++
		return true
	}
	return false
}

func (p *Parser) expect(c byte, msg string) error {
	if !p.accept(c) {
		return badf(msg)
	}
	return nil
}

func (p *Parser) sp() error { return p.expect(' ', "Missing space") }

func (p *Parser) expectEOL() error {
	if !p.eol() {
		return badf("Unexpected text at end of command")
	}
	return nil
}

// atom reads 1*ATOM-CHAR; the result points into the line.
func (p *Parser) atom() []byte {
	start := p.pos
	for p.pos < len(p.line) && isAtomChar(p.line[p.pos]) {
		p.pos++
	}
	return p.line[start:p.pos]
}

// word reads letters, digits, '.', '-' and '_': a keyword such as a fetch
// attribute name, which stops at '[' unlike an atom.
func (p *Parser) word() []byte {
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
func (p *Parser) keyword() []byte {
	b := p.atom()
	for i, c := range b {
		b[i] = toUpperASCII(c)
	}
	return b
}

// acceptKeyword consumes kw (upper-case) if the line continues with it,
// case-insensitively, followed by a non-atom character.
func (p *Parser) acceptKeyword(kw string) bool {
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
func (p *Parser) number() (uint32, error) {
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
func (p *Parser) number64() (uint64, error) {
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

func (p *Parser) nzNumber() (uint32, error) {
	n, err := p.number()
	if err == nil && n == 0 {
		err = badf("Expected a non-zero number")
	}
	return n, err
}

// quoted reads a quoted string after its opening quote has been seen. 8-bit
// bytes are accepted (RFC 9051 allows UTF-8 in quoted strings); escapes are
// limited to \" and \\ (RFC 3501 quoted-specials).
func (p *Parser) quoted() ([]byte, error) {
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

func (p *Parser) quotedEscaped(start int) ([]byte, error) {
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
func (p *Parser) literal() ([]byte, error) {
	if p.peek() == '~' {
		return nil, badf("Binary literal not allowed here")
	}
	li, err := p.literalHeader()
	if err != nil {
		return nil, err
	}
	if li.size > p.maxLiteral()-p.lits {
		return nil, &ParseError{Status: "BAD", Code: "TOOBIG", Message: "Literal too large"}
	}
	if err := p.callContinue(Literal{Size: li.size, NonSync: li.nonSync}); err != nil {
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
func (p *Parser) literalHeader() (litInfo, error) {
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
		return litInfo{}, &ParseError{Status: "BAD", Code: "TOOBIG", Message: "Invalid literal size"}
	}
	if li.nonSync && p.LiteralMinus && li.size > literalMinusMax {
		// RFC 7888 section 4: the client had to use a synchronizing literal.
		return litInfo{}, &ParseError{Status: "BAD", Code: "TOOBIG", Message: "Non-synchronizing literal larger than 4096 bytes"}
	}
	return li, nil
}

func (p *Parser) callContinue(l Literal) error {
	if p.Continue == nil {
		if l.NonSync {
			return nil
		}
		return &ParseError{Status: "BAD", Message: "Literal not accepted", Err: errLiteralRefused}
	}
	if err := p.Continue(l); err != nil {
		var pe *ParseError
		if errors.As(err, &pe) {
			return pe
		}
		return &ParseError{Status: "BAD", Message: "Literal not accepted", Err: err}
	}
	return nil
}

// nextLine reads the continuation of the command after a literal.
func (p *Parser) nextLine() error {
	if err := p.readLine(); err != nil {
		return err
	}
	if p.truncated {
		return &ParseError{Status: "BAD", Code: "TOOBIG", Message: "Command line too long"}
	}
	return nil
}

// atLiteral reports whether a literal ("{" or "~{") starts here.
func (p *Parser) atLiteral() bool {
	c := p.peek()
	return c == '{' || c == '~' && p.pos+1 < len(p.line) && p.line[p.pos+1] == '{'
}

// string reads string = quoted / literal.
func (p *Parser) string() ([]byte, error) {
	if p.peek() == '"' {
		return p.quoted()
	}
	if p.atLiteral() {
		return p.literal()
	}
	return nil, badf("Expected a string")
}

// astring reads 1*ASTRING-CHAR / string.
func (p *Parser) astring() ([]byte, error) {
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
func (p *Parser) nstring() (s []byte, isNil bool, err error) {
	if p.acceptKeyword("NIL") {
		return nil, true, nil
	}
	s, err = p.string()
	return s, false, err
}

// mailbox reads a mailbox name (astring), decodes it from modified UTF-7
// (or checks it as UTF-8 in UTF8 mode) and spells INBOX in upper case
// (RFC 3501 section 5.1: INBOX is case-insensitive).
func (p *Parser) mailbox() (string, error) {
	b, err := p.astring()
	if err != nil {
		return "", err
	}
	return p.decodeMailbox(b)
}

func (p *Parser) decodeMailbox(b []byte) (string, error) {
	if len(b) == 5 && equalFoldASCII(string(b), "INBOX") {
		return "INBOX", nil
	}
	if p.UTF8 {
		if !validUTF8MailboxName(string(b)) {
			return "", &ParseError{Status: "NO", Code: "CANNOT", Message: "Mailbox name is not valid UTF-8", Err: ErrMailboxName}
		}
		return string(b), nil
	}
	name, err := DecodeMailboxName(string(b))
	if err != nil {
		return "", &ParseError{Status: "NO", Code: "CANNOT", Message: "Mailbox name is not valid modified UTF-7", Err: err}
	}
	return name, nil
}

// listMailbox reads list-mailbox = 1*list-char / string, decoded like a
// mailbox name (the wildcards are printable ASCII and decode to themselves).
func (p *Parser) listMailbox() (string, error) {
	var b []byte
	switch {
	case p.peek() == '"' || p.atLiteral():
		var err error
		if b, err = p.string(); err != nil {
			return "", err
		}
	default:
		start := p.pos
		for p.pos < len(p.line) && isListChar(p.line[p.pos]) {
			p.pos++
		}
		if p.pos == start {
			return "", badf("Expected a mailbox pattern")
		}
		b = p.line[start:p.pos]
	}
	if len(b) == 5 && equalFoldASCII(string(b), "INBOX") {
		return "INBOX", nil
	}
	return p.decodeMailbox(b)
}

// seqSet reads a sequence-set (or "$").
func (p *Parser) seqSet() (SeqSet, error) {
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
	case ErrSeqSetTooLarge:
		return SeqSet{}, &ParseError{Status: "BAD", Code: "TOOBIG", Message: "Too many ranges in sequence set", Err: err}
	}
	return SeqSet{}, &ParseError{Status: "BAD", Message: "Invalid sequence set", Err: err}
}

// flag reads a flag: "\" atom (system flag or flag-extension) or a
// keyword atom. System flags are returned in their canonical spelling.
// \Recent and \* are refused: a client cannot set them (RFC 3501 section
// 2.3.2, RFC 9051 removes \Recent).
func (p *Parser) flag() (string, error) {
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

// System flags (RFC 9051 section 2.3.2).
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
func (p *Parser) flagList() ([]string, error) {
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
func (p *Parser) dateTime() (time.Time, error) {
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
func (p *Parser) searchDate() (time.Time, error) {
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

// ---- dates ----

type dateValue struct {
	year  int
	month int // 1..12
	day   int
}

// parseDateText parses date-day "-" date-month "-" date-year, day 1*2DIGIT.
func parseDateText(b []byte) (dateValue, []byte, bool) {
	var d dateValue
	i := 0
	for i < len(b) && i < 2 && b[i] >= '0' && b[i] <= '9' {
		d.day = d.day*10 + int(b[i]-'0')
		i++
	}
	if i == 0 || i >= len(b) || b[i] != '-' || i+4 > len(b) {
		return d, b, false
	}
	i++
	m := monthIndex(b[i : i+3])
	if m == 0 || i+3 >= len(b) || b[i+3] != '-' {
		return d, b, false
	}
	d.month = m
	i += 4
	if i+4 > len(b) {
		return d, b, false
	}
	for j := 0; j < 4; j++ {
		c := b[i+j]
		if c < '0' || c > '9' {
			return d, b, false
		}
		d.year = d.year*10 + int(c-'0')
	}
	i += 4
	if d.day < 1 || d.day > daysIn(d.month, d.year) {
		return d, b, false
	}
	return d, b[i:], true
}

func monthIndex(b []byte) int {
	if len(b) != 3 {
		return 0
	}
	for i, m := range monthNames {
		if toUpperASCII(b[0]) == m[0] && b[1]|0x20 == m[1] && b[2]|0x20 == m[2] {
			return i + 1
		}
	}
	return 0
}

func daysIn(month, year int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// parseDateTime parses the content of an RFC 3501 date-time.
func parseDateTime(b []byte) (time.Time, bool) {
	if len(b) > 0 && b[0] == ' ' {
		b = b[1:]
	}
	d, rest, ok := parseDateText(b)
	if !ok || len(rest) != 15 || rest[0] != ' ' || rest[3] != ':' || rest[6] != ':' || rest[9] != ' ' {
		return time.Time{}, false
	}
	var v [3]int
	for k, off := range [3]int{1, 4, 7} {
		n, ok := twoDigits(rest[off:])
		if !ok {
			return time.Time{}, false
		}
		v[k] = n
	}
	if v[0] > 23 || v[1] > 59 || v[2] > 60 {
		return time.Time{}, false
	}
	sign := rest[10]
	hh, ok1 := twoDigits(rest[11:])
	mm, ok2 := twoDigits(rest[13:])
	if (sign != '+' && sign != '-') || !ok1 || !ok2 || mm > 59 {
		return time.Time{}, false
	}
	off := (hh*60 + mm) * 60
	if sign == '-' {
		off = -off
	}
	return time.Date(d.year, time.Month(d.month), d.day, v[0], v[1], v[2], 0, time.FixedZone("", off)), true
}

func twoDigits(b []byte) (int, bool) {
	if len(b) < 2 || b[0] < '0' || b[0] > '9' || b[1] < '0' || b[1] > '9' {
		return 0, false
	}
	return int(b[0]-'0')*10 + int(b[1]-'0'), true
}

// ---- APPEND ----

// AppendMessage is one message of an APPEND command (several with
// MULTIAPPEND, RFC 3502).
type AppendMessage struct {
	Flags []string  // flags to set; nil when the client gave none
	Date  time.Time // internal date to set; zero when the client gave none
	Size  int64     // size of the message data
	// Binary is set for a literal8 (RFC 3516): the data may hold NUL and
	// 8-bit content without transfer encoding.
	Binary bool
	// Body reads exactly Size bytes of message data from the connection.
	// It must be read before NextAppendMessage is called again (anything
	// left unread is dropped then).
	Body io.Reader
}

// appendBody streams APPEND message data from the connection.
type appendBody struct {
	p *Parser
	n int64
}

func (b *appendBody) Read(buf []byte) (int, error) {
	if b.n <= 0 {
		return 0, io.EOF
	}
	if int64(len(buf)) > b.n {
		buf = buf[:b.n]
	}
	n, err := b.p.r.Read(buf)
	b.n -= int64(n)
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	if b.n == 0 && err == nil {
		b.p.state = stateAppend
		err = nil
	}
	return n, err
}

func (p *Parser) discardBody() error {
	if p.body.n > 0 {
		if _, err := io.CopyN(io.Discard, p.r, p.body.n); err != nil {
			p.state = stateIdle
			return ioError{unexpectedEOF(err)}
		}
		p.body.n = 0
	}
	return nil
}

// NextAppendMessage reads the options and announces the data of the next
// message of the current APPEND command. It returns nil, nil once the
// command is complete. The literal is checked against MaxAppendSize and
// handed to Continue (with Append set) before the data is read, so the
// server can refuse it (e.g. NO [TRYCREATE], NO [OVERQUOTA], NO [TOOBIG]).
// After an error the rest of the command has been skipped.
func (p *Parser) NextAppendMessage() (*AppendMessage, error) {
	switch p.state {
	case stateBody:
		if err := p.discardBody(); err != nil {
			return nil, err
		}
		p.state = stateAppend
		fallthrough
	case stateAppend:
		if p.nAppend > 0 {
			// The data of the previous message ends a line: read what
			// follows it.
			p.text = 0
			if err := p.nextLine(); err != nil {
				return nil, p.fail(err)
			}
			if p.appendParen {
				// RFC 6855 section 4: "UTF8" SP "(" literal8 ")".
				p.appendParen = false
				if !p.accept(')') {
					return nil, p.fail(badf("Expected ) after UTF8 message data"))
				}
			}
		}
	default:
		return nil, errors.New("imap: NextAppendMessage called outside APPEND")
	}
	if p.eol() {
		if p.nAppend == 0 {
			return nil, p.fail(badf("Missing message"))
		}
		p.state = stateIdle
		return nil, nil
	}
	msg, err := p.appendMessage()
	if err != nil {
		return nil, p.fail(err)
	}
	p.nAppend++
	return msg, nil
}

func (p *Parser) appendMessage() (*AppendMessage, error) {
	p.state = stateLine
	if err := p.sp(); err != nil {
		return nil, err
	}
	msg := &AppendMessage{}
	if p.peek() == '(' {
		flags, err := p.flagList()
		if err != nil {
			return nil, err
		}
		if flags == nil {
			flags = []string{}
		}
		msg.Flags = flags
		if err := p.sp(); err != nil {
			return nil, err
		}
	}
	if p.peek() == '"' {
		t, err := p.dateTime()
		if err != nil {
			return nil, err
		}
		msg.Date = t
		if err := p.sp(); err != nil {
			return nil, err
		}
	}
	utf8Data := false
	if p.acceptKeyword("UTF8") {
		// RFC 6855 section 4: append-data =/ "UTF8" SP "(" literal8 ")",
		// a message with UTF-8 header fields.
		if err := p.sp(); err != nil {
			return nil, err
		}
		if err := p.expect('(', "Expected ( after UTF8"); err != nil {
			return nil, err
		}
		if p.peek() != '~' {
			return nil, badf("UTF8 message data must be a literal8")
		}
		utf8Data = true
	}
	if !p.atLiteral() {
		if w := p.word(); len(w) > 0 {
			// CATENATE (RFC 4469) and other append-data extensions.
			return nil, badf("Unsupported APPEND data: " + string(w))
		}
		return nil, badf("Expected a literal")
	}
	li, err := p.literalHeader()
	if err != nil {
		return nil, err
	}
	if li.size > p.maxAppend() {
		return nil, &ParseError{Status: "NO", Code: "TOOBIG", Message: "Message too large"}
	}
	if err := p.callContinue(Literal{Size: li.size, NonSync: li.nonSync, Binary: li.binary, Append: true}); err != nil {
		return nil, err
	}
	p.endLit = litInfo{}
	p.appendParen = utf8Data
	msg.Size = li.size
	msg.Binary = li.binary
	p.body = appendBody{p: p, n: li.size}
	msg.Body = &p.body
	p.state = stateBody
	if li.size == 0 {
		p.state = stateAppend
	}
	return msg, nil
}

// ---- AUTHENTICATE and IDLE continuation lines ----

// ReadLine reads one line that is not a command: a SASL response during
// AUTHENTICATE, or DONE after IDLE. The line, without its line ending, is
// valid until the next call. A line longer than MaxLineLength is skipped
// and reported as a BAD *ParseError.
func (p *Parser) ReadLine() ([]byte, error) {
	p.text = 0
	if err := p.readLine(); err != nil {
		return nil, err
	}
	p.endLit = litInfo{} // continuation lines carry no literals
	if p.truncated {
		return nil, &ParseError{Tag: p.tag, Status: "BAD", Code: "TOOBIG", Message: "Line too long"}
	}
	return p.line, nil
}

// IsDone reports whether line ends IDLE: "DONE", case-insensitively
// (RFC 2177).
func IsDone(line []byte) bool {
	return len(line) == 4 && equalFoldASCII(string(line), "DONE")
}

// ErrAuthCanceled is returned by DecodeSASLResponse for "*": the client
// cancels the exchange (RFC 9051 section 6.2.2), to be answered with BAD.
var ErrAuthCanceled = errors.New("imap: authentication canceled by the client")

// DecodeSASLResponse decodes a client's AUTHENTICATE continuation line:
// base64 (possibly empty), or "*" to cancel.
func DecodeSASLResponse(line []byte) ([]byte, error) {
	if len(line) == 1 && line[0] == '*' {
		return nil, ErrAuthCanceled
	}
	return decodeBase64(line)
}
