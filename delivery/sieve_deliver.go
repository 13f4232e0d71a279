package delivery

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/mailwright/mailwright/delivery/sieve"
	"github.com/mailwright/mailwright/mailbox"
	"github.com/mailwright/mailwright/queue"
	"github.com/mailwright/mailwright/smtp"
)

// maxRedirectHops bounds the X-Sieve-Redirected-From fields a message may
// carry and still be redirected: a loop through several users' scripts
// ends there, as a loop through aliases ends at MaxReceived.
const maxRedirectHops = 8

// sieveScripts returns, for each local target of t, the scripts that run
// for it; nil when no target has any (the message is delivered as
// without Sieve).
func (a *Agent) sieveScripts(ctx context.Context, t *transaction) [][]*userScript {
	if a.Sieve == nil || a.Local != nil || a.Store == nil || len(t.locals) == 0 {
		return nil
	}
	a.Sieve.init(a)
	out := make([][]*userScript, len(t.locals))
	found := false
	for i, l := range t.locals {
		out[i] = a.Sieve.scriptsFor(ctx, a, l.user)
		found = found || len(out[i]) > 0
	}
	if !found {
		return nil
	}
	return out
}

// deliverFiltered stores a copy of the spooled message for each local
// target, through the target's scripts when it has some. It returns one
// error per target, as deliverLocal does.
func (a *Agent) deliverFiltered(ctx context.Context, t *transaction, trace []byte, sp *spool, scripts [][]*userScript) []error {
	errs := make([]error, len(t.locals))
	var wg sync.WaitGroup
	for i, l := range t.locals {
		wg.Go(func() {
			d := &sieveDelivery{a: a, t: t, l: l, trace: trace, sp: sp, refusable: t.refusable(i)}
			if len(scripts[i]) == 0 {
				_, errs[i] = a.Store.Append(ctx, l.user, mailbox.Inbox, d.stored(nil), nil)
				return
			}
			errs[i] = d.run(ctx, scripts[i])
		})
	}
	wg.Wait()
	return errs
}

// refusable reports whether a refusal of local target i can still reach
// the client: an LMTP client waits for each recipient's own answer (RFC
// 2033 4.2), an SMTP client for the one answer to DATA, which speaks for
// target i only when it is the message's one destination (RFC 5429 2.1).
func (t *transaction) refusable(i int) bool {
	if !t.client {
		return false
	}
	if !t.lmtp {
		return len(t.locals) == 1 && len(t.remotes) == 0
	}
	for _, rc := range t.rcpts {
		if slices.Contains(rc.local, i) && (len(rc.local) != 1 || len(rc.remote) != 0) {
			return false
		}
	}
	return true
}

// sieveDelivery is the delivery of one message to one local target
// through its scripts.
type sieveDelivery struct {
	a         *Agent
	t         *transaction
	l         localTarget
	trace     []byte
	sp        *spool
	refusable bool

	msg    *sieve.Message
	env    sieve.Envelope
	u      userSieve
	now    time.Time
	stores map[string]bool // canonical folders stored into
}

// plan is what the scripts decided, together.
type plan struct {
	actions    []sieve.Action
	keep       bool // store into INBOX (the implicit keep)
	keepFlags  []string
	keepHeader []sieve.Field
	failed     *userScript // the script that failed, if one did
	failure    error
}

// content is the message as it arrived here (trace field first), or with
// the header that editheader left, when header is not nil.
func (d *sieveDelivery) content(header []sieve.Field) io.Reader {
	if header != nil {
		return d.msg.WithHeader(header)
	}
	return io.MultiReader(bytes.NewReader(d.trace), d.sp.reader())
}

// stored is content as final delivery stores it: with Return-Path (RFC
// 5321 4.4).
func (d *sieveDelivery) stored(header []sieve.Field) io.Reader {
	rp := appendReturnPath(nil, d.t.from)
	if d.msg == nil {
		return io.MultiReader(bytes.NewReader(rp), bytes.NewReader(d.trace), d.sp.reader())
	}
	return io.MultiReader(bytes.NewReader(rp), d.content(header))
}

func (d *sieveDelivery) log() *slog.Logger {
	return d.a.logger().With("user", d.l.user)
}

