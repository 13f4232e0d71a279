package netserver

import (
	"context"
	"log/slog"
	"net"

	"github.com/mailwright/mailwright/internal/safetext"
)

// maxLoggedUser bounds the user name in a log record: it comes from the
// client, which may send kilobytes.
const maxLoggedUser = 256

// LoginFailed logs a refused login (bad credentials, or a malformed
// authentication exchange) in the one format that smtp, pop3 and imap
// share, at Warn so that it survives a production log level: an operator,
// or fail2ban, matches one line for every protocol. With slog's text
// handler:
//
//	level=WARN msg="login failed" proto=imap ip=192.0.2.7 user=alice method=LOGIN
//
// proto is "smtp", "pop3" or "imap"; ip is the client's address without
// port; user is the name the client gave (possibly empty), sanitized and
// cut to 256 bytes; method is the command or mechanism.
func LoginFailed(ctx context.Context, logger *slog.Logger, proto string, remote net.Addr, user, method string) {
	logger.LogAttrs(ctx, slog.LevelWarn, "login failed",
		slog.String("proto", proto),
		slog.String("ip", IPKey(remote)),
		slog.String("user", safetext.Line(cut(user))),
		slog.String("method", method))
}

// cut bounds a user name for the log.
func cut(user string) string {
	if len(user) > maxLoggedUser {
		return user[:maxLoggedUser]
	}
	return user
}
