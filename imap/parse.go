package imap

import (
	"bufio"
	"bytes"
	"errors"
	"io"
)

// Default limits of the parser. The first three are the defaults of the
// Server fields MaxLineLength, MaxLiteralSize and MaxAppendSize.
const (
	DefaultMaxLineLength  = 64 << 10 // non-literal text of one command
	DefaultMaxLiteralSize = 64 << 10 // literals of one command, APPEND data aside
	DefaultMaxAppendSize  = 32 << 20 // one APPEND message
	defaultMaxDiscard     = 16 << 20 // literal data skipped after an error
	defaultMaxDepth       = 32       // nesting of search keys
	defaultMaxSearchKeys  = 1000     // keys in one SEARCH, SORT or THREAD
)

// RFC 7888 4: with LITERAL-, non-synchronizing literals may carry at
// most 4096 bytes.
const literalMinusMax = 4096

// announcedLiteral describes a literal the client announced, before its data is read.
// parser.Continue receives it so that the server can check the size (and,
// for APPEND, its quota and the mailbox) before it invites the client to
// send the data.
type announcedLiteral struct {
	Size    int64
	NonSync bool // "{n+}" (LITERAL+/LITERAL-, RFC 7888): the data follows without waiting
	Binary  bool // "~{n}" literal8 (RFC 3516): the data may contain NUL
	Append  bool // the message data of APPEND
}

// commandError is a command the server must refuse: a syntax error (BAD), a
// command it cannot accept (NO, e.g. an unknown charset), or a stream it
// cannot go on with (Fatal: answer "* BYE" and close).
type commandError struct {
	Tag     string // the command's tag; "" when it could not be read (answer with "*")
	Status  string // "BAD" or "NO"
	Code    string // response code without brackets, e.g. "TOOBIG", "BADCHARSET (US-ASCII UTF-8)"; may be ""
	Message string // human-readable text for the client
	Fatal   bool   // the connection cannot go on
	Err     error  // underlying cause, not shown to the client
	// SearchSave is set when the refused command was a SEARCH with
	// RETURN (SAVE): RFC 5182 2.1 has a failed SEARCH ... SAVE
	// leave the saved result ("$") empty.
	SearchSave bool
}

