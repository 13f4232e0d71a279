package sieve

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"
)

// Responder decides whether a Vacation action sends a reply and writes
// the reply (RFC 5230 4.5-4.7, 5; RFC 3834).
type Responder struct {
	// Tracker remembers which sender got a reply for which handle
	// (RFC 5230 4.2); nil replies every time.
	Tracker Tracker
	// Hostname names this host in the Message-ID of replies.
	Hostname string
}

// Reply is a vacation reply to send: the envelope (from the null
// reverse-path, RFC 3834 3.3) and the message.
type Reply struct {
	EnvelopeFrom string // always "": replies go from <>
	EnvelopeTo   string
	Message      []byte
}

// listHeaders mark mail from a mailing list (RFC 2369, RFC 2919), to
// which no vacation reply goes (RFC 5230 4.6).
var listHeaders = []string{"list-id", "list-owner", "list-subscribe", "list-post",
	"list-unsubscribe", "list-help", "list-archive"}

// recipientHeaders are searched for the user's address: a message that
// names none of the user's addresses was not sent to them directly
// (RFC 5230 4.5).
var recipientHeaders = []string{"to", "cc", "bcc", "resent-to", "resent-cc", "resent-bcc"}

// Decide tells whether the vacation action v should reply to the
// message, and if not, why. It follows RFC 5230 4.5 and 4.6 and RFC
// 3834 2, as Pigeonhole does: no reply to the null sender, to the user's
// own addresses, twice to a sender within the period, to mailing lists,
// to automatic mail (Auto-Submitted other than "no", Precedence bulk,
// junk or list, X-Auto-Response-Suppress All or OOF), to system
// addresses (MAILER-DAEMON, LISTSERV, majordomo, *-request, owner-*), or
// to a message that does not name the user in To, Cc, Bcc or their
// Resent- forms. from is the address the reply is from when it goes.
func (rs *Responder) Decide(ctx context.Context, v *Vacation, msg *Message, env Envelope) (reply bool, from, why string, err error) {
	sender := env.From
	switch {
	case env.To == "":
		return false, "", "the recipient is <>", nil
	case sender == "":
		return false, "", "the sender is <>", nil
	case strings.EqualFold(sender, env.To):
		return false, "", "the sender is the recipient", nil
	}
	for _, a := range v.Addresses {
		if strings.EqualFold(sender, a) {
			return false, "", "the sender is one of :addresses", nil
		}
	}
	if rs.Tracker != nil {
		seen, err := rs.Tracker.Seen(ctx, vacationKey(sender, v.Handle))
		if err != nil {
			return false, "", "", err
		}
		if seen {
			return false, "", "already replied to the sender within the period", nil
		}
	}
	h := headerIndex(msg.Header)
	for _, l := range listHeaders {
		if len(h[l]) > 0 {
			return false, "", "the message comes from a mailing list", nil
		}
	}
	if autoSubmitted(h) {
		return false, "", "the message is auto-submitted", nil
	}
	for _, p := range h["precedence"] {
		switch strings.ToLower(strings.TrimSpace(p)) {
		case "junk", "bulk", "list":
			return false, "", "the message has Precedence: " + p, nil
		}
	}
	for _, x := range h["x-auto-response-suppress"] {
		for _, f := range strings.Split(x, ",") {
			if f = strings.TrimSpace(f); strings.EqualFold(f, "All") || strings.EqualFold(f, "OOF") {
				return false, "", "the message has X-Auto-Response-Suppress: " + f, nil
			}
		}
	}
	if isSystemAddress(sender) {
		return false, "", "the sender is a system address", nil
	}
	mine := append([]string{env.To}, v.Addresses...)
	if env.OrigTo != "" {
		mine = append(mine, env.OrigTo)
	}
	for _, name := range recipientHeaders {
		for _, value := range h[name] {
			for _, a := range parseAddressList(value) {
				for _, m := range mine {
					if a.valid && strings.EqualFold(a.String(), m) {
						return true, m, "", nil
					}
				}
			}
		}
	}
	return false, "", "the message does not name the recipient in its To, Cc or Bcc", nil
}

// headerIndex maps lower-case field names to unfolded values.
func headerIndex(h []Field) map[string][]string {
	m := map[string][]string{}
	for _, f := range h {
		n := strings.ToLower(f.Name)
		m[n] = append(m[n], unfold(f.Value))
	}
	return m
}