// run runs the scripts and carries out what they decided. The error is
// the recipient's result: nil once every action is done and durable.
func (d *sieveDelivery) run(ctx context.Context, scripts []*userScript) error {
	a := d.a
	ra, size := d.sp.readerAt()
	msg, err := sieve.ReadMessage(headedReaderAt{head: d.trace, body: ra}, int64(len(d.trace))+size, 0)
	if err != nil {
		return err
	}
	d.msg, d.now = msg, time.Now()
	d.u = userSieve{a: a, f: a.Sieve, user: d.l.user}
	d.env = sieve.Envelope{From: d.t.from, To: d.l.to, OrigTo: d.l.origTo, Auth: d.t.auth}
	p, err := d.evaluate(ctx, scripts)
	if err != nil {
		return err
	}
	if p.failure != nil {
		d.log().Warn("delivery: Sieve script failed; message kept in INBOX", "script", p.failed.name, "err", p.failure)
	}
	for _, act := range p.actions {
		if r, ok := act.(*sieve.Reject); ok {
			if d.refusable {
				// RFC 5429 2.1: refused while the client still waits.
				return rejectError(r.Reason)
			}
			d.reportReject(ctx, r)
		}
	}
	if err := d.storeAll(ctx, p); err != nil {
		return err
	}
	d.send(ctx, p)
	for _, act := range p.actions {
		if td, ok := act.(*sieve.TrackDuplicate); ok {
			if err := d.u.Record(ctx, td.ID, d.now.Add(td.Period)); err != nil {
				d.log().Warn("delivery: Sieve: recording a duplicate", "err", err)
			}
		}
	}
	if p.failed != nil && p.failed.own {
		d.noticeFailure(ctx, p.failed, p.failure)
	}
	return nil
}

// evaluate runs the scripts in sequence (see SieveFilter.Before). An
// error is temporary: a script could not be read, or the delivery was
// cancelled.
func (d *sieveDelivery) evaluate(ctx context.Context, scripts []*userScript) (*plan, error) {
	p := &plan{keep: true}
	in := &sieve.Input{Message: d.msg, Envelope: d.env, Now: d.now, Mailboxes: d.u, Duplicates: d.u, Scripts: d.u}
	for i, us := range scripts {
		if us.err != nil {
			d.log().Error("delivery: Sieve: reading a script", "script", us.name, "err", us.err)
			return nil, us.err
		}
		if us.loaded.err != nil {
			p.keep, p.keepFlags, p.keepHeader = true, nil, nil
			p.failed, p.failure = us, us.loaded.err
			return p, nil
		}
		res, err := us.loaded.script.Run(ctx, in)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			// RFC 5228 2.10.6: keep the message. What earlier scripts
			// did stands; no further script runs.
			p.keep, p.keepFlags, p.keepHeader = true, nil, nil
			p.failed, p.failure = us, err
			return p, nil
		}
		last := i == len(scripts)-1
		keeps := res.ImplicitKeep
		for _, act := range res.Actions {
			if _, ok := act.(*sieve.Keep); ok {
				keeps = true
				if !last {
					// Before the last script, keep only lets the next
					// one run.
					continue
				}
			}
			p.actions = append(p.actions, act)
		}
		p.keep, p.keepFlags, p.keepHeader = res.ImplicitKeep, res.KeepFlags, res.KeepHeader
		if !keeps {
			p.keep = false
			break
		}
		if !last {
			p.keep = true
		}
	}
	return p, nil
}

// storeAll files the message: explicit keeps and fileinto in the order
// the scripts took them, then the implicit keep. A folder gets at most one
// copy. What cannot be filed where it should goes to INBOX (RFC 5228
// 2.10.6); only a failure to store into INBOX fails the delivery.
func (d *sieveDelivery) storeAll(ctx context.Context, p *plan) error {
	d.stores = map[string]bool{}
	for _, act := range p.actions {
		var err error
		switch act := act.(type) {
		case *sieve.Keep:
			err = d.store(ctx, mailbox.Inbox, act.Flags, act.Header, false)
		case *sieve.FileInto:
			err = d.store(ctx, act.Mailbox, act.Flags, act.Header, act.Create)
		}
		if err != nil {
			return err
		}
	}
	if p.keep {
		return d.store(ctx, mailbox.Inbox, p.keepFlags, p.keepHeader, false)
	}
	return nil
}

