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
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-message/mail"
	"github.com/mailwright/mailwright/internal/testcert"
	"github.com/mailwright/mailwright/smtp"
)

// Message is one message the server accepted.
type Message struct {
	From        string           // reverse-path; "" for the null sender
	To          []string         // accepted recipients
	MailOptions smtp.MailOptions // MAIL parameters
	Raw         []byte           // the message as received
	Helo        string           // the client's HELO/EHLO name
	AuthUser    string           // the authenticated user, if any
	TLS         bool             // whether the session was encrypted
	Received    time.Time

	once   sync.Once
	header mail.Header
	body   []byte
}

func (m *Message) parse() {
	m.once.Do(func() {
		mr, err := mail.CreateReader(bytes.NewReader(m.Raw))
		if err != nil && mr == nil {
			m.body = m.Raw
			return
		}
		m.header = mr.Header
		// The text of the first inline part, for simple assertions.
		for {
			p, err := mr.NextPart()
			if err != nil {
				break
			}
			if _, ok := p.Header.(*mail.InlineHeader); ok {
				m.body, _ = io.ReadAll(io.LimitReader(p.Body, 64<<20))
				break
			}
		}
	})
}

// Header returns the parsed message header.
func (m *Message) Header() mail.Header {
	m.parse()
	return m.header
}

// Subject returns the decoded Subject header.
func (m *Message) Subject() string {
	h := m.Header()
	s, _ := h.Subject()
	return s
}

// Text returns the decoded content of the first inline (text) part.
func (m *Message) Text() string {
	m.parse()
	return string(m.body)
}

// Reader returns a go-message mail reader over the raw message, for
// attachments and multipart structure.
func (m *Message) Reader() (*mail.Reader, error) {
	return mail.CreateReader(bytes.NewReader(m.Raw))
}

// Stage is the point of a transaction where a Fault applies.
type Stage int

// Stages of a transaction.
const (
	AtConnect Stage = iota // before the greeting: the connection is refused
	AtMail                 // MAIL FROM
	AtRcpt                 // RCPT TO
	AtData                 // after the message data
)

// Fault makes the server fail (or slow down) deterministically.
type Fault struct {
	Stage Stage
	// Recipients limits an AtRcpt fault to these addresses
	// (case-insensitive); empty means every recipient.
	Recipients []string
	// Nth limits an AtData fault to the Nth message (counting from 1, over
	// the server's lifetime, including messages that failed); 0 means every
	// message.
	Nth int
	// Reply is the error the client gets, e.g.
	// &smtp.Error{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Try later"};
	// nil with a Delay only delays.
	Reply *smtp.Error
	// Delay is waited before answering.
	Delay time.Duration
}

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

// Inject adds a fault; it applies to transactions from now on.
func (s *Server) Inject(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, f)
}

// ClearFaults removes every injected fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
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

// Matcher selects messages for Wait and Find.
type Matcher func(*Message) bool

// To matches messages with addr among the envelope recipients.
func To(addr string) Matcher {
	return func(m *Message) bool {
		for _, r := range m.To {
			if strings.EqualFold(r, addr) {
				return true
			}
		}
		return false
	}
}

// From matches the envelope sender.
func From(addr string) Matcher {
	return func(m *Message) bool { return strings.EqualFold(m.From, addr) }
}

// Subject matches messages whose decoded Subject contains s.
func Subject(s string) Matcher {
	return func(m *Message) bool { return strings.Contains(m.Subject(), s) }
}

// Header matches messages with a header field name whose value contains value.
func Header(name, value string) Matcher {
	return func(m *Message) bool {
		h := m.Header()
		return strings.Contains(h.Get(name), value)
	}
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

func matchAll(m *Message, match []Matcher) bool {
	for _, f := range match {
		if !f(m) {
			return false
		}
	}
	return true
}

// fault returns the reply and delay for a stage, and counts DATA stages.
func (s *Server) fault(stage Stage, rcpt string) (*smtp.Error, time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if stage == AtData {
		s.dataSeen++
	}
	var delay time.Duration
	for _, f := range s.faults {
		if f.Stage != stage {
			continue
		}
		if stage == AtRcpt && len(f.Recipients) > 0 && !containsFold(f.Recipients, rcpt) {
			continue
		}
		if stage == AtData && f.Nth > 0 && f.Nth != s.dataSeen {
			continue
		}
		delay += f.Delay
		if f.Reply != nil {
			return f.Reply, delay
		}
	}
	return nil, delay
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}

func (s *Server) deliver(m *Message) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.messages = append(s.messages, m)
	close(s.changed)
	s.changed = make(chan struct{})
}

func (s *Server) newSession(ctx context.Context, c *smtp.Conn) (smtp.Session, error) {
	if reply, delay := s.fault(AtConnect, ""); reply != nil || delay > 0 {
		sleep(ctx, delay)
		if reply != nil {
			return nil, reply
		}
	}
	sess := &session{srv: s, conn: c}
	if len(s.Users) > 0 {
		return &authSession{sess}, nil
	}
	return sess, nil
}

func sleep(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

var errAuthRequired = &smtp.Error{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "Authentication required"}

type session struct {
	srv  *Server
	conn *smtp.Conn
	cur  *Message
}

func (s *session) Mail(ctx context.Context, from string, opts *smtp.MailOptions) error {
	if s.srv.AuthRequired && s.conn.AuthIdentity() == "" {
		return errAuthRequired
	}
	reply, delay := s.srv.fault(AtMail, "")
	sleep(ctx, delay)
	if reply != nil {
		return reply
	}
	_, isTLS := s.conn.TLS()
	s.cur = &Message{From: from, MailOptions: *opts, Helo: s.conn.Hostname(), AuthUser: s.conn.AuthIdentity(), TLS: isTLS}
	return nil
}

func (s *session) Rcpt(ctx context.Context, to string, opts *smtp.RcptOptions) error {
	if len(s.srv.KnownRecipients) > 0 && !containsFold(s.srv.KnownRecipients, to) {
		return &smtp.Error{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such user here"}
	}
	reply, delay := s.srv.fault(AtRcpt, to)
	sleep(ctx, delay)
	if reply != nil {
		return reply
	}
	s.cur.To = append(s.cur.To, to)
	return nil
}

func (s *session) Data(ctx context.Context, r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	reply, delay := s.srv.fault(AtData, "")
	sleep(ctx, delay)
	if reply != nil {
		return reply
	}
	m := s.cur
	m.Raw = raw
	m.Received = time.Now()
	s.srv.deliver(m)
	return nil
}

func (s *session) Reset(ctx context.Context)        { s.cur = nil }
func (s *session) Logout(ctx context.Context) error { return nil }

type authSession struct{ *session }

func (s *authSession) AuthPassword(ctx context.Context, identity, username, password string) error {
	if pw, ok := s.srv.Users[username]; ok && pw == password {
		return nil
	}
	return smtp.ErrAuthFailed
}
