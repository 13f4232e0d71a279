package delivery

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mailwright/mailwright/queue"
	"github.com/mailwright/mailwright/smtp"
)

// Defaults of Remote.
const (
	DefaultPort        = 25
	DefaultDialTimeout = 30 * time.Second
	DefaultIdleTimeout = 5 * time.Second
	DefaultMaxIdle     = 10 // per host: queue.DefaultMaxPerDomain connections stay warm
	DefaultMaxReuse    = 1000
)

// Dialer makes network connections; *net.Dialer is one.
type Dialer interface {
	DialContext(ctx context.Context, network, address string) (net.Conn, error)
}

// Remote delivers queued mail to other domains over SMTP: it is the
// queue.Deliverer of an MTA. For each attempt it looks up the domain's MX
// hosts with DNS (github.com/miekg/dns), tries them in order of
// preference, switches to TLS with STARTTLS when offered, and sends with
// smtp.Client (pipelined when the server allows). DNS answers are cached
// for their TTL (at most an hour). Connections are kept for a few seconds
// and reused for further messages to the same host.
//
// TLS is opportunistic by default, as between MTAs: certificates are not
// verified (most MX certificates would fail, and refusing them would only
// push the mail to plain text), and a failed handshake falls back to plain
// text. RequireTLS and VerifyTLS make it strict.
//
// The zero value is usable; set the fields before the first delivery.
// Close releases the idle connections.
type Remote struct {
	// LocalName is sent with EHLO. Default: os.Hostname().
	LocalName string
	// Port is the SMTP port of the MX hosts. Default 25.
	Port int
	// DNSServer is the DNS server to ask ("host:port"). Default: the
	// nameservers of /etc/resolv.conf.
	DNSServer string
	// DNSTimeout bounds each DNS exchange. Default 5s.
	DNSTimeout time.Duration
	// Dialer makes the connections. Default: a net.Dialer with
	// DialTimeout.
	Dialer Dialer
	// DialTimeout bounds connecting to one address. Default 30s.
	DialTimeout time.Duration
	// CommandTimeout and SubmissionTimeout are those of smtp.Client.
	CommandTimeout    time.Duration
	SubmissionTimeout time.Duration

	// TLSConfig is the base of the STARTTLS configuration (client
	// certificate, root CAs, versions); ServerName is set per host.
	TLSConfig *tls.Config
	// RequireTLS refuses to send over a connection without TLS: such hosts
	// are skipped, and the delivery is deferred if none has TLS.
	RequireTLS bool
	// VerifyTLS verifies the certificate of each MX host against its name.
	VerifyTLS bool
	// DisableTLS never uses STARTTLS.
	DisableTLS bool

	// MaxIdle is the number of idle connections kept per host. Default
	// 10; negative disables reuse.
	MaxIdle int
	// IdleTimeout is how long an idle connection is kept. Default 5s.
	IdleTimeout time.Duration
	// MaxReuse is the number of messages sent over one connection before
	// it is closed. Default 1000.
	MaxReuse int

	// Logger receives connection problems. Default slog.Default().
	Logger *slog.Logger

	resolvOnce    sync.Once
	resolvServers []string
	resolvErr     error
	dnsMu         sync.Mutex
	dnsCache      map[dnsKey]dnsEntry

	mu      sync.Mutex
	idle    map[string][]*pooledClient // by "host address"
	nidle   int
	janitor *time.Timer
	closed  bool
}

// pooledClient is a connection kept between deliveries.
type pooledClient struct {
	c     *smtp.Client
	host  string
	since time.Time // idle since
	uses  int       // transactions sent
}

// quitTimeout bounds the QUIT of a connection we are done with: a server
// that does not answer it promptly is simply disconnected.
const quitTimeout = 5 * time.Second

// quit ends the connection politely (RFC 5321 4.1.1.10).
func (pc *pooledClient) quit() {
	ctx, cancel := context.WithTimeout(context.Background(), quitTimeout)
	defer cancel()
	pc.c.Quit(ctx)
}

var _ queue.Deliverer = (*Remote)(nil)

// Deliver implements queue.Deliverer: it delivers d to its domain and
// returns one result per recipient, or one for all when no host took the
// message. Connection failures move on to the next host (temporary); 4xx
// and 5xx replies are per recipient, temporary and permanent.
func (r *Remote) Deliver(ctx context.Context, d *queue.Delivery) []queue.Result {
	hosts, implicit, res := r.route(ctx, d.Domain)
	if res != nil {
		return []queue.Result{*res}
	}
	last := queue.TempFail(0, "4.4.1", "no MX host of "+d.Domain+" could be reached", "")
	for _, host := range hosts {
		addrs, err := r.resolveHost(ctx, host)
		if err != nil {
			if implicit && !isTemporaryDNS(err) {
				// RFC 5321 5.1: no MX and no address: not a mail domain.
				return []queue.Result{queue.PermFail(0, "5.1.2", "domain "+d.Domain+" has no MX and no address", "")}
			}
			last = queue.TempFail(0, "4.4.3", "address lookup for "+host+": "+err.Error(), "")
			continue
		}
		for _, ip := range addrs {
			results, res, done := r.deliverTo(ctx, host, ip, d)
			if done {
				return results
			}
			last = res
			if ctx.Err() != nil {
				return []queue.Result{queue.TempFail(0, "4.4.7", "delivery interrupted: "+ctx.Err().Error(), "")}
			}
		}
	}
	return []queue.Result{last}
}