// isSystemAddress recognises the senders that never get a reply
// (RFC 3834 2, as Pigeonhole).
func isSystemAddress(addr string) bool {
	local := addr
	if i := strings.LastIndexByte(addr, '@'); i >= 0 {
		local = addr[:i]
	}
	l := strings.ToLower(local)
	return l == "mailer-daemon" || l == "listserv" || l == "majordomo" ||
		strings.Contains(l, "-request") || strings.HasPrefix(l, "owner-")
}

// vacationKey is the Tracker key of a reply to sender for a handle.
func vacationKey(sender, handle string) string {
	sum := sha256.Sum256([]byte("sieve-vacation\x00" + strings.ToLower(sender) + "\x00" + handle))
	return "vacation:" + hex.EncodeToString(sum[:])
}

// Respond decides with Decide and, when a reply is due, composes it and
// records it in the Tracker for the vacation's period. It returns nil
// when no reply goes.
func (rs *Responder) Respond(ctx context.Context, v *Vacation, msg *Message, env Envelope, now time.Time) (*Reply, error) {
	ok, from, _, err := rs.Decide(ctx, v, msg, env)
	if err != nil || !ok {
		return nil, err
	}
	reply := rs.Compose(v, msg, env, from, now)
	if rs.Tracker != nil && v.Period > 0 {
		if err := rs.Tracker.Record(ctx, vacationKey(env.From, v.Handle), now.Add(v.Period)); err != nil {
			return nil, err
		}
	}
	return reply, nil
}

// Compose writes the reply to msg (RFC 5230 5, RFC 3834 3): from the
// :from address or the user's address that the message named, to the
// sender, with "Auto: " and the original subject unless :subject is
// given, In-Reply-To and References to the original, and
// Auto-Submitted: auto-replied.
func (rs *Responder) Compose(v *Vacation, msg *Message, env Envelope, from string, now time.Time) *Reply {
	h := headerIndex(msg.Header)
	first := func(name string) string {
		if vs := h[name]; len(vs) > 0 {
			return vs[0]
		}
		return ""
	}
	var o outgoing
	field := o.field
	o.start("vacation", rs.Hostname, now)
	if v.From != "" {
		field("From", v.From)
	} else {
		field("From", "<"+from+">")
	}
	field("To", replyRecipient(h, env.From))
	subject := v.Subject
	if subject == "" {
		if orig := first("subject"); orig != "" {
			subject = "Auto: " + decodeHeader(orig)
		} else {
			subject = "Automated reply"
		}
	}
	field("Subject", encodeHeaderValue(subject))
	// RFC 5230 5.8: In-Reply-To and References from the original.
	msgID := strings.TrimSpace(first("message-id"))
	refs := strings.TrimSpace(first("references"))
	if msgID != "" {
		field("In-Reply-To", msgID)
		if refs != "" {
			refs += " "
		}
		refs += msgID
	}
	if refs != "" {
		field("References", refs)
	}
	// RFC 3834 5: mark the reply automatic; Precedence and
	// X-Auto-Response-Suppress keep older responders from answering it.
	field("Auto-Submitted", "auto-replied")
	field("Precedence", "bulk")
	field("X-Auto-Response-Suppress", "All")
	if v.MIME {
		// RFC 5230 4.4: with :mime the reason is a MIME entity.
		field("MIME-Version", "1.0")
		return &Reply{EnvelopeTo: env.From, Message: o.end(v.Reason)}
	}
	return &Reply{EnvelopeTo: env.From, Message: o.textBody(v.Reason)}
}

// replyRecipient is the To of the reply: the sender's address with its
// display name when Sender, Resent-From or From gives it (as Pigeonhole).
func replyRecipient(h map[string][]string, sender string) string {
	for _, name := range []string{"sender", "resent-from", "from"} {
		for _, value := range h[name] {
			for _, elem := range splitTop(value, ',') {
				a := parseMailbox(strings.TrimSpace(stripComments(elem)))
				if a.valid && strings.EqualFold(a.String(), sender) {
					return strings.TrimSpace(elem)
				}
			}
		}
	}
	return "<" + sender + ">"
}

// toCRLF makes every line break CRLF.
func toCRLF(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.ReplaceAll(s, "\n", "\r\n")
}
