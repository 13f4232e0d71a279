package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	// Decode non-UTF-8 charsets in subjects and text parts.
	_ "github.com/emersion/go-message/charset"

	"github.com/mailwright/mailwright/mailbox"
	"github.com/mailwright/mailwright/smtp"
	"github.com/mailwright/mailwright/smtp/smtptest"
)

// User is the mailbox that catches all mail.
const User = "catcher"

// Catcher stores every message it receives over SMTP in User's INBOX and
// serves the INBOX over HTTP: a JSON API and a web page.
type Catcher struct {
	Store *mailbox.Store
	// MaxSize bounds the bytes of a message the API reads.
	MaxSize int64
	// Faults are the failures injected into the SMTP transactions; the
	// HTTP API and the page switch them.
	Faults smtptest.Faults
	// Relay is where the page and the API release messages to; nil
	// disables the release.
	Relay *Relay
	// SMTPAddr is the SMTP address the page shows, so that a tester can
	// read where to send.
	SMTPAddr string

	index   index
	closing chan struct{} // closed by Close: event streams end
	once    sync.Once
}

// done returns the channel that Close closes.
func (c *Catcher) done() chan struct{} {
	c.once.Do(func() { c.closing = make(chan struct{}) })
	return c.closing
}

// Close ends the page's event streams, which would otherwise keep their
// HTTP connections (and a graceful http.Server.Shutdown) waiting.
func (c *Catcher) Close() {
	done := c.done()
	select {
	case <-done:
	default:
		close(done)
	}
}

func (c *Catcher) maxSize() int64 {
	if c.MaxSize <= 0 {
		return 32 << 20
	}
	return c.MaxSize
}

// NewSession implements smtp.Backend: every sender and recipient is
// accepted, unless a fault says otherwise.
func (c *Catcher) NewSession(ctx context.Context, conn *smtp.Conn) (smtp.Session, error) {
	if err := c.Faults.Check(ctx, smtptest.AtConnect, ""); err != nil {
		return nil, err
	}
	return &session{c: c}, nil
}

type session struct {
	c    *Catcher
	from string
	to   []string
}

// AuthPassword implements smtp.PasswordAuthenticator: any user name and
// password is accepted, so that an application configured with
// credentials sends to the catcher as it would to its real server.
func (s *session) AuthPassword(context.Context, string, string, string) error { return nil }

func (s *session) Mail(ctx context.Context, from string, _ *smtp.MailOptions) error {
	if err := s.c.Faults.Check(ctx, smtptest.AtMail, ""); err != nil {
		return err
	}
	s.from = from
	return nil
}

func (s *session) Rcpt(ctx context.Context, to string, _ *smtp.RcptOptions) error {
	if err := s.c.Faults.Check(ctx, smtptest.AtRcpt, to); err != nil {
		return err
	}
	s.to = append(s.to, to)
	return nil
}

// Data stores the message, streamed, after the trace fields a delivery
// agent adds (RFC 5321 section 4.4: Return-Path carries the reverse-path).
func (s *session) Data(ctx context.Context, r io.Reader) error {
	if err := s.c.Faults.Check(ctx, smtptest.AtData, ""); err != nil {
		return err
	}
	_, err := s.c.Store.Append(ctx, User, mailbox.Inbox, io.MultiReader(strings.NewReader(traceFields(s.from, s.to)), r), nil)
	return err
}

// traceFields returns the fields Data puts before a message.
func traceFields(from string, to []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Return-Path: <%s>\r\n", from)
	for _, t := range to {
		fmt.Fprintf(&b, "Delivered-To: %s\r\n", t)
	}
	return b.String()
}

func (s *session) Reset(context.Context)        { s.from, s.to = "", nil }
func (s *session) Logout(context.Context) error { return nil }

// Summary is one message in the list.
type Summary struct {
	ID      uint32    `json:"id"`
	From    string    `json:"from"`    // envelope sender (Return-Path)
	To      []string  `json:"to"`      // envelope recipients (Delivered-To)
	Subject string    `json:"subject"` // decoded
	Date    time.Time `json:"date"`    // when it was received
	Size    int64     `json:"size"`    // bytes, CRLF line endings, trace fields included
}

// Handler returns the HTTP API and the web page. State-changing requests
// from another site's pages are refused (http.CrossOriginProtection), so
// that a page the tester visits cannot delete, release or fail mail; API
// clients that are not browsers (curl, test code) are not affected.
func (c *Catcher) Handler() http.Handler {
	mux := http.NewServeMux()
	c.routeAPI(mux)
	c.routeUI(mux)
	return http.NewCrossOriginProtection().Handler(mux)
}