func isTemporaryDNS(err error) bool {
	return !errors.Is(err, errDNSNotFound) && !errors.Is(err, errNoAddress)
}

// deliverTo sends d to one address of host. done is false when the
// connection could not be set up, with res saying why; then the next
// address is tried.
func (r *Remote) deliverTo(ctx context.Context, host string, ip netip.Addr, d *queue.Delivery) (results []queue.Result, res queue.Result, done bool) {
	key := host + " " + ip.String()
	pooled := true
	for {
		pc, fresh, res := r.get(ctx, key, host, ip, pooled)
		if pc == nil {
			return nil, res, false
		}
		// ctx bounds the transaction: the Client's call in progress
		// returns when it ends, and the connection is then unusable.
		results, reuse, closed := r.send(ctx, pc, d)
		alive := ctx.Err() == nil
		if closed && !fresh && alive {
			// A kept connection that the server had closed meanwhile
			// (often with a 421 for its idle timeout): no recipient took
			// the message, so go again on a new connection.
			pc.c.Close()
			pooled = false
			continue
		}
		if reuse && alive {
			r.put(key, pc)
		} else {
			pc.c.Close()
		}
		return results, queue.Result{}, true
	}
}

// send runs one transaction on pc. reuse says whether the connection can
// serve another; closed that the connection turned out to be closed
// before any recipient took the message (a broken connection or a 421).
func (r *Remote) send(ctx context.Context, pc *pooledClient, d *queue.Delivery) (results []queue.Result, reuse, closed bool) {
	c, host := pc.c, pc.host
	if max, ok := c.MaxMessageSize(); ok && d.Size > max {
		// RFC 1870 6: do not send what the server said it would refuse.
		msg := fmt.Sprintf("message of %d bytes exceeds the fixed maximum message size of %d bytes of %s", d.Size, max, host)
		return []queue.Result{queue.PermFail(552, "5.3.4", msg, host)}, true, false
	}
	opts := &smtp.MailOptions{
		Body:       smtp.BodyType(d.BodyType),
		Size:       d.Size,
		UTF8:       d.UTF8,
		Return:     smtp.DSNReturn(d.Return),
		EnvelopeID: d.EnvelopeID,
	}
	if opts.Body == smtp.Body8BitMIME {
		if ok, _ := c.Extension("8BITMIME"); !ok {
			// RFC 6152 3 would have us convert to 7 bits; like most MTAs
			// we send as is, which servers without 8BITMIME take.
			opts.Body = ""
		}
	}
	rcpts := make([]smtp.Recipient, len(d.Recipients))
	for i, rc := range d.Recipients {
		var ro *smtp.RcptOptions
		if len(rc.Notify) > 0 || rc.OriginalRecipient != "" {
			ro = &smtp.RcptOptions{OriginalRecipientType: rc.OriginalRecipientType, OriginalRecipient: rc.OriginalRecipient}
			for _, n := range rc.Notify {
				ro.Notify = append(ro.Notify, smtp.DSNNotify(n))
			}
		}
		rcpts[i] = smtp.Recipient{Address: rc.Address, Options: ro}
	}
	body, err := d.Open()
	if err != nil {
		return tempAll("4.3.0", "opening the queued message: "+err.Error(), ""), true, false
	}
	defer body.Close()
	pc.uses++
	sent, err := c.Send(ctx, d.From, opts, rcpts, body)
	var missing *smtp.MissingExtensionError
	if errors.As(err, &missing) {
		switch missing.Extension {
		case "SMTPUTF8":
			// RFC 6531 3.2: no downgrade; the message cannot go there.
			return permAll(553, "5.6.7", host+" does not support SMTPUTF8, which the message needs", host), true, false
		default:
			return permAll(554, "5.6.3", host+" does not support "+missing.Extension+", which the message needs", host), true, false
		}
	}
	if sent == nil {
		return tempAll("4.4.2", "sending to "+host+": "+errText(err), host), false, false
	}
	results = make([]queue.Result, len(sent))
	accepted := false
	for i, s := range sent {
		results[i] = resultOf(s, host)
		accepted = accepted || s.Err == nil
	}
	var se *smtp.Error
	isErr := errors.As(err, &se)
	reuse = err == nil || (isErr && se.Code != 421)
	return results, reuse, err != nil && !reuse && !accepted
}

