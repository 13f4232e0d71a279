package delivery

import (
	"context"
	"errors"
	"net/netip"

	"github.com/mailwright/mailwright/delivery/dnsbl"
	"github.com/mailwright/mailwright/mailbox/throttle"
	"github.com/mailwright/mailwright/smtp"
)

// SendLimiter limits how much mail each sender may send per time window;
// mailbox/throttle.Sending is one. ip is the client's address; account is
// the identity it authenticated as, empty when it did not. An error
// refuses the message or the recipient (see Agent.SendLimiter).
type SendLimiter interface {
	// AllowMessage is asked at MAIL FROM.
	AllowMessage(ctx context.Context, ip netip.Addr, account string) error
	// AllowRecipient is asked at each RCPT TO.
	AllowRecipient(ctx context.Context, ip netip.Addr, account string) error
}

// The replies over a SendLimiter's limits (RFC 5321 4.2.2 and 4.3.2: 451
// is MAIL's temporary refusal and 450 RCPT's; RFC 3463 4.7.1: refused by
// policy) and for a blocklisted client (554 5.7.1, as MTAs answer a DNSBL
// listing).
var (
	errTooManyMessages   = &smtp.Error{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 7, 1}, Message: "Too many messages; try again later"}
	errTooManyRecipients = &smtp.Error{Code: 450, EnhancedCode: smtp.EnhancedCode{4, 7, 1}, Message: "Too many recipients; try again later"}
)

// startChecks begins, when the session starts, the checks of the client
// that take time: the DNSBL lookups run while the client greets and
// starts TLS.
func (s *session) startChecks(ctx context.Context) {
	if s.a.DNSBL != nil && !s.fromRelayNetwork() {
		s.dnsbl = s.a.DNSBL.Start(ctx, remoteIP(s.c.RemoteAddr()))
	}
}

// checkSender applies the policies that refuse a sender at MAIL FROM:
// the DNSBL listings, then the message rate.
func (s *session) checkSender(ctx context.Context) error {
	if err := s.dnsblVerdict(ctx); err != nil {
		return err
	}
	if s.a.SendLimiter == nil || s.unlimited() {
		return nil
	}
	return s.limitError(s.a.SendLimiter.AllowMessage(ctx, remoteIP(s.c.RemoteAddr()), s.c.AuthIdentity()), errTooManyMessages)
}

// checkRecipient applies the recipient rate at RCPT TO.
func (s *session) checkRecipient(ctx context.Context) error {
	if s.a.SendLimiter == nil || s.unlimited() {
		return nil
	}
	return s.limitError(s.a.SendLimiter.AllowRecipient(ctx, remoteIP(s.c.RemoteAddr()), s.c.AuthIdentity()), errTooManyRecipients)
}

// unlimited says that the client is trusted to send without a limit: it
// connects from RelayNetworks and has not authenticated.
func (s *session) unlimited() bool {
	return s.c.AuthIdentity() == "" && s.fromRelayNetwork()
}

// limitError turns a SendLimiter's refusal into the reply: an
// *smtp.Error as it is, a throttle.LimitError with its text (which says
// when to come back), anything else as reply with the cause logged.
func (s *session) limitError(err error, reply *smtp.Error) error {
	if err == nil {
		return nil
	}
	var se *smtp.Error
	var le *throttle.LimitError
	switch {
	case errors.As(err, &se):
		return se
	case errors.As(err, &le):
		s.a.logger().Info("delivery: sending limit", "ip", remoteIP(s.c.RemoteAddr()).String(), "account", s.c.AuthIdentity(), "err", err)
		r := *reply
		r.Message = le.Error()
		return &r
	}
	s.a.logger().Warn("delivery: SendLimiter refused", "ip", remoteIP(s.c.RemoteAddr()).String(), "account", s.c.AuthIdentity(), "err", err)
	return reply
}

// dnsblVerdict waits (once a session) for the DNSBL lookups started with
// the session, at most until their deadline, and applies the listings:
// each is logged, Tag listings become header fields of the session's
// messages, and a Reject listing refuses the client's mail with 554 5.7.1
// and the list's reason. A client that authenticated is not refused.
func (s *session) dnsblVerdict(ctx context.Context) error {
	if s.dnsbl != nil && !s.dnsblDone {
		s.dnsblDone = true
		ip := remoteIP(s.c.RemoteAddr())
		for _, l := range s.dnsbl.Wait(ctx) {
			s.a.logger().Info("delivery: client listed in DNSBL", "ip", ip.String(), "zone", l.Zone.Name,
				"code", l.Code.String(), "action", l.Zone.Action.String(), "reason", l.Reason)
			switch l.Zone.Action {
			case dnsbl.Reject:
				if s.dnsblRefusal == nil {
					s.dnsblRefusal = dnsblRefusal(ip, l)
				}
			case dnsbl.Tag:
				s.tags = appendDNSBLTag(s.tags, l)
			}
		}
	}
	if s.dnsblRefusal != nil && s.c.AuthIdentity() == "" {
		return s.dnsblRefusal
	}
	return nil
}

// dnsblRefusal is the reply to a client in a Reject zone, worded as
// MTAs word it so that the sender's postmaster recognizes it.
func dnsblRefusal(ip netip.Addr, l dnsbl.Listing) *smtp.Error {
	msg := "Service unavailable; client [" + ip.String() + "] blocked using " + l.Zone.Name
	if l.Reason != "" {
		msg += "; " + l.Reason
	}
	return &smtp.Error{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: msg}
}

// tagFields returns the header fields that Tag zones add to a message:
// none once the client has authenticated, as it is not refused either.
func (s *session) tagFields() []byte {
	if s.c.AuthIdentity() != "" {
		return nil
	}
	return s.tags
}

// appendDNSBLTag appends the header field that a Tag listing adds:
//
//	X-DNSBL: bl.example (127.0.0.2) reason
func appendDNSBLTag(b []byte, l dnsbl.Listing) []byte {
	b = append(b, "X-DNSBL: "...)
	b = appendClean(b, l.Zone.Name, "")
	b = append(b, " ("...)
	b = l.Code.AppendTo(b)
	b = append(b, ')')
	if l.Reason != "" {
		b = append(b, ' ')
		b = appendClean(b, l.Reason, "")
	}
	return append(b, "\r\n"...)
}
