package imap

import (
	"crypto/tls"
	"encoding/base64"
	"errors"
	"time"

	"github.com/emersion/go-sasl"

	"github.com/mailwright/mailwright/internal/netserver"
)

func cmdStartTLS(c *conn, cmd *command) result {
	if c.srv.TLSConfig == nil {
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
	c.raw.SetDeadline(time.Now().Add(c.srv.commandTimeout()))
	if err := tc.HandshakeContext(c.ctx); err != nil {
		c.logger().Debug("imap: STARTTLS handshake failed", "err", err)
		return result{bye: true}
	}
	c.raw.SetDeadline(time.Time{})
	st := tc.ConnectionState()
	c.tlsState = &st
	c.nc = tc
	c.br.Reset(tc)
	c.newParser()
	return result{}
}

func (c *conn) authFailed(err error) result {
	var e *Error
	if c.ctx.Err() != nil {
		return result{bye: true}
	}
	r := no("AUTHENTICATIONFAILED", "Authentication failed")
	if errors.As(err, &e) && !errors.Is(err, ErrAuthFailed) && e.Code != "" {
		r = c.backendError("LOGIN", err)
	} else if !errors.As(err, &e) {
		c.logger().Info("imap: login failed", "err", err)
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

func cmdLogin(c *conn, cmd *command) result {
	if !c.secure() {
		// RFC 9051 6.2.3: LOGINDISABLED.
		return no("PRIVACYREQUIRED", "LOGIN is disabled on an unencrypted connection; use STARTTLS")
	}
	a := cmd.Args.(*loginArgs)
	c.curTag = cmd.Tag
	if err := c.login(a.Username, a.Password); err != nil {
		return c.authFailed(err)
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
		return no("PRIVACYREQUIRED", "Authentication is disabled on an unencrypted connection; use STARTTLS")
	}
	var loginErr error
	srv := sasl.NewPlainServer(func(identity, username, password string) error {
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
				return c.authFailed(loginErr)
			}
			return c.authFailed(ErrAuthFailed)
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
