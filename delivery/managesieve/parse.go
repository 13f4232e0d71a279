package managesieve

import (
	"bufio"
	"errors"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The command syntax (RFC 5804 4): a command name, then arguments
// separated by spaces: atoms, numbers, quoted strings ("...", with \"
// and \\ escapes, at most 1024 octets) and literals ({n+} or {n} at the
// end of a line, then n octets, after which the line goes on).

// maxQuoted bounds a quoted string (RFC 5804 4: 1024 octets).
const maxQuoted = 1024

// maxArgs bounds the arguments of a command: the longest command
// (RENAMESCRIPT, HAVESPACE) has two.
const maxArgs = 4

// argKind is the kind of a command argument.
type argKind int

const (
	argAtom argKind = iota
	argString
	argNumber
)

// arg is one argument of a command.
type arg struct {
	kind argKind
	s    string // atom or string
	n    uint64 // number
}

// command is a parsed command line.
type command struct {
	name string // upper case
	args []arg
}

// Errors of the parser. After errLineTooLong, a syntaxError or
// errLiteralTooLarge the command was consumed and the session goes on;
// after errLiteralHuge it cannot find the next command and ends.
var (
	errLineTooLong     = errors.New("line too long")
	errLiteralTooLarge = errors.New("literal too large")
	errLiteralHuge     = errors.New("literal too large to skip")
)

type syntaxError string

func (e syntaxError) Error() string { return string(e) }

// parser reads commands from r. It is separate from the session so that
// it can be fuzzed on its own.
type parser struct {
	r          *bufio.Reader
	maxLine    int   // longest line, CRLF included
	maxLiteral int64 // longest literal kept
	maxSkip    int64 // longest literal skipped after errLiteralTooLarge
}

// readLine returns the next line without its CRLF (or bare LF). A line
// longer than maxLine is read to its end, dropped, and errLineTooLong
// returned.
func (p *parser) readLine() ([]byte, error) {
	line, err := p.r.ReadSlice('\n')
	if err == bufio.ErrBufferFull || (err == nil && len(line) > p.maxLine) {
		for err == bufio.ErrBufferFull {
			_, err = p.r.ReadSlice('\n')
		}
		if err != nil {
			return nil, err
		}
		return nil, errLineTooLong
	}
	if err != nil {
		if err == io.EOF && len(line) > 0 {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	line = line[:len(line)-1]
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line, nil
}

// readCommand reads one command. A syntax error consumes the command.
func (p *parser) readCommand() (*command, error) {
	args, err := p.readArgs()
	if err != nil {
		return nil, err
	}
	if len(args) == 0 {
		return nil, syntaxError("Empty command")
	}
	if args[0].kind != argAtom {
		return nil, syntaxError("Expected a command name")
	}
	if len(args)-1 > maxArgs {
		return nil, syntaxError("Too many arguments")
	}
	return &command{name: strings.ToUpper(args[0].s), args: args[1:]}, nil
}

// readArgs reads a line of space-separated tokens, with the literals and
// the lines that go on after them.
func (p *parser) readArgs() ([]arg, error) {
	line, err := p.readLine()
	if err != nil {
		return nil, err
	}
	var args []arg
	literals := int64(0)
	for i := 0; ; {
		for i < len(line) && line[i] == ' ' {
			i++
		}
		if i == len(line) {
			return args, nil
		}
		if len(args) > maxArgs {
			return nil, syntaxError("Too many arguments")
		}
		switch c := line[i]; {
		case c == '"':
			s, n, err := parseQuoted(line[i:])
			if err != nil {
				return nil, err
			}
			args = append(args, arg{kind: argString, s: s})
			i += n
		case c == '{':
			size, err := parseLiteralSpec(line[i:])
			if err != nil {
				return nil, err
			}
			literals += size
			if literals > p.maxLiteral {
				return nil, p.skipLiteral(size)
			}
			b := make([]byte, size)
			if _, err := io.ReadFull(p.r, b); err != nil {
				return nil, err
			}
			args = append(args, arg{kind: argString, s: string(b)})
			if line, err = p.readLine(); err != nil {
				return nil, err
			}
			i = 0
			continue
		case c >= '0' && c <= '9':
			j := i
			for j < len(line) && line[j] != ' ' {
				j++
			}
			n, err := strconv.ParseUint(string(line[i:j]), 10, 32)
			if err != nil {
				return nil, syntaxError("Invalid number")
			}
			args = append(args, arg{kind: argNumber, n: n, s: string(line[i:j])})
			i = j
		default:
			j := i
			for j < len(line) && line[j] != ' ' {
				if !isAtomChar(line[j]) {
					return nil, syntaxError("Invalid character in an atom")
				}
				j++
			}
			if j-i > maxQuoted {
				return nil, syntaxError("Atom too long")
			}
			args = append(args, arg{kind: argAtom, s: string(line[i:j])})
			i = j
		}
		if i < len(line) && line[i] != ' ' {
			return nil, syntaxError("Expected a space between arguments")
		}
	}
}

// skipLiteral reads and drops a literal of size octets that is over the
// limit, and the rest of its command, so that the session can answer NO
// and go on; one too large even to skip ends the session.
func (p *parser) skipLiteral(size int64) error {
	if size > p.maxSkip {
		return errLiteralHuge
	}
	if _, err := io.CopyN(io.Discard, p.r, size); err != nil {
		return err
	}
	if _, err := p.readLine(); err != nil && err != errLineTooLong {
		return err
	}
	return errLiteralTooLarge
}

// readResponse reads a client's line in a SASL exchange (RFC 5804 2.1):
// one string, or "*" (quoted or not) to cancel.
func (p *parser) readResponse() (s string, cancel bool, err error) {
	args, err := p.readArgs()
	if err != nil {
		return "", false, err
	}
	if len(args) != 1 {
		return "", false, syntaxError("Expected one string")
	}
	if args[0].s == "*" {
		return "", true, nil
	}
	if args[0].kind != argString {
		return "", false, syntaxError("Expected a string")
	}
	return args[0].s, false, nil
}

// parseQuoted parses a quoted string at the start of b and returns it
// and the bytes it took.
func parseQuoted(b []byte) (string, int, error) {
	var sb strings.Builder
	for i := 1; i < len(b); i++ {
		switch c := b[i]; c {
		case '"':
			s := sb.String()
			if !utf8.ValidString(s) {
				return "", 0, syntaxError("Quoted string is not UTF-8")
			}
			return s, i + 1, nil
		case '\\':
			// RFC 5804 4: only " and \ may be escaped.
			if i+1 == len(b) || (b[i+1] != '"' && b[i+1] != '\\') {
				return "", 0, syntaxError("Invalid escape in a quoted string")
			}
			i++
			sb.WriteByte(b[i])
		case 0:
			return "", 0, syntaxError("NUL in a quoted string")
		default:
			sb.WriteByte(c)
		}
		if sb.Len() > maxQuoted {
			return "", 0, syntaxError("Quoted string too long; send a literal")
		}
	}
	return "", 0, syntaxError("Unterminated quoted string")
}

// parseLiteralSpec parses "{n+}" or "{n}", which must end the line.
func parseLiteralSpec(b []byte) (int64, error) {
	end := len(b) - 1
	if end < 2 || b[end] != '}' {
		return 0, syntaxError("A literal must end the line")
	}
	digits, _ := strings.CutSuffix(string(b[1:end]), "+")
	if digits == "" || len(digits) > 10 {
		return 0, syntaxError("Invalid literal size")
	}
	n, err := strconv.ParseInt(digits, 10, 64)
	if err != nil || n < 0 || digits[0] == '+' || digits[0] == '-' {
		return 0, syntaxError("Invalid literal size")
	}
	return n, nil
}

// isAtomChar accepts the characters of atoms (RFC 5804 4, ATOM-CHAR).
func isAtomChar(c byte) bool {
	return c > ' ' && c < 0x7f && c != '"' && c != '(' && c != ')' && c != '{' && c != '\\'
}
