package throttle

import (
	"context"
	"fmt"
	"net/netip"
	"sync"
	"time"
)

// Defaults of Sending, used for zero fields.
const (
	DefaultSendWindow        = time.Hour
	DefaultAccountMessages   = 500
	DefaultAccountRecipients = 2000
	DefaultIPMessages        = 1000
	DefaultIPRecipients      = 5000
)

// Sending limits how many messages and recipients one sender may submit
// per Window: an authenticated session counts against its account, any
// other against its source (an IPv4 address, an IPv6 /64), so that one
// stolen password, or one spamming host, cannot send without bound. Each
// sender has its own window, which starts at its first message and
// ends Window later; the next window starts afresh.
//
// The zero value is ready to use with the defaults; set the fields before
// first use. A Sending is safe for concurrent use.
type Sending struct {
	// AccountMessages and AccountRecipients are the messages and
	// recipients an account may send per Window (0: the defaults;
	// negative: no limit).
	AccountMessages, AccountRecipients int
	// IPMessages and IPRecipients are those of a source whose sessions
	// did not authenticate (0: the defaults; negative: no limit).
	IPMessages, IPRecipients int
	// Window is the length of a sender's window (0: DefaultSendWindow).
	Window time.Duration
	// IPv4PrefixLength and IPv6PrefixLength are how many leading bits of
	// an address make one source (0: 32 and 64).
	IPv4PrefixLength, IPv6PrefixLength int
	// MaxEntries bounds the senders counted at once (0:
	// DefaultMaxEntries).
	MaxEntries int
	// Now returns the current time; nil means time.Now. Tests set it.
	Now func() time.Time

	once    sync.Once
	mu      sync.Mutex
	keys    keys
	senders *table[sent]
}

// sent is a sender's count in its current window.
type sent struct {
	start      int64 // the window's start (UnixNano)
	messages   int
	recipients int
}

// sentWorth keeps the senders of current windows, the most recent first.
func (s *Sending) sentWorth(c sent, now int64) (keep, last int64) {
	if now-c.start >= int64(orDefault(s.Window, DefaultSendWindow)) {
		return 0, c.start
	}
	return 1, c.start
}

// LimitError is the error of a message or recipient over a limit.
type LimitError struct {
	// What is "messages" or "recipients".
	What string
	// Account is set when an authenticated account is over its limit,
	// rather than a client's network.
	Account bool
	// Retry is when the sender's next window starts.
	Retry time.Time
}

func (e *LimitError) Error() string {
	who := "your network"
	if e.Account {
		who = "your account"
	}
	return fmt.Sprintf("Too many %s from %s; try again after %s", e.What, who, e.Retry.UTC().Format("15:04 MST"))
}

// AllowMessage counts a new message (at MAIL FROM) from ip, or from
// account when the session authenticated, and refuses it with a
// *LimitError over the limit.
func (s *Sending) AllowMessage(ctx context.Context, ip netip.Addr, account string) error {
	return s.allow(ip, account, true)
}

// AllowRecipient counts a recipient (at RCPT TO) in the same way.
func (s *Sending) AllowRecipient(ctx context.Context, ip netip.Addr, account string) error {
	return s.allow(ip, account, false)
}

func (s *Sending) allow(ip netip.Addr, account string, message bool) error {
	s.once.Do(func() {
		s.keys = newKeys()
		s.senders = newTable(s.MaxEntries, s.sentWorth)
	})
	key, ok := s.keys.account(account)
	limit, what := s.limits(account != "", message)
	if !ok {
		if key, ok = s.keys.source(ip, s.IPv4PrefixLength, s.IPv6PrefixLength); !ok {
			return nil // a client without an address (a Unix socket) is local
		}
	}
	if limit < 0 {
		return nil
	}
	now := clock(s.Now).UnixNano()
	window := int64(orDefault(s.Window, DefaultSendWindow))
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.senders.m[key]
	if now-c.start >= window {
		c = sent{start: now}
	}
	n := &c.recipients
	if message {
		n = &c.messages
	}
	if *n >= limit {
		return &LimitError{What: what, Account: account != "", Retry: time.Unix(0, c.start+window)}
	}
	*n++
	s.senders.put(key, c, now)
	return nil
}

// limits returns the limit that applies (negative: none) and what it
// counts.
func (s *Sending) limits(account, message bool) (int, string) {
	pick := func(v, def int) int {
		if v == 0 {
			return def
		}
		return v
	}
	switch {
	case account && message:
		return pick(s.AccountMessages, DefaultAccountMessages), "messages"
	case account:
		return pick(s.AccountRecipients, DefaultAccountRecipients), "recipients"
	case message:
		return pick(s.IPMessages, DefaultIPMessages), "messages"
	}
	return pick(s.IPRecipients, DefaultIPRecipients), "recipients"
}
