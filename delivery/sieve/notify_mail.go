package sieve

import (
	"strings"
	"time"
)

// Notification is a mailto: notification to send: the envelope and the
// message (RFC 5436 2.7).
type Notification struct {
	EnvelopeFrom string // "": the null reverse-path
	Recipients   []string
	Message      []byte
}

// ComposeMailto writes the notification of a mailto: Notify action for
// msg, delivered to env.To (RFC 5436): From is :from or the user,
// Subject is :message, the URI's subject or "Notification: " and the
// message's subject; the body is the URI's or a short summary; it is
// marked Auto-Submitted: auto-notified. It returns nil when no
// notification goes: the URI names no recipient, or the message is
// itself automatic (RFC 5436 2.7: no notification about an
// Auto-Submitted message).
func (n *Notify) ComposeMailto(msg *Message, env Envelope, now time.Time, hostname string) (*Notification, error) {
	u, err := ParseMailto(n.Method)
	if err != nil {
		return nil, err
	}
	rcpts := append(append([]string(nil), u.To...), u.Cc...)
	if len(rcpts) == 0 {
		return nil, nil
	}
	h := headerIndex(msg.Header)
	if autoSubmitted(h) {
		return nil, nil
	}
	var o outgoing
	field := o.field
	o.start("notify", hostname, now)
	from := n.From
	if from == "" {
		from = "<" + env.To + ">"
	}
	field("From", from)
	if len(u.To) > 0 {
		field("To", strings.Join(u.To, ", "))
	}
	if len(u.Cc) > 0 {
		field("Cc", strings.Join(u.Cc, ", "))
	}
	subject := n.Message
	if subject == "" {
		subject = u.Subject
	}
	if subject == "" {
		subject = "Notification: (no subject)"
		if s := h["subject"]; len(s) > 0 {
			subject = "Notification: " + decodeHeader(s[0])
		}
	}
	field("Subject", encodeHeaderValue(subject))
	field("Auto-Submitted", `auto-notified; owner-email="`+env.To+`"`)
	field("Precedence", "bulk")
	// RFC 5435 3.4: importance 1 is high, 3 low.
	switch n.Importance {
	case 1:
		field("X-Priority", "1 (Highest)")
		field("Importance", "High")
	case 3:
		field("X-Priority", "5 (Lowest)")
		field("Importance", "Low")
	default:
		field("X-Priority", "3 (Normal)")
		field("Importance", "Normal")
	}
	for _, f := range u.Headers {
		if validFieldName(f.Name) {
			field(f.Name, encodeHeaderValue(f.Value))
		}
	}
	body := u.Body
	if body == "" {
		body = "Notification of new message.\n"
		if f := h["from"]; len(f) > 0 {
			body += "From: " + decodeHeader(f[0]) + "\n"
		}
		if s := h["subject"]; len(s) > 0 {
			body += "Subject: " + decodeHeader(s[0]) + "\n"
		}
	}
	return &Notification{Recipients: rcpts, Message: o.textBody(body)}, nil
}
