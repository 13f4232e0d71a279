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
//	imapSrv.Capture(mta) // every recipient's INBOX gets the mail
//	pop := pop3test.NewUnstartedServer(t)
//	pop.Store, pop.Accounts = imapSrv.Store, imapSrv.Accounts
//	pop.Start()
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
	"net"
	"sync"
	"testing"

	"github.com/mailwright/mailwright/imap"
	"github.com/mailwright/mailwright/internal/testcert"
	"github.com/mailwright/mailwright/internal/testserver"
	"github.com/mailwright/mailwright/mailbox"
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

	t           testing.TB
	captureCtx  context.Context
	captureStop context.CancelFunc
	captures    sync.WaitGroup
	sources     map[*smtptest.Server]bool
	ownStore    *mailbox.Store
	users       testserver.Users
	listener    net.Listener
	done        chan struct{}
	certificate *x509.Certificate
}

// NewServer starts a server on a loopback port and closes it when the test
// ends.
func NewServer(t testing.TB) *Server {
	t.Helper()
	s := NewUnstartedServer(t)
	if err := s.Start(); err != nil {
		t.Fatalf("imaptest: %v", err)
	}
	return s
}

// NewUnstartedServer returns a server to configure before Start or
// StartTLS. t may be nil for use outside tests; the caller then calls Close.
func NewUnstartedServer(t testing.TB) *Server {
	store := mailbox.NewMemoryStore()
	s := &Server{
		Store:           store,
		ownStore:        store,
		Accounts:        &mailbox.MemoryAccounts{Cost: 4}, // bcrypt.MinCost
		AutoCreateUsers: true,
		t:               t,
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
func (s *Server) Start() error {
	if s.listener != nil {
		return errors.New("imaptest: server already started")
	}
	if s.Store == nil {
		s.Store = mailbox.NewMemoryStore()
		s.ownStore = s.Store
	}
	s.IMAP.Backend = mailbox.NewIMAPBackend(s.Store, mailbox.AuthenticatorFunc(s.authenticate))
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	s.listener = l
	s.Addr = l.Addr().String()
	s.done = make(chan struct{})
	go func() {
		defer close(s.done)
		s.IMAP.Serve(l)
	}()
	return nil
}

// StartTLS starts the server with STARTTLS enabled (RFC 9051 6.2.1), using a
// certificate generated for 127.0.0.1, ::1 and localhost (see
// ClientTLSConfig).
func (s *Server) StartTLS() error {
	cert, err := testcert.Certificate()
	if err != nil {
		return err
	}
	s.certificate = cert.Leaf
	s.IMAP.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
	return s.Start()
}

// Close stops the server, closes all connections and closes the store if
// the server made it.
func (s *Server) Close() {
	if s.captureStop != nil {
		s.captureStop()
		s.captures.Wait()
	}
	if s.listener != nil {
		s.IMAP.Close()
		<-s.done
		s.listener = nil
	}
	if s.ownStore != nil && s.ownStore == s.Store {
		s.ownStore.Close()
		s.ownStore = nil
	}
}

// Certificate returns the server's generated certificate (nil before
// StartTLS).
func (s *Server) Certificate() *x509.Certificate { return s.certificate }

// ClientTLSConfig returns a TLS configuration that trusts the server's
// generated certificate.
func (s *Server) ClientTLSConfig() *tls.Config { return testcert.ClientConfig(s.certificate) }

// AddUser adds a user who logs in with password only.
func (s *Server) AddUser(name, password string) error {
	return s.Accounts.Add(name, password)
}

// Deliver puts a message into user's INBOX. The user must have been added
// with AddUser unless AutoCreateUsers is set.
func (s *Server) Deliver(user string, raw []byte) error {
	return s.users.Deliver(s.Store, s.Accounts, user, raw, s.AutoCreateUsers)
}

// authenticate is the mailbox.Authenticator of the server (see
// AutoCreateUsers).
func (s *Server) authenticate(ctx context.Context, username, password string) (string, error) {
	return s.users.Authenticate(ctx, s.Accounts, username, password, s.AutoCreateUsers)
}

// Capture delivers every message src has received or receives later into
// the INBOX of each of its envelope recipients (the user name is the
// address, canonicalized: "Bob@Example.org" logs in as
// "bob@example.org"; see AutoCreateUsers), until s is closed. A failed
// delivery fails the test (or is logged without one). Capturing the same
// source again does nothing; call Capture from one goroutine.
func (s *Server) Capture(src *smtptest.Server) {
	if s.sources[src] {
		return
	}
	if s.sources == nil {
		s.sources = make(map[*smtptest.Server]bool)
	}
	s.sources[src] = true
	if s.captureCtx == nil {
		s.captureCtx, s.captureStop = context.WithCancel(context.Background())
	}
	s.captures.Add(1)
	go func() {
		defer s.captures.Done()
		seen := make(map[*smtptest.Message]bool)
		unseen := func(m *smtptest.Message) bool { return !seen[m] }
		for {
			m, err := src.Wait(s.captureCtx, unseen)
			if err != nil {
				return // s closed
			}
			seen[m] = true
			for _, rcpt := range m.To {
				if err := s.Deliver(rcpt, m.Raw); err != nil {
					s.errorf("imaptest: capturing a message for %s: %v", rcpt, err)
				}
			}
		}
	}()
}

func (s *Server) errorf(format string, args ...any) {
	if s.t != nil {
		s.t.Errorf(format, args...)
		return
	}
	s.IMAP.Logger.Error(fmt.Sprintf(format, args...))
}
