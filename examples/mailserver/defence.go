package main

import (
	"flag"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/mailwright/mailwright/delivery/dnsbl"
	"github.com/mailwright/mailwright/delivery/spf"
	"github.com/mailwright/mailwright/imap"
	"github.com/mailwright/mailwright/mailbox/throttle"
	"github.com/mailwright/mailwright/pop3"
	"github.com/mailwright/mailwright/smtp"
)

// defenceConfig is what the flags say about defending the open ports:
// connection caps, login throttling, sending limits, DNSBLs and the
// outbound pace.
type defenceConfig struct {
	connsPerIP             int
	ipv4Prefix, ipv6Prefix int
	loginFailures          int
	loginBlock, loginDelay time.Duration
	accountMessages        int
	accountRecipients      int
	ipMessages             int
	ipRecipients           int
	sendWindow             time.Duration
	dnsbl                  []dnsbl.Zone
	dnsblTimeout           time.Duration
	domainRate             int
}

// imapPOP3ConnsPerIP is the per-address cap of IMAP and POP3 when
// -max-conns-per-ip is 0: mail clients open several connections each, and
// an office's clients share one address behind NAT.
const imapPOP3ConnsPerIP = 256

// defenceFlags defines the flags on fs; the returned function finishes
// reading them after parsing (it exits on a bad -dnsbl, as the other
// flags that need parsing do).
func defenceFlags(fs *flag.FlagSet, c *defenceConfig) func() {
	fs.IntVar(&c.connsPerIP, "max-conns-per-ip", 0, fmt.Sprintf("concurrent connections per client address (an IPv6 /64 counts as one) to each listener; 0: %d for SMTP, %d for IMAP and POP3; negative: no cap", smtp.DefaultMaxConnectionsPerIP, imapPOP3ConnsPerIP))
	fs.IntVar(&c.ipv4Prefix, "ipv4-prefix", 32, "leading bits of an IPv4 address that make one client, for the connection caps and the login and sending limits")
	fs.IntVar(&c.ipv6Prefix, "ipv6-prefix", 64, "leading bits of an IPv6 address that make one client, for the connection caps and the login and sending limits")
	fs.IntVar(&c.loginFailures, "login-max-failures", throttle.DefaultMaxFailures, "failed logins (SMTP AUTH, IMAP and POP3 together) after which a client address is blocked; negative: never blocked")
	fs.DurationVar(&c.loginBlock, "login-block", throttle.DefaultBlockFor, "how long a client address (or an account guessed at from many) stays blocked")
	fs.DurationVar(&c.loginDelay, "login-delay", throttle.DefaultDelay, "wait before answering a failed login, doubled at each further failure up to 8s; negative: none")
	fs.IntVar(&c.accountMessages, "account-messages", 500, "messages an authenticated account may send per -send-window; negative: no limit")
	fs.IntVar(&c.accountRecipients, "account-recipients", 2000, "recipients an authenticated account may send to per -send-window; negative: no limit")
	fs.IntVar(&c.ipMessages, "ip-messages", 1000, "messages a client address that did not authenticate (other servers) may send per -send-window; negative: no limit")
	fs.IntVar(&c.ipRecipients, "ip-recipients", 5000, "recipients such a client may send to per -send-window; negative: no limit")
	fs.DurationVar(&c.sendWindow, "send-window", time.Hour, "the period of the sending limits")
	zones := fs.String("dnsbl", "", "DNS blocklists for clients of the SMTP (MX) port, comma separated: zone[=codes][:reject|tag|log], e.g. zen.spamhaus.org,bl.spamcop.net:tag (lists answer only resolvers they allow: use -resolver)")
	fs.DurationVar(&c.dnsblTimeout, "dnsbl-timeout", dnsbl.DefaultTimeout, "how long a client's DNSBL lookups may take before it is taken as not listed")
	fs.IntVar(&c.domainRate, "domain-rate", throttle.DefaultOutboundPerDomain, "outbound delivery attempts per minute to one destination domain; negative: no limit")
	return func() {
		for _, s := range splitList(*zones) {
			z, err := dnsbl.ParseZone(s)
			if err != nil {
				fmt.Fprintf(os.Stderr, "mailserver: -dnsbl: %v\n", err)
				os.Exit(2)
			}
			c.dnsbl = append(c.dnsbl, z)
		}
	}
}

// defence holds the limits that the servers share: one login throttle for
// SMTP AUTH, IMAP and POP3, one sending limit for every SMTP port.
type defence struct {
	cfg      *defenceConfig
	logins   *throttle.Logins
	sending  *throttle.Sending
	outbound *throttle.Outbound
	dnsbl    *dnsbl.Checker // nil without -dnsbl
}

func newDefence(c *defenceConfig, resolver string, logger *slog.Logger) *defence {
	d := &defence{
		cfg: c,
		logins: &throttle.Logins{MaxFailures: c.loginFailures, BlockFor: c.loginBlock, Delay: c.loginDelay,
			IPv4PrefixLength: c.ipv4Prefix, IPv6PrefixLength: c.ipv6Prefix},
		sending: &throttle.Sending{AccountMessages: c.accountMessages, AccountRecipients: c.accountRecipients,
			IPMessages: c.ipMessages, IPRecipients: c.ipRecipients, Window: c.sendWindow,
			IPv4PrefixLength: c.ipv4Prefix, IPv6PrefixLength: c.ipv6Prefix},
		outbound: &throttle.Outbound{PerDomain: c.domainRate, Interval: time.Minute},
	}
	if len(c.dnsbl) > 0 {
		d.dnsbl = &dnsbl.Checker{Zones: c.dnsbl, Resolver: &spf.DNS{Server: resolver}, Timeout: c.dnsblTimeout, Logger: logger}
	}
	return d
}

// connsPerIP is the per-address cap of a listener whose default is def.
func (d *defence) connsPerIP(def int) int {
	if d.cfg.connsPerIP != 0 {
		return d.cfg.connsPerIP
	}
	return def
}

func (d *defence) smtp(s *smtp.Server) {
	s.MaxConnectionsPerIP = d.connsPerIP(0)
	s.IPv4PrefixLength, s.IPv6PrefixLength = d.cfg.ipv4Prefix, d.cfg.ipv6Prefix
	s.LoginLimiter = d.logins
}

func (d *defence) imap(s *imap.Server) {
	s.MaxConnectionsPerIP = d.connsPerIP(imapPOP3ConnsPerIP)
	s.IPv4PrefixLength, s.IPv6PrefixLength = d.cfg.ipv4Prefix, d.cfg.ipv6Prefix
	s.LoginLimiter = d.logins
}

func (d *defence) pop3(s *pop3.Server) {
	s.MaxConnectionsPerIP = d.connsPerIP(imapPOP3ConnsPerIP)
	s.IPv4PrefixLength, s.IPv6PrefixLength = d.cfg.ipv4Prefix, d.cfg.ipv6Prefix
	s.LoginLimiter = d.logins
}