// store appends the message to folder, creating it when create is set;
// failing that, to INBOX.
func (d *sieveDelivery) store(ctx context.Context, folder string, flags []string, header []sieve.Field, create bool) error {
	canon, err := mailbox.CanonicalName(folder)
	if err != nil {
		d.log().Warn("delivery: Sieve: fileinto an invalid folder name; kept in INBOX", "folder", folder, "err", err)
		canon = mailbox.Inbox
	}
	if d.stores[canon] {
		return nil
	}
	err = d.appendTo(ctx, canon, flags, header)
	if errors.Is(err, mailbox.ErrNoSuchFolder) && create {
		// RFC 5490 3.2: :create makes the folder first.
		if cerr := d.a.Store.CreateFolder(ctx, d.l.user, canon); cerr == nil || errors.Is(cerr, mailbox.ErrFolderExists) {
			err = d.appendTo(ctx, canon, flags, header)
		}
	}
	if err == nil {
		d.stores[canon] = true
		return nil
	}
	if canon == mailbox.Inbox || ctx.Err() != nil {
		return err
	}
	d.log().Warn("delivery: Sieve: fileinto failed; kept in INBOX", "folder", canon, "err", err)
	return d.store(ctx, mailbox.Inbox, flags, header, false)
}

// appendTo stores one copy, dropping flags the store cannot keep (RFC
// 5232 3: a flag that cannot be set does not fail the delivery).
func (d *sieveDelivery) appendTo(ctx context.Context, folder string, flags []string, header []sieve.Field) error {
	opts := &mailbox.AppendOptions{Flags: flags}
	_, err := d.a.Store.Append(ctx, d.l.user, folder, d.stored(header), opts)
	if len(flags) > 0 && (errors.Is(err, mailbox.ErrInvalidFlag) || errors.Is(err, mailbox.ErrTooManyKeywords)) {
		d.log().Debug("delivery: Sieve: flags dropped", "flags", flags, "err", err)
		opts.Flags = slices.DeleteFunc(slices.Clone(flags), func(f string) bool { return !isSystemFlag(f) })
		_, err = d.a.Store.Append(ctx, d.l.user, folder, d.stored(header), opts)
	}
	return err
}

func isSystemFlag(f string) bool {
	for _, s := range []string{mailbox.FlagSeen, mailbox.FlagAnswered, mailbox.FlagFlagged, mailbox.FlagDeleted, mailbox.FlagDraft} {
		if strings.EqualFold(f, s) {
			return true
		}
	}
	return false
}

// send carries out the actions that send mail, through the queue:
// redirects (a redirect that cannot be done keeps the message, RFC 5228
// 2.10.6), a vacation reply, notifications. The message is stored
// already; a failure to send is logged.
func (d *sieveDelivery) send(ctx context.Context, p *plan) {
	vacation := false
	for _, act := range p.actions {
		switch act := act.(type) {
		case *sieve.Redirect:
			if err := d.redirect(ctx, act); err != nil {
				d.log().Warn("delivery: Sieve: redirect failed; kept in INBOX", "to", act.Address, "err", err)
				if err := d.store(ctx, mailbox.Inbox, nil, nil, false); err != nil {
					d.log().Error("delivery: Sieve: keeping a message whose redirect failed", "err", err)
				}
			}
		case *sieve.Vacation:
			if !vacation { // one reply, however many scripts asked
				vacation = true
				d.vacation(ctx, act)
			}
		case *sieve.Notify:
			d.notify(ctx, act)
		}
	}
}

var errRedirectLoop = errors.New("the message was redirected by this user before")

