package imap

import (
	"crypto/tls"
	"encoding/base64"
	"errors"
	"runtime/debug"

	"github.com/emersion/go-sasl"

	"github.com/mailwright/mailwright/internal/netserver"
)

// cmdSpec is one row of the command table: the states a command is valid
// in (RFC 9051 section 6), whether pending updates may follow it, and its
// handler.
type cmdSpec struct {
	states int32
	// updates: untagged EXISTS/FETCH/EXPUNGE updates may follow the
	// command (all but FETCH, STORE and SEARCH by sequence number are
	// allowed to carry EXPUNGE, RFC 3501 section 7.4.1; the server lets
	// those three carry EXISTS and flag updates but holds EXPUNGEs back).
	handle func(c *conn, cmd *Command) result
}

const (
	anyState  = stateNotAuth | stateAuth | stateSelected
	authState = stateAuth | stateSelected
)

var commandTable map[string]cmdSpec

func init() {
	commandTable = map[string]cmdSpec{
		"CAPABILITY":   {anyState, cmdCapability},
		"NOOP":         {anyState, cmdNoop},
		"LOGOUT":       {anyState, cmdLogout},
		"ID":           {anyState, cmdID},
		"STARTTLS":     {stateNotAuth, cmdStartTLS},
		"LOGIN":        {stateNotAuth, cmdLogin},
		"AUTHENTICATE": {stateNotAuth, cmdAuthenticate},
		"ENABLE":       {authState, cmdEnable},
		"NAMESPACE":    {authState, cmdNamespace},
		"SELECT":       {authState, cmdSelect},
		"EXAMINE":      {authState, cmdSelect},
		"CREATE":       {authState, cmdCreate},
		"DELETE":       {authState, cmdDelete},
		"RENAME":       {authState, cmdRename},
		"SUBSCRIBE":    {authState, cmdSubscribe},
		"UNSUBSCRIBE":  {authState, cmdSubscribe},
		"LIST":         {authState, cmdList},
		"LSUB":         {authState, cmdLsub},
		"STATUS":       {authState, cmdStatus},
		"APPEND":       {authState, cmdAppend},
		"IDLE":         {authState, cmdIdle},
		"CHECK":        {stateSelected, cmdNoop},
		"CLOSE":        {stateSelected, cmdClose},
		"UNSELECT":     {stateSelected, cmdClose},
		"EXPUNGE":      {stateSelected, cmdExpunge},
		"SEARCH":       {stateSelected, cmdSearch},
		"SORT":         {stateSelected, cmdSort},
		"THREAD":       {stateSelected, cmdThread},
		"FETCH":        {stateSelected, cmdFetch},
		"STORE":        {stateSelected, cmdStore},
		"COPY":         {stateSelected, cmdCopy},
		"MOVE":         {stateSelected, cmdCopy},
	}
}

// holdsExpunge reports whether the command must not be followed by EXPUNGE
// responses (RFC 3501 section 7.4.1, RFC 9051 section 7.5.1).
func holdsExpunge(cmd *Command) bool {
	if cmd.UID {
		return false
	}
	switch cmd.Name {
	case "FETCH", "STORE", "SEARCH", "SORT", "THREAD":
		return true
	}
	return false
}

// dispatch runs one command and writes its responses; it reports whether
// the session goes on.
func (c *conn) dispatch(cmd *Command) (goOn bool) {
	spec, found := commandTable[cmd.Name]
	if !found {
		// Parsed but not offered.
		c.status(cmd.Tag, "BAD", "", "Unknown command "+cmd.Name)
		return c.countBad()
	}
	st := c.state.Load()
	if spec.states&st == 0 {
		var text string
		switch {
		case st == stateNotAuth:
			text = cmd.Name + " is not valid before login"
		case spec.states == stateNotAuth:
			text = cmd.Name + " is not valid after login"
		default:
			text = cmd.Name + " needs a selected mailbox"
		}
		c.status(cmd.Tag, "BAD", "", text)
		return c.countBad()
	}
	r := c.run(spec, cmd)
	if c.mbox != nil && r.status != "BAD" && !r.bye {
		c.sendUpdates(!holdsExpunge(cmd))
	}
	if r.text == "" && r.status == "OK" {
		r.text = cmd.Name + " completed"
	}
	if r.status != "" {
		c.status(cmd.Tag, r.status, r.code, r.text)
	}
	if r.bye {
		return false
	}
	if r.status == "BAD" {
		return c.countBad()
	}
	return true
}

