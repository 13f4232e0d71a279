package pop3

import (
	"context"
	"crypto/md5"
	"crypto/tls"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/emersion/go-sasl"

	"github.com/mailwright/mailwright/internal/saslmech"
)

const (
	// RFC 2449 section 4: a command line is at most 255 octets, CRLF
	// included.
	clientMaxCommandLine = 255
	// clientMaxSASLSteps bounds the challenges of one AUTH exchange, so a
	// server cannot keep a mechanism answering for ever.
	clientMaxSASLSteps = 32
)

// Login logs in with USER and PASS (RFC 1939 section 7). The password
// goes in clear: on a connection without TLS, call StartTLS first (most
// servers, ours included, refuse it otherwise). A refusal is an *Error;
// errors.Is(err, ErrAuthFailed) holds when the server sent [AUTH]
// (RFC 3206), and errors.Is(err, ErrInUse) when the maildrop is locked
// (RFC 2449 [IN-USE]).
func (c *Client) Login(ctx context.Context, username, password string) error {
	if err := checkUsername(username); err != nil {
		return err
	}
	return c.call(ctx, func() error {
		if _, err := c.cmd("USER " + username); err != nil {
			return err
		}
		_, err := c.cmd("PASS " + password)
		return err
	})
}

// checkUsername refuses a name that would change the command: RFC 1939
// separates arguments with a space, and CR, LF and NUL end or cut lines.
func checkUsername(username string) error {
	if username == "" || strings.ContainsAny(username, " \t\r\n\x00") {
		return fmt.Errorf("pop3: invalid user name %q", username)
	}
	return nil
}

// APOP logs in with APOP (RFC 1939 section 7): the server checks the MD5
// digest of the timestamp in its greeting and the shared secret, which is
// not sent. It fails with an error matching errors.ErrUnsupported, sending
// nothing, when the greeting has no timestamp. MD5 is weak; prefer Login
// or Auth over TLS.
func (c *Client) APOP(ctx context.Context, username, secret string) error {
	if err := checkUsername(username); err != nil {
		return err
	}
	if c.timestamp == "" {
		return fmt.Errorf("pop3: the server does not offer APOP (no timestamp in its greeting): %w", errors.ErrUnsupported)
	}
	digest := md5.Sum([]byte(c.timestamp + secret))
	return c.call(ctx, func() error {
		_, err := c.cmd("APOP " + username + " " + hex.EncodeToString(digest[:]))
		return err
	})
}

// Auth authenticates with the SASL client a (RFC 5034), for example
// sasl.NewPlainClient("", user, password). The initial response, if the
// mechanism has one, goes on the AUTH line ("=" when empty) unless that
// would make the line longer than the 255 octets of RFC 2449 section 4:
// it then answers the server's first, empty challenge. Each "+ " challenge
// is base64-decoded and passed to a.Next. If a.Next fails, or a challenge
// is not valid base64, Auth cancels the exchange with "*" and the session
// goes on. A rejection is an *Error, as for Login. A client from
// NewSCRAMClient or NewOAuthBearerClient learns the connection's TLS
// state and the server's mechanisms first (Auth sends CAPA for them if
// Capabilities has not been called since the connection or StartTLS
// began), and checks the outcome (see there).
func (c *Client) Auth(ctx context.Context, a sasl.Client) error {
	if b, ok := a.(saslmech.Binder); ok {
		if !c.capaKnown {
			// A server without CAPA offers nothing a client can know of.
			if _, err := c.Capabilities(ctx); err != nil && c.broken != nil {
				return err
			}
		}
		var cs *tls.ConnectionState
		if st, ok := c.TLSConnectionState(); ok {
			cs = &st
		}
		b.Bind(cs, c.saslMechs)
	}
	mech, ir, err := a.Start()
	if err != nil {
		return err
	}
	if mech == "" || strings.ContainsAny(mech, " \t\r\n\x00") {
		return fmt.Errorf("pop3: invalid SASL mechanism name %q", mech)
	}
	cancelled := false
	err = c.call(ctx, func() (err error) {
		cancelled, err = c.auth(a, mech, ir)
		return err
	})
	if e, ok := a.(saslmech.Ender); ok && !cancelled {
		err = e.End(err)
	}
	return err
}

// auth runs the exchange; cancelled says that the client side ended it.
func (c *Client) auth(a sasl.Client, mech string, ir []byte) (cancelled bool, err error) {
	line := "AUTH " + mech
	pending := ir // an initial response not yet sent
	if ir != nil {
		// RFC 5034 section 4: "=" stands for an empty initial response.
		enc := "="
		if len(ir) > 0 {
			enc = base64.StdEncoding.EncodeToString(ir)
		}
		if len(line)+1+len(enc)+2 <= clientMaxCommandLine {
			line += " " + enc
			pending = nil
		}
	}
	if err := c.send(line); err != nil {
		return false, err
	}
	for step := 0; ; step++ {
		r, err := c.readResponse()
		switch {
		case err != nil:
			return false, err
		case r.kind == responseOK:
			return false, nil
		case r.kind == responseErr:
			return false, r.err()
		case step == clientMaxSASLSteps:
			return true, c.cancelAuth(fmt.Errorf("pop3: more than %d SASL challenges", clientMaxSASLSteps))
		}
		challenge, err := base64.StdEncoding.DecodeString(r.text)
		if err != nil {
			return true, c.cancelAuth(errors.New("pop3: SASL challenge is not base64"))
		}
		var resp []byte
		if pending != nil && len(challenge) == 0 {
			// RFC 4422 5.1: the initial response answers the empty
			// challenge that a mechanism with one starts with.
			resp, pending = pending, nil
		} else if resp, err = a.Next(challenge); err != nil {
			return true, c.cancelAuth(err)
		}
		if err := c.send(base64.StdEncoding.EncodeToString(resp)); err != nil {
			return false, err
		}
	}
}

// cancelAuth sends "*" (RFC 5034 section 4) and reads the server's -ERR,
// so that the session stays in step, and returns why.
func (c *Client) cancelAuth(why error) error {
	if err := c.send("*"); err != nil {
		return err
	}
	r, err := c.readResponse()
	if err != nil {
		return err
	}
	if r.kind != responseErr {
		return c.fail(badResponse("%q after the client cancelled AUTH", r.text))
	}
	return why
}
