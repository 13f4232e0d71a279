package smtp

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"

	"github.com/emersion/go-sasl"
	"github.com/mailwright/mailwright/internal/ctxio"
)

// clientPipelineBatch caps the commands written before their replies are
// read. RFC 2920 3.1 warns that a client writing without reading can
// deadlock once the server's replies fill the TCP windows; 100 short
// commands and their replies fit easily in socket buffers.
const clientPipelineBatch = 100

// Recipient is one recipient for Send: an address and its RCPT parameters.
type Recipient struct {
	Address string
	Options *RcptOptions // may be nil
}

// RecipientResult is the outcome of Send for one recipient.
type RecipientResult struct {
	Address string
	// Err is nil when the server took responsibility for the message for
	// this recipient. Otherwise it is the *Error that refused it (at MAIL,
	// RCPT, DATA or after the data; Temporary tells 4xx from 5xx), or the
	// transport or protocol error that broke the connection before the
	// outcome was known.
	Err error
	// Reply is the server's last reply about this recipient, on one line,
	// e.g. "250 2.0.0 Ok: queued as 4HBDV3", for logs and delivery status
	// notifications; empty if none arrived.
	Reply string
}

// Send runs one whole mail transaction: MAIL FROM with opts, RCPT TO for each
// recipient, then the message from body, streamed (never read whole into
// memory) with DATA, or with BDAT when opts.Body is BodyBinaryMIME.
//
// When the server offers PIPELINING (RFC 2920), MAIL, the RCPTs and DATA are
// written together and their replies read in order afterwards (RFC 2920
// 3.1), in groups of at most 100 commands; otherwise each command waits for
// its reply, and DATA is not sent once every recipient was refused. If the
// transaction stays open after a failure, Send ends it with RSET, so the
// Client is ready for the next Send. A non-ASCII address turns on
// opts.UTF8 (SMTPUTF8) by itself.
//
// Send returns one result per recipient, in order, except when the arguments
// are invalid or Hello failed (then nothing was sent and results is nil).
// err is nil when the transaction reached its end and the server took the
// message for at least one recipient; otherwise it is the reason: the MAIL
// rejection, the first recipient's rejection when all were refused, the
// data rejection, or a transport or protocol error. In the last case, and
// after a 421 reply (the server closing), the Client is unusable afterwards. Whatever
// err is, the results tell each recipient's fate: in LMTP mode
// (NewLMTPClient) each accepted recipient gets its own reply to the data.
//
// If reading body fails, the message must not be completed: with BDAT the
// transaction is reset, with DATA the connection is closed (SMTP has no other
// way to abort DATA), and each accepted recipient's Err wraps the read error.
//
// ctx bounds the whole transaction, reading body included; when it ends,
// the recipients whose fate is not known get an error that wraps
// ctx.Err(), and the Client is unusable.
func (c *Client) Send(ctx context.Context, from string, opts *MailOptions, rcpts []Recipient, body io.Reader) ([]RecipientResult, error) {
	// The connection's deadlines cannot interrupt reading the body.
	body = ctxio.Reader(ctx, body)
	var results []RecipientResult
	err := c.do(ctx, func() (err error) {
		results, err = c.send(from, opts, rcpts, body)
		return err
	})
	return results, err
}

func (c *Client) send(from string, opts *MailOptions, rcpts []Recipient, body io.Reader) ([]RecipientResult, error) {
	if err := c.ensureHello(); err != nil {
		return nil, err
	}
	if len(rcpts) == 0 {
		return nil, errors.New("smtp: no recipients")
	}
	var o MailOptions
	if opts != nil {
		o = *opts
	}
	for _, r := range rcpts {
		if !clientIsASCII(r.Address) {
			o.UTF8 = true // RFC 6531 3.4
		}
	}
	mail, utf8, binary, err := c.mailLine(from, &o)
	if err != nil {
		return nil, err
	}
	cmds := make([]string, 0, len(rcpts)+2)
	cmds = append(cmds, mail)
	for _, r := range rcpts {
		line, err := c.rcptLine(r.Address, r.Options, utf8)
		if err != nil {
			return nil, err
		}
		cmds = append(cmds, line)
	}
	if !binary {
		cmds = append(cmds, "DATA")
	}

	t := &clientSendTx{c: c, results: make([]RecipientResult, len(rcpts)), done: make([]bool, len(rcpts))}
	for i, r := range rcpts {
		t.results[i].Address = r.Address
	}
	c.resetTx()
	if err := t.commands(cmds, binary); err != nil {
		return t.fatal(err)
	}
	if t.mailErr != nil {
		for i := range t.results {
			t.results[i].Err, t.results[i].Reply = t.mailErr, t.mailReply
		}
		if t.dataReady {
			t.endEmptyData()
		}
		return t.results, t.mailErr
	}
	// MAIL was accepted: the transaction is open until the data ends or RSET.
	if len(t.accepted) == 0 {
		if t.dataReady {
			// RFC 2920 3.1: DATA accepted although no RCPT was; an empty
			// message ends it.
			if err := t.endEmptyData(); err != nil {
				return t.fatal(err)
			}
		}
		t.rset()
		return t.results, t.results[0].Err
	}
	if !binary && !t.dataReady {
		for _, i := range t.accepted {
			t.results[i].Err, t.results[i].Reply = t.dataErr, t.dataReply
		}
		t.rset()
		return t.results, t.dataErr
	}
	return t.message(body, binary)
}

