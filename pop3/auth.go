package pop3

import (
	"bytes"
	"encoding/base64"
	"errors"
	"time"

	"github.com/emersion/go-sasl"
)

// mechanisms are the SASL mechanisms AUTH accepts, in CAPA order.
var mechanisms = []string{sasl.Plain, sasl.Login}

// errAuthzid refuses a PLAIN authorization identity other than the user:
// logging in as someone else needs an admin feature we do not offer.
var errAuthzid = errors.New("pop3: authorization identity differs from user")

// cmdAUTH runs a SASL exchange (RFC 5034 section 4): "+ " challenges and
// base64 responses, an optional initial response on the AUTH line ("="
// for an empty one), "*" to cancel.
func (c *conn) cmdAUTH(cmd *command) bool {
	if cmd.nargs == 0 {
		// RFC 1734 style, still sent by some clients: list mechanisms.
		c.bw.WriteString("+OK\r\n")
		if c.secure() {
			for _, m := range mechanisms {
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
	var (
		user     string
		md       Maildrop
		loginErr error
		loggedIn bool
	)
	op := "AUTH " + string(bytes.ToUpper(cmd.arg(0)))
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
	switch op {
	case "AUTH " + sasl.Plain:
		srv = sasl.NewPlainServer(func(identity, username, password string) error {
			if identity != "" && identity != username {
				return errAuthzid
			}
			return login(username, password)
		})
	case "AUTH " + sasl.Login:
		srv = &loginServer{authenticate: login}
	default:
		c.reply(false, "", "Unsupported authentication mechanism")
		return true
	}

	var resp []byte
	if cmd.nargs == 2 {
		ir := cmd.arg(1)
		if string(ir) == "=" {
			resp = []byte{}
		} else {
			var err error
			if resp, err = decodeBase64(ir); err != nil {
				c.reply(false, "", "Invalid base64 in initial response")
				return true
			}
		}
	}
	for {
		challenge, done, err := srv.Next(resp)
		if err != nil {
			if loggedIn {
				return c.loginResult(op, user, md, loginErr)
			}
			// A malformed exchange counts as a failed attempt.
			return c.authFailed(op, user, ErrAuthFailed, true)
		}
		if done {
			return c.loginResult(op, user, md, nil)
		}
		c.bw.WriteString("+ ")
		c.bw.WriteString(base64.StdEncoding.EncodeToString(challenge))
		c.bw.WriteString("\r\n")
		if err := c.flush(); err != nil {
			return false
		}
		line, err := c.readAuthLine()
		if err == errLineTooLong {
			c.reply(false, "", "Authentication response too long")
			return true
		}
		if err != nil {
			c.endOnReadError(err)
			return false
		}
		if string(line) == "*" {
			// RFC 5034 section 4: the client cancels.
			c.reply(false, "", "Authentication cancelled")
			return true
		}
		if resp, err = decodeBase64(line); err != nil {
			c.reply(false, "", "Invalid base64 in response")
			return true
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
