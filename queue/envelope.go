package queue

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// DSNReturn is the RET parameter of MAIL FROM (RFC 3461 4.3): how much of
// the original message a failure DSN returns.
type DSNReturn string

// RET values. The empty value means the sender did not say.
const (
	ReturnFull    DSNReturn = "FULL"
	ReturnHeaders DSNReturn = "HDRS"
)

// DSNNotify is one value of the NOTIFY parameter of RCPT TO (RFC 3461 4.1).
type DSNNotify string

// NOTIFY values. NEVER stands alone; the others may be combined. A
// recipient without NOTIFY gets FAILURE and DELAY notifications.
const (
	NotifyNever   DSNNotify = "NEVER"
	NotifySuccess DSNNotify = "SUCCESS"
	NotifyFailure DSNNotify = "FAILURE"
	NotifyDelay   DSNNotify = "DELAY"
)

// Envelope is the transfer envelope of a message handed to Enqueue: the
// sender, the recipients and the DSN parameters, in the queue's own terms
// (the queue knows nothing of SMTP; the delivery package maps its
// smtp.MailOptions and smtp.RcptOptions onto these fields).
type Envelope struct {
	// From is the reverse-path without angle brackets. The empty string is
	// the null sender (MAIL FROM:<>): such a message is never bounced.
	From string
	// Recipients are the forward-paths; at least one.
	Recipients []Recipient
	// Return is RET= (RFC 3461 4.3); empty when absent.
	Return DSNReturn
	// EnvelopeID is ENVID= (RFC 3461 4.4), xtext-decoded; empty when absent.
	EnvelopeID string
	// UTF8 records that the message was received with SMTPUTF8 (RFC 6531),
	// so the deliverer must relay it with SMTPUTF8 too.
	UTF8 bool
	// BodyType is the BODY= value to relay with ("7BIT", "8BITMIME",
	// "BINARYMIME"); empty when unspecified.
	BodyType string
	// RequireTLS records REQUIRETLS (RFC 8689): the deliverer must send
	// the message only over TLS verified by DANE or MTA-STS, and relay
	// the parameter.
	RequireTLS bool
}

// Recipient is one forward-path with its DSN parameters.
type Recipient struct {
	// Address is the recipient address without angle brackets.
	Address string `json:"addr"`
	// Notify is NOTIFY= (RFC 3461 4.1); nil when absent, which means
	// FAILURE,DELAY.
	Notify []DSNNotify `json:"notify,omitempty"`
	// OriginalRecipientType and OriginalRecipient are ORCPT= (RFC 3461
	// 4.2) split at the first ';', the address xtext-decoded, e.g.
	// "rfc822" and "user@example.org". Empty when absent.
	OriginalRecipientType string `json:"orcpt_type,omitempty"`
	OriginalRecipient     string `json:"orcpt,omitempty"`
}

// Domain returns the part of the address after the last '@', in lower
// case: the destination the queue groups recipients and limits
// concurrency by. An address without '@' has the empty domain.
func (r Recipient) Domain() string { return addressDomain(r.Address) }

func addressDomain(addr string) string {
	i := strings.LastIndexByte(addr, '@')
	if i < 0 {
		return ""
	}
	return strings.ToLower(addr[i+1:])
}

// wants reports whether the recipient asked for a DSN of kind n. RFC 3461
// 4.1: without NOTIFY, the default is FAILURE and DELAY.
func (r Recipient) wants(n DSNNotify) bool {
	if len(r.Notify) == 0 {
		return n == NotifyFailure || n == NotifyDelay
	}
	for _, v := range r.Notify {
		if v == n {
			return true
		}
	}
	return false
}

// State is the delivery state of one recipient.
type State string

// Recipient states. Pending and Deferred recipients are still queued;
// Delivered and Failed are final.
const (
	StatePending   State = "pending"   // not attempted yet
	StateDeferred  State = "deferred"  // attempted, failed temporarily, will be retried
	StateDelivered State = "delivered" // accepted by the next hop
	StateFailed    State = "failed"    // failed permanently or expired
)

// Final reports whether the state will not change any more.
func (s State) Final() bool { return s == StateDelivered || s == StateFailed }

// RecipientStatus is the queued state of one recipient.
type RecipientStatus struct {
	Recipient
	State State `json:"state"`
	// Attempts counts the delivery attempts made for this recipient.
	Attempts int `json:"attempts,omitempty"`
	// LastAttempt is when the last attempt ended; zero before the first.
	LastAttempt time.Time `json:"last_attempt,omitzero"`
	// NextAttempt is when the recipient is due; meaningless once final.
	NextAttempt time.Time `json:"next_attempt,omitzero"`
	// Result is the outcome of the last attempt (the remote reply); nil
	// before the first.
	Result *Result `json:"result,omitempty"`
	// Reported is set once a final state has been dealt with: its DSN
	// was queued, or none was due under NOTIFY.
	Reported bool `json:"reported,omitempty"`
}

