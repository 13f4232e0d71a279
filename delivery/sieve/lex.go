package sieve

import (
	"fmt"
	"math"
)

// tokenKind is the kind of a lexical token (RFC 5228 8.1).
type tokenKind int

const (
	tokEOF tokenKind = iota
	tokIdentifier
	tokTag
	tokNumber
	tokString
	tokLBracket // [
	tokRBracket // ]
	tokLParen   // (
	tokRParen   // )
	tokLBrace   // {
	tokRBrace   // }
	tokComma
	tokSemicolon
)

var tokenNames = [...]string{
	tokEOF: "end of script", tokIdentifier: "identifier", tokTag: "tag",
	tokNumber: "number", tokString: "string", tokLBracket: "'['",
	tokRBracket: "']'", tokLParen: "'('", tokRParen: "')'",
	tokLBrace: "'{'", tokRBrace: "'}'", tokComma: "','", tokSemicolon: "';'",
}

// punctuation maps the one-character tokens.
var punctuation = [128]tokenKind{'[': tokLBracket, ']': tokRBracket, '(': tokLParen, ')': tokRParen,
	'{': tokLBrace, '}': tokRBrace, ',': tokComma, ';': tokSemicolon}

func (k tokenKind) String() string { return tokenNames[k] }

// Lexical limits, as Pigeonhole's (sieve-limits.h), so that both refuse
// the same scripts.
const (
	maxIdentifierLen = 32
	maxStringLen     = 1 << 20
)

type token struct {
	kind tokenKind
	pos  Pos
	text string // identifier or tag name (without ':'), string value
	num  uint64
}

// lexer splits a script into tokens, keeping line and column.
type lexer struct {
	src       []byte
	off       int
	line, col int // of src[off]
}

func newLexer(src []byte) *lexer { return &lexer{src: src, line: 1, col: 1} }

func (l *lexer) pos() Pos { return Pos{Line: l.line, Column: l.col} }

func (l *lexer) errorf(p Pos, format string, args ...any) error {
	return &Error{Pos: p, Msg: fmt.Sprintf(format, args...)}
}

// peek returns the byte at off+i, or -1 past the end.
func (l *lexer) peek(i int) int {
	if l.off+i < len(l.src) {
		return int(l.src[l.off+i])
	}
	return -1
}

func (l *lexer) advance() {
	if l.src[l.off] == '\n' {
		l.line++
		l.col = 1
	} else {
		l.col++
	}
	l.off++
}

// skipSpace skips white space and comments (RFC 5228 2.3, 8.1).
func (l *lexer) skipSpace() error {
	for {
		switch l.peek(0) {
		case ' ', '\t', '\r', '\n':
			l.advance()
		case '#':
			for c := l.peek(0); c != '\n' && c != -1; c = l.peek(0) {
				if c == 0 {
					return l.errorf(l.pos(), "NUL character in comment")
				}
				l.advance()
			}
		case '/':
			if l.peek(1) != '*' {
				return nil
			}
			start := l.pos()
			l.advance()
			l.advance()
			for {
				c := l.peek(0)
				if c == -1 {
					return l.errorf(start, "end of script inside a bracket comment")
				}
				if c == 0 {
					return l.errorf(l.pos(), "NUL character in comment")
				}
				if c == '*' && l.peek(1) == '/' {
					l.advance()
					l.advance()
					break
				}
				l.advance()
			}
		default:
			return nil
		}
	}
}

func isAlpha(c int) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' }
func isDigit(c int) bool { return c >= '0' && c <= '9' }

// next returns the next token.
func (l *lexer) next() (token, error) {
	if err := l.skipSpace(); err != nil {
		return token{}, err
	}
	p := l.pos()
	c := l.peek(0)
	switch {
	case c == -1:
		return token{kind: tokEOF, pos: p}, nil
	case c < 128 && punctuation[c] != 0:
		l.advance()
		return token{kind: punctuation[c], pos: p}, nil
	case c == '"':
		s, err := l.quoted()
		return token{kind: tokString, pos: p, text: s}, err
	case isDigit(c):
		n, err := l.number()
		return token{kind: tokNumber, pos: p, num: n}, err
	case c == ':':
		l.advance()
		if !isAlpha(l.peek(0)) {
			return token{}, l.errorf(p, "':' not followed by a tag name")
		}
		name, err := l.identifier(p)
		return token{kind: tokTag, pos: p, text: name}, err
	case isAlpha(c):
		name, err := l.identifier(p)
		if err != nil {
			return token{}, err
		}
		if l.peek(0) == ':' && len(name) == 4 && equalFold(name, "text") {
			l.advance()
			s, err := l.multiline(p)
			return token{kind: tokString, pos: p, text: s}, err
		}
		return token{kind: tokIdentifier, pos: p, text: name}, nil
	}
	if c >= ' ' && c < 127 {
		return token{}, l.errorf(p, "unexpected character '%c'", c)
	}
	return token{}, l.errorf(p, "unexpected character 0x%02x", c)
}

