package delivery

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"mime"
	"strings"
	"time"

	"github.com/mailwright/mailwright/delivery/sieve"
	"github.com/mailwright/mailwright/mailbox"
	"github.com/mailwright/mailwright/smtp"
)

// maxReasonLen bounds the reject reason in an SMTP reply line.
const maxReasonLen = 200

// failureNoticePeriod is how long the notice of a failing script version
// is remembered: a user is told once per version, not once per message.
const failureNoticePeriod = 365 * 24 * time.Hour

// rejectError is the refusal of a message that a script rejected, while
// the client waits for the answer (RFC 5429 2.1: 550 5.7.1 with the
// reason), in one line of printable ASCII.
func rejectError(reason string) *smtp.Error {
	var b strings.Builder
	for _, r := range reason {
		switch {
		case b.Len() >= maxReasonLen:
		case r == '\r' || r == '\n' || r == '\t':
			b.WriteByte(' ')
		case r < 0x20 || r >= 0x7f:
			b.WriteByte('?')
		default:
			b.WriteRune(r)
		}
	}
	text := strings.Join(strings.Fields(b.String()), " ")
	if text == "" {
		text = "Message rejected"
	}
	return &smtp.Error{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: text}
}

// reportReject tells the sender that a script rejected the message after
// it was accepted (RFC 5429 2): ereject with a DSN (RFC 3464), reject with
// an MDN (RFC 8098), from <> and with the original header only. Mail from
// <> gets no report: it could only bounce or loop.
func (d *sieveDelivery) reportReject(ctx context.Context, r *sieve.Reject) {
	if d.t.from == "" {
		d.log().Info("delivery: Sieve: rejected a message from <>; no report sent")
		return
	}
	var w reportWriter
	host := d.a.hostname()
	subject := headerValue(d.msg.Header, "Subject")
	w.start(host)
	if r.Extended {
		w.field("From", "Mail Delivery System <MAILER-DAEMON@"+host+">")
		w.field("Subject", encodeWord("Undeliverable: "+subject))
	} else {
		w.field("From", "<"+d.l.addr+">")
		w.field("Subject", encodeWord("Rejected: "+subject))
	}
	w.field("To", "<"+d.t.from+">")
	w.field("Auto-Submitted", "auto-replied") // RFC 3834 5
	reportType := "disposition-notification"
	if r.Extended {
		reportType = "delivery-status"
	}
	w.multipart("report; report-type=" + reportType)
	w.part("text/plain; charset=utf-8")
	fmt.Fprintf(&w.b, "Your message to <%s> was rejected by the recipient's mail filter:\r\n\r\n%s\r\n", d.l.to, toCRLF(r.Reason))
	if r.Extended {
		// RFC 3464 2.2, 2.3: the per-message and per-recipient fields.
		w.part("message/delivery-status")
		w.line("Reporting-MTA: dns; " + host)
		w.line("Arrival-Date: " + d.now.Format(time.RFC1123Z))
		w.line("")
		w.line("Final-Recipient: rfc822; " + d.l.to)
		w.line("Action: failed")
		w.line("Status: 5.7.1")
		w.line("Diagnostic-Code: smtp; " + rejectError(r.Reason).Error())
	} else {
		// RFC 8098 3.2: the disposition of a message a filter deleted.
		w.part("message/disposition-notification")
		w.line("Reporting-UA: " + host + "; mailwright")
		w.line("Final-Recipient: rfc822; " + d.l.to)
		if id := headerValue(d.msg.Header, "Message-ID"); id != "" {
			w.line("Original-Message-ID: " + id)
		}
		w.line("Disposition: automatic-action/MDN-sent-automatically; deleted")
	}
	w.part("text/rfc822-headers")
	for _, f := range d.msg.Header {
		w.b.WriteString(f.Name + ":" + f.Value + "\r\n")
	}
	w.end()
	if err := d.a.enqueueGenerated(ctx, "", []string{d.t.from}, w.b.Bytes()); err != nil {
		d.log().Warn("delivery: Sieve: sending a reject report", "to", d.t.from, "err", err)
	}
}