// resultOf turns the Client's verdict for one recipient into a queue
// Result: 2xx delivered, 4xx temporary, 5xx permanent, no reply (a broken
// connection) temporary.
func resultOf(s smtp.RecipientResult, host string) queue.Result {
	var se *smtp.Error
	switch {
	case s.Err == nil:
		code, enh, text := parseReply(s.Reply)
		return queue.Delivered(code, enh, text, host)
	case errors.As(s.Err, &se):
		if se.Temporary() {
			return queue.TempFail(se.Code, se.EnhancedCode.String(), se.Message, host)
		}
		return queue.PermFail(se.Code, se.EnhancedCode.String(), se.Message, host)
	}
	return queue.TempFail(0, "4.4.2", "connection to "+host+" failed: "+s.Err.Error(), host)
}

// parseReply splits a one-line reply "250 2.0.0 Ok: queued" into its code,
// enhanced code and text.
func parseReply(reply string) (int, string, string) {
	code, rest, _ := strings.Cut(reply, " ")
	n, err := strconv.Atoi(code)
	if err != nil {
		return 0, "", reply
	}
	if enh, text, _ := strings.Cut(rest, " "); len(enh) >= 5 && enh[1] == '.' && enh[0] == code[0] {
		return n, enh, text
	}
	return n, "", rest
}

func errText(err error) string {
	if err == nil {
		return "no result"
	}
	return err.Error()
}

func tempAll(enh, msg, host string) []queue.Result {
	return []queue.Result{queue.TempFail(0, enh, msg, host)}
}

func permAll(code int, enh, msg, host string) []queue.Result {
	return []queue.Result{queue.PermFail(code, enh, msg, host)}
}

// get returns a kept connection to key (if pooled), or a new one. fresh
// is true for a new connection. On failure it returns nil and the temporary Result.
func (r *Remote) get(ctx context.Context, key, host string, ip netip.Addr, pooled bool) (pc *pooledClient, fresh bool, res queue.Result) {
	if pooled {
		if pc := r.take(ctx, key); pc != nil {
			return pc, false, queue.Result{}
		}
	}
	c, err := r.connect(ctx, host, ip, !r.DisableTLS)
	var tlsErr *tlsFailure
	if errors.As(err, &tlsErr) && !r.RequireTLS {
		// Opportunistic TLS: a failed handshake is no reason to defer.
		r.logger().Info("delivery: STARTTLS failed, retrying in plain text", "host", host, "addr", ip, "err", tlsErr.err)
		c, err = r.connect(ctx, host, ip, false)
	}
	if err != nil {
		r.logger().Info("delivery: cannot use MX host", "host", host, "addr", ip, "err", err)
		var se *smtp.Error
		if errors.As(err, &se) {
			return nil, true, queue.TempFail(se.Code, se.EnhancedCode.String(), host+": "+se.Message, host)
		}
		enh := "4.4.1"
		if tlsErr != nil || errors.Is(err, errNoTLS) {
			enh = "4.7.5"
		}
		return nil, true, queue.TempFail(0, enh, "connecting to "+host+" ["+ip.String()+"]: "+err.Error(), "")
	}
	return &pooledClient{c: c, host: host}, true, queue.Result{}
}

// tlsFailure is a STARTTLS handshake that failed, which breaks the
// connection.
type tlsFailure struct{ err error }

func (e *tlsFailure) Error() string { return "STARTTLS: " + e.err.Error() }

var errNoTLS = errors.New("server does not offer STARTTLS, and TLS is required")

// connect dials ip, reads the greeting, says EHLO and, if useTLS and the
// server offers it, switches to TLS. ctx bounds the whole setup.
func (r *Remote) connect(ctx context.Context, host string, ip netip.Addr, useTLS bool) (*smtp.Client, error) {
	port := cmp.Or(r.Port, DefaultPort)
	dialer := r.Dialer
	if dialer == nil {
		dialer = &net.Dialer{Timeout: cmp.Or(r.DialTimeout, DefaultDialTimeout)}
	}
	conn, err := dialer.DialContext(ctx, "tcp", net.JoinHostPort(ip.String(), strconv.Itoa(port)))
	if err != nil {
		return nil, err
	}
	c, err := smtp.NewClient(ctx, conn)
	if err != nil {
		return nil, err // NewClient closed conn
	}
	c.LocalName = r.localName()
	c.CommandTimeout = r.CommandTimeout
	c.SubmissionTimeout = r.SubmissionTimeout
	fail := func(err error) (*smtp.Client, error) {
		c.Close()
		return nil, err
	}
	if err := c.Hello(ctx, ""); err != nil {
		return fail(err)
	}
	if ok, _ := c.Extension("STARTTLS"); ok && useTLS {
		cfg := r.tlsConfig(host)
		if err := c.StartTLS(ctx, cfg); err != nil {
			var se *smtp.Error
			if !errors.As(err, &se) {
				return fail(&tlsFailure{err})
			}
			// Refused (454): the session goes on in plain text.
			r.logger().Info("delivery: STARTTLS refused", "host", host, "err", err)
		}
	}
	if _, ok := c.TLSConnectionState(); !ok && r.RequireTLS {
		c.Quit(ctx)
		return nil, errNoTLS
	}
	return c, nil
}

