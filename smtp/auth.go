package smtp

import (
	"encoding/base64"
	"errors"
	"strings"

	"github.com/emersion/go-sasl"

	"github.com/mailwright/mailwright/internal/netserver"
)

// authMechanisms lists the SASL mechanisms the session supports.
func (c *Conn) authMechanisms() []string {
	var mechs []string
	if _, ok := c.session.(PasswordAuthenticator); ok {
		mechs = append(mechs, sasl.Plain, sasl.Login)
	}
	if sa, ok := c.session.(SASLAuthenticator); ok {
		mechs = append(mechs, sa.AuthMechanisms()...)
	}
	return mechs
}

// encryptFirst refuses AUTH on a connection without TLS (RFC 4954 6:
// 538), saying what the client can do.
func (c *Conn) encryptFirst() *Error {
	return &Error{Code: 538, EnhancedCode: EnhancedCode{5, 7, 11},
		Message: "Encryption required for authentication" + c.server.ns.PlaintextHint(c.server.TLSConfig, "STARTTLS")}
}

// authAllowed reports whether AUTH may be used now: passwords travel only
// over TLS unless the server allows otherwise.
func (c *Conn) authAllowed() bool {
	return c.tlsState != nil || c.server.AllowInsecureAuth
}

// cmdAUTH runs an RFC 4954 SASL exchange.
func (c *Conn) cmdAUTH(arg string) error {
	mechs := c.authMechanisms()
	switch {
	case len(mechs) == 0:
		return c.fail(replyNoAuth)
	case !c.ehlo:
		return c.fail(c.helloFirst())
	case c.authIdentity != "":
		return c.fail(replyAlreadyAuth)
	case c.inMail:
		return c.fail(replyInTransaction)
	case !c.authAllowed():
		return c.fail(c.encryptFirst())
	}
	mech, initial, hasInitial := strings.Cut(arg, " ")
	mech = strings.ToUpper(mech)
	var user string // the user name the client gave, once known
	server, identity := c.saslServer(mech, mechs, &user)
	if server == nil {
		return c.fail(replyUnknownMech)
	}
	// The LoginLimiter is asked before the first step, and again once a
	// mechanism names the user before checking its proof (SCRAM).
	step := c.logins().GateSASL(c.ctx, c.nc.RemoteAddr(), "AUTH "+mech, server, errLoginBlocked)

	var response []byte
	if hasInitial {
		if initial == "=" { // RFC 4954 4: an empty initial response
			response = []byte{}
		} else {
			b, err := base64.StdEncoding.DecodeString(initial)
			if err != nil {
				return c.fail(replyBadBase64)
			}
			response = b
		}
	}
	for {
		challenge, done, err := step.Next(response)
		if err != nil {
			if user == "" {
				user = netserver.SASLUsername(server)
			}
			return c.authFailed(user, mech, err)
		}
		if done {
			break
		}
		c.writeReplyNoEnhanced(334, base64.StdEncoding.EncodeToString(challenge))
		line, err := c.readLine(maxAuthLineLength)
		if err != nil {
			if err == errLineTooLong {
				return c.fail(replyLineTooLong)
			}
			return err
		}
		if string(line) == "*" {
			return c.fail(replyAuthCancelled)
		}
		response, err = base64.StdEncoding.DecodeString(string(line))
		if err != nil {
			return c.fail(replyBadBase64)
		}
	}
	c.authIdentity = identity()
	if user == "" {
		user = c.authIdentity
	}
	c.logins().Succeeded(c.ctx, c.nc.RemoteAddr(), user)
	if c.authIdentity == "" {
		c.authIdentity = mech
	}
	c.writeReply(replyAuthOK)
	return nil
}

