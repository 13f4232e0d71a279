// Command mailcatcher catches every message sent to it over SMTP and shows
// it over IMAP, POP3 and an HTTP JSON API: a mail sink for testing code
// written in any language (like MailHog or MailCatcher).
//
//	go run ./examples/mailcatcher -smtp 127.0.0.1:1025 -http 127.0.0.1:8025
//	curl 'http://127.0.0.1:8025/api/wait?to=bob@example.org&subject=Welcome&timeout=10s'
//
// Every recipient is accepted, and all mail goes to one mailbox (the user
// "catcher"): a test usually wants to see everything its code sent, and
// one mailbox keeps IMAP, POP3 and the API showing the same list. Each
// stored message starts with a Return-Path and one Delivered-To header field
// per envelope recipient, as a delivery agent would add them, so that the
// envelope stays visible in every view. IMAP and POP3 accept any user name
// and password, without TLS; as they all reach the one mailbox, a second
// concurrent POP3 session gets "-ERR [IN-USE]" (RFC 2449 section 8.1.2).
// Mail is kept in memory only.
//
// HTTP API (JSON):
//
//	GET    /api/messages          list: id, from, to, subject, date, size
//	GET    /api/messages/{id}     one message: headers, text; ?raw=1 for the raw bytes
//	DELETE /api/messages          delete every message
//	GET    /api/wait?to=&subject=&timeout=10s
//	                              the first message (oldest first) whose recipients
//	                              contain to and whose subject contains subject,
//	                              waiting for it; 504 on timeout
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
	flag.Parse()

	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	store := mailbox.NewMemoryStore()
	store.Logger = logger
	defer store.Close()
	c := &Catcher{Store: store, MaxSize: *maxSize}
	anyone := mailbox.AuthenticatorFunc(func(context.Context, string, string) (string, error) {
		return User, nil
	})

	smtpSrv := &smtp.Server{
		Domain:          "mailcatcher.localhost",
		Backend:         c,
		MaxMessageBytes: *maxSize,
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
	for _, s := range running {
		s.close()
	}
}
