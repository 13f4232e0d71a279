package pop3

import (
	"bytes"

	"github.com/mailwright/mailwright/internal/lineio"
)

// Session states (RFC 1939 section 3).
const (
	stateAuthorization int32 = 1 << iota
	stateTransaction
	stateUpdate
)

// anyState marks commands valid in both client-visible states.
const anyState = stateAuthorization | stateTransaction

// maxArgs is the largest number of arguments a command takes (TOP, APOP, AUTH).
const maxArgs = 2

// commandSpec describes one command: where it is valid and how many
// arguments it takes. The table below is the whole command set.
type commandSpec struct {
	name    string
	states  int32
	minArgs int
	maxArgs int
	// rest: the argument is the whole text after "NAME ", spaces included
	// (PASS: RFC 1939 section 7 allows a server to accept spaces in it).
	rest   bool
	handle func(c *conn, cmd *command) bool
}

// commands is the command table, keyed by upper-case name. It is read-only.
var commands = map[string]*commandSpec{
	// RFC 1939 section 4, AUTHORIZATION state.
	"USER": {name: "USER", states: stateAuthorization, minArgs: 1, maxArgs: 1, handle: (*conn).cmdUSER},
	"PASS": {name: "PASS", states: stateAuthorization, minArgs: 1, maxArgs: 1, rest: true, handle: (*conn).cmdPASS},
	"APOP": {name: "APOP", states: stateAuthorization, minArgs: 2, maxArgs: 2, handle: (*conn).cmdAPOP},
	// RFC 5034: AUTH mechanism [initial-response]. Without arguments, the
	// RFC 1734 form lists the mechanisms.
	"AUTH": {name: "AUTH", states: stateAuthorization, minArgs: 0, maxArgs: 2, handle: (*conn).cmdAUTH},
	// RFC 2595 section 4.
	"STLS": {name: "STLS", states: stateAuthorization, handle: (*conn).cmdSTLS},
	// RFC 2449 section 5: CAPA is valid in every state.
	"CAPA": {name: "CAPA", states: anyState, handle: (*conn).cmdCAPA},
	"QUIT": {name: "QUIT", states: anyState, handle: (*conn).cmdQUIT},
	// RFC 1939 section 5, TRANSACTION state.
	"STAT": {name: "STAT", states: stateTransaction, handle: (*conn).cmdSTAT},
	"LIST": {name: "LIST", states: stateTransaction, maxArgs: 1, handle: (*conn).cmdLIST},
	"RETR": {name: "RETR", states: stateTransaction, minArgs: 1, maxArgs: 1, handle: (*conn).cmdRETR},
	"DELE": {name: "DELE", states: stateTransaction, minArgs: 1, maxArgs: 1, handle: (*conn).cmdDELE},
	"NOOP": {name: "NOOP", states: stateTransaction, handle: (*conn).cmdNOOP},
	"RSET": {name: "RSET", states: stateTransaction, handle: (*conn).cmdRSET},
	// RFC 1939 section 7, optional commands.
	"TOP":  {name: "TOP", states: stateTransaction, minArgs: 2, maxArgs: 2, handle: (*conn).cmdTOP},
	"UIDL": {name: "UIDL", states: stateTransaction, maxArgs: 1, handle: (*conn).cmdUIDL},
}

// command is one parsed command line. The argument slices point into the
// line they were parsed from and are valid until the next read.
type command struct {
	spec  *commandSpec
	args  [maxArgs][]byte
	nargs int
}

// arg returns argument i, or nil.
func (c *command) arg(i int) []byte {
	if i < c.nargs {
		return c.args[i]
	}
	return nil
}

// parseError is a malformed command; its text is the -ERR reply.
type parseError string

func (e parseError) Error() string { return string(e) }

// Parse errors, as the client reads them after "-ERR ".
const (
	errEmptyCommand   parseError = "Empty command"
	errUnknownCommand parseError = "Unknown command"
	errTooManyArgs    parseError = "Too many arguments"
	errMissingArgs    parseError = "Missing argument"
	errBadCharacter   parseError = "Invalid character in command"
	errBareLineEnd    parseError = "Bare CR or LF in a command line; lines end with CRLF"
)

// parseCommand parses one command line, without its line ending, into the
// command and its arguments. It does no I/O and does not look at session
// state. RFC 1939 section 3: a keyword of 3 or 4 characters, case
// insensitive, followed by arguments separated by a space. Runs of spaces
// and trailing spaces are tolerated; control characters are refused.
func parseCommand(line []byte) (command, error) {
	var cmd command
	if lineio.HasBare(line) {
		// RFC 1939 3: commands end with CRLF; the line reader keeps a bare
		// CR or LF in the line, which makes it one bad command.
		return cmd, errBareLineEnd
	}
	if len(line) == 0 {
		return cmd, errEmptyCommand
	}
	name := line
	var rest []byte
	if i := bytes.IndexByte(line, ' '); i >= 0 {
		name, rest = line[:i], line[i+1:]
	}
	if len(name) < 3 || len(name) > 4 {
		if len(name) == 0 {
			return cmd, errEmptyCommand
		}
		return cmd, errUnknownCommand
	}
	var upper [4]byte
	for i, b := range name {
		if 'a' <= b && b <= 'z' {
			b -= 'a' - 'A'
		}
		upper[i] = b
	}
	// The map lookup with a converted byte slice does not allocate.
	spec := commands[string(upper[:len(name)])]
	if spec == nil {
		return cmd, errUnknownCommand
	}
	cmd.spec = spec
	for _, b := range rest {
		// NUL, CR, LF and other controls never belong in an argument.
		if b < ' ' || b == 0x7f {
			return cmd, errBadCharacter
		}
	}
	if spec.rest {
		if len(rest) > 0 {
			cmd.args[0] = rest
			cmd.nargs = 1
		}
	} else {
		for len(rest) > 0 {
			if rest[0] == ' ' {
				rest = rest[1:]
				continue
			}
			end := bytes.IndexByte(rest, ' ')
			if end < 0 {
				end = len(rest)
			}
			if cmd.nargs == spec.maxArgs {
				return cmd, errTooManyArgs
			}
			cmd.args[cmd.nargs] = rest[:end]
			cmd.nargs++
			rest = rest[end:]
		}
	}
	if cmd.nargs < spec.minArgs {
		return cmd, errMissingArgs
	}
	return cmd, nil
}

// parseNumber parses a non-negative decimal number of at most 9 digits
// (message numbers and TOP line counts); ok is false for anything else.
func parseNumber(b []byte) (n int, ok bool) {
	if len(b) == 0 || len(b) > 9 {
		return 0, false
	}
	for _, d := range b {
		if d < '0' || d > '9' {
			return 0, false
		}
		n = n*10 + int(d-'0')
	}
	return n, true
}
