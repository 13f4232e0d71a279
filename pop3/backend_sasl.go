package pop3

import (
	"context"

	"github.com/emersion/go-sasl"
)

// SASLBackend is implemented by a Backend that offers SASL mechanisms
// besides PLAIN and LOGIN to AUTH (RFC 5034), such as SCRAM-SHA-256 or
// OAUTHBEARER (mailbox.POP3Backend does). The server lists them in the
// CAPA SASL line and accepts them where it accepts PLAIN: on a
// connection with TLS, or with AllowInsecureAuth.
type SASLBackend interface {
	// AuthMechanisms lists the mechanisms to offer on conn, upper-case.
	// conn.TLS tells whether one with channel binding (-PLUS) can work;
	// conn.ChannelBinding gives its data.
	AuthMechanisms(conn ConnInfo) []string
	// AuthSASL starts an exchange of mech, one of the mechanisms that
	// AuthMechanisms returned for conn.
	AuthSASL(ctx context.Context, conn ConnInfo, mech string) (SASLServer, error)
}

// SASLServer is the server side of one AUTH exchange. Its Next refuses
// the login as Backend.Login does: an error wrapping ErrAuthFailed for
// what the client sent, logged as a failed login (netserver's format,
// with the method "AUTH <mech>" and, if the server has a method
// Username() string, that user) and counted by the server's
// LoginLimiter; any other error is a failure of the backend. The
// LoginLimiter is asked before the first step and again before the step
// after Username names a user, so a blocked client never reaches the
// proof.
type SASLServer interface {
	sasl.Server
	// Maildrop returns the maildrop of the user the exchange
	// authenticated, locked as Backend.Login locks it. The server calls it
	// once, after Next has reported done without an error; its errors are
	// those of Backend.Login.
	Maildrop(ctx context.Context) (Maildrop, error)
}