// clientSendTx is the state of one Send.
type clientSendTx struct {
	c         *Client
	results   []RecipientResult
	done      []bool // results[i] is final
	accepted  []int  // indexes of the recipients accepted at RCPT
	mailErr   error
	mailReply string
	dataReady bool // DATA got 354
	dataErr   error
	dataReply string
}

// commands writes MAIL, RCPT and DATA, in batches when pipelining, and
// records their replies. It returns only errors that break the connection.
func (t *clientSendTx) commands(cmds []string, binary bool) error {
	c := t.c
	batch := 1
	if c.hasExt("PIPELINING") {
		batch = clientPipelineBatch
	}
	for sent := 0; sent < len(cmds) && t.mailErr == nil; {
		end := min(sent+batch, len(cmds))
		if batch == 1 && !binary && end == len(cmds) && len(t.accepted) == 0 {
			break // lock-step: no DATA without a recipient
		}
		for _, line := range cmds[sent:end] {
			if err := c.writeLine(line); err != nil {
				return err
			}
		}
		if err := c.flush(); err != nil {
			return err
		}
		for i := sent; i < end; i++ {
			r, err := c.readReply(c.commandTimeout())
			if err != nil {
				return err
			}
			if err := t.reply(i, r); err != nil {
				return err
			}
		}
		sent = end
	}
	return nil
}

// reply records the reply to cmds[i]: MAIL, a RCPT, or DATA.
func (t *clientSendTx) reply(i int, r *clientReply) error {
	c := t.c
	class := 2
	if i == len(t.results)+1 {
		class = 3 // DATA
	}
	err := c.check(r, class)
	if err != nil && c.broken != nil {
		return err // not an *Error: out of step
	}
	switch {
	case i == 0:
		t.mailErr, t.mailReply = err, r.String()
	case class == 2:
		// After a failed MAIL, RCPTs get 503 (RFC 2920 3.1); the MAIL
		// reply, set after the loop, is the real reason.
		res := &t.results[i-1]
		res.Err, res.Reply = err, r.String()
		if err != nil {
			t.done[i-1] = true
		} else {
			t.accepted = append(t.accepted, i-1)
		}
	default:
		t.dataReady = err == nil
		t.dataErr, t.dataReply = err, r.String()
	}
	return nil
}

// message sends the body and records the final replies.
func (t *clientSendTx) message(body io.Reader, binary bool) ([]RecipientResult, error) {
	c := t.c
	addrs := make([]string, len(t.accepted))
	for k, i := range t.accepted {
		addrs[k] = t.results[i].Address
	}
	end := clientDataEnd{c: c, rcpts: addrs, onReply: func(k int, r *clientReply) {
		err, reply := r.toError(), r.String()
		if c.lmtp {
			i := t.accepted[k]
			t.results[i].Err, t.results[i].Reply, t.done[i] = err, reply, true
			return
		}
		for _, i := range t.accepted {
			t.results[i].Err, t.results[i].Reply, t.done[i] = err, reply, true
		}
	}}
	var w io.WriteCloser
	var werr *error
	if binary {
		b, err := c.bdat()
		if err != nil {
			return t.fatal(err)
		}
		b.end = end
		w, werr = b, &b.err
	} else {
		d := &clientDataWriter{c: c, end: end, lineStart: true}
		w, werr = d, &d.err
	}
	if c.copyBuf == nil {
		c.copyBuf = make([]byte, 32<<10)
	}
	if _, err := io.CopyBuffer(w, body, c.copyBuf); err != nil {
		if *werr != nil {
			var e *Error
			if errors.As(*werr, &e) && c.broken == nil {
				// RFC 3030 section 2: a chunk was refused; the
				// transaction failed and must be reset.
				for _, i := range t.accepted {
					t.results[i].Err, t.results[i].Reply, t.done[i] = e, e.Error(), true
				}
				t.rset()
				return t.results, e
			}
			return t.fatal(*werr)
		}
		err = fmt.Errorf("smtp: reading the message: %w", err)
		if binary {
			t.rset()
		} else {
			// Ending DATA would deliver a truncated message.
			err = c.fail(err)
			c.Close()
		}
		for _, i := range t.accepted {
			t.results[i].Err, t.done[i] = err, true
		}
		return t.results, err
	}
	if err := w.Close(); err != nil {
		return t.fatal(err)
	}
	for _, i := range t.accepted {
		if t.results[i].Err == nil {
			return t.results, nil
		}
	}
	return t.results, t.results[t.accepted[0]].Err
}