// Attempt is one entry of a message's attempt history: the recipients of
// one delivery attempt that got the same result.
type Attempt struct {
	Time       time.Time `json:"time"`
	Recipients []string  `json:"rcpts"`
	Result     Result    `json:"result"`
}

// maxHistory bounds a message's attempt history; older entries are dropped
// (five days at the default schedule is 480 attempts).
const maxHistory = 50

// Message is the full queued state of a message, as Get returns it and as
// the envelope file stores it.
type Message struct {
	ID         string    `json:"id"`
	From       string    `json:"from"`
	Return     DSNReturn `json:"ret,omitempty"`
	EnvelopeID string    `json:"envid,omitempty"`
	UTF8       bool      `json:"utf8,omitempty"`
	BodyType   string    `json:"body,omitempty"`
	// RequireTLS is absent from the envelope files of older versions,
	// which read as false.
	RequireTLS bool `json:"requiretls,omitempty"`
	// Arrival is when the message was enqueued (Arrival-Date of its DSNs).
	Arrival time.Time `json:"arrival"`
	// Size is the body size in bytes.
	Size int64 `json:"size"`
	// DelayWarned is set once the delay warning has been dealt with.
	DelayWarned bool              `json:"delay_warned,omitempty"`
	Recipients  []RecipientStatus `json:"rcpts"`
	// History holds the most recent attempts, oldest first.
	History []Attempt `json:"history,omitempty"`
}

// Envelope returns the envelope the message was enqueued with.
func (m *Message) Envelope() Envelope {
	e := Envelope{From: m.From, Return: m.Return, EnvelopeID: m.EnvelopeID, UTF8: m.UTF8, BodyType: m.BodyType, RequireTLS: m.RequireTLS}
	for _, r := range m.Recipients {
		e.Recipients = append(e.Recipients, cloneRecipient(r.Recipient))
	}
	return e
}

func cloneRecipient(r Recipient) Recipient {
	if r.Notify != nil {
		r.Notify = slices.Clone(r.Notify)
	}
	return r
}

// clone returns a deep copy.
func (m *Message) clone() *Message {
	c := *m
	c.Recipients = make([]RecipientStatus, len(m.Recipients))
	for i, r := range m.Recipients {
		r.Recipient = cloneRecipient(r.Recipient)
		if r.Result != nil {
			res := *r.Result
			r.Result = &res
		}
		c.Recipients[i] = r
	}
	if m.History != nil {
		c.History = make([]Attempt, len(m.History))
		for i, a := range m.History {
			a.Recipients = slices.Clone(a.Recipients)
			c.History[i] = a
		}
	}
	return &c
}

// envelopeVersion is the version of the envelope file format.
const envelopeVersion = 1

// envelopeFile is the JSON document stored in <id>.env.
type envelopeFile struct {
	Version int `json:"v"`
	*Message
}

