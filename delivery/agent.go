package delivery

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mailwright/mailwright/delivery/dnsbl"
	"github.com/mailwright/mailwright/mailbox"
	"github.com/mailwright/mailwright/queue"
	"github.com/mailwright/mailwright/smtp"
)

// LocalDeliverer stores mail for local recipients in place of Agent.Store:
// for instance an LMTP connection to another mail store.
type LocalDeliverer interface {
	// DeliverLocal delivers the message read from r, sent by from ("" for
	// the null sender), to each of rcpts (mailbox addresses of local
	// accounts), and returns one error per recipient, in order: nil once
	// that recipient's copy is stored durably. An *smtp.Error is passed to
	// the client; other errors become a temporary failure.
	DeliverLocal(ctx context.Context, from string, rcpts []string, r io.Reader) []error
}

// Agent is the mail transfer agent: an smtp.Backend that accepts mail for
// local users (delivered into Store, or through Local) and, from
// authenticated clients and trusted networks, for other domains (handed to
// Queue). A message is acknowledged only when every copy is durable: in
// the recipients' mailboxes and in the queue.
//
// Set the fields before serving; they must not change afterwards.
// Validate reports a configuration that cannot work; smtp.Server calls it
// before serving, and a session of an invalid Agent is refused with a
// temporary error.
type Agent struct {
	// Hostname names this server in the Received fields it adds.
	// Default: os.Hostname().
	Hostname string
	// Domains are the local domains: mail to them is delivered here.
	// The first one completes the address of accounts that are bare
	// names, where an address is needed (LMTP, VRFY). Default: the
	// domains of Accounts, when it has a LocalDomains() []string method
	// (mailbox.AccountsFile and MemoryAccounts do), so that they are
	// written once. Set, they must be among those (see Validate).
	Domains []string
	// Accounts tells which local users exist (Lookup) and checks SMTP AUTH
	// passwords (Authenticate). Required. When it keeps SCRAM credentials
	// (mailbox.SCRAMAuthenticator, as AccountsFile does), AUTH offers
	// SCRAM-SHA-256 and SCRAM-SHA-256-PLUS too.
	Accounts mailbox.Accounts
	// TokenVerifier, if set, checks the tokens of AUTH OAUTHBEARER (RFC
	// 7628), which is offered only then.
	TokenVerifier mailbox.TokenVerifier
	// Store receives local mail, in each user's INBOX. Required unless
	// Local is set.
	Store *mailbox.Store
	// Local, if set, receives local mail instead of Store.
	Local LocalDeliverer
	// Aliases, if set, redirects local names to users, lists and
	// external addresses.
	Aliases *Aliases
	// SubaddressDelimiters separate a user from a detail in the local
	// part of a recipient (RFC 5233): "alice+lists@example.org" reaches
	// alice unless an alias or account has that whole name, and her Sieve
	// script sees "lists" as the :detail. Any of the characters counts;
	// the first one in the address splits it. Default "+".
	SubaddressDelimiters string
	// NoSubaddress turns sub-addressing off: "alice+lists" is then only
	// the alias or account of that exact name.
	NoSubaddress bool
	// Sieve, if set, runs each local user's Sieve script on the mail
	// delivered into Store (see SieveFilter).
	Sieve *SieveFilter
	// Queue receives mail for other domains, and alias targets there.
	// Nil means no relaying: such recipients are refused.
	Queue queue.Enqueuer
	// RelayNetworks are the client networks trusted to relay without
	// authenticating (e.g. 127.0.0.0/8 for local programs).
	RelayNetworks []netip.Prefix
	// BURL, if set, lets authenticated clients send a message that is on
	// an IMAP server by naming it with a URL (RFC 4468): sessions offer
	// "BURL imap" and read the URLs through it. IMAPURLs resolves them
	// through the IMAP backend of this server, in-process.
	BURL URLFetcher
	// VerifyExpand makes sessions answer VRFY and EXPN from Accounts and
	// Aliases (RFC 5321 3.5). Off by default: they tell spammers which
	// addresses exist (RFC 5321 7.3).
	VerifyExpand bool
	// MaxReceived is the largest number of Received fields a message may
	// carry; more means a mail loop (554 5.4.6). Default 50.
	MaxReceived int
	// SpoolMemory is how much of a message is kept in memory when it goes
	// to several destinations; larger ones are spooled to a temporary file
	// in SpoolDir (os.TempDir() if empty). Default 64 KiB.
	SpoolMemory int
	SpoolDir    string
	// SendLimiter, if set, limits the messages and recipients each sender
	// may send per time window (mailbox/throttle.Sending is one): a
	// session that authenticated counts against its account, any other
	// against its client's network, except clients of RelayNetworks.
	// Over a limit MAIL FROM gets 451 4.7.1, RCPT TO 450 4.7.1.
	SendLimiter SendLimiter
	// DNSBL, if set, looks each client up in DNS blocklists (RFC 5782)
	// from the start of its session, and applies the listings at MAIL
	// FROM: a Reject zone refuses the client's mail with 554 5.7.1 and
	// the list's reason, a Tag zone adds an X-DNSBL header field to each
	// message, and every listing is logged. A lookup that has not
	// answered by the Checker's Timeout counts as not listed. Clients of
	// RelayNetworks are not looked up, and a session that authenticated
	// is not refused; still, give it only the Agent of the MX port (a
	// second Agent with the same Store, Accounts and Queue): users often
	// submit from addresses that lists name as dynamic.
	DNSBL *dnsbl.Checker
	// Logger receives what cannot be told to the client, such as alias
	// targets that do not exist. Default slog.Default().
	Logger *slog.Logger

	hostOnce    sync.Once
	host        string
	domainsOnce sync.Once
	domains     []string // Domains, or those of Accounts
}

