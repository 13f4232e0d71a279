package smtp

import (
	"github.com/emersion/go-sasl"

	"github.com/mailwright/mailwright/internal/saslmech"
)

// NewSCRAMClient returns the client side of SCRAM-SHA-256 (RFC 7677, RFC
// 5802) for Client.Auth, which gives it the connection's TLS state and
// the mechanisms the server offered. Over TLS, when the server offers
// SCRAM-SHA-256-PLUS, it uses that, with channel binding (RFC 5802 6):
// tls-exporter (RFC 9266) where the connection has it, else tls-unique,
// else tls-server-end-point (RFC 5929). Over TLS to a server that does not
// offer -PLUS, it says that it could have bound the channel (flag 'y'), so
// that a server which does offer it detects an attacker that removed it.
// It refuses an iteration count below 4096 or above 4194304, and Auth
// fails, even after the server's 235, when the server did not prove that
// it knows the credentials (the server signature).
func NewSCRAMClient(username, password string) sasl.Client {
	return &saslmech.SCRAMClient{Mech: saslmech.SHA256, Username: username, Password: password}
}

// NewOAuthBearerClient returns the client side of OAUTHBEARER (RFC 7628)
// for Client.Auth: opts.Token is the OAuth 2.0 bearer token, opts.Username
// the authorization identity (usually empty), opts.Host and opts.Port
// where the client connected (optional). Unlike go-sasl's client, it
// escapes the authorization identity (RFC 5801 4) and answers the
// server's error with the %x01 that RFC 7628 3.2.3 requires; Auth then
// returns the server's refusal joined with a *sasl.OAuthBearerError that
// holds the status and scope of the server's error (errors.As finds
// both).
func NewOAuthBearerClient(opts *sasl.OAuthBearerOptions) sasl.Client {
	return saslmech.NewOAuthBearerClient(opts)
}
