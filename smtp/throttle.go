package smtp

import (
	"context"
	"errors"
	"net/netip"
	"time"

	"github.com/mailwright/mailwright/internal/netserver"
)

// LoginLimiter throttles password guessing across sessions, and across
// servers when one limiter is shared with IMAP and POP3:
// mailbox/throttle.Logins is one. ip is the client's address (invalid for
// a client without one); user is the name the client gave, empty while
// it is not known (at the start of an AUTH exchange).
type LoginLimiter interface {
	// LoginAllowed is asked before the credentials are checked: an error
	// refuses the attempt with 454 4.7.0 without checking them.
	LoginAllowed(ctx context.Context, ip netip.Addr, user string) error
	// LoginFailed records refused credentials and returns how long the
	// server waits before it answers.
	LoginFailed(ctx context.Context, ip netip.Addr, user string) time.Duration
	// LoginSucceeded records a successful AUTH.
	LoginSucceeded(ctx context.Context, ip netip.Addr, user string)
}

// errLoginBlocked is an AUTH attempt that the LoginLimiter refused.
var errLoginBlocked = errors.New("smtp: login blocked by the LoginLimiter")

// replyLoginBlocked answers it (RFC 4954 6: 454 4.7.0, a temporary
// authentication failure).
var replyLoginBlocked = &Error{Code: 454, EnhancedCode: EnhancedCode{4, 7, 0}, Message: "Too many failed logins; try again later"}

// logins is the session's view of the server's LoginLimiter.
func (c *Conn) logins() netserver.Logins {
	return netserver.Logins{Limiter: c.server.LoginLimiter, Logger: c.server.logger(), Proto: "smtp"}
}
