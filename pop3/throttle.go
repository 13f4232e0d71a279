package pop3

import (
	"context"
	"net/netip"
	"time"

	"github.com/mailwright/mailwright/internal/netserver"
)

// LoginLimiter throttles password guessing across sessions, and across
// servers when one limiter is shared with SMTP and IMAP:
// mailbox/throttle.Logins is one. ip is the client's address (invalid for
// a client without one); user is the name the client gave, empty while it
// is not known (at the start of a SASL exchange: a SASLBackend's
// mechanism is asked for with no user first, then again once it names
// one, before its proof is checked).
type LoginLimiter interface {
	// LoginAllowed is asked before the credentials are checked: an error
	// refuses the attempt with -ERR [SYS/TEMP] without checking them.
	LoginAllowed(ctx context.Context, ip netip.Addr, user string) error
	// LoginFailed records refused credentials and returns how long the
	// server waits before it answers.
	LoginFailed(ctx context.Context, ip netip.Addr, user string) time.Duration
	// LoginSucceeded records a successful login.
	LoginSucceeded(ctx context.Context, ip netip.Addr, user string)
}

// errLoginBlocked is a login that the LoginLimiter refused; RFC 3206
// SYS/TEMP: the client may try again later.
var errLoginBlocked = &Error{Code: "SYS/TEMP", Message: "Too many failed logins; try again later"}

// logins is the session's view of the server's LoginLimiter.
func (c *conn) logins() netserver.Logins {
	return netserver.Logins{Limiter: c.srv.LoginLimiter, Logger: c.srv.logger(), Proto: "pop3"}
}

// allowed asks the LoginLimiter whether a login as user may be tried now,
// before its credentials are checked by op (PASS, APOP, AUTH ...).
func (c *conn) allowed(op, user string) bool {
	return c.logins().Allowed(c.ctx, c.raw.RemoteAddr(), user, op)
}
