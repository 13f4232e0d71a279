package queue

import (
	"cmp"
	"context"
	"io"
	"log/slog"
	"os"
	"time"
)

// Defaults for the zero Options: the classic sendmail schedule.
const (
	DefaultRetryInterval    = 15 * time.Minute
	DefaultMaxRetryInterval = 4 * time.Hour
	DefaultDelayWarning     = 4 * time.Hour
	DefaultMaxAge           = 5 * 24 * time.Hour
	DefaultMaxConcurrency   = 100
	DefaultMaxPerDomain     = 10
	DefaultAttemptTimeout   = 15 * time.Minute
	DefaultReturnLimit      = 256 << 10
)

// Options configure a Queue. The zero value is usable: the sendmail
// schedule (retry every 15 minutes, warn after 4 hours, give
// up after 5 days), DSNs enqueued into the queue itself.
type Options struct {
	// Deliverer makes the delivery attempts. If nil, no attempt is made
	// (messages are stored and listed; expiry and DSNs still follow the
	// schedule).
	Deliverer Deliverer

	// Hostname names this MTA in DSNs (Reporting-MTA: dns; Hostname, RFC
	// 3464 2.2.2). Default: os.Hostname().
	Hostname string
	// Postmaster is the From: address of DSNs. Default:
	// "postmaster@" + Hostname.
	Postmaster string

	// RetryInterval is the wait after a temporary failure. Default 15m.
	RetryInterval time.Duration
	// BackoffFactor > 1 makes the wait grow exponentially: after the n-th
	// failed attempt it is RetryInterval * BackoffFactor^(n-1), at most
	// MaxRetryInterval. Default 0: a fixed RetryInterval.
	BackoffFactor float64
	// MaxRetryInterval caps the exponential wait. Default 4h.
	MaxRetryInterval time.Duration
	// DelayWarning is how long after arrival a recipient still undelivered
	// gets one delay DSN (if its NOTIFY asks for DELAY, as the default
	// does). Default 4h; negative disables delay warnings.
	DelayWarning time.Duration
	// MaxAge is how long a message is retried before its remaining
	// recipients are given up and bounced. Default 5 days.
	MaxAge time.Duration

	// MaxConcurrency limits the attempts in flight. Default 100.
	MaxConcurrency int
	// MaxPerDomain limits the attempts in flight to one destination
	// domain. Default 10.
	MaxPerDomain int
	// AttemptTimeout bounds one Deliver call (through its context).
	// Default 15m.
	AttemptTimeout time.Duration
	// DomainRate, if set, paces the attempts at each destination domain
	// (MaxPerDomain bounds those in flight, not how often they start): it
	// is asked, with the current time, before an attempt at domain
	// starts, and counts the attempt when it returns 0; a positive wait
	// postpones the domain's attempts that long, without a failure
	// counted against the message. mailbox/throttle.Outbound.Wait is one.
	DomainRate func(domain string, now time.Time) (wait time.Duration)

	// ReturnLimit is the largest message a failure DSN returns in full when
	// the sender gave no RET; a larger one is returned as headers only.
	// RET=FULL returns the full message and RET=HDRS the headers whatever
	// the size. Default 256 KiB.
	ReturnLimit int64
	// SendDSN, if set, is called to send each DSN (with the null sender,
	// to the original sender) instead of enqueueing it into this queue. It
	// returns an ID for events and logs. An error makes the queue try again
	// after RetryInterval. ctx is the queue's: it is cancelled when the
	// queue closes (Close, or Shutdown once its context is done), and
	// SendDSN should then return promptly.
	SendDSN func(ctx context.Context, env Envelope, msg io.Reader) (id string, err error)

	// OnEvent, if set, is called for every Event, from the queue's
	// goroutines, possibly concurrently. It must not block for long and
	// must not call Close or Shutdown. EventQueued is the first event of a
	// message; otherwise the order of events from concurrent attempts, and
	// across messages (a message and its DSN), is not defined.
	OnEvent func(Event)
	// Logger receives errors and notable events. Default slog.Default().
	Logger *slog.Logger

	// fs is the test seam for the store's writes; nil means the real one.
	fs fileSystem
}

// withDefaults returns o with the zero fields set to their defaults.
func (o Options) withDefaults() Options {
	if o.Hostname == "" {
		h, err := os.Hostname()
		if err != nil || h == "" {
			h = "localhost"
		}
		o.Hostname = h
	}
	o.Hostname = oneLine(o.Hostname, 255)
	o.Postmaster = cmp.Or(o.Postmaster, "postmaster@"+o.Hostname)
	if o.RetryInterval <= 0 {
		o.RetryInterval = DefaultRetryInterval
	}
	if o.MaxRetryInterval <= 0 {
		o.MaxRetryInterval = DefaultMaxRetryInterval
	}
	o.DelayWarning = cmp.Or(o.DelayWarning, DefaultDelayWarning)
	if o.MaxAge <= 0 {
		o.MaxAge = DefaultMaxAge
	}
	if o.MaxConcurrency <= 0 {
		o.MaxConcurrency = DefaultMaxConcurrency
	}
	if o.MaxPerDomain <= 0 {
		o.MaxPerDomain = DefaultMaxPerDomain
	}
	if o.AttemptTimeout <= 0 {
		o.AttemptTimeout = DefaultAttemptTimeout
	}
	if o.ReturnLimit <= 0 {
		o.ReturnLimit = DefaultReturnLimit
	}
	o.Logger = cmp.Or(o.Logger, slog.Default())
	o.fs = cmp.Or[fileSystem](o.fs, osFS{})
	return o
}
