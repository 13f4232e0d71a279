package smtp

import (
	"errors"
	"fmt"
	"strconv"
)

// EnhancedCode is an RFC 3463 enhanced status code: class.subject.detail.
// The zero value means "none"; the server then derives one from the reply code.
type EnhancedCode [3]int

// String formats the code as "class.subject.detail", or "" for the zero value.
func (c EnhancedCode) String() string {
	if c == (EnhancedCode{}) {
		return ""
	}
	return strconv.Itoa(c[0]) + "." + strconv.Itoa(c[1]) + "." + strconv.Itoa(c[2])
}

// Error is an SMTP reply that a backend (or a remote server, for the Client)
// uses to report a failure: the client sees Code, EnhancedCode and Message.
// Err, if set, is the underlying cause; it is never shown to the client.
type Error struct {
	Code         int          // reply code, 4xx or 5xx
	EnhancedCode EnhancedCode // RFC 3463 code; zero derives one from Code
	Message      string       // human-readable text, one line
	Err          error        // underlying cause, for errors.Is/As; not sent
}

// Error formats the reply as it would appear on the wire.
func (e *Error) Error() string {
	s := strconv.Itoa(e.Code)
	if ec := e.EnhancedCode.String(); ec != "" {
		s += " " + ec
	}
	if e.Message != "" {
		s += " " + e.Message
	}
	if e.Err != nil {
		s += fmt.Sprintf(" (%v)", e.Err)
	}
	return s
}

// Unwrap returns the underlying cause.
func (e *Error) Unwrap() error { return e.Err }

// Temporary reports whether the error is a transient (4xx) failure.
func (e *Error) Temporary() bool { return e.Code >= 400 && e.Code < 500 }

// ErrDataTooLarge is returned by the message reader handed to Session.Data when
// the message exceeds Server.MaxMessageBytes. A backend that receives it should
// return it (or wrap it); the client then gets 552 5.3.4.
var ErrDataTooLarge = &Error{Code: 552, EnhancedCode: EnhancedCode{5, 3, 4}, Message: "Message exceeds maximum size"}

// ErrAuthFailed is returned by an authentication backend for bad credentials;
// the client gets 535 5.7.8.
var ErrAuthFailed = &Error{Code: 535, EnhancedCode: EnhancedCode{5, 7, 8}, Message: "Authentication credentials invalid"}

// errorAs returns err as an *Error if it is one (possibly wrapped).
func errorAs(err error) (*Error, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e, true
	}
	return nil, false
}
