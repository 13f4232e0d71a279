package pop3

import (
	"bytes"
	"encoding/base64"
	"errors"
	"slices"
	"time"

	"github.com/emersion/go-sasl"

	"github.com/mailwright/mailwright/internal/netserver"
)

// mechanisms are the SASL mechanisms AUTH always accepts, in CAPA order.
var mechanisms = []string{sasl.Plain, sasl.Login}

// errAuthzid refuses a PLAIN authorization identity other than the user:
// logging in as someone else needs an admin feature we do not offer.
var errAuthzid = errors.New("pop3: authorization identity differs from user")

// authMechanisms lists the mechanisms AUTH accepts on this connection:
// PLAIN, LOGIN and those of a SASLBackend.
func (c *conn) authMechanisms() []string {
	mechs := mechanisms
	if sb, ok := c.srv.Backend.(SASLBackend); ok {
		mechs = slices.Clone(mechs)
		for _, m := range sb.AuthMechanisms(c.connInfo()) {
			if validMechanism(m) && !slices.Contains(mechs, m) {
				mechs = append(mechs, m)
			}
		}
	}
	return mechs
}

// validMechanism: a SASL mechanism name is 1 to 20 upper-case letters,
// digits, '-' and '_' (RFC 4422 3.1), so it cannot break a CAPA line.
func validMechanism(m string) bool {
	if m == "" || len(m) > 20 {
		return false
	}
	for i := 0; i < len(m); i++ {
		if c := m[i]; !('A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// cmdAUTH runs a SASL exchange (RFC 5034 section 4): "+ " challenges and
// base64 responses, an optional initial response on the AUTH line ("="
// for an empty one), "*" to cancel.
func (c *conn) cmdAUTH(cmd *command) bool {
	if cmd.nargs == 0 {
		// RFC 1734 style, still sent by some clients: list mechanisms.
		c.bw.WriteString("+OK\r\n")
		if c.secure() {
			for _, m := range c.authMechanisms() {
				c.bw.WriteString(m + "\r\n")
			}
		}
		c.bw.WriteString(".\r\n")
		return true
	}
	if !c.secure() {
		c.insecureReply()
		return true
	}
	mech := string(bytes.ToUpper(cmd.arg(0)))
	if !slices.Contains(c.authMechanisms(), mech) {
		c.reply(false, "", "Unsupported authentication mechanism")
		return true
	}
	op := "AUTH " + mech
	var (
		user     string
		md       Maildrop
		loginErr error
		loggedIn bool
	)
	login := func(username, password string) error {
		user = username
		loggedIn = true
		if !c.allowed(op, username) {
			loginErr = errLoginBlocked
			return loginErr
		}
		md, loginErr = c.srv.Backend.Login(c.ctx, c.connInfo(), username, password)
		return loginErr
	}
	var srv sasl.Server
	switch mech {
	case sasl.Plain:
		srv = sasl.NewPlainServer(func(identity, username, password string) error {
			if identity != "" && identity != username {
				return errAuthzid
			}
			return login(username, password)
		})
	case sasl.Login:
		srv = &loginServer{authenticate: login}
	default:
		return c.authSASL(op, mech, cmd)
	}
	ir, ok := c.initialResponse(cmd)
	if !ok {
		return true
	}
	stop, err := c.saslExchange(srv, ir)
	switch {
	case stop != nil:
		return *stop
	case err != nil && loggedIn:
		return c.loginResult(op, user, md, loginErr)
	case err != nil:
		// A malformed exchange counts as a failed attempt.
		return c.authFailed(op, user, ErrAuthFailed, true)
	}
	return c.loginResult(op, user, md, nil)
}

// authSASL runs a mechanism of the backend.
func (c *conn) authSASL(op, mech string, cmd *command) bool {
	ir, ok := c.initialResponse(cmd)
	if !ok {
		return true
	}
	srv, err := c.srv.Backend.(SASLBackend).AuthSASL(c.ctx, c.connInfo(), mech)
	if err == nil && srv == nil {
		err = errors.New("pop3: SASLBackend.AuthSASL returned a nil SASLServer")
	}
	if err != nil {
		return c.loginResult(op, "", nil, err)
	}
	// The LoginLimiter is asked before the first step, and again once the
	// mechanism names the user before checking its proof (SCRAM), as PASS
	// asks before the password.
	step := c.logins().GateSASL(c.ctx, c.raw.RemoteAddr(), op, srv, errLoginBlocked)
	stop, err := c.saslExchange(step, ir)
	switch {
	case stop != nil:
		return *stop
	case err != nil:
		return c.loginResult(op, netserver.SASLUsername(srv), nil, err)
	}
	md, err := srv.Maildrop(c.ctx)
	return c.loginResult(op, netserver.SASLUsername(srv), md, err)
}

// initialResponse decodes the initial response of an AUTH line (nil if
// none); it answers a bad one itself and returns false.
func (c *conn) initialResponse(cmd *command) ([]byte, bool) {
	if cmd.nargs != 2 {
		return nil, true
	}
	ir := cmd.arg(1)
	if string(ir) == "=" {
		return []byte{}, true
	}
	resp, err := decodeBase64(ir)
	if err != nil {
		c.reply(false, "", "Invalid base64 in initial response")
		return nil, false
	}
	return resp, true
}

// saslExchange runs srv from the initial response ir until it is done
// (nil, nil) or fails (its error). stop is set when the exchange ended
// otherwise (cancelled, a bad line: the response was sent), and holds
// what the command returns.
func (c *conn) saslExchange(srv netserver.SASLStep, ir []byte) (stop *bool, err error) {
	ret := func(v bool) *bool { return &v }
	resp := ir
	for {
		challenge, done, err := srv.Next(resp)
		if err != nil {
			return nil, err
		}
		if done {
			return nil, nil
		}
		c.bw.WriteString("+ ")
		c.bw.WriteString(base64.StdEncoding.EncodeToString(challenge))
		c.bw.WriteString("\r\n")
		if err := c.flush(); err != nil {
			return ret(false), nil
		}
		line, err := c.readAuthLine()
		if err == errLineTooLong {
			c.reply(false, "", "Authentication response too long")
			return ret(true), nil
		}
		if err != nil {
			c.endOnReadError(err)
			return ret(false), nil
		}
		if string(line) == "*" {
			// RFC 5034 section 4: the client cancels.
			c.reply(false, "", "Authentication cancelled")
			return ret(true), nil
		}
		if resp, err = decodeBase64(line); err != nil {
			c.reply(false, "", "Invalid base64 in response")
			return ret(true), nil
		}
	}
}

// readAuthLine reads one AUTH continuation line under the idle timeout.
func (c *conn) readAuthLine() ([]byte, error) {
	c.raw.SetReadDeadline(time.Now().Add(c.srv.idleTimeout()))
	return c.readLine(c.srv.readerSize())
}

func decodeBase64(b []byte) ([]byte, error) {
	out := make([]byte, base64.StdEncoding.DecodedLen(len(b)))
	n, err := base64.StdEncoding.Decode(out, b)
	return out[:n], err
}

// loginServer is the server side of the LOGIN mechanism
// (draft-murchison-sasl-login): it asks for the user name, then for the
// password, with the challenges "Username:" and "Password:". An initial
// response is the user name.
type loginServer struct {
	authenticate func(username, password string) error
	step         int
	username     string
}

func (s *loginServer) Next(response []byte) (challenge []byte, done bool, err error) {
	switch s.step {
	case 0:
		s.step = 1
		if response == nil {
			return []byte("Username:"), false, nil
		}
		fallthrough
	case 1:
		s.username = string(response)
		s.step = 2
		return []byte("Password:"), false, nil
	case 2:
		s.step = 3
		return nil, true, s.authenticate(s.username, string(response))
	}
	return nil, false, sasl.ErrUnexpectedClientResponse
}