// fatal gives err to every recipient whose outcome is still open and
// returns it: the connection broke.
func (t *clientSendTx) fatal(err error) ([]RecipientResult, error) {
	for i := range t.results {
		if !t.done[i] {
			t.results[i].Err, t.done[i] = err, true
		}
	}
	return t.results, err
}

// endEmptyData ends a DATA that should not have been accepted with an empty
// message; its reply does not matter, but must be read.
func (t *clientSendTx) endEmptyData() error {
	if err := t.c.writeLine("."); err != nil {
		return err
	}
	if err := t.c.flush(); err != nil {
		return err
	}
	_, err := t.c.readReply(t.c.submissionTimeout())
	return err
}

// rset ends an open transaction; if that fails the Client is broken, which
// the next command reports.
func (t *clientSendTx) rset() {
	if _, err := t.c.cmd(2, "RSET"); err == nil {
		t.c.resetTx()
	}
}

// SendMail sends the message in r from from to each address in to, with
// Send. It returns nil only if every recipient accepted the message. If the
// transaction failed alike for all (MAIL or the data refused, a broken
// connection), the error is that failure; if recipients failed differently,
// or only some did (the others got the message), the error joins one error
// per refused recipient, each naming it. errors.As finds the *Error.
func (c *Client) SendMail(ctx context.Context, from string, to []string, r io.Reader) error {
	rcpts := make([]Recipient, len(to))
	for i, addr := range to {
		rcpts[i].Address = addr
	}
	res, err := c.Send(ctx, from, nil, rcpts, r)
	var errs []error
	whole := true // every failed recipient failed with err itself
	for _, rr := range res {
		if rr.Err == nil {
			continue
		}
		if !errors.Is(rr.Err, err) {
			whole = false
		}
		errs = append(errs, fmt.Errorf("smtp: recipient <%s>: %w", rr.Address, rr.Err))
	}
	if len(errs) == 0 || (err != nil && whole) {
		return err
	}
	return errors.Join(errs...)
}

// SendMail connects to the server at addr, switches to TLS with STARTTLS when
// the server offers it (verifying the certificate against the host in addr),
// authenticates with a if it is not nil, sends the message in r from from to
// each address in to, and quits. Like net/smtp, it refuses to authenticate
// over a connection that is neither TLS nor to the local host, so that a
// password never crosses the network in clear. See Client.SendMail for
// the error. ctx bounds the whole exchange.
func SendMail(ctx context.Context, addr string, a sasl.Client, from string, to []string, r io.Reader) error {
	c, err := DialContext(ctx, addr)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Hello(ctx, ""); err != nil {
		return err
	}
	if ok, _ := c.Extension("STARTTLS"); ok {
		if err := c.StartTLS(ctx, &tls.Config{ServerName: c.serverName}); err != nil {
			return err
		}
	}
	if a != nil {
		if !c.isTLS && !clientIsLocalHost(c.serverName) {
			return errors.New("smtp: refusing to authenticate over an unencrypted connection")
		}
		if ok, _ := c.Extension("AUTH"); !ok {
			return &MissingExtensionError{Extension: "AUTH"}
		}
		if err := c.Auth(ctx, a); err != nil {
			return err
		}
	}
	if err := c.SendMail(ctx, from, to, r); err != nil {
		return err
	}
	return c.Quit(ctx)
}

// clientIsLocalHost reports whether host names this machine: "localhost" or
// a loopback address.
func clientIsLocalHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
