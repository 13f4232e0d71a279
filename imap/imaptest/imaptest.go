// Package imaptest runs IMAP servers for integration tests, the way
// net/http/httptest runs HTTP servers: a real imap.Server on a loopback port
// serving the folders of a mailbox.Store, with users made on the fly.
//
//	srv := imaptest.NewServer(t)
//	srv.Deliver("bob", []byte("Subject: Hi\r\n\r\nHello.\r\n"))
//	readInbox(srv.Addr, "bob", "any password") // the code under test
//
// Each server has its own in-memory store (mailbox.NewMemoryStore), so
// parallel tests do not see each other's mail. To read over IMAP (and POP3)
// what the code under test sent to an smtptest server:
//
//	mta := smtptest.NewServer(t)
//	imapSrv := imaptest.NewServer(t)
//	imapSrv.Capture(mta) // each message is in its recipients' INBOX before mta answers 250
//	pop := pop3test.NewUnstartedServer(t)
//	pop.Store, pop.Accounts = imapSrv.Store, imapSrv.Accounts
//	pop.Start()
//
// Wait finds a message in the store by the predicates of smtptest
// (smtptest.Subject, smtptest.To for the mailbox's user, ...), for mail
// that arrives by other ways, such as an IMAP APPEND of the code under test.
//
// Test servers accept passwords without TLS (AllowInsecureAuth) and, while
// AutoCreateUsers is true (the default), accept any password for a name
// that is not in Accounts. Users added with AddUser need their password.
package imaptest

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"testing"

	"github.com/mailwright/mailwright/imap"
	"github.com/mailwright/mailwright/internal/testmailbox"
	"github.com/mailwright/mailwright/internal/testserver"
	"github.com/mailwright/mailwright/mailbox"
	"github.com/mailwright/mailwright/smtp"
	"github.com/mailwright/mailwright/smtp/smtptest"
)

// Server is a test IMAP server.
type Server struct {
	// Addr is the host:port the server listens on, set by Start.
	Addr string
	// IMAP is the underlying server; change its fields (limits, ID, ...)
	// before Start. Its Backend is set by Start.
	IMAP *imap.Server
	// Store holds the mail. NewUnstartedServer sets a fresh in-memory
	// store; replace it before Start to share a store between servers
	// (an imaptest server's, say). Close closes only the store the
	// server made.
	Store *mailbox.Store
	// Accounts are the users with a password (see AddUser). Its bcrypt
	// cost is the minimum, since test passwords need no protection.
	Accounts *mailbox.MemoryAccounts
	// AutoCreateUsers lets a name that is not in Accounts log in with
	// any password and receive mail through Deliver; its mail is kept
	// under the name as Accounts canonicalizes it (lower case). It adds
	// nothing to Accounts, so servers sharing Accounts and Store agree.
	// NewUnstartedServer sets it; set it false before Start so that only
	// AddUser's users exist.
	AutoCreateUsers bool

	t        testing.TB
	sources  map[*smtptest.Server]func() // Capture's sources, to their stop
	ownStore *mailbox.Store
	users    testmailbox.Users
	listener testserver.Listener
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
	store := testmailbox.NewStore()
	s := &Server{
		Store:           store,
		ownStore:        store,
		Accounts:        &mailbox.MemoryAccounts{Cost: 4}, // bcrypt.MinCost
		AutoCreateUsers: true,
		t:               t,
		users:           testmailbox.Users{Name: "imaptest"},
	}
	s.IMAP = &imap.Server{
		Logger: slog.New(slog.DiscardHandler),
		// Test setups rarely have TLS on every path: LOGIN works in
		// plaintext.
		AllowInsecureAuth: true,
	}
	if t != nil {
		t.Cleanup(s.Close)
	}
	return s
}

// Start listens on 127.0.0.1 on a free port and serves in the background.
func (s *Server) Start() error { return s.start(nil) }

// StartTLS starts the server with STARTTLS enabled (RFC 9051 6.2.1), using
// a certificate for 127.0.0.1, ::1 and localhost (see ClientTLSConfig).
func (s *Server) StartTLS() error { return s.start(&s.IMAP.TLSConfig) }

