package mailwright_test

import (
	"context"
	"crypto/tls"
	"errors"
	"log"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/mailwright/mailwright/delivery"
	"github.com/mailwright/mailwright/imap"
	"github.com/mailwright/mailwright/mailbox"
	"github.com/mailwright/mailwright/pop3"
	"github.com/mailwright/mailwright/smtp"
)

func Example() {
	if err := run(); err != nil {
		log.Fatal(err)
	}
}

// run serves mail for example.org: SMTP with STARTTLS, IMAP and POP3 over
// TLS, on loopback and unprivileged ports (25, 993 and 995 on a real
// server). "go run . adduser NAME PASSWORD" adds a user.
func run() error {
	// The accounts know the local domains: alice logs in as "alice" or
	// "alice@example.org", and the agent takes mail for example.org.
	accounts, err := mailbox.OpenAccountsFile("accounts", "example.org")
	if err != nil {
		return err
	}
	if len(os.Args) == 4 && os.Args[1] == "adduser" {
		return accounts.Add(os.Args[2], os.Args[3])
	}
	store, err := mailbox.NewMaildirStore("maildir")
	if err != nil {
		return err
	}
	defer store.Close()
	cert, err := tls.LoadX509KeyPair("cert.pem", "key.pem")
	if err != nil {
		return err
	}
	tlsConfig := &tls.Config{Certificates: []tls.Certificate{cert}}

	agent := &delivery.Agent{Accounts: accounts, Store: store}
	smtpServer := &smtp.Server{Addr: "127.0.0.1:2525", Domain: "mx.example.org", Backend: agent, TLSConfig: tlsConfig}
	imapServer := &imap.Server{Addr: "127.0.0.1:1993", Backend: mailbox.NewIMAPBackend(store, accounts), TLSConfig: tlsConfig}
	pop3Server := &pop3.Server{Addr: "127.0.0.1:1995", Backend: mailbox.NewPOP3Backend(store, accounts), TLSConfig: tlsConfig}

	errc := make(chan error, 3)
	go func() { errc <- smtpServer.ListenAndServe() }()          // STARTTLS
	go func() { errc <- imapServer.ListenAndServeTLS("", "") }() // implicit TLS
	go func() { errc <- pop3Server.ListenAndServeTLS("", "") }()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	select {
	case err = <-errc: // a server could not start (a port in use, say)
	case <-ctx.Done(): // interrupted
	}
	// Stop accepting, let sessions end (10 seconds at most); the deferred
	// Close then closes the store.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return errors.Join(err, smtpServer.Shutdown(ctx), imapServer.Shutdown(ctx), pop3Server.Shutdown(ctx))
}
