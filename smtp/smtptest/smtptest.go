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
	"fmt"
	"log/slog"
	"net"
	"sync"
	"testing"

	"github.com/mailwright/mailwright/internal/testcert"
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

	certificate *x509.Certificate
	listener    net.Listener
	done        chan struct{}

	mu       sync.Mutex
	messages []*Message
	faults   []Fault
	dataSeen int
	changed  chan struct{} // closed and replaced when a message arrives
}

// NewServer starts a server on a loopback port and closes it when the test
// ends.
func NewServer(t testing.TB) *Server {
	t.Helper()
	s := NewUnstartedServer(t)
	if err := s.Start(); err != nil {
		t.Fatalf("smtptest: %v", err)
	}
	return s
}

// NewUnstartedServer returns a server to configure before Start or
// StartTLS. t may be nil for use outside tests; the caller then calls Close.
func NewUnstartedServer(t testing.TB) *Server {
	s := &Server{changed: make(chan struct{})}
	s.SMTP = &smtp.Server{
		Domain:  "smtptest.localhost",
		Backend: smtp.BackendFunc(s.newSession),
		Logger:  slog.New(slog.DiscardHandler),
		// Test setups rarely have TLS on every path: AUTH works in plaintext.
		AllowInsecureAuth: true,
	}
	if t != nil {
		t.Cleanup(s.Close)
	}
	return s
}

// Start listens on 127.0.0.1 on a free port and serves in the background.
func (s *Server) Start() error {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	s.listener = l
	s.Addr = l.Addr().String()
	s.done = make(chan struct{})
	go func() {
		defer close(s.done)
		s.SMTP.Serve(l)
	}()
	return nil
}

// StartTLS starts the server with STARTTLS enabled, using a certificate
// generated for 127.0.0.1, ::1 and localhost (see ClientTLSConfig).
func (s *Server) StartTLS() error {
	cert, err := testcert.Certificate()
	if err != nil {
		return err
	}
	s.certificate = cert.Leaf
	s.SMTP.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
	return s.Start()
}

// Certificate returns the server's generated certificate (nil before StartTLS).
func (s *Server) Certificate() *x509.Certificate { return s.certificate }

// ClientTLSConfig returns a TLS configuration that trusts the server's
// generated certificate.
func (s *Server) ClientTLSConfig() *tls.Config { return testcert.ClientConfig(s.certificate) }

// Close stops the server and closes all connections.
func (s *Server) Close() {
	if s.listener == nil {
		return
	}
	s.SMTP.Close()
	<-s.done
}

// Messages returns the messages received so far, oldest first.
func (s *Server) Messages() []*Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*Message(nil), s.messages...)
}

// Purge forgets every message received so far.
func (s *Server) Purge() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.messages = nil
}

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
	for {
		s.mu.Lock()
		msgs, changed := s.messages, s.changed
		s.mu.Unlock()
		for _, m := range msgs {
			if matchAll(m, match) {
				return m, nil
			}
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("smtptest: no matching message among %d: %w", len(msgs), ctx.Err())
		case <-changed:
		}
	}
}

func (s *Server) deliver(m *Message) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.messages = append(s.messages, m)
	close(s.changed)
	s.changed = make(chan struct{})
}
