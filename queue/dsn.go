package queue

import (
	"bufio"
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"mime/multipart"
	"net/textproto"
	"strconv"
	"strings"
	"time"
)

// DSN actions (RFC 3464 2.3.3) used by the queue. "relayed" and "expanded"
// are for other agents.
const (
	actionFailed    = "failed"
	actionDelayed   = "delayed"
	actionDelivered = "delivered"
)

// report is a DSN to send for one message, and what to mark once it is
// sent.
type report struct {
	msg   *Message // snapshot
	now   time.Time
	until time.Time // Will-Retry-Until for delayed recipients
	rcpts []dsnRecipient
	// failed lists every newly failed recipient, notified or not.
	failed    []string
	markFinal []int // recipients whose final state is now dealt with
	markDelay bool  // the delay warning is dealt with
}

type dsnRecipient struct {
	RecipientStatus
	action string
}

func (r *report) has(action string) bool {
	for _, x := range r.rcpts {
		if x.action == action {
			return true
		}
	}
	return false
}

// collectReportLocked gathers the DSN due for e now: final recipients not
// yet reported (failure DSN if NOTIFY has FAILURE, success DSN if it has
// SUCCESS) and, once DelayWarning has passed, one delay warning for the
// recipients still pending whose NOTIFY has DELAY. It returns nil when
// nothing is due. q.mu is held.
func (q *Queue) collectReportLocked(e *entry, now time.Time) *report {
	m := e.msg
	rep := &report{now: now, until: m.Arrival.Add(q.opts.MaxAge)}
	for i, r := range m.Recipients {
		if !r.State.Final() || r.Reported {
			continue
		}
		rep.markFinal = append(rep.markFinal, i)
		switch r.State {
		case StateFailed:
			rep.failed = append(rep.failed, r.Address)
			if r.wants(NotifyFailure) {
				rep.rcpts = append(rep.rcpts, dsnRecipient{r, actionFailed})
			}
		case StateDelivered:
			if r.wants(NotifySuccess) {
				rep.rcpts = append(rep.rcpts, dsnRecipient{r, actionDelivered})
			}
		}
	}
	if !m.DelayWarned && q.opts.DelayWarning > 0 && !now.Before(m.Arrival.Add(q.opts.DelayWarning)) {
		rep.markDelay = true
		for _, r := range m.Recipients {
			if !r.State.Final() && r.wants(NotifyDelay) {
				rep.rcpts = append(rep.rcpts, dsnRecipient{r, actionDelayed})
			}
		}
	}
	if len(rep.markFinal) == 0 && !rep.markDelay {
		return nil
	}
	for i := range rep.rcpts {
		rep.rcpts[i].Recipient = cloneRecipient(rep.rcpts[i].Recipient)
		if res := rep.rcpts[i].Result; res != nil {
			c := *res
			rep.rcpts[i].Result = &c
		}
	}
	rep.msg = &Message{ID: m.ID, From: m.From, Return: m.Return, EnvelopeID: m.EnvelopeID,
		UTF8: m.UTF8, BodyType: m.BodyType, Arrival: m.Arrival, Size: m.Size}
	return rep
}

// markLocked records that the report was sent (as dsnID; empty when no DSN
// was due or the sender is null) and returns the events. q.mu is held.
func (r *report) markLocked(e *entry, dsnID string) []Event {
	m := e.msg
	in := map[string]string{} // address -> action in the DSN
	if dsnID != "" {
		for _, x := range r.rcpts {
			in[x.Address] = x.action
		}
	}
	var events []Event
	add := func(kind EventKind, addr string, res Result, dsn string) {
		for i := range events {
			ev := &events[i]
			if ev.Kind == kind && ev.Result == res && ev.DSN == dsn {
				ev.Recipients = append(ev.Recipients, addr)
				return
			}
		}
		events = append(events, Event{Kind: kind, Time: r.now, ID: m.ID, From: m.From, Recipients: []string{addr}, Result: res, DSN: dsn})
	}
	for _, i := range r.markFinal {
		rc := &m.Recipients[i]
		rc.Reported = true
		var res Result
		if rc.Result != nil {
			res = *rc.Result
		}
		switch {
		case rc.State == StateFailed && in[rc.Address] == actionFailed:
			add(EventBounced, rc.Address, res, dsnID)
		case rc.State == StateFailed:
			add(EventBounced, rc.Address, res, "")
		case rc.State == StateDelivered && in[rc.Address] == actionDelivered:
			add(EventSuccessDSN, rc.Address, res, dsnID)
		}
	}
	if r.markDelay {
		m.DelayWarned = true
		for _, x := range r.rcpts {
			if x.action == actionDelayed && dsnID != "" {
				add(EventDelayWarning, x.Address, Result{}, dsnID)
			}
		}
	}
	return events
}

// errDSNAbandoned stops the DSN writer when the sender stopped reading.
var errDSNAbandoned = errors.New("queue: DSN not read to the end")

