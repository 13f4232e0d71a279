package pop3

import (
	"github.com/emersion/go-sasl"

	"github.com/mailwright/mailwright/internal/saslmech"
)

// NewSCRAMClient returns the client side of SCRAM-SHA-256 (RFC 7677) for
// Client.Auth, the same as the smtp package's: SCRAM-SHA-256-PLUS with
// channel binding when the connection uses TLS and the server offers it,
// flag 'y' over TLS otherwise, and Auth fails, even after the server's
// +OK, when the server did not prove that it knows the credentials.
func NewSCRAMClient(username, password string) sasl.Client {
	return &saslmech.SCRAMClient{Mech: saslmech.SHA256, Username: username, Password: password}
}

// NewOAuthBearerClient returns the client side of OAUTHBEARER (RFC 7628)
// for Client.Auth, the same as the smtp package's: Auth returns the
// server's refusal joined with a *sasl.OAuthBearerError that holds the
// status of the server's error response.
func NewOAuthBearerClient(opts *sasl.OAuthBearerOptions) sasl.Client {
	return saslmech.NewOAuthBearerClient(opts)
}