// marshalEnvelope encodes m as an envelope file.
func marshalEnvelope(m *Message) ([]byte, error) {
	b, err := json.Marshal(envelopeFile{Version: envelopeVersion, Message: m})
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// maxEnvelopeFile bounds the size of an envelope file that Open will read.
const maxEnvelopeFile = 16 << 20

// parseEnvelope decodes and validates an envelope file. It is separate from
// any I/O so that it can be fuzzed.
func parseEnvelope(data []byte) (*Message, error) {
	if len(data) > maxEnvelopeFile {
		return nil, errors.New("envelope file too large")
	}
	f := envelopeFile{Message: new(Message)}
	d := json.NewDecoder(bytes.NewReader(data))
	if err := d.Decode(&f); err != nil {
		return nil, fmt.Errorf("envelope: %w", err)
	}
	if d.More() {
		return nil, errors.New("envelope: trailing data")
	}
	if f.Version != envelopeVersion {
		return nil, fmt.Errorf("envelope: unknown version %d", f.Version)
	}
	m := f.Message
	if err := m.validate(); err != nil {
		return nil, fmt.Errorf("envelope: %w", err)
	}
	return m, nil
}

// validate checks a stored message for what the queue relies on.
func (m *Message) validate() error {
	if !validID(m.ID) {
		return errors.New("bad message id")
	}
	env := Envelope{From: m.From, Return: m.Return, EnvelopeID: m.EnvelopeID, BodyType: m.BodyType}
	for _, r := range m.Recipients {
		env.Recipients = append(env.Recipients, r.Recipient)
	}
	if err := env.validate(); err != nil {
		return err
	}
	if m.Size < 0 {
		return errors.New("negative size")
	}
	times := []time.Time{m.Arrival}
	for _, r := range m.Recipients {
		switch r.State {
		case StatePending, StateDeferred, StateDelivered, StateFailed:
		default:
			return fmt.Errorf("bad recipient state %q", r.State)
		}
		if r.Attempts < 0 {
			return errors.New("negative attempt count")
		}
		if r.Result != nil {
			if err := r.Result.validate(); err != nil {
				return err
			}
		}
		times = append(times, r.LastAttempt, r.NextAttempt)
	}
	if len(m.History) > maxHistory {
		return errors.New("history too long")
	}
	for _, a := range m.History {
		if len(a.Recipients) == 0 {
			return errors.New("history entry without recipients")
		}
		if err := a.Result.validate(); err != nil {
			return err
		}
		for _, rc := range a.Recipients {
			if err := checkText(rc, maxAddress); err != nil {
				return fmt.Errorf("history recipient: %w", err)
			}
		}
		times = append(times, a.Time)
	}
	for _, t := range times {
		// Times must survive a round trip through RFC 3339 text.
		if y := t.Year(); y < 0 || y > 9999 {
			return errors.New("time out of range")
		}
	}
	return nil
}

// Limits on envelope fields (RFC 5321 4.5.3.1 puts a path at 256 octets;
// we allow more and stay well bounded). RFC 3461 4.4 limits ENVID to 100
// characters and 4.2 ORCPT to 500.
const (
	maxAddress    = 1024
	maxEnvelopeID = 100
	maxOrcpt      = 500
	maxReplyText  = 4096
)

// validate checks an envelope given to Enqueue.
func (e *Envelope) validate() error {
	if err := checkText(e.From, maxAddress); err != nil {
		return fmt.Errorf("sender: %w", err)
	}
	if len(e.Recipients) == 0 {
		return errors.New("no recipients")
	}
	switch e.Return {
	case "", ReturnFull, ReturnHeaders:
	default:
		return fmt.Errorf("bad RET value %q", e.Return)
	}
	if err := checkText(e.EnvelopeID, maxEnvelopeID); err != nil {
		return fmt.Errorf("ENVID: %w", err)
	}
	if err := checkText(e.BodyType, 32); err != nil {
		return fmt.Errorf("body type: %w", err)
	}
	for _, r := range e.Recipients {
		if r.Address == "" {
			return errors.New("empty recipient address")
		}
		if err := checkText(r.Address, maxAddress); err != nil {
			return fmt.Errorf("recipient: %w", err)
		}
		if err := checkNotify(r.Notify); err != nil {
			return err
		}
		if err := checkText(r.OriginalRecipientType, 64); err != nil {
			return fmt.Errorf("ORCPT: %w", err)
		}
		if err := checkText(r.OriginalRecipient, maxOrcpt); err != nil {
			return fmt.Errorf("ORCPT: %w", err)
		}
		if strings.ContainsAny(r.OriginalRecipientType, "; ") {
			return errors.New("ORCPT: bad address type")
		}
	}
	return nil
}

// checkNotify enforces RFC 3461 4.1: NEVER alone, or any of SUCCESS,
// FAILURE, DELAY, each at most once.
func checkNotify(n []DSNNotify) error {
	seen := map[DSNNotify]bool{}
	for _, v := range n {
		switch v {
		case NotifyNever, NotifySuccess, NotifyFailure, NotifyDelay:
		default:
			return fmt.Errorf("bad NOTIFY value %q", v)
		}
		if seen[v] {
			return fmt.Errorf("NOTIFY value %q repeated", v)
		}
		seen[v] = true
	}
	if seen[NotifyNever] && len(n) > 1 {
		return errors.New("NOTIFY=NEVER combined with other values")
	}
	return nil
}

// checkText refuses control characters (NUL, CR, LF among them: they would
// let a value inject lines into a DSN or a protocol command) and overlong
// values.
func checkText(s string, max int) error {
	if len(s) > max {
		return errors.New("too long")
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == 0x7f {
			return errors.New("control character")
		}
	}
	return nil
}

// validID reports whether id is a message ID this queue could have made:
// it becomes a file name, so only [0-9a-z] and '-' are allowed.
func validID(id string) bool {
	if len(id) == 0 || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c == '-') {
			return false
		}
	}
	return true
}
