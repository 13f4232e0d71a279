// Package pop3test runs POP3 servers for integration tests, the way
// net/http/httptest runs HTTP servers: a real pop3.Server on a loopback port
// serving the INBOXes of a mailbox.Store, with users made on the fly.
//
//	srv := pop3test.NewServer(t)
//	srv.Deliver("bob", []byte("Subject: Hi\r\n\r\nHello.\r\n"))
//	fetchMail(srv.Addr, "bob", "any password") // the code under test
//
// Each server has its own in-memory store (mailbox.NewMemoryStore), so
// parallel tests do not see each other's mail. To read what an SMTP test
// server received, set Store before Start to a store shared with an
// imaptest server that captures the SMTP server's mail
// (imaptest.Server.Capture), or Deliver each message smtptest's Wait
// returns. Wait finds a message in the INBOXes by smtptest's predicates.
//
// Test servers accept passwords without TLS (AllowInsecureAuth) and, while
// AutoCreateUsers is true (the default), create a user at its first login
// or delivery, accepting any password for it. Users added with AddUser need
// their password.
package pop3test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"testing"

	"github.com/mailwright/mailwright/internal/testmailbox"
	"github.com/mailwright/mailwright/internal/testserver"
	"github.com/mailwright/mailwright/mailbox"
	"github.com/mailwright/mailwright/pop3"
	"github.com/mailwright/mailwright/smtp/smtptest"
)

// Server is a test POP3 server.
type Server struct {
	// Addr is the host:port the server listens on, set by Start.
	Addr string
	// POP3 is the underlying server; change its fields (limits, Expire,
	// ...) before Start. Its Backend is set by Start.
	POP3 *pop3.Server
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
		users:           testmailbox.Users{Name: "pop3test"},
	}
	s.POP3 = &pop3.Server{
		Hostname: "pop3test.localhost",
		Logger:   slog.New(slog.DiscardHandler),
		// Test setups rarely have TLS on every path: USER/PASS work in
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

// StartTLS starts the server with STLS enabled (RFC 2595), using a
// certificate for 127.0.0.1, ::1 and localhost (see ClientTLSConfig).
func (s *Server) StartTLS() error { return s.start(&s.POP3.TLSConfig) }

func (s *Server) start(tlsConfig **tls.Config) (err error) {
	if s.Store == nil {
		s.Store = testmailbox.NewStore()
		s.ownStore = s.Store
	}
	s.POP3.Backend = mailbox.NewPOP3Backend(s.Store, mailbox.AuthenticatorFunc(s.authenticate))
	s.Addr, err = s.listener.Start("pop3test", s.POP3.Serve, tlsConfig)
	return err
}

// Close stops the server, closes all connections and closes the store if
// the server made it.
func (s *Server) Close() {
	s.listener.Close(s.POP3.Close)
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

// Wait returns the first message in an INBOX (the folder POP3 serves)
// that matches every matcher, already there or arriving later; or ctx's
// error when ctx ends first. The smtptest matchers apply: the message's
// To is the user who has it, Received its internal date (From and the
// session fields are empty). The store must be the one the server made,
// or one made by another pop3test or imaptest server.
func (s *Server) Wait(ctx context.Context, match ...smtptest.Matcher) (*smtptest.Message, error) {
	m, err := testmailbox.Wait(ctx, s.Store, mailbox.Inbox, match)
	if err != nil {
		return nil, fmt.Errorf("pop3test: Wait: %w", err)
	}
	return m, nil
}
