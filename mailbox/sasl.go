package mailbox

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/mailwright/mailwright/internal/saslmech"
)

// SASL mechanism names of SASL.
const (
	SCRAMSHA256     = "SCRAM-SHA-256"
	SCRAMSHA256Plus = "SCRAM-SHA-256-PLUS"
	OAuthBearer     = "OAUTHBEARER"
)

// SASL runs the SASL mechanisms that need more than a password check,
// for any protocol server: SCRAM-SHA-256 and SCRAM-SHA-256-PLUS (RFC
// 7677, RFC 5802) when Auth keeps SCRAM credentials (SCRAMAuthenticator),
// and OAUTHBEARER (RFC 7628) when there is a TokenVerifier. IMAPBackend,
// POP3Backend and delivery.Agent offer them through it next to PLAIN (and
// LOGIN); another server (ManageSieve) can do the same:
//
//	s := mailbox.SASL{Auth: accounts, TokenVerifier: verifier}
//	mechs := s.Mechanisms(tlsState)                  // what to advertise
//	ex, err := s.Start(ctx, "SCRAM-SHA-256", channel) // a sasl.Server
//	// ... ex.Next until done; then ex.User() is the account
//
// SCRAM-SHA-256 is offered to every user, also those whose credentials
// are not stored yet (they get them at their next password login): for
// them it fails like a wrong password, since the mechanism is offered
// before the user is known and a different answer would tell which
// accounts exist.
type SASL struct {
	// Auth checks passwords; SCRAM is offered when it is a
	// SCRAMAuthenticator. For OAUTHBEARER, when it is an Accounts, the
	// account a token names must exist.
	Auth Authenticator
	// TokenVerifier checks OAUTHBEARER tokens; nil does not offer it.
	TokenVerifier TokenVerifier
}

// SASLChannel is what a mechanism needs to know of the connection.
type SASLChannel struct {
	// TLS is the connection's TLS state, nil without TLS.
	TLS *tls.ConnectionState
	// ChannelBinding returns the TLS channel binding data of a type (the
	// protocol servers' ConnInfo.ChannelBinding and Conn.ChannelBinding).
	ChannelBinding func(kind string) ([]byte, error)
}

// ErrUnknownMechanism reports a Start of a mechanism that SASL does not
// offer on the connection.
var ErrUnknownMechanism = errors.New("mailbox: SASL mechanism not offered")

// Mechanisms lists the mechanisms to offer on a connection whose TLS
// state is cs (nil without TLS): -PLUS, with channel binding, only with
// TLS.
func (s SASL) Mechanisms(cs *tls.ConnectionState) []string {
	var mechs []string
	if _, ok := s.Auth.(SCRAMAuthenticator); ok {
		if cs != nil {
			mechs = append(mechs, SCRAMSHA256Plus)
		}
		mechs = append(mechs, SCRAMSHA256)
	}
	if s.TokenVerifier != nil {
		mechs = append(mechs, OAuthBearer)
	}
	return mechs
}

// Start begins an exchange of mech on the connection ch. It fails with
// ErrUnknownMechanism for a mechanism Mechanisms does not offer there.
func (s SASL) Start(ctx context.Context, mech string, ch SASLChannel) (*SASLExchange, error) {
	mech = strings.ToUpper(mech)
	if !slices.Contains(s.Mechanisms(ch.TLS), mech) {
		return nil, fmt.Errorf("%w: %s", ErrUnknownMechanism, mech)
	}
	ex := &SASLExchange{mech: mech}
	switch mech {
	case OAuthBearer:
		ex.srv = &saslmech.OAuthBearerServer{Verify: func(m saslmech.OAuthBearerMessage) error {
			user, err := s.verifyToken(ctx, m)
			ex.user = user
			return err
		}}
	default:
		sa := s.Auth.(SCRAMAuthenticator)
		var user string
		ex.srv = &saslmech.SCRAMServer{
			Mech:        saslmech.SHA256,
			Plus:        mech == SCRAMSHA256Plus,
			PlusOffered: ch.TLS != nil,
			Binding:     ch.ChannelBinding,
			Lookup: func(username string) (saslmech.Credentials, bool, error) {
				u, cred, err := sa.SCRAMCredentials(ctx, username)
				if errors.Is(err, ErrAuthFailed) {
					return decoyCredentials(username, cred.Iterations), false, nil
				}
				user = u
				return saslmech.Credentials(cred), err == nil, err
			},
			Authorize: func(username, authzid string) bool { return sameUser(authzid, username, user) },
		}
		ex.done = func() { ex.user = user }
	}
	return ex, nil
}

// sameUser tells whether the authorization identity authzid names the
// account user that the client logged in to as username: one user may
// not act as another.
func sameUser(authzid, username, user string) bool {
	return strings.EqualFold(authzid, username) || strings.EqualFold(authzid, user)
}

// SASLExchange is one exchange of a mechanism of SASL, a sasl.Server.
// Its Next refuses with an error wrapping ErrAuthFailed what the client
// sent (a wrong proof or token, a malformed message, a channel binding
// that does not match); other errors are failures of Auth or of the
// TokenVerifier.
type SASLExchange struct {
	mech string
	srv  interface {
		Next([]byte) ([]byte, bool, error)
		Username() string
	}
	user string
	done func()
	ok   bool
}

// Next implements sasl.Server.
func (e *SASLExchange) Next(response []byte) (challenge []byte, done bool, err error) {
	challenge, done, err = e.srv.Next(response)
	var f *saslmech.Failure
	if errors.As(err, &f) {
		err = fmt.Errorf("%w: %s %s: %s", ErrAuthFailed, e.mech, f.Code, f.Why)
	}
	if done && err == nil {
		if e.done != nil {
			e.done()
		}
		e.ok = true
	}
	return challenge, done, err
}

// Username returns the user name the client gave ("" before it, and for
// OAUTHBEARER without an authorization identity), for the log of a failed
// exchange.
func (e *SASLExchange) Username() string { return e.srv.Username() }

// User returns the canonical account name once the exchange has
// succeeded, "" before.
func (e *SASLExchange) User() string {
	if !e.ok {
		return ""
	}
	return e.user
}

// Mechanism returns the mechanism of the exchange.
func (e *SASLExchange) Mechanism() string { return e.mech }