// sendReport builds the DSN and sends it to the original sender with the
// null reverse-path (RFC 3461 6.2; RFC 5321 4.5.5), streaming it from the
// stored body through a pipe. By default it is enqueued into this queue,
// so it is retried like any message, and never bounced.
func (q *Queue) sendReport(rep *report) (string, error) {
	m := rep.msg
	full := rep.returnsFull(q.opts.ReturnLimit)
	env := Envelope{From: "", Recipients: []Recipient{{Address: m.From}}, UTF8: m.UTF8}
	if full {
		// The returned message keeps its content, so the DSN needs the
		// same transport (8BITMIME, BINARYMIME).
		env.BodyType = m.BodyType
	}
	pr, pw := io.Pipe()
	done := make(chan struct{})
	go func() {
		defer close(done)
		pw.CloseWithError(q.writeDSN(pw, rep, full))
	}()
	send := q.opts.SendDSN
	if send == nil {
		send = func(ctx context.Context, env Envelope, r io.Reader) (string, error) {
			return q.enqueue(ctx, env, r, true)
		}
	}
	id, err := send(q.ctx, env, pr)
	pr.CloseWithError(errDSNAbandoned)
	<-done
	return id, err
}

// returnsFull says whether the DSN returns the whole message or only its
// header. RFC 3461 4.3: RET says what a failure DSN returns; RET=FULL gets
// the message, RET=HDRS the header. Without RET the message is returned
// up to limit bytes, the header only above. Delay and success DSNs return
// the header only: RET concerns failure DSNs, and a delay warning is no
// reason to send the whole message back.
func (r *report) returnsFull(limit int64) bool {
	if !r.has(actionFailed) {
		return false
	}
	switch r.msg.Return {
	case ReturnFull:
		return true
	case ReturnHeaders:
		return false
	}
	return r.msg.Size <= limit
}

// maxReturnedHeader bounds the header copied into a text/rfc822-headers
// part.
const maxReturnedHeader = 1 << 20

// writeDSN writes the DSN message: RFC 3464 multipart/report with a
// human-readable part, a message/delivery-status part, and the original
// message or its header.
func (q *Queue) writeDSN(w io.Writer, rep *report, full bool) error {
	m := rep.msg
	bw := bufio.NewWriter(w)
	mw := multipart.NewWriter(bw)
	var subject string
	switch {
	case rep.has(actionFailed):
		subject = "Undelivered Mail Returned to Sender"
	case rep.has(actionDelayed):
		subject = "Delayed Mail (still being retried)"
	default:
		subject = "Successful Mail Delivery Report"
	}
	var rnd [12]byte
	rand.Read(rnd[:])
	host := q.opts.Hostname
	h := &headerWriter{w: bw}
	h.field("From", "Mail Delivery System <"+oneLine(q.opts.Postmaster, maxAddress)+">")
	h.field("To", "<"+m.From+">")
	h.field("Subject", subject)
	h.field("Date", rep.now.Format(time.RFC1123Z))
	h.field("Message-ID", "<"+hex.EncodeToString(rnd[:])+"@"+host+">")
	// RFC 3834 5: automatic replies are marked, so that they are not
	// answered automatically in turn.
	h.field("Auto-Submitted", "auto-replied")
	h.field("MIME-Version", "1.0")
	h.field("Content-Type", `multipart/report; report-type=delivery-status; boundary="`+mw.Boundary()+`"`)
	h.line("")
	h.line("This is a MIME-formatted delivery status notification.")
	if h.err != nil {
		return h.err
	}

	// Part 1: for people (RFC 3464 2: the first part of a
	// multipart/report is human-readable).
	pw, err := mw.CreatePart(textproto.MIMEHeader{
		"Content-Type":        {"text/plain; charset=utf-8"},
		"Content-Description": {"Notification"},
	})
	if err != nil {
		return err
	}
	h = &headerWriter{w: pw}
	h.line("This is the mail system at " + host + ".")
	h.line("")
	if rep.has(actionFailed) {
		h.line("Your message could not be delivered to one or more recipients.")
		if full {
			h.line("It is attached below.")
		} else {
			h.line("Its header is attached below.")
		}
		h.line("")
	}
	if rep.has(actionDelayed) {
		h.line("Your message has not been delivered yet to one or more recipients.")
		h.line("The mail system will keep trying until " + rep.until.Format(time.RFC1123Z) + ";")
		h.line("you do not need to send it again.")
		h.line("")
	}
	if rep.has(actionDelivered) {
		h.line("Your message was delivered to the recipients below, as you asked.")
		h.line("")
	}
	for _, r := range rep.rcpts {
		s := "<" + r.Address + ">: " + r.action
		if r.Result != nil {
			if r.Result.RemoteMTA != "" {
				s += ", host " + r.Result.RemoteMTA + " said"
			}
			s += ": " + replyText(r.Result)
		}
		h.line(s)
	}
	if h.err != nil {
		return h.err
	}

	// Part 2: for programs (RFC 3464 2.1).
	pw, err = mw.CreatePart(textproto.MIMEHeader{
		"Content-Type":        {"message/delivery-status"},
		"Content-Description": {"Delivery report"},
	})
	if err != nil {
		return err
	}
	h = &headerWriter{w: pw}
	// Per-message fields (RFC 3464 2.2).
	h.field("Reporting-MTA", "dns; "+host)
	if m.EnvelopeID != "" {
		// RFC 3464 2.2.1: the ENVID as given by the sender (RFC 3461
		// 4.4: printable US-ASCII), decoded from xtext.
		h.field("Original-Envelope-Id", oneLine(m.EnvelopeID, maxEnvelopeID))
	}
	h.field("Arrival-Date", m.Arrival.Format(time.RFC1123Z))
	// Per-recipient fields (RFC 3464 2.3), each group after a blank line.
	for _, r := range rep.rcpts {
		h.line("")
		if r.OriginalRecipient != "" {
			h.field("Original-Recipient", cmp.Or(r.OriginalRecipientType, "rfc822")+"; "+r.OriginalRecipient)
		}
		h.field("Final-Recipient", "rfc822; "+r.Address)
		h.field("Action", r.action)
		h.field("Status", dsnStatus(r.action, r.Result))
		if r.Result != nil {
			if r.Result.RemoteMTA != "" {
				h.field("Remote-MTA", "dns; "+r.Result.RemoteMTA)
			}
			if r.Result.Code != 0 {
				h.field("Diagnostic-Code", "smtp; "+replyText(r.Result))
			}
		}
		if !r.LastAttempt.IsZero() {
			h.field("Last-Attempt-Date", r.LastAttempt.Format(time.RFC1123Z))
		}
		if r.action == actionDelayed {
			h.field("Will-Retry-Until", rep.until.Format(time.RFC1123Z))
		}
	}
	if h.err != nil {
		return h.err
	}

	// Part 3: the original message (RFC 3462 / RFC 6522: message/rfc822
	// or text/rfc822-headers).
	ct, desc := "text/rfc822-headers", "Undelivered Message Headers"
	if full {
		ct, desc = "message/rfc822", "Undelivered Message"
	}
	if !rep.has(actionFailed) {
		desc = "Message Headers"
	}
	pw, err = mw.CreatePart(textproto.MIMEHeader{
		"Content-Type":        {ct},
		"Content-Description": {desc},
	})
	if err != nil {
		return err
	}
	body, err := q.store.openBody(m.ID)
	if err != nil {
		return err
	}
	defer body.Close()
	if full {
		_, err = io.Copy(pw, body)
	} else {
		err = copyHeader(pw, body, maxReturnedHeader)
	}
	if err != nil {
		return err
	}
	if err := mw.Close(); err != nil {
		return err
	}
	return bw.Flush()
}