// run calls a handler. A panic in it (a backend bug, a message the parser
// chokes on) ends the command with NO [SERVERBUG], not the process; the
// session ends too, since its state may be inconsistent.
func (c *conn) run(spec cmdSpec, cmd *Command) (r result) {
	defer func() {
		if v := recover(); v != nil {
			c.logger().Error("imap: panic in command", "command", cmd.Name, "panic", v, "stack", string(debug.Stack()))
			c.untagged("BYE Internal server error")
			r = result{bye: true}
		}
	}()
	return spec.handle(c, cmd)
}

func cmdCapability(c *conn, cmd *Command) result {
	c.w.Raw("* ")
	c.writeCapabilities()
	c.w.CRLF()
	return ok("")
}

func cmdNoop(c *conn, cmd *Command) result { return ok("") }

func cmdLogout(c *conn, cmd *Command) result {
	c.untagged("BYE Logging out")
	c.state.Store(stateLogout)
	c.status(cmd.Tag, "OK", "", "LOGOUT completed")
	return result{bye: true}
}

func cmdID(c *conn, cmd *Command) result {
	// RFC 2971 section 3.1: the server answers with its own parameters.
	c.w.Raw("* ID ")
	if len(c.srv.ID) == 0 {
		c.w.Nil()
	} else {
		c.w.BeginList()
		first := true
		for _, k := range sortedKeys(c.srv.ID) {
			if !first {
				c.w.SP()
			}
			first = false
			c.w.String(k)
			c.w.SP()
			c.w.NString(c.srv.ID[k])
		}
		c.w.EndList()
	}
	c.w.CRLF()
	return ok("")
}

func cmdStartTLS(c *conn, cmd *Command) result {
	if !netserver.HasCertificate(c.srv.TLSConfig) {
		return bad("STARTTLS is not available")
	}
	if c.tlsState != nil {
		return bad("TLS is already active")
	}
	c.status(cmd.Tag, "OK", "", "Begin TLS negotiation now")
	if err := c.flush(); err != nil {
		return result{bye: true}
	}
	// RFC 9051 section 6.2.1: anything the client pipelined behind
	// STARTTLS was sent in plaintext and could be injected: drop it.
	c.br.Discard(c.br.Buffered())
	tc := tls.Server(c.raw, c.srv.TLSConfig)
	st, err := netserver.Handshake(c.ctx, tc, c.raw, c.srv.commandTimeout())
	if err != nil {
		c.logger().Debug("imap: STARTTLS handshake failed", "err", err)
		return result{bye: true}
	}
	c.tlsState = st
	c.nc = tc
	c.br.Reset(tc)
	c.newParser()
	return result{}
}

// authFailed answers a failed LOGIN or AUTHENTICATE (method) of user.
// Refused credentials are logged in the format the protocols share
// (netserver.LoginFailed); a backend failure gets its own response.
func (c *conn) authFailed(user, method string, err error) result {
	var e *Error
	if c.ctx.Err() != nil {
		return result{bye: true}
	}
	r := no("AUTHENTICATIONFAILED", "Authentication failed")
	switch {
	case !errors.As(err, &e):
		// Not a refusal the Backend documents: no fail2ban line, which
		// would ban users for a backend failure.
		c.logger().Info("imap: backend login error", "err", err)
	case e.Code == "AUTHENTICATIONFAILED" || e.Code == "AUTHORIZATIONFAILED":
		netserver.LoginFailed(c.ctx, c.srv.logger(), "imap", c.raw.RemoteAddr(), user, method)
		if e.Code == "AUTHORIZATIONFAILED" {
			r = c.backendError("LOGIN", err)
		}
	case e.Code != "":
		r = c.backendError("LOGIN", err)
	}
	c.authFailures++
	if m := netserver.Limit(c.srv.MaxAuthFailures, DefaultMaxAuthFailures); m > 0 && c.authFailures >= m {
		c.status(c.curTag, r.status, r.code, r.text)
		c.untagged("BYE Too many authentication failures")
		return result{bye: true}
	}
	return r
}

func (c *conn) login(username, password string) error {
	u, err := c.srv.Backend.Login(c.ctx, c.connInfo(), username, password)
	if err != nil {
		return err
	}
	if u == nil {
		return errors.New("imap: Backend.Login returned a nil User")
	}
	c.user = u
	c.state.Store(stateAuth)
	return nil
}

// privacyRequired refuses a password on a connection without TLS (RFC
// 9051 section 6.2.3: LOGINDISABLED), saying what the client can do.
func (c *conn) privacyRequired(what string) result {
	return no("PRIVACYREQUIRED", what+" is disabled on an unencrypted connection"+c.srv.ns.PlaintextHint(c.srv.TLSConfig, "STARTTLS"))
}

