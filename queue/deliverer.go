package queue

import (
	"context"
	"errors"
	"fmt"
	"io"
)

// Deliverer makes delivery attempts; the delivery package implements it
// with MX lookup and SMTP. The queue calls Deliver from several goroutines
// at once, within the concurrency limits of Options.
type Deliverer interface {
	// Deliver attempts delivery of one message to the recipients of one
	// domain, and returns either one Result per recipient of d.Recipients,
	// in the same order, or a single Result that applies to all of them
	// (the whole attempt failed, e.g. connection refused). A missing
	// result counts as a temporary failure.
	//
	// ctx is cancelled when the attempt times out (Options.AttemptTimeout)
	// or the queue closes; Deliver should then return promptly, reporting
	// temporary failures for recipients it could not finish.
	Deliver(ctx context.Context, d *Delivery) []Result
}

// DelivererFunc adapts a function to the Deliverer interface, as
// http.HandlerFunc does.
type DelivererFunc func(ctx context.Context, d *Delivery) []Result

// Deliver calls f(ctx, d).
func (f DelivererFunc) Deliver(ctx context.Context, d *Delivery) []Result { return f(ctx, d) }

// Delivery is one delivery attempt: one message, the recipients of one
// domain.
type Delivery struct {
	// ID is the queue's message ID.
	ID string
	// From is the reverse-path; empty for the null sender (DSNs).
	From string
	// Return and EnvelopeID are RET and ENVID to relay (RFC 3461).
	Return     DSNReturn
	EnvelopeID string
	// UTF8 and BodyType are the SMTPUTF8 and BODY= parameters to relay.
	UTF8     bool
	BodyType string
	// RequireTLS is REQUIRETLS (RFC 8689) to honour and relay.
	RequireTLS bool
	// Domain is the destination shared by all Recipients, in lower case.
	Domain string
	// Recipients are the recipients of Domain still to deliver, with their
	// DSN parameters.
	Recipients []Recipient
	// Size is the body size in bytes.
	Size int64
	// Attempt is 1 for the first attempt of these recipients, 2 for the
	// first retry, and so on (the highest count among them).
	Attempt int

	open func() (io.ReadCloser, error)
}

// Open opens the message body for reading. It may be called more than once
// (e.g. once per MX host tried); each reader must be closed.
func (d *Delivery) Open() (io.ReadCloser, error) {
	if d.open == nil {
		return nil, errors.New("queue: delivery has no body")
	}
	return d.open()
}

// NewDelivery returns a Delivery whose Open calls open, for testing a
// Deliverer without a queue.
func NewDelivery(id, from, domain string, rcpts []Recipient, size int64, open func() (io.ReadCloser, error)) *Delivery {
	return &Delivery{ID: id, From: from, Domain: domain, Recipients: rcpts, Size: size, Attempt: 1, open: open}
}

// Status is the outcome of a delivery attempt for one recipient.
type Status int

// Outcomes. The zero Status is treated as StatusTemporary.
const (
	StatusTemporary Status = iota + 1 // retry later (4xx reply, connection failure, timeout)
	StatusPermanent                   // give up and bounce (5xx reply)
	StatusDelivered                   // the next hop took responsibility (2xx reply)
)

var statusNames = map[Status]string{
	StatusTemporary: "temporary",
	StatusPermanent: "permanent",
	StatusDelivered: "delivered",
}

// String returns "temporary", "permanent" or "delivered".
func (s Status) String() string {
	if n, ok := statusNames[s]; ok {
		return n
	}
	return fmt.Sprintf("Status(%d)", int(s))
}

// MarshalText encodes the status by name.
func (s Status) MarshalText() ([]byte, error) {
	n, ok := statusNames[s]
	if !ok {
		return nil, fmt.Errorf("queue: bad status %d", int(s))
	}
	return []byte(n), nil
}

// UnmarshalText decodes a status name.
func (s *Status) UnmarshalText(b []byte) error {
	for k, n := range statusNames {
		if n == string(b) {
			*s = k
			return nil
		}
	}
	return fmt.Errorf("queue: bad status %q", b)
}

