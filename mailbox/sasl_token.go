package mailbox

import (
	"context"
	"errors"
	"strings"

	"github.com/mailwright/mailwright/internal/saslmech"
)

// TokenVerifier checks the OAuth 2.0 bearer tokens of OAUTHBEARER logins
// (RFC 7628). The application implements it against its authorization
// server: token introspection (RFC 7662), or the signature and claims of
// a JWT access token (RFC 9068). Servers offer OAUTHBEARER only when they
// have one (SASL.TokenVerifier, IMAPBackend.TokenVerifier, ...).
type TokenVerifier interface {
	// VerifyToken returns the account that req's token grants access to,
	// by its canonical name (as Authenticate returns it). A token that
	// is not valid, expired or not meant for this server gives a
	// *TokenError, which the client receives (RFC 7628 3.2.2); other
	// errors are failures of the verifier, a temporary failure for the
	// client.
	VerifyToken(ctx context.Context, req TokenRequest) (user string, err error)
}

// TokenVerifierFunc adapts a function to TokenVerifier.
type TokenVerifierFunc func(ctx context.Context, req TokenRequest) (string, error)

// VerifyToken calls f.
func (f TokenVerifierFunc) VerifyToken(ctx context.Context, req TokenRequest) (string, error) {
	return f(ctx, req)
}

// TokenRequest is what an OAUTHBEARER client sent.
type TokenRequest struct {
	// Token is the bearer token.
	Token string
	// AuthzID is the user the client asks to act as ("" if it named
	// none); it must be the account the token grants, which SASL checks.
	AuthzID string
	// Host and Port are where the client thinks it connected (RFC 7628
	// 3.1), "" and 0 when it did not say.
	Host string
	Port int
}

// TokenError refuses a token with the error response of RFC 7628 3.2.2.
type TokenError struct {
	// Status is the error code of RFC 6749 5.2 or RFC 6750 3.1:
	// "invalid_token", "insufficient_scope", "invalid_request".
	Status string
	// Scope is the scope a token needs, if the client should ask for
	// another; OpenIDConfiguration the URL of the OpenID Connect
	// discovery document that tells the client where to get one.
	Scope, OpenIDConfiguration string
}

func (e *TokenError) Error() string { return "mailbox: token refused: " + e.Status }

// ErrInvalidToken is the usual refusal of a token.
var ErrInvalidToken = &TokenError{Status: "invalid_token"}

// verifyToken runs the TokenVerifier for an OAUTHBEARER message and checks
// the account it names.
func (s SASL) verifyToken(ctx context.Context, m saslmech.OAuthBearerMessage) (string, error) {
	user, err := s.TokenVerifier.VerifyToken(ctx, TokenRequest{Token: m.Token, AuthzID: m.AuthzID, Host: m.Host, Port: m.Port})
	var te *TokenError
	if errors.As(err, &te) {
		return "", &saslmech.OAuthError{Status: te.Status, Scope: te.Scope, OpenIDConfiguration: te.OpenIDConfiguration}
	}
	if err != nil {
		return "", err
	}
	if user, err = canonicalAccountName(user); err != nil {
		return "", errors.New("mailbox: TokenVerifier returned an invalid account name: " + err.Error())
	}
	if acc, ok := s.Auth.(Accounts); ok {
		canonical, found, err := acc.Lookup(ctx, user)
		if err != nil {
			return "", err
		}
		if !found {
			return "", &saslmech.OAuthError{Status: "invalid_token"}
		}
		user = canonical
	}
	// RFC 7628 3.1: the authorization identity, if any, must be the
	// account of the token.
	if m.AuthzID != "" && !strings.EqualFold(m.AuthzID, user) {
		acc, ok := s.Auth.(Accounts)
		if !ok {
			return "", &saslmech.OAuthError{Status: "invalid_token"}
		}
		named, found, err := acc.Lookup(ctx, m.AuthzID)
		if err != nil {
			return "", err
		}
		if !found || named != user {
			return "", &saslmech.OAuthError{Status: "invalid_token"}
		}
	}
	return user, nil
}
