package managesieve

import (
	"crypto/tls"
	"errors"
	"strconv"
	"unicode/utf8"

	"github.com/mailwright/mailwright/delivery/sieve"
	"github.com/mailwright/mailwright/internal/netserver"
)

// The states a command is valid in (RFC 5804 2).
type state int

const (
	stateAny     state = iota
	stateNotAuth       // before AUTHENTICATE
	stateAuth          // after it
)

// cmdSpec is one command: where it is valid and what does it. A handler
// returns false to end the session.
type cmdSpec struct {
	state  state
	handle func(c *conn, cmd *command) bool
}

// commands are the commands of RFC 5804 2, by name.
var commands map[string]*cmdSpec

func init() {
	commands = map[string]*cmdSpec{
		"CAPABILITY":     {stateAny, (*conn).cmdCapability},
		"NOOP":           {stateAny, (*conn).cmdNoop},
		"LOGOUT":         {stateAny, (*conn).cmdLogout},
		"STARTTLS":       {stateNotAuth, (*conn).cmdStartTLS},
		"AUTHENTICATE":   {stateNotAuth, (*conn).cmdAuthenticate},
		"UNAUTHENTICATE": {stateAuth, (*conn).cmdUnauthenticate},
		"HAVESPACE":      {stateAuth, (*conn).cmdHaveSpace},
		"PUTSCRIPT":      {stateAuth, (*conn).cmdPutScript},
		"CHECKSCRIPT":    {stateAuth, (*conn).cmdCheckScript},
		"LISTSCRIPTS":    {stateAuth, (*conn).cmdListScripts},
		"SETACTIVE":      {stateAuth, (*conn).cmdSetActive},
		"GETSCRIPT":      {stateAuth, (*conn).cmdGetScript},
		"DELETESCRIPT":   {stateAuth, (*conn).cmdDeleteScript},
		"RENAMESCRIPT":   {stateAuth, (*conn).cmdRenameScript},
	}
}

// strings returns the n string arguments of cmd, or answers NO.
func (c *conn) strings(cmd *command, n int) ([]string, bool) {
	if len(cmd.args) != n {
		c.respond(respNO, "", cmd.name+" takes "+strconv.Itoa(n)+" argument(s)")
		return nil, false
	}
	out := make([]string, n)
	for i, a := range cmd.args {
		if a.kind != argString {
			c.respond(respNO, "", cmd.name+": expected a string, quoted or literal")
			return nil, false
		}
		out[i] = a.s
	}
	return out, true
}

// validName checks a script name (RFC 5804 1.6): not empty, UTF-8
// without control characters, line or paragraph separators.
func validName(name string) bool {
	if name == "" || !utf8.ValidString(name) {
		return false
	}
	for _, r := range name {
		if r < 0x20 || (r >= 0x7f && r <= 0x9f) || r == 0x2028 || r == 0x2029 {
			return false
		}
	}
	return true
}

// names returns the n script-name arguments of cmd, or answers NO.
func (c *conn) names(cmd *command, n int) ([]string, bool) {
	args, ok := c.strings(cmd, n)
	for _, a := range args {
		if ok && !validName(a) {
			c.respond(respNO, "", "Invalid script name")
			return nil, false
		}
	}
	return args, ok
}

func (c *conn) cmdCapability(cmd *command) bool {
	c.writeCapabilities()
	c.respond(respOK, "", "Capability completed")
	return true
}

// cmdNoop answers NOOP, with the client's tag if it gave one (RFC 5804
// 2.13).
func (c *conn) cmdNoop(cmd *command) bool {
	switch {
	case len(cmd.args) == 0:
		c.respond(respOK, "", "Done")
	case len(cmd.args) == 1 && cmd.args[0].kind == argString:
		c.respond(respOK, "TAG "+string(appendString(nil, cmd.args[0].s)), "Done")
	default:
		c.respond(respNO, "", "NOOP takes an optional string")
	}
	return true
}

func (c *conn) cmdLogout(cmd *command) bool {
	c.respond(respOK, "", "Logout completed")
	return false
}

// cmdStartTLS starts TLS (RFC 5804 2.2) and sends the capabilities again,
// which may change with it.
func (c *conn) cmdStartTLS(cmd *command) bool {
	switch {
	case c.tlsState != nil:
		c.respond(respNO, "", "TLS is already active")
		return true
	case !netserver.HasCertificate(c.srv.TLSConfig):
		c.respond(respNO, "", "STARTTLS is not available")
		return true
	}
	c.respond(respOK, "", "Begin TLS negotiation now")
	if err := c.bw.Flush(); err != nil {
		return false
	}
	// What the client sent before the handshake is plaintext an attacker
	// could have injected: drop it (as RFC 3207 4.2 says for SMTP).
	c.br.Discard(c.br.Buffered())
	tc := tls.Server(c.raw, c.srv.TLSConfig)
	st, err := netserver.Handshake(c.ctx, tc, c.raw, c.srv.idleTimeout())
	if err != nil {
		c.logger().Debug("managesieve: STARTTLS handshake failed", "err", err)
		return false
	}
	c.tlsState, c.nc = st, tc
	c.br.Reset(tc)
	c.writeCapabilities()
	c.respond(respOK, "", "TLS negotiation successful")
	return true
}

// cmdUnauthenticate ends the login (RFC 5804 2.14).
func (c *conn) cmdUnauthenticate(cmd *command) bool {
	c.scripts, c.user = nil, ""
	c.respond(respOK, "", "Logged out")
	return true
}

