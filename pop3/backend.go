package pop3

import (
	"context"
	"crypto/tls"
	"io"
	"net"

	"github.com/mailwright/mailwright/internal/saslmech"
)

// ConnInfo describes the client connection a login comes from.
type ConnInfo struct {
	RemoteAddr net.Addr
	LocalAddr  net.Addr
	TLS        *tls.ConnectionState // nil on a plaintext connection

	tlsConfig *tls.Config // of the handshake, for ChannelBinding
}

// ChannelBinding returns the TLS channel binding data of type kind (RFC
// 5056) for a SASL mechanism with channel binding, such as
// SCRAM-SHA-256-PLUS: "tls-exporter" (RFC 9266; TLS 1.3, or TLS 1.2
// with the extended master secret), "tls-unique" (RFC 5929 3; TLS 1.2
// only) or "tls-server-end-point" (RFC 5929 4). It fails without TLS and
// for a type the connection does not have; tls-server-end-point needs a
// TLSConfig with one certificate and no GetCertificate or
// GetConfigForClient, since crypto/tls does not tell a server which
// certificate its handshake presented.
func (ci ConnInfo) ChannelBinding(kind string) ([]byte, error) {
	return saslmech.Binding(kind, ci.TLS, saslmech.ServedCertificate(ci.tlsConfig))
}

// Backend authenticates users and opens their maildrops.
type Backend interface {
	// Login checks the credentials and returns the user's maildrop, locked
	// for this session (RFC 1939 section 4: the exclusive-access lock). It
	// returns an error that wraps ErrAuthFailed for bad credentials and
	// ErrInUse when another session holds the maildrop. USER/PASS and
	// AUTH PLAIN and LOGIN all come here.
	Login(ctx context.Context, conn ConnInfo, username, password string) (Maildrop, error)
}

// BackendFunc adapts a login function to the Backend interface.
type BackendFunc func(ctx context.Context, conn ConnInfo, username, password string) (Maildrop, error)

// Login calls f.
func (f BackendFunc) Login(ctx context.Context, conn ConnInfo, username, password string) (Maildrop, error) {
	return f(ctx, conn, username, password)
}

// APOPBackend is implemented by backends that can verify an APOP digest
// (RFC 1939 section 7), which needs the shared secret in clear on the server.
// The server advertises and accepts APOP only when the backend implements it.
type APOPBackend interface {
	// LoginAPOP checks digest = hex(MD5(timestamp + secret)) for username.
	LoginAPOP(ctx context.Context, conn ConnInfo, username, timestamp, digest string) (Maildrop, error)
}

// Message is one message of a maildrop as the session lists it.
type Message struct {
	// UID is the unique-id listing of RFC 1939 UIDL: 1 to 70 characters in
	// the range 0x21-0x7E, stable across sessions and restarts.
	UID string
	// Size is the exact number of octets RETR sends for the message before
	// byte-stuffing, with every line ending as CRLF: the length of the
	// content once each LF not preceded by CR counts as CRLF, plus 2 when
	// the content is not empty and does not end with LF (the server ends
	// the last line with CRLF, RFC 1939 section 3).
	Size int64
}

// Maildrop is one user's mailbox as one POP3 session sees it. The server
// calls Messages once, at login, and works on that snapshot (RFC 1939).
// The methods of one Maildrop are called from one goroutine, never
// concurrently; messages delivered after login appear in the next session.
type Maildrop interface {
	// Messages returns the messages present when the session started.
	Messages(ctx context.Context) ([]Message, error)
	// Open returns the content of the message with the given UID. Line
	// endings may be LF or CRLF; the server sends CRLF either way, and
	// streams the content with buffers of bounded size.
	Open(ctx context.Context, uid string) (io.ReadCloser, error)
	// Delete removes the messages with the given UIDs. The server calls it
	// once, in the UPDATE state after QUIT, only when the client marked
	// messages deleted, and never when the connection drops (RFC 1939
	// section 6). A UID that is already gone is not an error.
	Delete(ctx context.Context, uids []string) error
	// Close releases the maildrop; it is called once at the end of every
	// session that Login opened, after Delete if there was one.
	Close() error
}
