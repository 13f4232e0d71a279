// Package smtptest runs SMTP servers for integration tests, the way
// net/http/httptest runs HTTP servers: a real server on a loopback port that
// captures every message, lets the test wait for the one it expects, and
// can be told to fail in the ways real servers fail.
//
//	srv := smtptest.NewServer(t)
//	sendWelcomeMail(srv.Addr, "bob@example.org") // the code under test
//	msg, err := srv.Wait(ctx, smtptest.To("bob@example.org"), smtptest.Subject("Welcome"))
//
// Each server has its own store, so parallel tests do not see each other's
// mail; nothing is pruned. Every address is accepted unless the test says
// otherwise.
package smtptest

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"

	"github.com/mailwright/mailwright/internal/testserver"
	"github.com/mailwright/mailwright/smtp"
)

// Server is a test SMTP server.
type Server struct {
	// Addr is the host:port the server listens on, set by Start.
	Addr string
	// SMTP is the underlying server; change its fields (limits, LMTP,
	// EnableDSN, ...) before Start.
	SMTP *smtp.Server
	// Users are the accounts AUTH accepts, name to password. With none,
	// AUTH is not offered. AUTH works without TLS on a test server
	// (SMTP.AllowInsecureAuth). Set before Start.
	Users map[string]string
	// AuthRequired refuses MAIL from unauthenticated sessions (530).
	AuthRequired bool
	// KnownRecipients, if not empty, is the set of addresses accepted;
	// others get 550 5.1.1. Empty means catch-all.
	KnownRecipients []string

	listener testserver.Listener
	received testserver.Log[*Message]

	faults Faults

	// handlers run for every message before the 250 (OnMessage);
	// handling is read-locked while they run, so that adding one sees
	// every message exactly once.
	handling sync.RWMutex
	handlers map[*handler]bool
}

// handler is one function given to OnMessage.
type handler struct {
	f func(context.Context, *Message) error
}

// NewServer starts a server on a loopback port and closes it when the test
// ends.
func NewServer(t testing.TB) *Server {
	t.Helper()
	return testserver.Started(t, NewUnstartedServer(t))
}

// NewUnstartedServer returns a server to configure before Start or
// StartTLS. t may be nil for use outside tests; the caller then calls Close.
func NewUnstartedServer(t testing.TB) *Server {
	s := &Server{}
	s.SMTP = &smtp.Server{
		Domain:  "smtptest.localhost",
		Backend: smtp.BackendFunc(s.newSession),
		Logger:  slog.New(slog.DiscardHandler),
		// Test setups rarely have TLS on every path: AUTH works in plaintext.
		AllowInsecureAuth: true,
		// Every client of a test comes from loopback.
		MaxConnectionsPerIP: -1,
	}
	if t != nil {
		t.Cleanup(s.Close)
	}
	return s
}

// Start listens on 127.0.0.1 on a free port and serves in the background.
func (s *Server) Start() error { return s.start(nil) }

// StartTLS starts the server with STARTTLS enabled, using a certificate
// for 127.0.0.1, ::1 and localhost (see ClientTLSConfig and Client).
func (s *Server) StartTLS() error { return s.start(&s.SMTP.TLSConfig) }

func (s *Server) start(tlsConfig **tls.Config) (err error) {
	s.Addr, err = s.listener.Start("smtptest", s.SMTP.Serve, tlsConfig)
	return err
}

// Certificate returns the server's certificate (nil before StartTLS).
func (s *Server) Certificate() *x509.Certificate { return s.listener.Certificate() }

// ClientTLSConfig returns a TLS configuration that trusts the server's
// certificate.
func (s *Server) ClientTLSConfig() *tls.Config { return s.listener.ClientTLSConfig() }

// Close stops the server and closes all connections.
func (s *Server) Close() { s.listener.Close(s.SMTP.Close) }

// Client returns a client connected to the server, greeted, and switched
// to TLS with STARTTLS (trusting the server's certificate) when the server
// was started with StartTLS: what a test needs to talk to the server
// without dialling by hand. ctx bounds the dial and the TLS handshake.
// The caller closes it (Quit or Close).
func (s *Server) Client(ctx context.Context) (*smtp.Client, error) {
	c, err := smtp.DialContext(ctx, s.Addr)
	if err != nil {
		return nil, err
	}
	if s.Certificate() != nil {
		if err := c.StartTLS(ctx, s.ClientTLSConfig()); err != nil {
			c.Close()
			return nil, err
		}
	}
	return c, nil
}

// SendMail sends the message in r from from to each address in to through
// Client (so over TLS after StartTLS), and quits. Its error is that of
// smtp.Client.SendMail: errors.As finds the *smtp.Error of a refusal.
// ctx bounds the whole exchange.
func (s *Server) SendMail(ctx context.Context, from string, to []string, r io.Reader) error {
	c, err := s.Client(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.SendMail(ctx, from, to, r); err != nil {
		return err
	}
	return c.Quit(ctx)
}

// Messages returns the messages received so far, oldest first.
func (s *Server) Messages() []*Message { return s.received.Items() }

// Purge forgets every message received so far.
func (s *Server) Purge() { s.received.Reset() }

// Find returns the first message received that matches every matcher.
func (s *Server) Find(match ...Matcher) (*Message, bool) {
	for _, m := range s.Messages() {
		if matchAll(m, match) {
			return m, true
		}
	}
	return nil, false
}

// Wait returns the first message, already received or arriving later, that
// matches every matcher, or ctx's error when ctx ends first.
func (s *Server) Wait(ctx context.Context, match ...Matcher) (*Message, error) {
	var found *Message
	seen := 0
	err := s.received.Wait(ctx, func(m *Message) bool {
		seen++
		if matchAll(m, match) {
			found = m
			return true
		}
		return false
	})
	if err != nil {
		return nil, fmt.Errorf("smtptest: no matching message among %d: %w", seen, err)
	}
	return found, nil
}

// OnMessage calls f for each message the server has received, at once,
// and for each message it receives until stop is called. For a new
// message f runs before the server answers the message data: an error
// from f is the reply (an *smtp.Error as it is, any other error
// "451 4.3.0") and the server does not keep the message. So what f does
// (imaptest.Server.Capture files the message in a store) is done when the
// client has its 250. err joins f's errors for the messages received
// before. stop waits for the calls of f in progress.
func (s *Server) OnMessage(f func(ctx context.Context, m *Message) error) (stop func(), err error) {
	h := &handler{f: f}
	s.handling.Lock()
	if s.handlers == nil {
		s.handlers = make(map[*handler]bool)
	}
	s.handlers[h] = true
	earlier := s.Messages()
	s.handling.Unlock()
	var errs []error
	for _, m := range earlier {
		errs = append(errs, f(context.Background(), m))
	}
	stop = func() {
		s.handling.Lock()
		defer s.handling.Unlock()
		delete(s.handlers, h)
	}
	return stop, errors.Join(errs...)
}

// deliver runs the handlers on a new message and keeps it if they all
// succeed.
func (s *Server) deliver(ctx context.Context, m *Message) error {
	s.handling.RLock()
	defer s.handling.RUnlock()
	for h := range s.handlers {
		if err := h.f(ctx, m); err != nil {
			return err
		}
	}
	s.received.Append(m)
	return nil
}
