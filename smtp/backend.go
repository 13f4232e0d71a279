package smtp

import (
	"context"
	"io"

	"github.com/emersion/go-sasl"
)

// Backend creates a Session for each client connection.
type Backend interface {
	// NewSession is called when a client connects, before the greeting. An
	// *Error refuses the connection with that reply (RFC 5321 3.1: the
	// server then answers 503 to everything but QUIT); any other error
	// refuses it with 421 and a generic text.
	NewSession(ctx context.Context, c *Conn) (Session, error)
}

// Validator is an optional interface of a Backend that can tell whether
// its configuration works. The server calls Validate before serving (in
// Serve, ServeTLS, ListenAndServe and ListenAndServeTLS) and refuses to
// start with its error, so that a mistake shows at start rather than at
// the first client.
type Validator interface {
	Validate() error
}

// BackendFunc adapts a function to the Backend interface.
type BackendFunc func(ctx context.Context, c *Conn) (Session, error)

// NewSession calls f(ctx, c).
func (f BackendFunc) NewSession(ctx context.Context, c *Conn) (Session, error) { return f(ctx, c) }

// Session handles the mail transactions of one connection. The server
// calls its methods from the connection's goroutine only, one at a time.
//
// Errors that the client should see are *Error values; any other error
// gives 451 4.3.0 with a generic text and is logged.
type Session interface {
	// Mail starts a transaction with the reverse-path from ("" for the null
	// sender <>). opts holds the MAIL parameters.
	Mail(ctx context.Context, from string, opts *MailOptions) error
	// Rcpt adds a recipient; an error rejects that recipient only.
	Rcpt(ctx context.Context, to string, opts *RcptOptions) error
	// Data receives the message. r streams the message content with the
	// SMTP transparency removed and ends at the end of the message; it
	// returns ErrDataTooLarge past Server.MaxMessageBytes. Returning nil
	// acknowledges the message (250): it must then be stored durably.
	// Data need not read r to the end; the server discards the rest.
	Data(ctx context.Context, r io.Reader) error
	// Reset aborts the current transaction (RSET, a new EHLO, the end of a
	// transaction, STARTTLS).
	Reset(ctx context.Context)
	// Logout is called once when the connection ends.
	Logout(ctx context.Context) error
}

// PasswordAuthenticator is implemented by sessions that accept a user name
// and password. The server then offers AUTH PLAIN and AUTH LOGIN.
type PasswordAuthenticator interface {
	// AuthPassword checks the credentials. identity is the authorization
	// identity of PLAIN (usually empty, meaning "the same as username").
	// Return ErrAuthFailed (or another *Error) to refuse.
	AuthPassword(ctx context.Context, identity, username, password string) error
}

// SASLAuthenticator is implemented by sessions that offer further SASL
// mechanisms (RFC 4954). The server advertises the mechanisms it returns.
type SASLAuthenticator interface {
	// AuthMechanisms lists the mechanism names, e.g. "XOAUTH2".
	AuthMechanisms() []string
	// AuthSASL starts an exchange for one of those mechanisms. When the
	// exchange succeeds the connection counts as authenticated; if the
	// returned server has a method Identity() string, that is the identity
	// Conn.AuthIdentity reports, otherwise the mechanism name. If it has a
	// method Username() string, the log line of a failed exchange
	// (netserver's format, method "AUTH <mech>") names that user, and the
	// server's LoginLimiter, asked before the first step, is asked again
	// for that user before the next step (so before a SCRAM proof is
	// checked). An *Error from its Next is the reply; any other error
	// gives 535 5.7.8.
	// Mechanisms with channel binding (-PLUS) get its data from
	// Conn.ChannelBinding.
	AuthSASL(ctx context.Context, mech string) (sasl.Server, error)
}

// Verifier is implemented by sessions that answer VRFY (RFC 5321 3.5.1).
// Without it the server answers 252, as RFC 5321 3.5.3 suggests.
type Verifier interface {
	// Verify returns the full mailbox for the string the client named, or
	// an *Error (550 for unknown, 553 for ambiguous).
	Verify(ctx context.Context, name string) (mailbox string, err error)
}

// Expander is implemented by sessions that answer EXPN (RFC 5321 3.5.2).
// Without it the server answers 502.
type Expander interface {
	// Expand returns the members of the mailing list the client named.
	Expand(ctx context.Context, list string) (members []string, err error)
}

// BURLSession is implemented by sessions that take message data from a
// URL (BURL, RFC 4468): a client sends a message it has stored on an IMAP
// server by naming it, instead of uploading it again. The server then
// advertises "BURL imap" (with CHUNKING) and takes BURL commands, mixed
// with BDAT, as chunks of the message data.
type BURLSession interface {
	// FetchURL opens the content the URL names, usually a URLAUTH-
	// authorized IMAP URL (RFC 4467) for the authenticated user; the
	// server streams it into the message and closes it. Return an *Error
	// to refuse: RFC 4468 6 has 554 5.6.6 for a URL that cannot be
	// resolved, 530 5.7.0 without authentication and 554 5.7.14 when the
	// URL's server does not trust this one; any other error gives 451
	// 4.3.0. A refused BURL ends the transaction: nothing of the message
	// is delivered, and the client starts again with MAIL.
	FetchURL(ctx context.Context, url string) (io.ReadCloser, error)
}

// LMTPSession is implemented by sessions that give a separate result for
// each recipient after DATA in LMTP mode (RFC 2033 4.2). Without it the
// result of Data applies to every recipient.
type LMTPSession interface {
	// LMTPData receives the message like Session.Data and reports one
	// result per accepted recipient through status. Recipients without a
	// status get the error returned by LMTPData (or success if nil).
	LMTPData(ctx context.Context, r io.Reader, status StatusCollector) error
}

// StatusCollector receives per-recipient results in LMTP mode.
type StatusCollector interface {
	// SetStatus records the result for rcpt (as given to Session.Rcpt):
	// nil for delivered, an error otherwise. A recipient accepted twice gets
	// the status for both.
	SetStatus(rcpt string, err error)
}
