// Command mailcatcher catches every message sent to it over SMTP and shows
// it on a web page, over IMAP and POP3 and through an HTTP JSON API: a mail
// sink for testing code written in any language (like Mailpit, MailHog or
// MailCatcher).
//
//	go run ./examples/mailcatcher -smtp 127.0.0.1:1025 -http 127.0.0.1:8025
//	open http://127.0.0.1:8025/
//	curl 'http://127.0.0.1:8025/api/wait?to=bob@example.org&subject=Welcome&timeout=10s'
//
// Every recipient is accepted, and all mail goes to one mailbox (the user
// "catcher"): a test usually wants to see everything its code sent, and
// one mailbox keeps the page, IMAP, POP3 and the API showing the same list.
// Each stored message starts with a Return-Path and one Delivered-To header
// field per envelope recipient, as a delivery agent would add them, so that
// the envelope stays visible in every view. SMTP AUTH (PLAIN, LOGIN)
// accepts any user name and password, so that an application configured
// with credentials works unchanged: over STARTTLS (with -tls-cert and
// -tls-key, or a self-signed certificate made at start), and in plaintext
// when SMTP listens on loopback (-insecure-auth). IMAP and POP3 accept
// any user name and password, without TLS; as they all reach the one
// mailbox, a second concurrent POP3 session gets "-ERR [IN-USE]" (RFC 2449
// section 8.1.2). Mail is kept in memory only.
//
// The page (/) lists the messages as they arrive (Server-Sent Events, no
// reload), newest first, 50 a page, searchable; it shows a message's HTML
// (in a sandboxed frame whose Content-Security-Policy blocks scripts and
// remote content), text, header fields, source and attachments; it
// deletes one message or all, releases a message to a real SMTP server
// (-release), and switches the failures of the SMTP server. Opening a
// message on the page marks it read (\Seen, as IMAP shows it).
//
// HTTP API (JSON):
//
//	GET    /api/messages          list, oldest first: id, from, to, subject, date, size;
//	                              ?q= searches as the page does, ?offset=&limit= pages
//	GET    /api/messages/{id}     one message: headers, text, html, attachments;
//	                              ?raw=1 for the raw bytes
//	DELETE /api/messages          delete every message
//	DELETE /api/messages/{id}     delete one message
//	POST   /api/messages/{id}/release   {"to": [...]} (none: the envelope recipients)
//	GET    /api/wait?to=&subject=&timeout=10s
//	                              the first message (oldest first) whose recipients
//	                              contain to and whose subject contains subject,
//	                              waiting for it; 504 on timeout
//	GET    /api/faults            the failures injected into SMTP transactions
//	POST   /api/faults            add one, e.g. {"stage": "rcpt", "recipients":
//	                              ["gone@example.org"], "code": 550, "enhanced_code":
//	                              "5.1.1", "message": "No such user"}; stages are
//	                              connect, mail, rcpt and data; "next": true fails the
//	                              next message only; "delay": "3s" slows a stage down
//	DELETE /api/faults            remove them all
//	DELETE /api/faults/{i}        remove one, by its index in the list
//
//	GET    /messages/{id}/parts/{n}   part n of the message, as a download
//	GET    /messages/{id}/source.eml  the raw message, as a download
//
// Requests that change something from another site's page are refused
// (net/http's CrossOriginProtection); curl and test code are not affected.
//
// Pass port 0 (-smtp 127.0.0.1:0) for a free port: the addresses actually
// bound are printed on standard output, one "proto addr" line each, then
// "ready".
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"syscall"
	"time"

	"github.com/mailwright/mailwright/imap"
	"github.com/mailwright/mailwright/mailbox"
	"github.com/mailwright/mailwright/pop3"
	"github.com/mailwright/mailwright/smtp"
)

