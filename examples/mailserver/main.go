// Command mailserver is a complete mail system on one machine, built from
// mailwright's packages: SMTP for mail from other servers, submission with
// AUTH (STARTTLS and implicit TLS), POP3 and IMAP (each plain+STARTTLS and
// implicit TLS), the queue with remote delivery by MX lookup, local delivery
// into Maildir, accounts and aliases.
//
// With no arguments it runs on a fresh machine: data under
// ./mailwright-data, domain localhost, loopback only, unprivileged ports, a
// self-signed certificate generated on first run, and a first user created
// (its password printed once) when there is none.
//
//	go run ./examples/mailserver
//	go run ./examples/mailserver adduser -password secret bob
//	go run ./examples/mailserver queue list -data /var/lib/mailwright
//
// Flags go before or after the arguments; "mailserver -h" lists them.
//
// Its open ports defend themselves (see defence.go and the README):
// connections capped per client address, one login throttle for SMTP AUTH,
// IMAP and POP3, sending limits per account and per address, DNSBLs on the
// MX port (-dnsbl), and outbound delivery paced per domain.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	_ "net/http/pprof"
	"net/netip"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/mailwright/mailwright/delivery"
	"github.com/mailwright/mailwright/delivery/dnsbl"
	"github.com/mailwright/mailwright/mailbox"
	"github.com/mailwright/mailwright/pop3"
	"github.com/mailwright/mailwright/queue"
	"github.com/mailwright/mailwright/smtp"
)

// config is what the flags say.
type config struct {
	data, tlsCert, tlsKey, resolver            string
	domains                                    []string
	smtp, submission, submissions, pop3, pop3s string
	imap, imaps                                string
	relayNetworks                              []netip.Prefix
	insecureAuth                               bool
	remotePort                                 int
	debugAddr                                  string
	syncFS                                     bool
	acme                                       acmeConfig
	autoconfig                                 string // HTTPS listener for client account setup
	defence                                    defenceConfig
}

func main() {
	cl, err := parseCommandLine(os.Args[1:], os.Stderr)
	var ue *usageError
	switch {
	case errors.Is(err, flag.ErrHelp):
		return
	case errors.As(err, &ue):
		fmt.Fprintf(os.Stderr, "mailserver: %v\n%s", err, usage)
		os.Exit(2)
	case err != nil:
		os.Exit(2) // flag has printed it
	case cl.command != "":
		if err := runCommand(cl, os.Stdin, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "mailserver:", err)
			os.Exit(1)
		}
		return
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := run(cl.config, logger); err != nil {
		logger.Error("mailserver stopped", "err", err)
		os.Exit(1)
	}
}

