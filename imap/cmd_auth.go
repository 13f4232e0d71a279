package imap

import (
	"crypto/tls"
	"encoding/base64"
	"errors"

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
	c.tlsState = st
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
		loginErr = c.login("AUTHENTICATE PLAIN", username, password)
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
			var pe *commandError
			if errors.As(err, &pe) {
				return bad(pe.Message)
			}
			return result{bye: true}
		}
		resp, err = decodeSASLResponse(line)
		if err == errAuthCanceled {
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