// noticeFailure tells the user, in their INBOX, that their script failed,
// once per version of the script: the message was kept in INBOX.
func (d *sieveDelivery) noticeFailure(ctx context.Context, us *userScript, failure error) {
	key := "sieve-failure:" + hex.EncodeToString(us.loaded.version[:])
	if seen, err := d.u.Seen(ctx, key); err != nil || seen {
		return
	}
	var w reportWriter
	host := d.a.hostname()
	w.start(host)
	w.field("Return-Path", "<>")
	w.field("From", "Mail Delivery System <MAILER-DAEMON@"+host+">")
	w.field("To", "<"+d.l.addr+">")
	w.field("Subject", encodeWord(fmt.Sprintf("Your mail filter %q failed", us.name)))
	w.field("Auto-Submitted", "auto-generated") // RFC 3834 5
	w.field("Content-Type", "text/plain; charset=utf-8")
	w.field("Content-Transfer-Encoding", "8bit")
	w.line("")
	fmt.Fprintf(&w.b, "Your Sieve script %q failed on a message delivered to you:\r\n\r\n    %s\r\n\r\n", us.name, toCRLF(failure.Error()))
	w.line("The message was kept in your INBOX, as is every message while the")
	w.line("script fails. Fix the script (a ManageSieve client shows where the")
	w.line("error is) or deactivate it. You are told once for each version of")
	w.line("the script.")
	if _, err := d.a.Store.Append(ctx, d.l.user, mailbox.Inbox, bytes.NewReader(w.b.Bytes()), nil); err != nil {
		d.log().Warn("delivery: Sieve: storing a failure notice", "err", err)
		return
	}
	if err := d.u.Record(ctx, key, d.now.Add(failureNoticePeriod)); err != nil {
		d.log().Warn("delivery: Sieve: recording a failure notice", "err", err)
	}
}

// reportWriter writes the generated messages: a header, then a body or
// the parts of a multipart body.
type reportWriter struct {
	b        bytes.Buffer
	boundary string
}

func (w *reportWriter) line(s string) { w.b.WriteString(s + "\r\n") }

func (w *reportWriter) field(name, value string) { w.line(name + ": " + value) }

// start writes the fields every generated message has.
func (w *reportWriter) start(host string) {
	now := time.Now()
	w.field("Date", now.Format(time.RFC1123Z))
	w.field("Message-ID", "<"+newID()+"."+fmt.Sprint(now.UnixNano())+"@"+host+">")
	w.field("MIME-Version", "1.0")
}

// multipart ends the header with a multipart Content-Type.
func (w *reportWriter) multipart(subtype string) {
	w.boundary = "=_" + newID() + newID()
	w.field("Content-Type", "multipart/"+subtype+"; boundary=\""+w.boundary+"\"")
	w.line("")
}

// part starts a body part.
func (w *reportWriter) part(contentType string) {
	w.line("")
	w.line("--" + w.boundary)
	w.field("Content-Type", contentType)
	w.line("")
}

func (w *reportWriter) end() { w.line("\r\n--" + w.boundary + "--") }

// headerValue returns the first value of a field, unfolded and trimmed.
func headerValue(h []sieve.Field, name string) string {
	for _, f := range h {
		if strings.EqualFold(f.Name, name) {
			return strings.TrimSpace(strings.NewReplacer("\r\n", "", "\n", "").Replace(f.Value))
		}
	}
	return ""
}

// encodeWord encodes a header value as RFC 2047 words when it is not
// ASCII.
func encodeWord(s string) string {
	if isASCII(s) {
		return s
	}
	return mime.QEncoding.Encode("utf-8", s)
}

// toCRLF makes every line break CRLF.
func toCRLF(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\n", "\r\n")
}
