package netserver

import (
	"context"
	"log/slog"
	"net"
	"net/netip"
	"time"

	"github.com/mailwright/mailwright/internal/safetext"
)

// LoginLimiter is the login throttling that smtp, pop3 and imap each
// declare as their LoginLimiter, with the same methods, so that one
// value (a mailbox/throttle.Logins) serves the three servers.
type LoginLimiter interface {
	LoginAllowed(ctx context.Context, ip netip.Addr, user string) error
	LoginFailed(ctx context.Context, ip netip.Addr, user string) time.Duration
	LoginSucceeded(ctx context.Context, ip netip.Addr, user string)
}

// Logins is how a session consults its server's LoginLimiter (nil: none,
// every method then only logs what it must). Proto is "smtp", "pop3" or
// "imap", as in LoginFailed.
type Logins struct {
	Limiter LoginLimiter
	Logger  *slog.Logger
	Proto   string
}

// Allowed asks the limiter whether a login from remote as user (empty
// when not yet known) may be tried, before its credentials are checked.
// A refusal is logged at Warn, for fail2ban and the like:
//
//	level=WARN msg="login blocked" proto=imap ip=192.0.2.7 user=alice method=LOGIN reason="Too many failed logins ..."
func (l Logins) Allowed(ctx context.Context, remote net.Addr, user, method string) bool {
	if l.Limiter == nil {
		return true
	}
	ip, _ := RemoteIP(remote)
	err := l.Limiter.LoginAllowed(ctx, ip, user)
	if err == nil {
		return true
	}
	l.Logger.LogAttrs(ctx, slog.LevelWarn, "login blocked",
		slog.String("proto", l.Proto),
		slog.String("ip", IPKey(remote)),
		slog.String("user", safetext.Line(cut(user))),
		slog.String("method", method),
		slog.String("reason", err.Error()))
	return false
}

// Failed logs refused credentials (LoginFailed), records them with the
// limiter, and waits as long as the limiter says before the session
// answers, or until ctx ends.
func (l Logins) Failed(ctx context.Context, remote net.Addr, user, method string) {
	LoginFailed(ctx, l.Logger, l.Proto, remote, user, method)
	if l.Limiter == nil {
		return
	}
	ip, _ := RemoteIP(remote)
	d := l.Limiter.LoginFailed(ctx, ip, user)
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// Succeeded records a successful login with the limiter.
func (l Logins) Succeeded(ctx context.Context, remote net.Addr, user string) {
	if l.Limiter == nil {
		return
	}
	ip, _ := RemoteIP(remote)
	l.Limiter.LoginSucceeded(ctx, ip, user)
}
