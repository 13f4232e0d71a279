package managesieve

import (
	"context"
	"crypto/tls"
	"errors"
	"net"

	"github.com/emersion/go-sasl"
)

// ConnInfo describes the client connection a login comes from.
type ConnInfo struct {
	RemoteAddr net.Addr
	LocalAddr  net.Addr
	TLS        *tls.ConnectionState // nil on a plaintext connection
}

// Backend authenticates users and opens their scripts. AUTHENTICATE PLAIN
// comes here; a Backend that also implements SASLBackend offers further
// mechanisms.
type Backend interface {
	// Login checks the credentials and returns the user's scripts. It
	// returns an error wrapping ErrAuthFailed for bad credentials; any
	// other error is a failure of the backend (NO (TRYLATER)).
	Login(ctx context.Context, conn ConnInfo, username, password string) (Scripts, error)
}

// BackendFunc adapts a login function to Backend.
type BackendFunc func(ctx context.Context, conn ConnInfo, username, password string) (Scripts, error)

// Login calls f.
func (f BackendFunc) Login(ctx context.Context, conn ConnInfo, username, password string) (Scripts, error) {
	return f(ctx, conn, username, password)
}

// SASLBackend is implemented by a Backend that offers SASL mechanisms
// besides PLAIN (SCRAM, OAUTHBEARER), as pop3.SASLBackend and
// imap.SASLBackend do. The server lists them in the SASL capability and
// accepts them where it accepts PLAIN: on a connection with TLS, or with
// AllowInsecureAuth.
type SASLBackend interface {
	// AuthMechanisms lists the mechanisms to offer on conn, upper case.
	AuthMechanisms(conn ConnInfo) []string
	// AuthSASL starts an exchange of mech, one of those AuthMechanisms
	// returned for conn.
	AuthSASL(ctx context.Context, conn ConnInfo, mech string) (SASLServer, error)
}

// SASLServer is the server side of one AUTHENTICATE exchange. Its Next
// refuses a login with an error wrapping ErrAuthFailed; any other error
// is a failure of the backend.
type SASLServer interface {
	sasl.Server
	// Scripts returns the scripts of the user the exchange
	// authenticated; the server calls it once, after Next reported done.
	Scripts(ctx context.Context) (Scripts, error)
}

// ScriptInfo is a script as LISTSCRIPTS shows it.
type ScriptInfo struct {
	Name   string
	Active bool
}

// Scripts are one user's Sieve scripts, as one session sees them. The
// server checks scripts (PUTSCRIPT compiles them), their size and their
// number before it calls Put; the methods only store. Errors the client
// should see are *Error values: ErrNonexistent, ErrActive,
// ErrAlreadyExists, or one with another response code of RFC 5804 1.3.
type Scripts interface {
	// List returns the user's scripts; at most one is active.
	List(ctx context.Context) ([]ScriptInfo, error)
	// Get returns a script's source.
	Get(ctx context.Context, name string) ([]byte, error)
	// Put stores a script under name, replacing one of that name; a
	// replaced active script stays active.
	Put(ctx context.Context, name string, src []byte) error
	// Delete removes a script that is not active.
	Delete(ctx context.Context, name string) error
	// Rename renames a script to a name no script has.
	Rename(ctx context.Context, oldName, newName string) error
	// SetActive makes name the active script; "" deactivates them all.
	SetActive(ctx context.Context, name string) error
}

// Error is a NO response with a response code (RFC 5804 1.3): "NO
// (Code) Message". Err, if set, is the cause, logged and never sent. Any
// other error from a Backend reaches the client as NO (TRYLATER) with a
// generic text.
type Error struct {
	Code    string // e.g. "NONEXISTENT", "QUOTA/MAXSIZE"; may be empty
	Message string
	Err     error
}

// Error formats the response for logs.
func (e *Error) Error() string {
	s := "managesieve: "
	if e.Code != "" {
		s += "(" + e.Code + ") "
	}
	s += e.Message
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Is matches errors with the same code, so that a backend's own
// &Error{Code: "NONEXISTENT", ...} is ErrNonexistent.
func (e *Error) Is(target error) bool {
	var t *Error
	return errors.As(target, &t) && t.Code != "" && t.Code == e.Code
}

// Errors of Backends and Scripts, with the response codes of RFC 5804
// 1.3.
var (
	// ErrAuthFailed refuses credentials (a NO without a code).
	ErrAuthFailed = errors.New("managesieve: authentication failed")
	// ErrNonexistent reports a script that does not exist.
	ErrNonexistent = &Error{Code: "NONEXISTENT", Message: "There is no script by that name"}
	// ErrActive refuses to delete the active script.
	ErrActive = &Error{Code: "ACTIVE", Message: "The script is active; deactivate it first"}
	// ErrAlreadyExists refuses to rename onto an existing script.
	ErrAlreadyExists = &Error{Code: "ALREADYEXISTS", Message: "A script by that name exists already"}
)