func (s *Server) start(tlsConfig **tls.Config) (err error) {
	if s.Store == nil {
		s.Store = testmailbox.NewStore()
		s.ownStore = s.Store
	}
	s.IMAP.Backend = mailbox.NewIMAPBackend(s.Store, mailbox.AuthenticatorFunc(s.authenticate))
	s.Addr, err = s.listener.Start("imaptest", s.IMAP.Serve, tlsConfig)
	return err
}

// Close stops capturing, stops the server, closes all connections and
// closes the store if the server made it.
func (s *Server) Close() {
	for _, stop := range s.sources {
		stop()
	}
	s.sources = nil
	s.listener.Close(s.IMAP.Close)
	if s.ownStore != nil && s.ownStore == s.Store {
		s.ownStore.Close()
		s.ownStore = nil
	}
}

// Certificate returns the server's certificate (nil before StartTLS).
func (s *Server) Certificate() *x509.Certificate { return s.listener.Certificate() }

// ClientTLSConfig returns a TLS configuration that trusts the server's
// certificate.
func (s *Server) ClientTLSConfig() *tls.Config { return s.listener.ClientTLSConfig() }

// AddUser adds a user who logs in with password only.
func (s *Server) AddUser(name, password string) error {
	return s.Accounts.Add(name, password)
}

// Deliver puts a message into user's INBOX. The user must have been added
// with AddUser unless AutoCreateUsers is set.
func (s *Server) Deliver(user string, raw []byte) error {
	return s.users.Deliver(context.Background(), s.Store, s.Accounts, user, raw, s.AutoCreateUsers)
}

// authenticate is the mailbox.Authenticator of the server (see
// AutoCreateUsers).
func (s *Server) authenticate(ctx context.Context, username, password string) (string, error) {
	return s.users.Authenticate(ctx, s.Accounts, username, password, s.AutoCreateUsers)
}

// Capture files every message src has received, and every message it
// receives until s is closed, in the INBOX of each of its envelope
// recipients (the user name is the address, canonicalized:
// "Bob@Example.org" logs in as "bob@example.org"; see AutoCreateUsers).
// A new message is in the INBOXes before src answers 250 to its sender,
// so a test can read it over IMAP as soon as its SMTP client returns. A
// recipient that is not a user (AutoCreateUsers off) makes src answer
// 550 5.1.1; a failure of the store, 451 4.3.0, and it fails the test (or
// is logged without one). Capturing the same source again does nothing;
// call Capture from one goroutine.
func (s *Server) Capture(src *smtptest.Server) {
	if s.sources[src] != nil {
		return
	}
	stop, err := src.OnMessage(s.capture)
	if s.sources == nil {
		s.sources = make(map[*smtptest.Server]func())
	}
	s.sources[src] = stop
	if err != nil {
		s.errorf("imaptest: capturing the messages received before: %v", err)
	}
}

// capture files one message of a Capture source.
func (s *Server) capture(ctx context.Context, m *smtptest.Message) error {
	for _, rcpt := range m.To {
		err := s.users.Deliver(ctx, s.Store, s.Accounts, rcpt, m.Raw, s.AutoCreateUsers)
		if errors.Is(err, testmailbox.ErrUnknownUser) {
			return errUnknownUser
		}
		if err != nil {
			s.errorf("imaptest: capturing a message for %s: %v", rcpt, err)
			return err
		}
	}
	return nil
}

var errUnknownUser = &smtp.Error{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such user here"}

// Wait returns the first message in the store (in any folder of any user)
// that matches every matcher, already there or arriving later, however it
// arrived (Deliver, Capture, an IMAP APPEND or COPY); or ctx's error when
// ctx ends first. The smtptest matchers apply: the message's To is the
// user who has it, Received its internal date (From and the session
// fields are empty). The store must be the one the server made, or one
// made by another imaptest or pop3test server.
func (s *Server) Wait(ctx context.Context, match ...smtptest.Matcher) (*smtptest.Message, error) {
	m, err := testmailbox.Wait(ctx, s.Store, "", match)
	if err != nil {
		return nil, fmt.Errorf("imaptest: Wait: %w", err)
	}
	return m, nil
}

func (s *Server) errorf(format string, args ...any) {
	if s.t != nil {
		s.t.Errorf(format, args...)
		return
	}
	s.IMAP.Logger.Error(fmt.Sprintf(format, args...))
}