// Result is the outcome of an attempt for one recipient (or for all of
// them): what the remote server replied.
type Result struct {
	Status Status `json:"status"`
	// Code is the SMTP reply code (e.g. 550); 0 when there was no reply
	// (connection refused, DNS failure, timeout).
	Code int `json:"code,omitempty"`
	// EnhancedCode is the RFC 3463 status code, e.g. "5.1.1"; empty when
	// the server gave none (the DSN then derives one from Code).
	EnhancedCode string `json:"enhanced,omitempty"`
	// Message is the reply text, or a description of the local failure.
	Message string `json:"message,omitempty"`
	// RemoteMTA is the host name of the server that replied; empty when
	// none was reached.
	RemoteMTA string `json:"remote_mta,omitempty"`
}

// Delivered returns a Result for a recipient the next hop accepted.
func Delivered(code int, enhanced, msg, remoteMTA string) Result {
	return Result{Status: StatusDelivered, Code: code, EnhancedCode: enhanced, Message: msg, RemoteMTA: remoteMTA}
}

// TempFail returns a temporary-failure Result.
func TempFail(code int, enhanced, msg, remoteMTA string) Result {
	return Result{Status: StatusTemporary, Code: code, EnhancedCode: enhanced, Message: msg, RemoteMTA: remoteMTA}
}

// PermFail returns a permanent-failure Result.
func PermFail(code int, enhanced, msg, remoteMTA string) Result {
	return Result{Status: StatusPermanent, Code: code, EnhancedCode: enhanced, Message: msg, RemoteMTA: remoteMTA}
}

func (r *Result) validate() error {
	if _, ok := statusNames[r.Status]; !ok {
		return errors.New("bad result status")
	}
	if r.Code < 0 || r.Code > 999 {
		return errors.New("bad reply code")
	}
	if r.EnhancedCode != "" && !validEnhanced(r.EnhancedCode) {
		return errors.New("bad enhanced status code")
	}
	if err := checkText(r.Message, maxReplyText); err != nil {
		return fmt.Errorf("reply text: %w", err)
	}
	return checkText(r.RemoteMTA, 255)
}

// normalize makes a Result from a Deliverer safe to store and to put in a
// DSN: a known status, a valid enhanced code, a bounded single-line text.
func (r Result) normalize() Result {
	if _, ok := statusNames[r.Status]; !ok {
		r.Status = StatusTemporary
	}
	if r.Code < 0 || r.Code > 999 {
		r.Code = 0
	}
	if r.EnhancedCode != "" && !validEnhanced(r.EnhancedCode) {
		r.EnhancedCode = ""
	}
	r.Message = oneLine(r.Message, maxReplyText)
	r.RemoteMTA = oneLine(r.RemoteMTA, 255)
	return r
}

// validEnhanced checks RFC 3463 syntax: class "." subject "." detail, class
// 2, 4 or 5, subject and detail 1 to 3 digits.
func validEnhanced(s string) bool {
	if len(s) < 5 || len(s) > 9 || (s[0] != '2' && s[0] != '4' && s[0] != '5') || s[1] != '.' {
		return false
	}
	parts := 0
	n := 0
	for i := 2; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			n++
			if n > 3 {
				return false
			}
		case c == '.':
			if n == 0 {
				return false
			}
			parts++
			n = 0
		default:
			return false
		}
	}
	return parts == 1 && n > 0
}

// oneLine turns s into printable single-line US-ASCII of at most max
// bytes: line breaks and other control characters become spaces and
// non-ASCII bytes become '?', so remote text cannot break a DSN's syntax.
func oneLine(s string, max int) string {
	clean := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			clean = false
			break
		}
	}
	if clean && len(s) <= max {
		return s
	}
	b := make([]byte, 0, min(len(s), max))
	for i := 0; i < len(s) && len(b) < max; i++ {
		c := s[i]
		switch {
		case c < 0x20 || c == 0x7f:
			c = ' '
		case c >= 0x80:
			c = '?'
		}
		b = append(b, c)
	}
	return string(b)
}