// saslServer returns the server side of mech and a function that gives the
// authenticated identity once the exchange has succeeded. The user name
// of a PLAIN or LOGIN attempt goes into *tried, for the log of a failure.
func (c *Conn) saslServer(mech string, offered []string, tried *string) (sasl.Server, func() string) {
	found := false
	for _, m := range offered {
		if strings.EqualFold(m, mech) {
			found = true
		}
	}
	if !found {
		return nil, nil
	}
	var who string
	identity := func() string { return who }
	if pa, ok := c.session.(PasswordAuthenticator); ok {
		check := func(authz, user, pass string) error {
			*tried = user
			if !c.logins().Allowed(c.ctx, c.nc.RemoteAddr(), user, "AUTH "+mech) {
				return errLoginBlocked
			}
			if err := pa.AuthPassword(c.ctx, authz, user, pass); err != nil {
				if _, ok := errorAs(err); ok {
					return err
				}
				return backendAuthError{err}
			}
			who = user
			if authz != "" {
				who = authz
			}
			return nil
		}
		switch mech {
		case sasl.Plain:
			return sasl.NewPlainServer(check), identity
		case sasl.Login:
			return &loginServer{check: check}, identity
		}
	}
	sa, ok := c.session.(SASLAuthenticator)
	if !ok {
		return nil, nil
	}
	srv, err := sa.AuthSASL(c.ctx, mech)
	if err != nil || srv == nil {
		return nil, nil
	}
	return srv, func() string {
		if id, ok := srv.(interface{ Identity() string }); ok {
			return id.Identity()
		}
		return ""
	}
}

// backendAuthError marks a failure of the backend itself (not bad
// credentials) during authentication.
type backendAuthError struct{ err error }

func (e backendAuthError) Error() string { return e.err.Error() }
func (e backendAuthError) Unwrap() error { return e.err }

var (
	replyAuthTempFail  = &Error{Code: 454, EnhancedCode: EnhancedCode{4, 7, 0}, Message: "Temporary authentication failure"}
	replyAuthMalformed = &Error{Code: 501, EnhancedCode: EnhancedCode{5, 5, 2}, Message: "Malformed authentication response"}
)

// authFailed answers a failed exchange of user with mech; past
// MaxAuthFailures the connection is closed. Refused credentials and
// malformed exchanges are logged in the format the protocols share
// (netserver.LoginFailed), counted by the LoginLimiter and answered after
// its delay; a temporary failure of the backend is not a failed login.
func (c *Conn) authFailed(user, mech string, err error) error {
	c.authFailures++
	var reply *Error
	var be backendAuthError
	switch {
	case errors.As(err, &be):
		c.logBackendError(be.err)
		reply = replyAuthTempFail // RFC 4954 6
	case errors.Is(err, errLoginBlocked):
		reply = replyLoginBlocked // logged by Allowed
	case errors.Is(err, errLoginFailed):
		reply = replyAuthMalformed
	default:
		if e, ok := errorAs(err); ok {
			reply = e
		} else if strings.HasPrefix(err.Error(), "sasl:") {
			reply = replyAuthMalformed // go-sasl's parse errors
		} else {
			reply = ErrAuthFailed
		}
	}
	if reply.Code >= 500 {
		c.logins().Failed(c.ctx, c.nc.RemoteAddr(), user, "AUTH "+mech)
	}
	if c.authFailures >= orDefault(c.server.MaxAuthFailures, DefaultMaxAuthFailures) {
		c.writeReply(reply)
		c.writeReply(replyTooManyAuth)
		return errCloseConn
	}
	return c.fail(reply)
}

var errLoginFailed = errors.New("smtp: malformed LOGIN exchange")

// loginServer is the server side of the obsolete but widespread LOGIN
// mechanism (draft-murchison-sasl-login), which go-sasl has only as a
// client: it asks for the user name, then the password.
type loginServer struct {
	check    func(authz, user, pass string) error
	step     int
	username string
}

func (s *loginServer) Next(response []byte) (challenge []byte, done bool, err error) {
	switch s.step {
	case 0:
		s.step = 1
		if response == nil || len(response) == 0 {
			return []byte("Username:"), false, nil
		}
		fallthrough // the initial response carries the user name
	case 1:
		s.username = string(response)
		s.step = 2
		return []byte("Password:"), false, nil
	case 2:
		s.step = 3
		return nil, true, s.check("", s.username, string(response))
	}
	return nil, false, errLoginFailed
}
