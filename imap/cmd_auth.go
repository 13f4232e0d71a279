package imap

import (
	"cmp"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"slices"
	"strings"

	"github.com/emersion/go-sasl"

	"github.com/mailwright/mailwright/internal/netserver"
)

func cmdStartTLS(c *conn, cmd *command) result {
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
	// RFC 9051 6.2.1: anything the client pipelined behind
	// STARTTLS was sent in plaintext and could be injected: drop it.
	c.br.Discard(c.br.Buffered())
	tc := tls.Server(c.raw, c.srv.TLSConfig)
	st, err := netserver.Handshake(c.ctx, tc, c.raw, c.srv.commandTimeout())
	if err != nil {
		c.logger().Debug("imap: STARTTLS handshake failed", "err", err)
		return result{bye: true}
	}
	c.tlsState, c.tlsCfg = st, c.srv.TLSConfig
	c.nc = tc
	c.br.Reset(tc)
	c.newParser()
	return result{}
}

// authFailed answers a failed LOGIN or AUTHENTICATE (method) of user.
// Refused credentials are logged in the format the protocols share
// (netserver.LoginFailed), counted by the LoginLimiter and answered after
// its delay; a backend failure gets its own response.
func (c *conn) authFailed(user, method string, err error) result {
	var e *Error
	if c.ctx.Err() != nil {
		return result{bye: true}
	}
	r := no("AUTHENTICATIONFAILED", "Authentication failed")
	switch {
	case err == errLoginBlocked:
		r = no(errLoginBlocked.Code, errLoginBlocked.Text) // logged by Allowed
	case !errors.As(err, &e):
		// Not a refusal the Backend documents: no fail2ban line, which
		// would ban users for a backend failure.
		c.logger().Info("imap: backend login error", "err", err)
	case e.Code == "AUTHENTICATIONFAILED" || e.Code == "AUTHORIZATIONFAILED":
		c.logins().Failed(c.ctx, c.raw.RemoteAddr(), user, method)
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

// login checks the credentials with the Backend (method is the command,
// for the log), once the LoginLimiter lets the attempt through.
func (c *conn) login(method, username, password string) error {
	if !c.logins().Allowed(c.ctx, c.raw.RemoteAddr(), username, method) {
		return errLoginBlocked
	}
	u, err := c.srv.Backend.Login(c.ctx, c.connInfo(), username, password)
	if err != nil {
		return err
	}
	if u == nil {
		return errors.New("imap: Backend.Login returned a nil User")
	}
	c.logins().Succeeded(c.ctx, c.raw.RemoteAddr(), username)
	c.user = u
	c.state.Store(stateAuth)
	return nil
}

// privacyRequired refuses a password on a connection without TLS (RFC
// 9051 6.2.3: LOGINDISABLED), saying what the client can do.
func (c *conn) privacyRequired(what string) result {
	return no("PRIVACYREQUIRED", what+" is disabled on an unencrypted connection"+c.srv.ns.PlaintextHint(c.srv.TLSConfig, "STARTTLS"))
}

func cmdLogin(c *conn, cmd *command) result {
	if !c.secure() {
		return c.privacyRequired("LOGIN")
	}
	a := cmd.Args.(*loginArgs)
	c.curTag = cmd.Tag
	if err := c.login("LOGIN", a.Username, a.Password); err != nil {
		return c.authFailed(a.Username, "LOGIN", err)
	}
	return c.loggedIn()
}

// loggedIn ends a successful LOGIN or AUTHENTICATE: RFC 9051 6.2.3 lets the OK carry the new capabilities.
func (c *conn) loggedIn() result {
	c.w.Raw(c.curTag)
	c.w.Raw(" OK [")
	c.writeCapabilities()
	c.w.Raw("] Logged in")
	c.w.CRLF()
	return result{}
}

func cmdAuthenticate(c *conn, cmd *command) result {
	a := cmd.Args.(*authenticateArgs)
	c.curTag = cmd.Tag
	mech := strings.ToUpper(a.Mechanism)
	sb, _ := c.srv.Backend.(SASLBackend)
	if mech != sasl.Plain && (sb == nil || !slices.Contains(sb.AuthMechanisms(c.connInfo()), mech)) {
		return no("", "Unsupported authentication mechanism")
	}
	if !c.secure() {
		return c.privacyRequired("Authentication")
	}
	method := "AUTHENTICATE " + mech
	if mech != sasl.Plain {
		return c.authenticateSASL(sb, method, mech, a.InitialResponse)
	}
	var user string
	var loginErr error
	srv := sasl.NewPlainServer(func(identity, username, password string) error {
		user = username
		if identity != "" && identity != username {
			loginErr = &Error{Code: "AUTHORIZATIONFAILED", Text: "Authorization identity refused"}
			return loginErr
		}
		loginErr = c.login("AUTHENTICATE PLAIN", username, password)
		return loginErr
	})
	if r, err := c.saslExchange(srv, a.InitialResponse); r != nil {
		return *r
	} else if err != nil {
		if loginErr == nil {
			loginErr = ErrAuthFailed // a malformed exchange
		}
		return c.authFailed(user, method, loginErr)
	}
	return c.loggedIn()
}

// authenticateSASL runs a mechanism of the backend.
func (c *conn) authenticateSASL(sb SASLBackend, method, mech string, ir []byte) result {
	srv, err := sb.AuthSASL(c.ctx, c.connInfo(), mech)
	if err == nil && srv == nil {
		err = errors.New("imap: SASLBackend.AuthSASL returned a nil SASLServer")
	}
	if err != nil {
		return c.authFailed("", method, err)
	}
	// The LoginLimiter is asked before the first step, and again once the
	// mechanism names the user before checking its proof (SCRAM), as
	// login asks before the password.
	step := c.logins().GateSASL(c.ctx, c.raw.RemoteAddr(), method, srv, errLoginBlocked)
	if r, err := c.saslExchange(step, ir); r != nil {
		return *r
	} else if err != nil {
		return c.authFailed(netserver.SASLUsername(srv), method, err)
	}
	u, err := srv.User(c.ctx)
	if err == nil && u == nil {
		err = errors.New("imap: SASLServer.User returned a nil User")
	}
	if err != nil {
		return c.authFailed(netserver.SASLUsername(srv), method, err)
	}
	c.logins().Succeeded(c.ctx, c.raw.RemoteAddr(), cmp.Or(netserver.SASLUsername(srv), u.Username()))
	c.user = u
	c.state.Store(stateAuth)
	return c.loggedIn()
}

// saslExchange runs srv from the initial response ir (nil if none) until
// it is done (nil, nil) or fails (its error); stop is set when the
// exchange ended otherwise (cancelled, a bad line, a broken connection).
func (c *conn) saslExchange(srv netserver.SASLStep, ir []byte) (stop *result, err error) {
	resp := ir
	for {
		challenge, done, err := srv.Next(resp)
		if err != nil {
			return nil, err
		}
		if done {
			return nil, nil
		}
		c.w.Raw("+ ")
		c.w.Raw(base64.StdEncoding.EncodeToString(challenge))
		c.w.CRLF()
		if err := c.flush(); err != nil {
			return &result{bye: true}, nil
		}
		line, err := c.p.ReadLine()
		if err != nil {
			var pe *commandError
			if errors.As(err, &pe) {
				return &result{status: "BAD", text: pe.Message}, nil
			}
			return &result{bye: true}, nil
		}
		resp, err = decodeSASLResponse(line)
		if err == errAuthCanceled {
			return &result{status: "BAD", text: "Authentication canceled"}, nil
		}
		if err != nil {
			return &result{status: "BAD", text: "Invalid base64 in SASL response"}, nil
		}
		if resp == nil {
			resp = []byte{}
		}
	}
}
