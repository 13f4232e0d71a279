package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/emersion/go-sasl"

	"github.com/mailwright/mailwright/mailbox"
	"github.com/mailwright/mailwright/smtp"
)

// Relay is the SMTP server that messages are released to: the tester's
// real mail server, to see a caught message in a real mailbox.
type Relay struct {
	Addr string // host:port
	// TLS is "" for STARTTLS when the server offers it, "starttls" to
	// require it, "tls" for implicit TLS (port 465), "none" for plaintext.
	TLS string
	// InsecureSkipVerify accepts any certificate (a development server's
	// self-signed one).
	InsecureSkipVerify bool
	// Username and Password log in (AUTH PLAIN) when Username is set.
	Username, Password string
	// From is the envelope sender; "" keeps the message's.
	From string
}

// relayTLSModes are the values of Relay.TLS.
var relayTLSModes = []string{"", "starttls", "tls", "none"}

// Timeouts of a release: the tester waits for the page.
const (
	releaseCommandTimeout = 30 * time.Second
	releaseDataTimeout    = 2 * time.Minute
)

// ReleaseResult is the outcome of a release, one entry per recipient.
type ReleaseResult struct {
	Recipients []ReleasedTo `json:"recipients"`
}

// ReleasedTo is what the relay answered for one recipient.
type ReleasedTo struct {
	Address string `json:"address"`
	Error   string `json:"error,omitempty"`
	Reply   string `json:"reply,omitempty"`
}

// errNoRelay is the answer when no relay is configured.
var errNoRelay = errors.New("release: no relay configured (start the catcher with -release host:port)")

// releaseRecipientsError reports bad recipients in a release request.
type releaseRecipientsError struct{ msg string }

func (e *releaseRecipientsError) Error() string { return "release: " + e.msg }

// release sends the message to the recipients (none: its envelope
// recipients) through c.Relay, without the trace fields the catcher added.
func (c *Catcher) release(ctx context.Context, f *mailbox.Folder, m mailbox.MessageInfo, to []string) (*ReleaseResult, error) {
	if c.Relay == nil {
		return nil, errNoRelay
	}
	e, err := c.index.get(ctx, f, m)
	if err != nil {
		return nil, err
	}
	if len(to) == 0 {
		to = e.To
	}
	if err := checkRecipients(to); err != nil {
		return nil, err
	}
	from := c.Relay.From
	if from == "" {
		from = e.From
	}
	mr, err := c.open(ctx, f, m)
	if err != nil {
		return nil, err
	}
	defer mr.Close()
	body, err := withoutTrace(bufio.NewReader(mr))
	if err != nil {
		return nil, err
	}
	return c.Relay.send(ctx, from, to, body)
}

// checkRecipients refuses an empty, over-long or malformed list; the
// smtp.Client checks the addresses' syntax.
func checkRecipients(to []string) error {
	switch {
	case len(to) == 0:
		return &releaseRecipientsError{"no recipients"}
	case len(to) > maxFaultRecipients:
		return &releaseRecipientsError{fmt.Sprintf("more than %d recipients", maxFaultRecipients)}
	}
	for _, a := range to {
		if a == "" || len(a) > maxAddressLength || !strings.Contains(a, "@") {
			return &releaseRecipientsError{fmt.Sprintf("bad recipient %q", a)}
		}
	}
	return nil
}

// withoutTrace skips the Return-Path and Delivered-To fields that the
// catcher put first (traceFields), and returns the rest of the message.
func withoutTrace(br *bufio.Reader) (io.Reader, error) {
	for first := true; ; first = false {
		line, err := br.ReadSlice('\n')
		name, _, _ := bytes.Cut(line, []byte(":"))
		ours := first && bytes.EqualFold(name, []byte("Return-Path")) || !first && bytes.EqualFold(name, []byte("Delivered-To"))
		if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
			return nil, err
		}
		if !ours || err != nil {
			return io.MultiReader(bytes.NewReader(bytes.Clone(line)), br), nil
		}
	}
}

// send delivers body to the relay in one transaction.
func (r *Relay) send(ctx context.Context, from string, to []string, body io.Reader) (*ReleaseResult, error) {
	cl, err := r.dial(ctx)
	if err != nil {
		return nil, fmt.Errorf("release: %s: %w", r.Addr, err)
	}
	defer cl.Close()
	if err := r.secure(ctx, cl); err != nil {
		return nil, fmt.Errorf("release: %s: %w", r.Addr, err)
	}
	if r.Username != "" {
		if err := cl.Auth(ctx, sasl.NewPlainClient("", r.Username, r.Password)); err != nil {
			return nil, fmt.Errorf("release: %s: AUTH: %w", r.Addr, err)
		}
	}
	rcpts := make([]smtp.Recipient, len(to))
	for i, a := range to {
		rcpts[i] = smtp.Recipient{Address: a}
	}
	results, err := cl.Send(ctx, from, nil, rcpts, body)
	res := &ReleaseResult{Recipients: []ReleasedTo{}}
	for _, rr := range results {
		t := ReleasedTo{Address: rr.Address, Reply: rr.Reply}
		if rr.Err != nil {
			t.Error = rr.Err.Error()
		}
		res.Recipients = append(res.Recipients, t)
	}
	if err != nil {
		return res, fmt.Errorf("release: %s: %w", r.Addr, err)
	}
	cl.Quit(ctx)
	return res, nil
}

func (r *Relay) dial(ctx context.Context) (*smtp.Client, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", r.Addr)
	if err != nil {
		return nil, err
	}
	if r.TLS == "tls" {
		conn = tls.Client(conn, r.tlsConfig())
	}
	// A greeting that never comes must not hold the page.
	greetCtx, cancel := context.WithTimeout(ctx, releaseCommandTimeout)
	defer cancel()
	cl, err := smtp.NewClient(greetCtx, conn)
	if err != nil {
		conn.Close()
		return nil, err
	}
	cl.LocalName = "mailcatcher.localhost"
	cl.CommandTimeout = releaseCommandTimeout
	cl.SubmissionTimeout = releaseDataTimeout
	return cl, nil
}

// secure runs STARTTLS as the TLS mode asks.
func (r *Relay) secure(ctx context.Context, cl *smtp.Client) error {
	if r.TLS == "tls" || r.TLS == "none" {
		return nil
	}
	if ok, _ := cl.Extension("STARTTLS"); !ok {
		if r.TLS == "starttls" {
			return errors.New("the server does not offer STARTTLS")
		}
		return nil
	}
	return cl.StartTLS(ctx, r.tlsConfig())
}

func (r *Relay) tlsConfig() *tls.Config {
	host, _, _ := net.SplitHostPort(r.Addr)
	return &tls.Config{ServerName: host, InsecureSkipVerify: r.InsecureSkipVerify}
}

// releaseError answers a failed release: the tester's mistake is 400, a
// missing relay 409, the relay's refusal or absence 502.
func releaseError(w http.ResponseWriter, err error) {
	var re *releaseRecipientsError
	switch {
	case errors.As(err, &re):
		http.Error(w, err.Error(), http.StatusBadRequest)
	case errors.Is(err, errNoRelay):
		http.Error(w, err.Error(), http.StatusConflict)
	default:
		http.Error(w, err.Error(), http.StatusBadGateway)
	}
}