func main() {
	smtpAddr := flag.String("smtp", "127.0.0.1:1025", "SMTP listen address")
	imapAddr := flag.String("imap", "127.0.0.1:1143", "IMAP listen address (empty: no IMAP)")
	pop3Addr := flag.String("pop3", "127.0.0.1:1110", "POP3 listen address (empty: no POP3)")
	httpAddr := flag.String("http", "127.0.0.1:8025", "HTTP API listen address")
	maxSize := flag.Int64("max-size", 32<<20, "largest message accepted, in bytes")
	insecureAuth := flag.String("insecure-auth", "loopback", "SMTP AUTH without TLS: loopback (when SMTP listens on loopback only), yes or no")
	tlsCert := flag.String("tls-cert", "", "SMTP STARTTLS certificate file (PEM; empty: a self-signed one)")
	tlsKey := flag.String("tls-key", "", "SMTP STARTTLS key file (PEM)")
	relay := &Relay{}
	flag.StringVar(&relay.Addr, "release", "", "SMTP server (host:port) that the page releases messages to (empty: no release)")
	flag.StringVar(&relay.TLS, "release-tls", "", `release TLS: "" (STARTTLS when offered), starttls, tls (implicit) or none`)
	flag.BoolVar(&relay.InsecureSkipVerify, "release-insecure", false, "release: accept any TLS certificate")
	flag.StringVar(&relay.Username, "release-user", "", "release: AUTH user name (the password is in $MAILCATCHER_RELEASE_PASSWORD)")
	flag.StringVar(&relay.From, "release-from", "", "release: envelope sender (empty: the message's)")
	flag.Parse()
	relay.Password = os.Getenv("MAILCATCHER_RELEASE_PASSWORD")
	if !slices.Contains(relayTLSModes, relay.TLS) {
		log.Fatalf("mailcatcher: -release-tls %q: want starttls, tls or none", relay.TLS)
	}
	if !slices.Contains([]string{"loopback", "yes", "no"}, *insecureAuth) {
		log.Fatalf("mailcatcher: -insecure-auth %q: want loopback, yes or no", *insecureAuth)
	}

	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	store := mailbox.NewMemoryStore()
	store.Logger = logger
	defer store.Close()
	c := &Catcher{Store: store, MaxSize: *maxSize}
	if relay.Addr != "" {
		c.Relay = relay
	}
	host, _, _ := net.SplitHostPort(*smtpAddr)
	tlsConfig, err := serverTLS(*tlsCert, *tlsKey, []string{"localhost", "127.0.0.1", "::1", host})
	if err != nil {
		log.Fatalf("mailcatcher: TLS: %v", err)
	}
	anyone := mailbox.AuthenticatorFunc(func(context.Context, string, string) (string, error) {
		return User, nil
	})

	smtpSrv := &smtp.Server{
		Domain:          "mailcatcher.localhost",
		Backend:         c,
		MaxMessageBytes: *maxSize,
		TLSConfig:       tlsConfig,
		// The tests that send here share an address or two.
		MaxConnectionsPerIP: -1,
		Logger:              logger,
	}
	imapSrv := &imap.Server{
		Backend:           mailbox.NewIMAPBackend(store, anyone),
		AllowInsecureAuth: true,
		Logger:            logger,
	}
	pop3Srv := &pop3.Server{
		Backend:           mailbox.NewPOP3Backend(store, anyone),
		AllowInsecureAuth: true,
		Hostname:          "mailcatcher.localhost",
		Logger:            logger,
	}
	httpSrv := &http.Server{Handler: c.Handler(), ReadHeaderTimeout: 10 * time.Second}

	type service struct {
		name  string
		addr  string
		serve func(net.Listener) error
		close func() error
	}
	services := []service{
		{"smtp", *smtpAddr, smtpSrv.Serve, smtpSrv.Close},
		{"imap", *imapAddr, imapSrv.Serve, imapSrv.Close},
		{"pop3", *pop3Addr, pop3Srv.Serve, pop3Srv.Close},
		{"http", *httpAddr, httpSrv.Serve, httpSrv.Close},
	}
	errc := make(chan error, len(services))
	var running []service
	for _, s := range services {
		if s.addr == "" {
			continue
		}
		l, err := net.Listen("tcp", s.addr)
		if err != nil {
			log.Fatalf("mailcatcher: %s: %v", s.name, err)
		}
		if s.name == "smtp" {
			// RFC 4954 4: passwords travel in the clear only where no one
			// else can listen, unless the tester says otherwise.
			c.SMTPAddr = l.Addr().String()
			smtpSrv.AllowInsecureAuth = *insecureAuth == "yes" || *insecureAuth == "loopback" && isLoopback(c.SMTPAddr)
		}
		fmt.Printf("%s %s\n", s.name, l.Addr())
		go func() { errc <- fmt.Errorf("%s: %w", s.name, s.serve(l)) }()
		running = append(running, s)
	}
	fmt.Println("ready")

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	select {
	case <-sig:
	case err := <-errc:
		logger.Error("server stopped", "err", err)
	}
	c.Close()
	for _, s := range running {
		s.close()
	}
}