func cmdLogin(c *conn, cmd *Command) result {
	if !c.secure() {
		return c.privacyRequired("LOGIN")
	}
	a := cmd.Args.(*LoginArgs)
	c.curTag = cmd.Tag
	if err := c.login(a.Username, a.Password); err != nil {
		return c.authFailed(a.Username, "LOGIN", err)
	}
	return c.loggedIn()
}

// loggedIn ends a successful LOGIN or AUTHENTICATE: RFC 9051 section
// 6.2.3 lets the OK carry the new capabilities.
func (c *conn) loggedIn() result {
	c.w.Raw(c.curTag)
	c.w.Raw(" OK [")
	c.writeCapabilities()
	c.w.Raw("] Logged in")
	c.w.CRLF()
	return result{}
}

func cmdAuthenticate(c *conn, cmd *Command) result {
	a := cmd.Args.(*AuthenticateArgs)
	c.curTag = cmd.Tag
	if a.Mechanism != "PLAIN" {
		return no("", "Unsupported authentication mechanism")
	}
	if !c.secure() {
		return c.privacyRequired("Authentication")
	}
	var user string
	var loginErr error
	srv := sasl.NewPlainServer(func(identity, username, password string) error {
		user = username
		if identity != "" && identity != username {
			loginErr = &Error{Code: "AUTHORIZATIONFAILED", Text: "Authorization identity refused"}
			return loginErr
		}
		loginErr = c.login(username, password)
		return loginErr
	})
	resp := a.InitialResponse
	for {
		challenge, done, err := srv.Next(resp)
		if err != nil {
			if loginErr != nil {
				return c.authFailed(user, "AUTHENTICATE PLAIN", loginErr)
			}
			return c.authFailed(user, "AUTHENTICATE PLAIN", ErrAuthFailed)
		}
		if done {
			return c.loggedIn()
		}
		c.w.Raw("+ ")
		c.w.Raw(base64.StdEncoding.EncodeToString(challenge))
		c.w.CRLF()
		if err := c.flush(); err != nil {
			return result{bye: true}
		}
		line, err := c.p.ReadLine()
		if err != nil {
			var pe *ParseError
			if errors.As(err, &pe) {
				return bad(pe.Message)
			}
			return result{bye: true}
		}
		resp, err = DecodeSASLResponse(line)
		if err == ErrAuthCanceled {
			return bad("Authentication canceled")
		}
		if err != nil {
			return bad("Invalid base64 in SASL response")
		}
		if resp == nil {
			resp = []byte{}
		}
	}
}

func cmdEnable(c *conn, cmd *Command) result {
	a := cmd.Args.(*EnableArgs)
	var enabled []string
	for _, cp := range a.Capabilities {
		// RFC 5161 section 3.1: only what is enabled now is listed.
		if cp == "IMAP4REV2" && !c.rev2 {
			c.rev2 = true
			// RFC 9051 section 5.1: IMAP4rev2 mailbox names are UTF-8,
			// and strings may carry UTF-8.
			c.p.UTF8 = true
			c.w.UTF8 = true
			enabled = append(enabled, "IMAP4rev2")
		}
		if cp == "CONDSTORE" && !c.condStore {
			c.enableCondStore()
			enabled = append(enabled, "CONDSTORE")
		}
		if cp == "QRESYNC" && !c.qresync && c.qresyncOffered() {
			// RFC 7162 section 3.2.3: ENABLE QRESYNC enables CONDSTORE
			// too.
			c.enableCondStore()
			c.qresync = true
			enabled = append(enabled, "QRESYNC")
		}
		if cp == "UTF8=ACCEPT" && !c.utf8Accept {
			c.utf8Accept = true
			// RFC 6855 section 3: the client may send UTF-8 in quoted
			// strings and mailbox names are raw UTF-8 both ways (no
			// modified UTF-7), as in IMAP4rev2.
			c.p.UTF8 = true
			c.w.UTF8 = true
			enabled = append(enabled, "UTF8=ACCEPT")
		}
	}
	c.w.Raw("* ENABLED")
	for _, e := range enabled {
		c.w.SP()
		c.w.Raw(e)
	}
	c.w.CRLF()
	return ok("")
}

func cmdNamespace(c *conn, cmd *Command) result {
	// RFC 2342: one personal namespace, no prefix, "/" delimiter.
	c.untagged(`NAMESPACE (("" "/")) NIL NIL`)
	return ok("")
}