// serverFlags defines the server's flags on fs; the returned function
// reads them after parsing.
func serverFlags(fs *flag.FlagSet) func() *config {
	c := &config{}
	fs.StringVar(&c.data, "data", "mailwright-data", "data directory (mail, queue, accounts, certificate)")
	domains := fs.String("domain", "localhost", "local domains, comma separated; the first is the server's own name")
	fs.StringVar(&c.smtp, "smtp", "127.0.0.1:2525", "SMTP (MX) listener; empty disables")
	fs.StringVar(&c.submission, "submission", "127.0.0.1:2587", "submission listener (STARTTLS, AUTH); empty disables")
	fs.StringVar(&c.submissions, "submissions", "127.0.0.1:2465", "submission with implicit TLS; empty disables")
	fs.StringVar(&c.pop3, "pop3", "127.0.0.1:1110", "POP3 listener (STLS); empty disables")
	fs.StringVar(&c.pop3s, "pop3s", "127.0.0.1:1995", "POP3 with implicit TLS; empty disables")
	fs.StringVar(&c.imap, "imap", "127.0.0.1:1143", "IMAP listener (STARTTLS); empty disables")
	fs.StringVar(&c.imaps, "imaps", "127.0.0.1:1993", "IMAP with implicit TLS; empty disables")
	fs.StringVar(&c.tlsCert, "tls-cert", "", "certificate file (PEM); default: a self-signed one in the data directory")
	fs.StringVar(&c.tlsKey, "tls-key", "", "key file (PEM) of -tls-cert")
	relay := fs.String("relay-networks", "", "client networks allowed to relay without AUTH, comma separated CIDRs")
	fs.BoolVar(&c.insecureAuth, "insecure-auth", false, "allow AUTH and LOGIN without TLS (test setups)")
	fs.StringVar(&c.resolver, "resolver", "", "DNS server host:port for MX lookups; default /etc/resolv.conf")
	fs.IntVar(&c.remotePort, "remote-port", 25, "port that outbound delivery connects to")
	fs.BoolVar(&c.syncFS, "syncfs", true, "make accepted mail durable with one syncfs(2) per batch of messages (fast when the data directory's file system is not busy with other writers); false: an fsync per file")
	fs.StringVar(&c.debugAddr, "debug-addr", "", "serve Go's net/http/pprof profiles on this address (e.g. 127.0.0.1:6060)")
	acmeFlags(fs, &c.acme)
	fs.StringVar(&c.autoconfig, "autoconfig", "", "serve client account setup (Thunderbird autoconfig, Outlook autodiscover, Apple profile) over HTTPS on this address (e.g. :443); off by default")
	finishDefence := defenceFlags(fs, &c.defence)
	return func() *config {
		finishDefence()
		c.domains = splitList(*domains)
		if len(c.domains) == 0 {
			c.domains = []string{"localhost"}
		}
		for _, s := range splitList(*relay) {
			p, err := netip.ParsePrefix(s)
			if err != nil {
				fmt.Fprintf(os.Stderr, "mailserver: -relay-networks: %v\n", err)
				os.Exit(2)
			}
			c.relayNetworks = append(c.relayNetworks, p)
		}
		return c
	}
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// listener is one protocol server to start and stop.
type listener struct {
	name, addr string
	serve      func() error
	shutdown   func(context.Context) error
}

func run(cfg *config, logger *slog.Logger) error {
	if err := os.MkdirAll(cfg.data, 0o700); err != nil {
		return err
	}
	certs, err := newCertSource(cfg, logger)
	if err != nil {
		return err
	}
	tlsConfig := certs.serverConfig()
	accounts, err := openAccounts(cfg)
	if err != nil {
		return err
	}
	if err := ensureFirstUser(accounts, cfg.domains[0]); err != nil {
		return err
	}
	aliases, err := loadAliases(cfg)
	if err != nil {
		return err
	}
	store, err := mailbox.NewMaildirStore(filepath.Join(cfg.data, "mail"))
	if err != nil {
		return err
	}
	defer store.Close()
	store.Logger = logger
	store.SyncFS = cfg.syncFS

	// The queue sends its DSNs through the agent, and the agent enqueues
	// into the queue: the queue is opened first, given to the agent, and
	// started once both know each other. The MX port has an agent of its
	// own, which looks its clients up in the DNSBLs.
	def := newDefence(&cfg.defence, cfg.resolver, logger)
	newAgent := func(blocklists *dnsbl.Checker) *delivery.Agent {
		return &delivery.Agent{
			Hostname:      cfg.domains[0],
			Domains:       cfg.domains,
			Accounts:      accounts,
			Store:         store,
			Aliases:       aliases,
			RelayNetworks: cfg.relayNetworks,
			SendLimiter:   def.sending,
			DNSBL:         blocklists,
			Logger:        logger,
		}
	}
	agent, mxAgent := newAgent(nil), newAgent(def.dnsbl)
	remote := &delivery.Remote{LocalName: cfg.domains[0], Port: cfg.remotePort, DNSServer: cfg.resolver, Logger: logger}
	q, err := queue.Open(filepath.Join(cfg.data, "queue"), queue.Options{
		Deliverer:  remote,
		Hostname:   cfg.domains[0],
		SendDSN:    agent.SendDSN,
		DomainRate: def.outbound.Wait,
		Logger:     logger,
		OnEvent: func(e queue.Event) {
			logger.Info("queue", "event", e.Kind.String(), "id", e.ID, "rcpts", e.Recipients)
		},
	})
	if err != nil {
		return err
	}
	agent.Queue, mxAgent.Queue = q, q
	if err := q.Start(); err != nil {
		return err
	}

	// One IMAP backend for the IMAP listeners and for BURL on submission
	// (RFC 4468): a client sends a message it stored over IMAP by naming
	// it with a URL that GENURLAUTH gave it, resolved here in-process.
	imapBackend := mailbox.NewIMAPBackend(store, accounts)
	var servers []listener
	addSMTP := func(name, addr string, submission, implicitTLS bool) {
		if addr == "" {
			return
		}
		var backend smtp.Backend = mxAgent
		if submission {
			backend = requireAuth{agent: agent, urls: delivery.IMAPURLs{Backend: imapBackend}}
		}
		s := &smtp.Server{Addr: addr, Domain: cfg.domains[0], Backend: backend, TLSConfig: tlsConfig,
			AllowInsecureAuth: cfg.insecureAuth, EnableDSN: true, Logger: logger}
		def.smtp(s)
		serve := s.ListenAndServe
		if implicitTLS {
			serve = func() error { return s.ListenAndServeTLS("", "") }
		}
		servers = append(servers, listener{name, addr, serve, s.Shutdown})
	}
	addSMTP("smtp", cfg.smtp, false, false)
	addSMTP("submission", cfg.submission, true, false)
	addSMTP("submissions", cfg.submissions, true, true)

	pop3Backend := mailbox.NewPOP3Backend(store, accounts)
	addPOP3 := func(name, addr string, implicitTLS bool) {
		if addr == "" {
			return
		}
		s := &pop3.Server{Addr: addr, Backend: pop3Backend, TLSConfig: tlsConfig,
			AllowInsecureAuth: cfg.insecureAuth, Logger: logger}
		def.pop3(s)
		serve := s.ListenAndServe
		if implicitTLS {
			serve = func() error { return s.ListenAndServeTLS("", "") }
		}
		servers = append(servers, listener{name, addr, serve, s.Shutdown})
	}
	addPOP3("pop3", cfg.pop3, false)
	addPOP3("pop3s", cfg.pop3s, true)
	servers = append(servers, imapListeners(cfg, imapBackend, tlsConfig, def, logger)...)
	web, err := webListeners(cfg, certs, logger)
	if err != nil {
		return err
	}
	servers = append(servers, web...)

	if cfg.debugAddr != "" {
		go func() { logger.Error("debug listener", "err", http.ListenAndServe(cfg.debugAddr, nil)) }()
	}
	errc := make(chan error, len(servers))
	for _, l := range servers {
		go func() {
			if err := l.serve(); err != nil && !isClosed(err) {
				errc <- fmt.Errorf("%s on %s: %w", l.name, l.addr, err)
			}
		}()
	}
	printBanner(cfg, servers, certs.note(cfg))

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	var runErr error
	select {
	case s := <-sig:
		logger.Info("shutting down", "signal", s.String())
	case runErr = <-errc:
	}
	// Graceful: transactions in flight finish; then the queue saves its state.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	for _, l := range servers {
		wg.Add(1)
		go func() { defer wg.Done(); l.shutdown(ctx) }()
	}
	wg.Wait()
	q.Shutdown(ctx)
	return runErr
}

