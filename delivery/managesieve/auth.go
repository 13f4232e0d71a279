package managesieve

import (
	"encoding/base64"
	"errors"
	"slices"
	"strings"

	"github.com/emersion/go-sasl"

	"github.com/mailwright/mailwright/internal/netserver"
)

// errAuthzid refuses a PLAIN authorization identity other than the user:
// one user may not act as another.
var errAuthzid = errors.New("managesieve: authorization identity differs from user")

// cmdAuthenticate runs a SASL exchange (RFC 5804 2.1): the mechanism and
// an optional initial response, then challenges and responses as
// strings of base64, "*" to cancel.
func (c *conn) cmdAuthenticate(cmd *command) bool {
	if len(cmd.args) < 1 || len(cmd.args) > 2 || cmd.args[0].kind == argNumber ||
		(len(cmd.args) == 2 && cmd.args[1].kind != argString) {
		c.respond(respNO, "", "AUTHENTICATE takes a mechanism and an optional initial response")
		return true
	}
	if !c.secure() {
		c.respond(respNO, codeEncryptNeeded, "Authentication needs TLS"+c.srv.ns.PlaintextHint(c.srv.TLSConfig, "STARTTLS"))
		return true
	}
	mech := strings.ToUpper(cmd.args[0].s)
	if !slices.Contains(c.mechanisms(), mech) {
		c.respond(respNO, "", "Unsupported authentication mechanism")
		return true
	}
	var (
		user     string
		scripts  Scripts
		loginErr error
		srv      sasl.Server
		ext      SASLServer
	)
	if mech == sasl.Plain {
		srv = sasl.NewPlainServer(func(identity, username, password string) error {
			user = username
			if identity != "" && identity != username {
				return errAuthzid
			}
			scripts, loginErr = c.srv.Backend.Login(c.ctx, c.connInfo(), username, password)
			return loginErr
		})
	} else {
		var err error
		ext, err = c.srv.Backend.(SASLBackend).AuthSASL(c.ctx, c.connInfo(), mech)
		if err != nil {
			c.replyError("AUTHENTICATE "+mech, err)
			return true
		}
		srv = ext
	}
	var resp []byte
	if len(cmd.args) == 2 {
		var err error
		if resp, err = base64.StdEncoding.DecodeString(cmd.args[1].s); err != nil {
			c.respond(respNO, "", "Invalid base64 in the initial response")
			return true
		}
	}
	for {
		challenge, done, err := srv.Next(resp)
		if err != nil {
			if u, ok := srv.(interface{ Username() string }); ok && user == "" {
				user = u.Username()
			}
			return c.authFailed(mech, user, err)
		}
		if done {
			break
		}
		c.out = appendString(c.out[:0], base64.StdEncoding.EncodeToString(challenge))
		c.out = append(c.out, "\r\n"...)
		c.bw.Write(c.out)
		if err := c.bw.Flush(); err != nil {
			return false
		}
		s, cancel, err := c.p.readResponse()
		var se syntaxError
		switch {
		case errors.As(err, &se) || errors.Is(err, errLineTooLong) || errors.Is(err, errLiteralTooLarge):
			c.respond(respNO, "", "Malformed authentication response")
			return true
		case err != nil:
			c.endOnReadError(err)
			return false
		case cancel:
			c.respond(respNO, "", "Authentication cancelled")
			return true
		}
		if resp, err = base64.StdEncoding.DecodeString(s); err != nil {
			c.respond(respNO, "", "Invalid base64 in the response")
			return true
		}
	}
	if ext != nil {
		if u, ok := ext.(interface{ Username() string }); ok {
			user = u.Username()
		}
		var err error
		if scripts, err = ext.Scripts(c.ctx); err != nil {
			return c.authFailed(mech, user, err)
		}
	}
	c.user, c.scripts = user, scripts
	c.respond(respOK, "", "Logged in")
	return true
}

// authFailed answers a failed exchange: bad credentials and malformed
// exchanges are logged as failed logins in the format the protocols share
// (netserver.LoginFailed), a failure of the backend as an error; past
// MaxAuthFailures the connection is closed.
func (c *conn) authFailed(mech, user string, err error) bool {
	if !errors.Is(err, ErrAuthFailed) && !errors.Is(err, errAuthzid) && !strings.HasPrefix(err.Error(), "sasl:") {
		c.replyError("AUTHENTICATE "+mech, err)
		return true
	}
	netserver.LoginFailed(c.ctx, c.srv.logger(), "managesieve", c.raw.RemoteAddr(), user, "AUTHENTICATE "+mech)
	c.authFailures++
	if max := c.srv.maxAuthFailures(); max > 0 && c.authFailures >= max {
		c.respond(respBYE, "", "Too many failed authentications")
		return false
	}
	c.respond(respNO, "", "Authentication failed")
	return true
}