// cmdHaveSpace tells whether a script of this name and size would fit
// (RFC 5804 2.5).
func (c *conn) cmdHaveSpace(cmd *command) bool {
	if len(cmd.args) != 2 || cmd.args[0].kind != argString || cmd.args[1].kind != argNumber {
		c.respond(respNO, "", "HAVESPACE takes a script name and a size")
		return true
	}
	name := cmd.args[0].s
	if !validName(name) {
		c.respond(respNO, "", "Invalid script name")
		return true
	}
	if cmd.args[1].n > uint64(c.srv.maxScriptSize()) {
		c.respond(respNO, codeMaxSize, "Scripts may be at most "+strconv.Itoa(c.srv.maxScriptSize())+" bytes")
		return true
	}
	if c.overScripts(cmd.name, name) {
		return true
	}
	c.respond(respOK, "", "Putscript would succeed")
	return true
}

// overScripts answers NO when storing a script called name would go
// past MaxScripts.
func (c *conn) overScripts(op, name string) bool {
	max := c.srv.maxScripts()
	if max < 0 {
		return false
	}
	list, err := c.scripts.List(c.ctx)
	if err != nil {
		c.replyError(op, err)
		return true
	}
	for _, s := range list {
		if s.Name == name {
			return false // a replacement
		}
	}
	if len(list) >= max {
		c.respond(respNO, codeMaxScripts, "At most "+strconv.Itoa(max)+" scripts")
		return true
	}
	return false
}

// check compiles a script as local delivery would, and answers NO with
// the error's line and column when it does not compile.
func (c *conn) check(src string) bool {
	if len(src) > c.srv.maxScriptSize() {
		c.respond(respNO, codeMaxSize, "Script too large")
		return false
	}
	if _, err := sieve.Compile([]byte(src), &c.srv.Sieve); err != nil {
		var se *sieve.Error
		if !errors.As(err, &se) {
			c.replyError("compile", err)
			return false
		}
		c.respond(respNO, "", se.Error())
		return false
	}
	return true
}

// cmdPutScript checks and stores a script (RFC 5804 2.6).
func (c *conn) cmdPutScript(cmd *command) bool {
	args, ok := c.strings(cmd, 2)
	switch {
	case !ok:
	case !validName(args[0]):
		c.respond(respNO, "", "Invalid script name")
	case !c.check(args[1]):
	case c.overScripts(cmd.name, args[0]):
	default:
		if err := c.scripts.Put(c.ctx, args[0], []byte(args[1])); err != nil {
			c.replyError(cmd.name, err)
			break
		}
		c.respond(respOK, "", "Script stored")
	}
	return true
}

// cmdCheckScript checks a script without storing it (RFC 5804 2.12).
func (c *conn) cmdCheckScript(cmd *command) bool {
	if args, ok := c.strings(cmd, 1); ok && c.check(args[0]) {
		c.respond(respOK, "", "Script is valid")
	}
	return true
}

// cmdListScripts lists the scripts, the active one marked (RFC 5804 2.7).
func (c *conn) cmdListScripts(cmd *command) bool {
	if len(cmd.args) != 0 {
		c.respond(respNO, "", "LISTSCRIPTS takes no arguments")
		return true
	}
	list, err := c.scripts.List(c.ctx)
	if err != nil {
		c.replyError(cmd.name, err)
		return true
	}
	for _, s := range list {
		if s.Active {
			c.writeLine(s.Name, "ACTIVE")
		} else {
			c.writeLine(s.Name)
		}
	}
	c.respond(respOK, "", "Listscripts completed")
	return true
}

// cmdSetActive activates a script, or none for "" (RFC 5804 2.8).
func (c *conn) cmdSetActive(cmd *command) bool {
	args, ok := c.strings(cmd, 1)
	switch {
	case !ok:
	case args[0] != "" && !validName(args[0]):
		c.respond(respNO, "", "Invalid script name")
	default:
		if err := c.scripts.SetActive(c.ctx, args[0]); err != nil {
			c.replyError(cmd.name, err)
			break
		}
		c.respond(respOK, "", "Active script set")
	}
	return true
}

// cmdGetScript sends a script as a literal (RFC 5804 2.9).
func (c *conn) cmdGetScript(cmd *command) bool {
	if args, ok := c.names(cmd, 1); ok {
		src, err := c.scripts.Get(c.ctx, args[0])
		if err != nil {
			c.replyError(cmd.name, err)
			return true
		}
		c.out = append(c.out[:0], '{')
		c.out = strconv.AppendInt(c.out, int64(len(src)), 10)
		c.out = append(c.out, "}\r\n"...)
		c.bw.Write(c.out)
		c.bw.Write(src)
		c.bw.WriteString("\r\n")
		c.respond(respOK, "", "Getscript completed")
	}
	return true
}

// cmdDeleteScript deletes a script that is not active (RFC 5804 2.10).
func (c *conn) cmdDeleteScript(cmd *command) bool {
	if args, ok := c.names(cmd, 1); ok {
		if err := c.scripts.Delete(c.ctx, args[0]); err != nil {
			c.replyError(cmd.name, err)
			return true
		}
		c.respond(respOK, "", "Script deleted")
	}
	return true
}

// cmdRenameScript renames a script (RFC 5804 2.11.1).
func (c *conn) cmdRenameScript(cmd *command) bool {
	if args, ok := c.names(cmd, 2); ok {
		if err := c.scripts.Rename(c.ctx, args[0], args[1]); err != nil {
			c.replyError(cmd.name, err)
			return true
		}
		c.respond(respOK, "", "Script renamed")
	}
	return true
}