func isClosed(err error) bool {
	return errors.Is(err, smtp.ErrServerClosed) || errors.Is(err, pop3.ErrServerClosed) || isIMAPClosed(err)
}

// requireAuth is the submission port's policy (RFC 6409 4.3): every
// message needs an authenticated sender. It also offers BURL (RFC 4468),
// which only submission has: port 25 takes no URLs.
type requireAuth struct {
	agent *delivery.Agent
	urls  delivery.URLFetcher
}

// Validate passes the agent's check to the server, which runs it before
// serving (smtp.Validator).
func (r requireAuth) Validate() error { return r.agent.Validate() }

func (r requireAuth) NewSession(ctx context.Context, c *smtp.Conn) (smtp.Session, error) {
	s, err := r.agent.NewSession(ctx, c)
	if err != nil {
		return nil, err
	}
	return &authRequiredSession{Session: s, conn: c, urls: r.urls}, nil
}

type authRequiredSession struct {
	smtp.Session
	conn *smtp.Conn
	urls delivery.URLFetcher
}

// FetchURL resolves a BURL URL for the authenticated user
// (smtp.BURLSession).
func (s *authRequiredSession) FetchURL(ctx context.Context, url string) (io.ReadCloser, error) {
	if s.conn.AuthIdentity() == "" {
		return nil, &smtp.Error{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "Authentication required"}
	}
	return s.urls.FetchURL(ctx, s.conn.AuthIdentity(), url)
}

func (s *authRequiredSession) Mail(ctx context.Context, from string, opts *smtp.MailOptions) error {
	if s.conn.AuthIdentity() == "" {
		return &smtp.Error{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "Authentication required"}
	}
	return s.Session.Mail(ctx, from, opts)
}

// AuthPassword passes AUTH on to the agent's session.
func (s *authRequiredSession) AuthPassword(ctx context.Context, identity, username, password string) error {
	pa, ok := s.Session.(smtp.PasswordAuthenticator)
	if !ok {
		return smtp.ErrAuthFailed
	}
	return pa.AuthPassword(ctx, identity, username, password)
}

func printBanner(cfg *config, servers []listener, certNote string) {
	fmt.Printf("mailwright mailserver for %s, data in %s\n", strings.Join(cfg.domains, ", "), cfg.data)
	for _, l := range servers {
		fmt.Printf("  %-12s %s\n", l.name, l.addr)
	}
	fmt.Printf("Send with a mail client on the submission port (STARTTLS, AUTH as a user of\n"+
		"'mailserver users'); read mail over POP3 or IMAP. %s\n", certNote)
}