// Replies of the Agent (RFC 3463 codes).
var (
	errNoSuchUser   = &smtp.Error{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such user here"}
	errRelayDenied  = &smtp.Error{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "Relaying denied"}
	errNoSuchList   = &smtp.Error{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such list"}
	errUserNotLocal = &smtp.Error{Code: 551, EnhancedCode: smtp.EnhancedCode{5, 1, 6}, Message: "User not local"}
)

// Alias expansion bounds: nesting depth (sendmail uses 10) and targets per
// recipient.
const (
	maxAliasDepth = 10
	maxExpansion  = 1000
)

func (a *Agent) logger() *slog.Logger { return cmp.Or(a.Logger, slog.Default()) }

func (a *Agent) hostname() string {
	a.hostOnce.Do(func() {
		a.host = a.Hostname
		if a.host == "" {
			a.host, _ = os.Hostname()
		}
		if a.host == "" {
			a.host = "localhost"
		}
	})
	return a.host
}

func (a *Agent) maxReceived() int {
	if a.MaxReceived > 0 {
		return a.MaxReceived
	}
	return DefaultMaxReceived
}

func (a *Agent) spoolMemory() int {
	if a.SpoolMemory > 0 {
		return a.SpoolMemory
	}
	return DefaultSpoolMemory
}

// primaryDomain completes bare account names into addresses.
func (a *Agent) primaryDomain() string {
	if d := a.localDomains(); len(d) > 0 {
		return d[0]
	}
	return a.hostname()
}

func (a *Agent) isLocalDomain(domain string) bool {
	for _, d := range a.localDomains() {
		if sameDomain(d, domain) {
			return true
		}
	}
	return false
}

// splitAddress splits at the last '@'; the domain is "" when there is none
// (RCPT TO:<postmaster>).
func splitAddress(addr string) (local, domain string) {
	if at := strings.LastIndexByte(addr, '@'); at >= 0 {
		return addr[:at], addr[at+1:]
	}
	return addr, ""
}

// NewSession implements smtp.Backend. Sessions answer VRFY and EXPN when
// VerifyExpand is set, and give per-recipient results on an LMTP server.
// smtp.Server refuses to start with an Agent that Validate finds wrong;
// served some other way, an Agent without Accounts or a place for local
// mail refuses every session with a temporary error (the server logs
// why) rather than fail in the middle of a transaction.
func (a *Agent) NewSession(ctx context.Context, c *smtp.Conn) (smtp.Session, error) {
	if err := a.unusable(); err != nil {
		return nil, fmt.Errorf("delivery: Agent: %w", err)
	}
	s := &session{a: a, c: c}
	s.startChecks(ctx)
	lmtp := c.Server() != nil && c.Server().LMTP
	switch {
	case lmtp && a.VerifyExpand:
		return lmtpVerifySession{s}, nil
	case lmtp:
		return lmtpSession{s}, nil
	case a.VerifyExpand && a.BURL != nil:
		return burlVerifySession{verifySession{s}}, nil
	case a.VerifyExpand:
		return verifySession{s}, nil
	case a.BURL != nil:
		return burlSession{s}, nil
	}
	return s, nil
}

// localTarget is a local mailbox a message goes to.
type localTarget struct {
	user string // canonical account name: the Store key
	addr string // its address, for a LocalDeliverer
	// to is the address that reached the account, with its detail
	// ("alice+lists@example.org"), for Sieve's envelope test; origTo the
	// recipient the client gave (ORCPT, or before alias expansion) when
	// it is another.
	to, origTo string
}

// routedRcpt is a recipient as the client gave it, and where it leads.
type routedRcpt struct {
	addr   string
	local  []int // indexes into transaction.locals
	remote []int // indexes into transaction.remotes
}

// transaction is the envelope of a message being received, with each
// recipient resolved to local mailboxes and remote addresses.
type transaction struct {
	from    string
	opts    smtp.MailOptions
	auth    string // the client's authenticated identity
	client  bool   // a client waits for the answer (not a DSN from the queue)
	lmtp    bool   // it waits for one answer per recipient
	rcpts   []routedRcpt
	locals  []localTarget
	remotes []queue.Recipient
}

func (t *transaction) addLocal(l localTarget) int {
	for i, x := range t.locals {
		if x.user == l.user {
			return i
		}
	}
	t.locals = append(t.locals, l)
	return len(t.locals) - 1
}

func (t *transaction) addRemote(r queue.Recipient) int {
	for i, x := range t.remotes {
		if strings.EqualFold(x.Address, r.Address) {
			return i
		}
	}
	t.remotes = append(t.remotes, r)
	return len(t.remotes) - 1
}

// route resolves addr and adds it to t. relay says whether the client may
// send to other domains.
func (a *Agent) route(ctx context.Context, t *transaction, addr string, opts *smtp.RcptOptions, relay bool) error {
	e := expansion{a: a}
	if err := e.resolve(ctx, addr, relay); err != nil {
		return err
	}
	r := routedRcpt{addr: addr}
	for _, l := range e.locals {
		l.origTo = originalRecipient(addr, l.to, opts)
		r.local = append(r.local, t.addLocal(l))
	}
	for _, to := range e.remotes {
		qr := queue.Recipient{Address: to}
		if opts != nil {
			for _, n := range opts.Notify {
				qr.Notify = append(qr.Notify, queue.DSNNotify(n))
			}
			qr.OriginalRecipientType, qr.OriginalRecipient = opts.OriginalRecipientType, opts.OriginalRecipient
		}
		if qr.OriginalRecipient == "" && !strings.EqualFold(to, addr) {
			// RFC 3461 4.2: keep the address the sender used through the
			// alias expansion, for the DSN.
			qr.OriginalRecipientType, qr.OriginalRecipient = "rfc822", addr
			if !isASCII(addr) {
				qr.OriginalRecipientType = "utf-8" // RFC 6533 3
			}
		}
		r.remote = append(r.remote, t.addRemote(qr))
	}
	t.rcpts = append(t.rcpts, r)
	return nil
}

// expansion resolves one recipient through aliases and accounts.
type expansion struct {
	a       *Agent
	seen    map[string]bool // aliases expanded so far
	n       int             // targets visited
	locals  []localTarget
	remotes []string
}

// resolve routes a recipient the client gave: local users and aliases at
// the local domains, relaying for other domains only when relay is set.
func (e *expansion) resolve(ctx context.Context, addr string, relay bool) error {
	if _, domain := splitAddress(addr); domain != "" && !e.a.isLocalDomain(domain) {
		if !relay || e.a.Queue == nil {
			return errRelayDenied
		}
		e.remotes = append(e.remotes, addr)
		return nil
	}
	if err := e.walk(ctx, addr, 0); err != nil {
		return err
	}
	if len(e.locals)+len(e.remotes) == 0 {
		return errNoSuchUser
	}
	return nil
}

// walk expands addr: an alias into its targets, recursively; a local
// account into its mailbox; another domain into a forward through the
// queue. An unknown name is an error at the top level, and only logged
// inside an alias, so that one stale entry does not block a whole list.
func (e *expansion) walk(ctx context.Context, addr string, depth int) error {
	a := e.a
	if e.n++; e.n > maxExpansion {
		return &smtp.Error{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 3, 0}, Message: "Alias expansion too large"}
	}
	_, domain := splitAddress(addr)
	if domain != "" && !a.isLocalDomain(domain) {
		if a.Queue == nil {
			a.logger().Warn("delivery: alias target at another domain, but there is no queue", "target", addr)
			return nil
		}
		for _, r := range e.remotes {
			if strings.EqualFold(r, addr) {
				return nil
			}
		}
		e.remotes = append(e.remotes, addr)
		return nil
	}
	// Exact names first, the address as given before its user without
	// the detail (RFC 5233); patterns only for what no name takes.
	forms := a.addressForms(addr)
	for _, f := range forms {
		if done, err := e.expandAlias(ctx, f, domain, depth, a.lookupAlias); done {
			return err
		}
		fl, _ := splitAddress(f)
		user, ok, err := a.lookupAccount(ctx, fl, domain)
		if err != nil {
			return err
		}
		if ok {
			e.addLocal(user, addr, domain)
			return nil
		}
	}
	if user, _ := splitAddress(forms[len(forms)-1]); strings.EqualFold(user, "postmaster") {
		// RFC 5321 4.5.1: postmaster must be accepted. Without an alias
		// or account it has a mailbox of its own in the store.
		e.addLocal("postmaster", addr, domain)
		return nil
	}
	for _, f := range forms {
		if done, err := e.expandAlias(ctx, f, domain, depth, a.matchAlias); done {
			return err
		}
	}
	if depth == 0 {
		return errNoSuchUser
	}
	a.logger().Warn("delivery: alias target does not exist", "target", addr)
	return nil
}

// expandAlias expands the alias that find returns for addr into its
// targets, recursively, and reports whether there was one to expand. An
// alias already expanded on this path is not expanded again ("root:
// root, backup" delivers to the account root).
func (e *expansion) expandAlias(ctx context.Context, addr, domain string, depth int, find func(string) ([]string, string, bool)) (bool, error) {
	targets, key, ok := find(addr)
	if !ok || e.seen[key] || depth >= maxAliasDepth {
		return false, nil
	}
	if e.seen == nil {
		e.seen = make(map[string]bool)
	}
	e.seen[key] = true
	for _, t := range targets {
		if domain != "" && !strings.Contains(t, "@") {
			t += "@" + domain // a bare target stays in the domain it was reached at
		}
		if err := e.walk(ctx, t, depth+1); err != nil {
			return true, err
		}
	}
	return true, nil
}

// addLocal adds the mailbox of user, reached at the address to.
func (e *expansion) addLocal(user, to, domain string) {
	for _, l := range e.locals {
		if l.user == user {
			return
		}
	}
	e.locals = append(e.locals, localTarget{user: user, addr: e.a.mailboxAddress(user, domain), to: to})
}

// matchAlias finds the pattern alias for addr (see Aliases).
func (a *Agent) matchAlias(addr string) ([]string, string, bool) {
	t, pattern, ok := a.Aliases.Match(addr)
	return t, "\x00" + pattern, ok // a key no exact name has
}

// lookupAlias finds the alias for addr: the full address first, then the
// local part.
func (a *Agent) lookupAlias(addr string) (targets []string, key string, ok bool) {
	if a.Aliases == nil {
		return nil, "", false
	}
	if t, ok := a.Aliases.Lookup(addr); ok {
		return t, strings.ToLower(addr), true
	}
	if local, domain := splitAddress(addr); domain != "" {
		if t, ok := a.Aliases.Lookup(local); ok {
			return t, strings.ToLower(local), true
		}
	}
	return nil, "", false
}

// lookupAccount finds the account of a local address: the full address
// (accounts named "alice@example.org", or Accounts that know the domain),
// then the local part, since every local domain shares the namespace of
// bare account names.
func (a *Agent) lookupAccount(ctx context.Context, local, domain string) (string, bool, error) {
	if domain != "" {
		user, ok, err := a.Accounts.Lookup(ctx, local+"@"+domain)
		if err != nil || ok {
			return user, ok, err
		}
	}
	return a.Accounts.Lookup(ctx, local)
}

// mailboxAddress returns an address for an account: its name when it is
// an address, else the name at domain (or the primary domain).
func (a *Agent) mailboxAddress(user, domain string) string {
	if strings.Contains(user, "@") {
		return user
	}
	if domain == "" {
		domain = a.primaryDomain()
	}
	return user + "@" + strings.ToLower(domain)
}

// deliver stores the message read from r for every recipient of t: local
// copies, and one queue entry for the remote recipients. trace is the
// Received field (nil for none). It returns one error per local target
// and the queue's error; when the message cannot be read, that error is
// every result.
func (a *Agent) deliver(ctx context.Context, t *transaction, trace []byte, r io.Reader) (localErrs []error, queueErr error) {
	filters := a.sieveScripts(ctx, t)
	if len(t.locals) == 1 && len(t.remotes) == 0 && filters == nil {
		// The hot path: one mailbox, streamed straight in.
		return []error{a.deliverLocal(ctx, t, trace, []localTarget{t.locals[0]}, func() io.Reader { return r })[0]}, nil
	}
	sp, err := newSpool(r, a.spoolMemory(), a.SpoolDir)
	if err != nil {
		// The message could not be read (or loops): it fails for all.
		localErrs = make([]error, len(t.locals))
		for i := range localErrs {
			localErrs[i] = err
		}
		return localErrs, err
	}
	defer sp.Close()
	var wg sync.WaitGroup
	if len(t.remotes) > 0 {
		wg.Go(func() {
			env := queue.Envelope{
				From:       t.from,
				Recipients: t.remotes,
				Return:     queue.DSNReturn(t.opts.Return),
				EnvelopeID: t.opts.EnvelopeID,
				UTF8:       t.opts.UTF8,
				BodyType:   string(t.opts.Body),
				RequireTLS: t.opts.RequireTLS,
			}
			_, queueErr = a.Queue.Enqueue(ctx, env, io.MultiReader(bytes.NewReader(trace), sp.reader()))
		})
	}
	switch {
	case filters != nil:
		localErrs = a.deliverFiltered(ctx, t, trace, sp, filters)
	case len(t.locals) > 0:
		localErrs = a.deliverLocal(ctx, t, trace, t.locals, sp.reader)
	}
	wg.Wait()
	return localErrs, queueErr
}

// deliverLocal stores copies for the targets, each read from a reader that
// open returns (called once per target, or once for a LocalDeliverer).
// Final delivery adds Return-Path (RFC 5321 4.4); a LocalDeliverer is the
// final delivery agent and adds its own.
func (a *Agent) deliverLocal(ctx context.Context, t *transaction, trace []byte, targets []localTarget, open func() io.Reader) []error {
	if a.Local != nil {
		addrs := make([]string, len(targets))
		for i, l := range targets {
			addrs[i] = l.addr
		}
		errs := a.Local.DeliverLocal(ctx, t.from, addrs, io.MultiReader(bytes.NewReader(trace), open()))
		if len(errs) != len(targets) {
			errs = make([]error, len(targets))
			for i := range errs {
				errs[i] = errors.New("delivery: LocalDeliverer returned the wrong number of results")
			}
		}
		return errs
	}
	errs := make([]error, len(targets))
	if a.Store == nil {
		for i := range errs {
			errs[i] = errors.New("delivery: Agent has neither Store nor Local")
		}
		return errs
	}
	head := appendReturnPath(make([]byte, 0, 64+len(trace)), t.from)
	head = append(head, trace...)
	if len(targets) == 1 {
		_, errs[0] = a.Store.Append(ctx, targets[0].user, mailbox.Inbox, io.MultiReader(bytes.NewReader(head), open()), nil)
		return errs
	}
	// Several mailboxes at once: the store shares their fsyncs.
	var wg sync.WaitGroup
	for i, l := range targets {
		wg.Go(func() {
			_, errs[i] = a.Store.Append(ctx, l.user, mailbox.Inbox, io.MultiReader(bytes.NewReader(head), open()), nil)
		})
	}
	wg.Wait()
	return errs
}

// SendDSN delivers a delivery status notification from the queue: to the
// sender's mailbox when the sender is local, through the queue otherwise.
// Use it as queue.Options.SendDSN, so that bounces to local users do not
// go out and back in through DNS and SMTP. A recipient that cannot be
// delivered to (an unknown local user, a remote one without Queue) is
// logged and dropped: a DSN is never bounced (RFC 3461 6.2). Temporary
// failures return an error, and the queue tries again later.
func (a *Agent) SendDSN(ctx context.Context, env queue.Envelope, msg io.Reader) (string, error) {
	t := &transaction{from: env.From, opts: smtp.MailOptions{
		Body: smtp.BodyType(env.BodyType), UTF8: env.UTF8,
		Return: smtp.DSNReturn(env.Return), EnvelopeID: env.EnvelopeID,
		RequireTLS: env.RequireTLS,
	}}
	for _, r := range env.Recipients {
		err := a.route(ctx, t, r.Address, nil, true)
		var se *smtp.Error
		if errors.As(err, &se) && !se.Temporary() {
			a.logger().Warn("delivery: DSN recipient dropped", "rcpt", r.Address, "err", err)
			continue
		}
		if err != nil {
			return "", err
		}
	}
	if len(t.rcpts) == 0 {
		return "", nil
	}
	localErrs, qerr := a.deliver(ctx, t, nil, msg)
	if err := errors.Join(append(localErrs, qerr)...); err != nil {
		return "", err
	}
	return "local-" + newID(), nil
}

// session is one SMTP connection to the Agent.
type session struct {
	a  *Agent
	c  *smtp.Conn
	tx transaction

	dnsbl        *dnsbl.Lookup // the client's DNSBL lookups, if any
	dnsblDone    bool          // their listings have been applied
	dnsblRefusal *smtp.Error   // the reply to a client in a Reject zone
	tags         []byte        // header fields that Tag zones add
}

var (
	_ smtp.Session               = (*session)(nil)
	_ smtp.PasswordAuthenticator = (*session)(nil)
	_ smtp.LMTPSession           = lmtpSession{}
	_ smtp.Verifier              = verifySession{}
	_ smtp.Expander              = verifySession{}
	_ smtp.LMTPSession           = lmtpVerifySession{}
	_ smtp.Verifier              = lmtpVerifySession{}
)

// AuthPassword checks SMTP AUTH credentials against Accounts. An
// authorization identity other than the user is refused: one user may not
// submit as another.
func (s *session) AuthPassword(ctx context.Context, identity, username, password string) error {
	user, err := s.a.Accounts.Authenticate(ctx, username, password)
	if errors.Is(err, mailbox.ErrAuthFailed) {
		return smtp.ErrAuthFailed
	}
	if err != nil {
		return err
	}
	if identity != "" && !strings.EqualFold(identity, username) && !strings.EqualFold(identity, user) {
		return smtp.ErrAuthFailed
	}
	return nil
}

func (s *session) Mail(ctx context.Context, from string, opts *smtp.MailOptions) error {
	if err := s.checkSender(ctx); err != nil {
		return err
	}
	s.tx = transaction{from: from, auth: s.c.AuthIdentity(), client: true, lmtp: s.c.Server() != nil && s.c.Server().LMTP}
	if opts != nil {
		s.tx.opts = *opts
	}
	return nil
}

// Rcpt routes the recipient: unknown local users get 550 5.1.1, other
// domains 550 5.7.1 unless the client may relay.
func (s *session) Rcpt(ctx context.Context, to string, opts *smtp.RcptOptions) error {
	if err := s.checkRecipient(ctx); err != nil {
		return err
	}
	return s.a.route(ctx, &s.tx, to, opts, s.mayRelay())
}

// mayRelay says whether the client may send to other domains: it
// authenticated, or it connects from a trusted network.
func (s *session) mayRelay() bool {
	return s.c.AuthIdentity() != "" || s.fromRelayNetwork()
}

// fromRelayNetwork says whether the client connects from RelayNetworks.
func (s *session) fromRelayNetwork() bool {
	if len(s.a.RelayNetworks) == 0 {
		return false
	}
	ip := remoteIP(s.c.RemoteAddr())
	for _, p := range s.a.RelayNetworks {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// Data stores the message for every recipient before returning, so that
// the 250 reply means it is durable everywhere.
func (s *session) Data(ctx context.Context, r io.Reader) error {
	localErrs, qerr := s.a.deliver(ctx, &s.tx, s.trace(), newHopCounter(r, s.a.maxReceived()))
	for _, err := range localErrs {
		if err != nil {
			return err
		}
	}
	return qerr
}

// lmtpData is Data with one status per recipient (RFC 2033 4.2).
func (s *session) lmtpData(ctx context.Context, r io.Reader, st smtp.StatusCollector) error {
	localErrs, qerr := s.a.deliver(ctx, &s.tx, s.trace(), newHopCounter(r, s.a.maxReceived()))
	for _, rc := range s.tx.rcpts {
		var err error
		for _, i := range rc.local {
			if err = localErrs[i]; err != nil {
				break
			}
		}
		if err == nil && len(rc.remote) > 0 {
			err = qerr
		}
		st.SetStatus(rc.addr, err)
	}
	return nil
}

// trace returns the Received field for the current transaction.
func (s *session) trace() []byte {
	f := receivedFieldInfo{
		helo:     s.c.Hostname(),
		addr:     remoteIP(s.c.RemoteAddr()),
		by:       s.a.hostname(),
		protocol: s.protocol(),
		id:       newID(),
		date:     time.Now(),
	}
	if len(s.tx.rcpts) == 1 {
		f.rcpt = s.tx.rcpts[0].addr
	}
	tags := s.tagFields()
	return append(appendReceived(make([]byte, 0, 256+len(tags)), &f), tags...)
}

func (s *session) protocol() string {
	_, tls := s.c.TLS()
	lmtp := s.c.Server() != nil && s.c.Server().LMTP
	return withProtocol(s.c.Extended(), lmtp, s.tx.opts.UTF8, tls, s.c.AuthIdentity() != "")
}

func (s *session) Reset(ctx context.Context) { s.tx = transaction{} }

func (s *session) Logout(ctx context.Context) error { return nil }

// verify answers VRFY: the mailbox of a local user or alias.
func (s *session) verify(ctx context.Context, name string) (string, error) {
	a := s.a
	local, domain := splitAddress(name)
	if domain != "" && !a.isLocalDomain(domain) {
		return "", errUserNotLocal
	}
	if domain == "" {
		domain = a.primaryDomain()
	}
	addr := local + "@" + domain
	for _, f := range a.addressForms(addr) {
		if _, _, ok := a.lookupAlias(f); ok {
			return addr, nil
		}
		fl, _ := splitAddress(f)
		user, ok, err := a.lookupAccount(ctx, fl, domain)
		if err != nil {
			return "", err
		}
		if ok {
			return a.mailboxAddress(user, domain), nil
		}
	}
	if _, _, ok := a.matchAlias(addr); ok || strings.EqualFold(local, "postmaster") {
		return addr, nil
	}
	return "", errNoSuchUser
}

// expand answers EXPN: the final targets of an alias.
func (s *session) expand(ctx context.Context, list string) ([]string, error) {
	a := s.a
	local, domain := splitAddress(list)
	if domain != "" && !a.isLocalDomain(domain) {
		return nil, errUserNotLocal
	}
	addr := list
	if domain == "" {
		addr = local + "@" + a.primaryDomain()
	}
	if _, _, ok := a.lookupAlias(addr); !ok {
		return nil, errNoSuchList
	}
	e := expansion{a: a}
	if err := e.walk(ctx, addr, 0); err != nil {
		return nil, err
	}
	var members []string
	for _, l := range e.locals {
		members = append(members, l.addr)
	}
	return append(members, e.remotes...), nil
}

// The session types by capability: the server advertises VRFY, EXPN and
// LMTP per-recipient replies from the interfaces a session implements.
type (
	lmtpSession       struct{ *session }
	verifySession     struct{ *session }
	lmtpVerifySession struct{ *session }
)

// LMTPData implements smtp.LMTPSession.
func (s lmtpSession) LMTPData(ctx context.Context, r io.Reader, st smtp.StatusCollector) error {
	return s.lmtpData(ctx, r, st)
}

// Verify implements smtp.Verifier.
func (s verifySession) Verify(ctx context.Context, name string) (string, error) {
	return s.verify(ctx, name)
}

// Expand implements smtp.Expander.
func (s verifySession) Expand(ctx context.Context, list string) ([]string, error) {
	return s.expand(ctx, list)
}

// LMTPData implements smtp.LMTPSession.
func (s lmtpVerifySession) LMTPData(ctx context.Context, r io.Reader, st smtp.StatusCollector) error {
	return s.lmtpData(ctx, r, st)
}

// Verify implements smtp.Verifier.
func (s lmtpVerifySession) Verify(ctx context.Context, name string) (string, error) {
	return s.verify(ctx, name)
}

// Expand implements smtp.Expander.
func (s lmtpVerifySession) Expand(ctx context.Context, list string) ([]string, error) {
	return s.expand(ctx, list)
}

// newID returns a short random identifier for Received fields and logs.
func newID() string {
	return strconv.FormatUint(rand.Uint64()>>4, 36)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