// replyText formats an SMTP reply for a DSN: "550 5.1.1 text".
func replyText(r *Result) string {
	var b strings.Builder
	if r.Code != 0 {
		b.WriteString(strconv.Itoa(r.Code))
		b.WriteByte(' ')
	}
	if r.EnhancedCode != "" {
		b.WriteString(r.EnhancedCode)
		b.WriteByte(' ')
	}
	b.WriteString(r.Message)
	return oneLine(strings.TrimSpace(b.String()), 900)
}

// dsnStatus is the Status field (RFC 3464 2.3.4, codes from RFC 3463) for
// a recipient: the server's enhanced code when it matches the action's
// class, else a generic one.
func dsnStatus(action string, r *Result) string {
	enh := ""
	if r != nil && validEnhanced(r.EnhancedCode) {
		enh = r.EnhancedCode
	}
	class := func(c byte, def string) string {
		if enh != "" && enh[0] == c {
			return enh
		}
		return def
	}
	switch action {
	case actionDelivered:
		return class('2', "2.0.0")
	case actionDelayed:
		return class('4', "4.0.0")
	}
	if r != nil && r.Status == StatusTemporary {
		// Given up after temporary failures: RFC 3463 4.4.7, delivery
		// time expired, unless the last reply says more.
		return class('4', "4.4.7")
	}
	return class('5', "5.0.0")
}

// headerWriter writes CRLF lines and remembers the first error.
type headerWriter struct {
	w   io.Writer
	err error
}

func (h *headerWriter) line(s string) {
	if h.err == nil {
		_, h.err = io.WriteString(h.w, s+"\r\n")
	}
}

// field writes "Name: value"; value is made single-line so that no data
// can add fields.
func (h *headerWriter) field(name, value string) {
	h.line(name + ": " + strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, value))
}

// copyHeader copies the header of a message (up to and including the
// blank line that ends it, or all of it if there is none) in at most max
// bytes, ending with a line break.
func copyHeader(w io.Writer, r io.Reader, max int) error {
	br := bufio.NewReader(r)
	n := 0
	lastNL := true
	for n < max {
		line, err := br.ReadSlice('\n')
		if len(line) > max-n {
			line = line[:max-n]
		}
		if len(line) > 0 {
			if _, werr := w.Write(line); werr != nil {
				return werr
			}
			n += len(line)
			atStart := lastNL
			lastNL = line[len(line)-1] == '\n'
			if atStart && lastNL && (len(line) == 1 || (len(line) == 2 && line[0] == '\r')) {
				return nil // the blank line
			}
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
	}
	if !lastNL {
		_, err := io.WriteString(w, "\r\n")
		return err
	}
	return nil
}
