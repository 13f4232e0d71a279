package pop3

import "errors"

// Error is a failure the client sees as "-ERR [Code] Message" (RFC 2449
// extended response codes, RFC 3206 SYS/AUTH codes). Err, if set, is the
// underlying cause and is never sent to the client.
type Error struct {
	Code    string // response code without brackets, e.g. "IN-USE"; may be empty
	Message string
	Err     error
}

// Error formats the response text.
func (e *Error) Error() string {
	s := e.Message
	if e.Code != "" {
		s = "[" + e.Code + "] " + s
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
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
