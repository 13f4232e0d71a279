package pop3

import "errors"

// Error is a failure the client sees as "-ERR [Code] Message" (RFC 2449
// extended response codes, RFC 3206 SYS/AUTH codes). Err, if set, is the
// underlying cause and is never sent to the client.
//
// A Backend returns an *Error (possibly wrapped) to choose what the client
// sees; an empty Message gets a standard text for the code. Any other error
// reaches the client as -ERR with the SYS/TEMP code and a generic text, and
// is logged.
// Codes a backend may use: "IN-USE", "LOGIN-DELAY" (RFC 2449 section 8),
// "AUTH", "SYS/TEMP", "SYS/PERM" (RFC 3206).
//
// The Client returns a server's -ERR as an *Error too, with the response
// code the server sent (empty if none) and its text as Message.
type Error struct {
	Code    string // response code without brackets, e.g. "IN-USE"; may be empty
	Message string
	Err     error
}

// Error formats the response text, followed by the cause for logs. The
// server does not use it for the reply: it sends Code and Message only.
func (e *Error) Error() string {
	s := e.Message
	if e.Code != "" {
		if s != "" {
			s = "[" + e.Code + "] " + s
		} else {
			s = "[" + e.Code + "]"
		}
	}
	if e.Err != nil {
		if s != "" {
			s += ": "
		}
		s += e.Err.Error()
	}
	return s
}

// Unwrap returns the underlying cause.
func (e *Error) Unwrap() error { return e.Err }

// Is makes errors.Is match on the response code, so a backend's
// &Error{Code: "IN-USE", Message: "..."} matches ErrInUse.
func (e *Error) Is(target error) bool {
	var t *Error
	return errors.As(target, &t) && t.Code != "" && t.Code == e.Code && t.Message == ""
}

var (
	// ErrInUse reports that another session holds the maildrop (RFC 2449 IN-USE).
	ErrInUse = &Error{Code: "IN-USE"}
	// ErrAuthFailed reports bad credentials (RFC 3206 AUTH).
	ErrAuthFailed = &Error{Code: "AUTH"}
)