func (r *Remote) tlsConfig(host string) *tls.Config {
	var cfg *tls.Config
	if r.TLSConfig != nil {
		cfg = r.TLSConfig.Clone()
	} else {
		cfg = &tls.Config{}
	}
	cfg.ServerName = host
	if !r.VerifyTLS {
		// Opportunistic TLS (RFC 7435): encrypt, do not authenticate.
		cfg.InsecureSkipVerify = true
	}
	return cfg
}

func (r *Remote) localName() string {
	if r.LocalName != "" {
		return r.LocalName
	}
	if h, err := os.Hostname(); err == nil && h != "" {
		return h
	}
	return "localhost"
}

func (r *Remote) logger() *slog.Logger { return cmp.Or(r.Logger, slog.Default()) }

// take pops the most recently used idle connection to key that is still
// young enough. A connection idle for more than a second is checked with
// NOOP first, within ctx.
func (r *Remote) take(ctx context.Context, key string) *pooledClient {
	for {
		r.mu.Lock()
		list := r.idle[key]
		if len(list) == 0 {
			r.mu.Unlock()
			return nil
		}
		pc := list[len(list)-1]
		r.idle[key] = list[:len(list)-1]
		r.nidle--
		r.mu.Unlock()
		idle := time.Since(pc.since)
		if idle > cmp.Or(r.IdleTimeout, DefaultIdleTimeout) {
			pc.quit()
			continue
		}
		if idle > time.Second && pc.c.Noop(ctx) != nil {
			pc.c.Close()
			continue
		}
		return pc
	}
}

// put keeps pc for reuse, or closes it when the pool for its host is full
// or it has served MaxReuse messages.
func (r *Remote) put(key string, pc *pooledClient) {
	maxIdle := cmp.Or(r.MaxIdle, DefaultMaxIdle)
	r.mu.Lock()
	if r.closed || maxIdle < 0 || len(r.idle[key]) >= maxIdle || pc.uses >= cmp.Or(r.MaxReuse, DefaultMaxReuse) {
		r.mu.Unlock()
		pc.quit()
		return
	}
	if r.idle == nil {
		r.idle = make(map[string][]*pooledClient)
	}
	pc.since = time.Now()
	r.idle[key] = append(r.idle[key], pc)
	r.nidle++
	if r.janitor == nil {
		r.janitor = time.AfterFunc(cmp.Or(r.IdleTimeout, DefaultIdleTimeout), r.sweep)
	}
	r.mu.Unlock()
}

// sweep closes the connections idle for longer than IdleTimeout, and runs
// again while any are left.
func (r *Remote) sweep() {
	timeout := cmp.Or(r.IdleTimeout, DefaultIdleTimeout)
	var expired []*pooledClient
	r.mu.Lock()
	now := time.Now()
	for key, list := range r.idle {
		kept := list[:0]
		for _, pc := range list {
			if now.Sub(pc.since) >= timeout {
				expired = append(expired, pc)
			} else {
				kept = append(kept, pc)
			}
		}
		r.nidle -= len(list) - len(kept)
		if len(kept) == 0 {
			delete(r.idle, key)
		} else {
			r.idle[key] = kept
		}
	}
	r.janitor = nil
	if r.nidle > 0 && !r.closed {
		r.janitor = time.AfterFunc(timeout/2, r.sweep)
	}
	r.mu.Unlock()
	for _, pc := range expired {
		pc.quit()
	}
}

// Close ends the idle connections with QUIT. Deliveries in progress finish
// normally, but their connections are then closed instead of kept.
func (r *Remote) Close() error {
	r.mu.Lock()
	r.closed = true
	idle := r.idle
	r.idle, r.nidle = nil, 0
	if r.janitor != nil {
		r.janitor.Stop()
		r.janitor = nil
	}
	r.mu.Unlock()
	var wg sync.WaitGroup
	for _, list := range idle {
		for _, pc := range list {
			wg.Go(pc.quit)
		}
	}
	wg.Wait()
	return nil
}

var _ io.Closer = (*Remote)(nil)
