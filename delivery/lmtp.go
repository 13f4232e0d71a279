package delivery

import (
	"context"
	"errors"
	"io"
	"net"

	"github.com/mailwright/mailwright/queue"
	"github.com/mailwright/mailwright/smtp"
)

// LMTP hands mail to another mail store over LMTP (RFC 2033), such as
// Dovecot's LMTP service, and reports each recipient's own result. It is a
// LocalDeliverer (Agent.Local) and a queue.Deliverer (a queue whose mail
// all goes to one store). One connection per message: LMTP servers are
// local and connections cheap.
type LMTP struct {
	// Network and Addr locate the server: "unix" and a socket path, or
	// "tcp" and "host:port".
	Network, Addr string
	// LocalName is sent with LHLO. Default "localhost".
	LocalName string
	// Dialer makes the connection. Default: a net.Dialer with
	// DefaultDialTimeout.
	Dialer Dialer
}

var (
	_ LocalDeliverer  = (*LMTP)(nil)
	_ queue.Deliverer = (*LMTP)(nil)
)

// DeliverLocal implements LocalDeliverer: one LMTP transaction for all
// rcpts, one error per recipient.
func (l *LMTP) DeliverLocal(ctx context.Context, from string, rcpts []string, r io.Reader) []error {
	to := make([]smtp.Recipient, len(rcpts))
	for i, a := range rcpts {
		to[i] = smtp.Recipient{Address: a}
	}
	res, err := l.send(ctx, from, nil, to, r)
	errs := make([]error, len(rcpts))
	for i := range errs {
		switch {
		case res != nil:
			errs[i] = res[i].Err
		default:
			errs[i] = err
		}
	}
	return errs
}

// Deliver implements queue.Deliverer.
func (l *LMTP) Deliver(ctx context.Context, d *queue.Delivery) []queue.Result {
	body, err := d.Open()
	if err != nil {
		return []queue.Result{queue.TempFail(0, "4.3.0", "opening the queued message: "+err.Error(), "")}
	}
	defer body.Close()
	to := make([]smtp.Recipient, len(d.Recipients))
	for i, rc := range d.Recipients {
		to[i] = smtp.Recipient{Address: rc.Address}
	}
	opts := &smtp.MailOptions{Body: smtp.BodyType(d.BodyType), UTF8: d.UTF8, Size: d.Size}
	res, err := l.send(ctx, d.From, opts, to, body)
	var missing *smtp.MissingExtensionError
	if errors.As(err, &missing) {
		return []queue.Result{queue.PermFail(554, "5.6.3", "LMTP server lacks "+missing.Extension+", which the message needs", l.Addr)}
	}
	if res == nil {
		return []queue.Result{queue.TempFail(0, "4.4.1", "LMTP to "+l.Addr+": "+errText(err), "")}
	}
	out := make([]queue.Result, len(res))
	for i, s := range res {
		out[i] = resultOf(s, l.Addr)
	}
	return out
}

// send runs one LMTP transaction. results is nil when the connection
// could not be set up.
func (l *LMTP) send(ctx context.Context, from string, opts *smtp.MailOptions, to []smtp.Recipient, r io.Reader) ([]smtp.RecipientResult, error) {
	dialer := l.Dialer
	if dialer == nil {
		dialer = &net.Dialer{Timeout: DefaultDialTimeout}
	}
	if l.Network == "" || l.Addr == "" {
		return nil, errors.New("delivery: LMTP has no Network and Addr")
	}
	conn, err := dialer.DialContext(ctx, l.Network, l.Addr)
	if err != nil {
		return nil, err
	}
	c, err := smtp.NewLMTPClient(ctx, conn)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	c.LocalName = l.LocalName
	res, err := c.Send(ctx, from, opts, to, r)
	if res != nil {
		c.Quit(ctx)
	}
	return res, err
}