// redirect forwards the message with the same envelope sender (RFC 5228
// 4.2), marked with the user's address against loops.
func (d *sieveDelivery) redirect(ctx context.Context, r *sieve.Redirect) error {
	if d.a.Queue == nil {
		return errors.New("no queue to send it with")
	}
	hops := 0
	for _, f := range d.msg.Header {
		if strings.EqualFold(f.Name, redirectedFrom) {
			hops++
			if strings.EqualFold(strings.TrimSpace(f.Value), d.l.addr) {
				return errRedirectLoop
			}
		}
	}
	if hops >= maxRedirectHops || strings.EqualFold(r.Address, d.l.addr) || strings.EqualFold(r.Address, d.l.to) {
		return errRedirectLoop
	}
	mark := redirectedFrom + ": " + d.l.addr + "\r\n"
	env := queue.Envelope{From: d.t.from, Recipients: []queue.Recipient{{Address: r.Address}},
		UTF8: d.t.opts.UTF8, BodyType: string(d.t.opts.Body)}
	_, err := d.a.Queue.Enqueue(ctx, env, io.MultiReader(strings.NewReader(mark), d.content(r.Header)))
	if err == nil {
		d.log().Debug("delivery: Sieve: redirected", "to", r.Address)
	}
	return err
}

// vacation sends the reply that v asks for, if the Responder decides
// one is due (RFC 5230 4.5, 4.6; RFC 3834): from <>, at most once per
// sender and period, recorded before it is queued so that a crash never
// sends it twice.
func (d *sieveDelivery) vacation(ctx context.Context, v *sieve.Vacation) {
	own := *v
	// The user's own address counts as theirs: a message naming it is
	// for them, and they get no reply to their own mail.
	own.Addresses = append(slices.Clone(v.Addresses), d.l.addr)
	rs := &sieve.Responder{Tracker: d.u, Hostname: d.a.hostname()}
	reply, err := rs.Respond(ctx, &own, d.msg, d.env, d.now)
	if err != nil {
		d.log().Warn("delivery: Sieve: vacation", "err", err)
		return
	}
	if reply == nil {
		return
	}
	if err := d.a.enqueueGenerated(ctx, reply.EnvelopeFrom, []string{reply.EnvelopeTo}, reply.Message); err != nil {
		d.log().Warn("delivery: Sieve: sending a vacation reply", "to", reply.EnvelopeTo, "err", err)
	}
}

// notify sends a mailto: notification (RFC 5435, RFC 5436).
func (d *sieveDelivery) notify(ctx context.Context, n *sieve.Notify) {
	note, err := n.ComposeMailto(d.msg, d.env, d.now, d.a.hostname())
	if err != nil || note == nil {
		if err != nil {
			d.log().Warn("delivery: Sieve: notify", "method", n.Method, "err", err)
		}
		return
	}
	if err := d.a.enqueueGenerated(ctx, note.EnvelopeFrom, note.Recipients, note.Message); err != nil {
		d.log().Warn("delivery: Sieve: sending a notification", "err", err)
	}
}

// enqueueGenerated queues a message that delivery wrote (a reply, a
// notification, a report).
func (a *Agent) enqueueGenerated(ctx context.Context, from string, to []string, msg []byte) error {
	if a.Queue == nil {
		return errors.New("no queue to send it with")
	}
	env := queue.Envelope{From: from}
	for _, r := range to {
		env.Recipients = append(env.Recipients, queue.Recipient{Address: r})
	}
	if !isASCII(string(msg)) {
		env.BodyType = string(smtp.Body8BitMIME)
	}
	_, err := a.Queue.Enqueue(ctx, env, bytes.NewReader(msg))
	return err
}

// headedReaderAt reads head followed by body, as one message.
type headedReaderAt struct {
	head []byte
	body io.ReaderAt
}

func (h headedReaderAt) ReadAt(p []byte, off int64) (int, error) {
	n := 0
	if off < int64(len(h.head)) {
		n = copy(p, h.head[off:])
		if n == len(p) {
			return n, nil
		}
		off = int64(len(h.head))
	}
	m, err := h.body.ReadAt(p[n:], off-int64(len(h.head)))
	return n + m, err
}

// originalRecipient is the recipient to report as Sieve's original one
// for a local target reached at to: the ORCPT the client gave (RFC 3461
// 4.2), else the address it sent to when that is not to.
func originalRecipient(rcpt, to string, opts *smtp.RcptOptions) string {
	if opts != nil && strings.EqualFold(opts.OriginalRecipientType, "rfc822") && opts.OriginalRecipient != "" {
		return opts.OriginalRecipient
	}
	if strings.EqualFold(rcpt, to) {
		return ""
	}
	return rcpt
}