// Error formats the error for logs; the client sees Status, Code and Message.
func (e *commandError) Error() string {
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
func (e *commandError) Unwrap() error { return e.Err }

func badf(msg string) *commandError { return &commandError{Status: "BAD", Message: msg} }

var errLiteralRefused = errors.New("imap: literal refused (no Continue callback)")

// parser reads IMAP commands from a client connection (RFC 3501 / RFC 9051
// 9 grammar). It does no writing: when the client announces a
// literal, the parser calls Continue, and the server answers "+" from
// there. APPEND message data is not read by the parser: ReadCommand stops
// after the mailbox name, and NextAppendMessage hands each message over as
// a stream.
//
// After a bad command the parser skips the rest of it, including
// non-synchronizing literals the client sent without waiting, so that the
// next ReadCommand starts on the next command.
//
// Options are fields; the zero value of each is a safe default. A parser is
// not safe for concurrent use.
type parser struct {
	// MaxLineLength bounds the non-literal text of one command, over all
	// its lines (DefaultMaxLineLength if 0).
	MaxLineLength int
	// MaxLiteralSize bounds the total size of the literals of one command,
	// APPEND message data aside (DefaultMaxLiteralSize if 0).
	MaxLiteralSize int64
	// MaxAppendSize bounds each APPEND message (DefaultMaxAppendSize if 0).
	MaxAppendSize int64
	// MaxDiscard bounds the literal data the parser reads and drops while
	// skipping a refused command (defaultMaxDiscard if 0); beyond it the
	// error is Fatal.
	MaxDiscard int64
	// MaxDepth bounds the nesting of search keys: parentheses, NOT and OR
	// (defaultMaxDepth if 0).
	MaxDepth int
	// MaxSeqRanges bounds the ranges of one sequence set (defaultMaxSeqRanges if 0).
	MaxSeqRanges int
	// MaxSearchKeys bounds the keys of one search program (defaultMaxSearchKeys if 0).
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
	// A *commandError returned here is passed on with its status and code; any
	// other error becomes BAD. If Continue is nil, synchronizing literals
	// are refused.
	Continue func(announcedLiteral) error

	r *bufio.Reader

	line      []byte  // current line without its line ending (at most the line budget)
	pos       int     // parse position in line
	truncated bool    // the current line was longer than the budget
	bare      bool    // the current line holds a CR or LF that did not end it
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
	// needLine is set once the data of an APPEND literal has been read:
	// the command goes on on the next line.
	needLine bool
	catParts int  // parts of the current CATENATE message so far
	catParen bool // like appendParen, for a UTF8 part of CATENATE
}

const (
	stateIdle     = iota // between commands
	stateLine            // inside a command; line holds the current line
	stateAppend          // APPEND: the parser is before the next message or the end
	stateBody            // APPEND: message data (or a CATENATE TEXT part) is being read by the server
	stateCatenate        // APPEND: inside CATENATE (RFC 4469), before the next part or ")"
)

// litInfo is a literal announcement "{n}", "{n+}" or "~{n}" ending a line.
type litInfo struct {
	present bool
	size    int64 // -1 if too large to represent
	nonSync bool
	binary  bool
}

// newParser returns a parser reading from r.
func newParser(r *bufio.Reader) *parser {
	return &parser{r: r}
}

func (p *parser) maxLine() int {
	if p.MaxLineLength > 0 {
		return p.MaxLineLength
	}
	return DefaultMaxLineLength
}

func (p *parser) maxLiteral() int64 {
	if p.MaxLiteralSize > 0 {
		return p.MaxLiteralSize
	}
	return DefaultMaxLiteralSize
}

func (p *parser) maxAppend() int64 {
	if p.MaxAppendSize > 0 {
		return p.MaxAppendSize
	}
	return DefaultMaxAppendSize
}

func (p *parser) maxDiscard() int64 {
	if p.MaxDiscard > 0 {
		return p.MaxDiscard
	}
	return defaultMaxDiscard
}

func (p *parser) maxDepth() int {
	if p.MaxDepth > 0 {
		return p.MaxDepth
	}
	return defaultMaxDepth
}

func (p *parser) maxSeqRanges() int {
	if p.MaxSeqRanges > 0 {
		return p.MaxSeqRanges
	}
	return defaultMaxSeqRanges
}

func (p *parser) maxSearchKeys() int {
	if p.MaxSearchKeys > 0 {
		return p.MaxSearchKeys
	}
	return defaultMaxSearchKeys
}

// ReadCommand reads the next command. On a bad command it returns a
// *commandError (Tag set when the tag could be read) after skipping the rest
// of the command; the session goes on unless the error is Fatal. Any other
// error comes from the connection (io.EOF when the client closed between
// commands).
//
// For APPEND, ReadCommand returns once the mailbox name is read; the
// caller then calls NextAppendMessage until it returns nil. If the previous
// command was not read to its end (an APPEND the server gave up on),
// ReadCommand skips what is left of it first.
func (p *parser) ReadCommand() (*command, error) {
	if p.state != stateIdle {
		if err := p.SkipCommand(); err != nil {
			return nil, err
		}
	}
	p.text, p.lits, p.discarded, p.keys, p.nAppend, p.catParts = 0, 0, 0, 0, 0, 0
	p.appendParen, p.needLine, p.catParen = false, false, false
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
func (p *parser) SkipCommand() error {
	switch p.state {
	case stateIdle:
		return nil
	case stateBody, stateAppend, stateCatenate:
		if err := p.discardBody(); err != nil {
			return err
		}
		if p.needLine {
			// Message data ends a line: what follows it is on the next.
			p.needLine = false
			p.text = 0
			if err := p.readLine(); err != nil {
				p.state = stateIdle
				return err
			}
		}
	}
	return p.resync()
}

// fail turns err into a *commandError carrying the tag, and skips the rest
// of the command. I/O errors are returned as they are.
func (p *parser) fail(err error) error {
	var pe *commandError
	if !errors.As(err, &pe) {
		if isIOError(err) {
			p.state = stateIdle
			return err
		}
		pe = &commandError{Status: "BAD", Message: "Invalid command", Err: err}
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
func (p *parser) resync() error {
	for p.endLit.present && p.endLit.nonSync {
		n := p.endLit.size
		if n < 0 || n > p.maxDiscard()-p.discarded {
			p.state = stateIdle
			return &commandError{Tag: p.tag, Status: "BAD", Code: "TOOBIG", Message: "Literal too large", Fatal: true}
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

// readLine reads the next line into p.line, without its CRLF. RFC 9051
// 2.2: lines end with CRLF, so a bare LF does not end one (nor does a bare
// CR): the line goes on to the next CRLF and is marked bare, to be refused
// as one bad command, never split into two (a client that puts a value
// with a LF into a quoted string must not have the rest run as a command).
// Text beyond the command's line budget is not kept: the line is then
// marked truncated and only its end is looked at, for a literal
// announcement.
func (p *parser) readLine() error {
	p.line = p.line[:0]
	p.pos = 0
	p.truncated = false
	p.bare = false
	p.endLit = litInfo{}
	budget := p.maxLine() - p.text
	if budget < 0 {
		budget = 0
	}
	var tail [32]byte // the last bytes of a truncated line
	ntail := 0
	total := 0
	var last byte // the last byte read before chunk
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
			if n := len(chunk); n >= 2 && chunk[n-2] == '\r' || n == 1 && last == '\r' {
				break
			}
			p.bare = true
		}
		if n := len(chunk); n > 0 {
			last = chunk[n-1]
		}
		if err == nil || err == bufio.ErrBufferFull {
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
		p.bare = p.bare || bytes.IndexByte(p.line, '\r') >= 0
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

// errBareLine refuses a line with a CR or LF inside.
const errBareLine = "Bare CR or LF in a command line; lines end with CRLF"

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

// ---- AUTHENTICATE and IDLE continuation lines ----

// ReadLine reads one line that is not a command: a SASL response during
// AUTHENTICATE, or DONE after IDLE. The line, without its line ending, is
// valid until the next call. A line longer than MaxLineLength is skipped
// and reported as a BAD *commandError.
func (p *parser) ReadLine() ([]byte, error) {
	p.text = 0
	if err := p.readLine(); err != nil {
		return nil, err
	}
	p.endLit = litInfo{} // continuation lines carry no literals
	if p.truncated {
		return nil, &commandError{Tag: p.tag, Status: "BAD", Code: "TOOBIG", Message: "Line too long"}
	}
	if p.bare {
		return nil, &commandError{Tag: p.tag, Status: "BAD", Message: errBareLine}
	}
	return p.line, nil
}

// isDone reports whether line ends IDLE: "DONE", case-insensitively
// (RFC 2177).
func isDone(line []byte) bool {
	return len(line) == 4 && equalFoldASCII(string(line), "DONE")
}

// errAuthCanceled is returned by decodeSASLResponse for "*": the client
// cancels the exchange (RFC 9051 6.2.2), to be answered with BAD.
var errAuthCanceled = errors.New("imap: authentication canceled by the client")

// decodeSASLResponse decodes a client's AUTHENTICATE continuation line:
// base64 (possibly empty), or "*" to cancel.
func decodeSASLResponse(line []byte) ([]byte, error) {
	if len(line) == 1 && line[0] == '*' {
		return nil, errAuthCanceled
	}
	return decodeBase64(line)
}