func (l *lexer) identifier(p Pos) (string, error) {
	start := l.off
	for isAlpha(l.peek(0)) || isDigit(l.peek(0)) {
		l.advance()
	}
	if l.off-start > maxIdentifierLen {
		return "", l.errorf(p, "identifier longer than %d characters", maxIdentifierLen)
	}
	return string(l.src[start:l.off]), nil
}

// number reads a number with an optional K, M or G quantifier
// (RFC 5228 2.4.1).
func (l *lexer) number() (uint64, error) {
	p := l.pos()
	var n uint64
	overflow := false
	for isDigit(l.peek(0)) {
		d := uint64(l.peek(0) - '0')
		if n > (math.MaxUint64-d)/10 {
			overflow = true
		}
		n = n*10 + d
		l.advance()
	}
	shift := 0
	switch l.peek(0) {
	case 'k', 'K':
		shift = 10
	case 'm', 'M':
		shift = 20
	case 'g', 'G':
		shift = 30
	}
	if shift > 0 {
		l.advance()
		if n > math.MaxUint64>>shift {
			overflow = true
		}
		n <<= shift
	}
	if overflow {
		return 0, l.errorf(p, "number exceeds the integer limit (%d)", uint64(math.MaxUint64))
	}
	return n, nil
}

// quoted reads a quoted string (RFC 5228 2.4.2): \" and \\ are escapes
// and a backslash before any other character is dropped. A bare LF is
// taken as CRLF, as Pigeonhole does; a CR must be followed by LF.
func (l *lexer) quoted() (string, error) {
	p := l.pos()
	l.advance()
	var b []byte
	for {
		c := l.peek(0)
		escaped := c == '\\'
		if escaped {
			l.advance()
			c = l.peek(0)
		}
		switch {
		case c == -1:
			return "", l.errorf(p, "end of script inside a quoted string")
		case c == 0:
			return "", l.errorf(l.pos(), "NUL character in a quoted string")
		case c == '"' && !escaped:
			l.advance()
			return l.checkLen(p, b)
		case c == '\r':
			if l.peek(1) != '\n' {
				return "", l.errorf(l.pos(), "CR without LF in a quoted string")
			}
			l.advance()
			b = append(b, '\r', '\n')
		case c == '\n':
			b = append(b, '\r', '\n')
		default:
			b = append(b, byte(c))
		}
		l.advance()
	}
}

func (l *lexer) checkLen(p Pos, b []byte) (string, error) {
	if len(b) > maxStringLen {
		return "", l.errorf(p, "string longer than %d bytes", maxStringLen)
	}
	return string(b), nil
}

// multiline reads the rest of a "text:" string (RFC 5228 2.4.2,
// 8.1): optional white space and a hash comment, CRLF, then lines up to
// a line holding a single ".", with leading dots unstuffed.
func (l *lexer) multiline(p Pos) (string, error) {
	for l.peek(0) == ' ' || l.peek(0) == '\t' {
		l.advance()
	}
	switch l.peek(0) {
	case '#':
		for l.peek(0) != '\n' && l.peek(0) != -1 {
			l.advance()
		}
	case '\r':
		l.advance()
	}
	if l.peek(0) != '\n' {
		if l.peek(0) == -1 {
			return "", l.errorf(p, "end of script inside a multi-line string")
		}
		return "", l.errorf(l.pos(), "unexpected character after 'text:'")
	}
	l.advance()
	var b []byte
	for {
		start := l.off
		for c := l.peek(0); c != '\n'; c = l.peek(0) {
			switch c {
			case -1:
				return "", l.errorf(p, "end of script inside a multi-line string")
			case 0:
				return "", l.errorf(l.pos(), "NUL character in a multi-line string")
			}
			l.advance()
		}
		line := l.src[start:l.off]
		l.advance()
		if n := len(line); n > 0 && line[n-1] == '\r' {
			line = line[:n-1]
		}
		for _, c := range line {
			if c == '\r' {
				return "", l.errorf(p, "CR without LF in a multi-line string")
			}
		}
		if len(line) == 1 && line[0] == '.' {
			return l.checkLen(p, b)
		}
		if len(line) > 1 && line[0] == '.' && line[1] == '.' {
			line = line[1:]
		}
		b = append(b, line...)
		b = append(b, '\r', '\n')
	}
}

func equalFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		if lower(a[i]) != lower(b[i]) {
			return false
		}
	}
	return true
}

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
