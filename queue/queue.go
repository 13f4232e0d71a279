package queue

import (
	"container/heap"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
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

// Options configure a Queue. The zero value is usable: the system clock,
// the sendmail schedule (retry every 15 minutes, warn after 4 hours, give
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
	// after RetryInterval.
	SendDSN func(ctx context.Context, env Envelope, msg io.Reader) (id string, err error)

	// OnEvent, if set, is called for every Event, from the queue's
	// goroutines, possibly concurrently. It must not block for long and
	// must not call Close or Shutdown. EventQueued is the first event of a
	// message; otherwise the order of events from concurrent attempts, and
	// across messages (a message and its DSN), is not defined.
	OnEvent func(Event)
	// Logger receives errors and notable events. Default slog.Default().
	Logger *slog.Logger
	// Clock is the source of time. Default: the system clock.
	Clock Clock

	// fs is the test seam for the store's writes; nil means the real one.
	fs fileSystem
}

// Enqueuer is the part of a queue that producers need: the delivery agent
// depends on it rather than on *Queue, so that another queue (one shared by
// several front ends in a database, say) can take its place.
type Enqueuer interface {
	Enqueue(ctx context.Context, env Envelope, body io.Reader) (id string, err error)
}

var _ Enqueuer = (*Queue)(nil)

// Errors returned by the Queue.
var (
	ErrClosed   = errors.New("queue: closed")
	ErrNotFound = errors.New("queue: no such message")
)

// Queue is a durable outbound mail queue. It stores each message once, in
// a directory, schedules delivery attempts per recipient domain through
// Options.Deliverer, retries temporary failures, and sends delay warnings,
// bounces and success notices as RFC 3464 DSNs. All methods are safe for
// concurrent use.
type Queue struct {
	opts  Options
	store *store
	clock Clock
	log   *slog.Logger

	ctx    context.Context // cancelled by Close: attempts in flight stop
	cancel context.CancelFunc
	kickC  chan struct{}
	done   chan struct{} // closed to stop the scheduler
	loopWG sync.WaitGroup
	wg     sync.WaitGroup // attempts, processing, enqueues

	mu             sync.Mutex
	msgs           map[string]*entry
	timers         timerHeap
	ready          map[string][]string // domain -> IDs of messages due there, FIFO
	readyDomains   []string            // domains with ready jobs, round robin
	inflight       int
	domainInflight map[string]int
	busy           int  // goroutines working (attempts, processing)
	kicked         bool // a kick is pending for the scheduler
	sleeping       bool // the scheduler is waiting
	wakeAt         time.Time
	rateWake       time.Time // a wake-up set for a domain that DomainRate paces
	closing        bool
	corrupt        []CorruptMessage

	// Finished messages are marked done in the store by one goroutine,
	// in batches, off the delivery path.
	removeC  chan string
	removeWG sync.WaitGroup
	removing atomic.Int64 // finished messages not yet removed
}

// entry is the in-memory state of one queued message.
type entry struct {
	msg       *Message        // guarded by Queue.mu
	inflight  map[string]bool // domains with an attempt in flight
	queued    map[string]bool // domains waiting in Queue.ready
	wake      time.Time       // time of the pending timer, zero if none
	dirty     bool            // msg changed since it was last saved
	bounceNow bool            // Bounce was called: no more retries
	removed   bool
	// reportAt delays reporting after a failure to send a DSN; saveAt
	// delays saving after a failure to save.
	reportAt time.Time
	saveAt   time.Time

	// work serializes process and Remove for this message, so that state
	// files are written in order and never after removal.
	work sync.Mutex
}

// Open opens (creating it if needed) the queue stored in dir, loads every
// message in it and starts scheduling deliveries. Damaged records and
// envelopes that cannot be read are copied or moved into dir/corrupt/,
// logged, reported as EventCorrupt and listed by Corrupt; they are never
// deleted. Only one Queue may have a
// directory open at a time.
func Open(dir string, opts Options) (*Queue, error) {
	o := opts
	if o.Hostname == "" {
		h, err := os.Hostname()
		if err != nil || h == "" {
			h = "localhost"
		}
		o.Hostname = h
	}
	o.Hostname = oneLine(o.Hostname, 255)
	if o.Postmaster == "" {
		o.Postmaster = "postmaster@" + o.Hostname
	}
	if o.RetryInterval <= 0 {
		o.RetryInterval = DefaultRetryInterval
	}
	if o.MaxRetryInterval <= 0 {
		o.MaxRetryInterval = DefaultMaxRetryInterval
	}
	if o.DelayWarning == 0 {
		o.DelayWarning = DefaultDelayWarning
	}
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
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Clock == nil {
		o.Clock = systemClock{}
	}
	if o.fs == nil {
		o.fs = osFS{}
	}
	st, err := openStore(dir, o.fs)
	if err != nil {
		return nil, err
	}
	msgs, corrupt, err := st.load()
	if err != nil {
		st.close()
		return nil, err
	}
	q := &Queue{
		opts:           o,
		store:          st,
		clock:          o.Clock,
		log:            o.Logger,
		kickC:          make(chan struct{}, 1),
		done:           make(chan struct{}),
		msgs:           make(map[string]*entry, len(msgs)),
		ready:          make(map[string][]string),
		domainInflight: make(map[string]int),
		corrupt:        corrupt,
	}
	q.ctx, q.cancel = context.WithCancel(context.Background())
	now := q.clock.Now()
	for _, c := range corrupt {
		if c.Err == nil {
			continue
		}
		q.log.Error("queue: corrupt message set aside", "id", c.ID, "path", c.Path, "err", c.Err)
		q.emit(Event{Kind: EventCorrupt, Time: now, ID: c.ID, Err: c.Err})
	}
	q.mu.Lock()
	for _, m := range msgs {
		e := newEntry(m)
		q.msgs[m.ID] = e
		q.schedule(e, now)
	}
	q.mu.Unlock()
	q.removeC = make(chan string, 4096)
	q.removeWG.Add(1)
	go q.remover()
	q.loopWG.Add(1)
	go q.loop()
	return q, nil
}

// remover marks finished messages done in the store, in batches: one
// write of done marks per segment for all the messages finished since the
// last batch. A crash before it gets to one means that message is
// delivered again after restart: at least once, as documented.
func (q *Queue) remover() {
	defer q.removeWG.Done()
	for id := range q.removeC {
		n := int64(1)
		q.markDone(id)
	batch:
		for n < 4096 {
			select {
			case id, ok := <-q.removeC:
				if !ok {
					break batch
				}
				q.markDone(id)
				n++
			default:
				break batch
			}
		}
		if err := q.store.flushDone(); err != nil {
			q.log.Error("queue: recording finished messages", "err", err)
		}
		q.removing.Add(-n)
	}
}

func (q *Queue) markDone(id string) {
	if err := q.store.markDone(id); err != nil {
		q.log.Error("queue: removing finished message", "id", id, "err", err)
	}
}

func newEntry(m *Message) *entry {
	return &entry{msg: m, inflight: map[string]bool{}, queued: map[string]bool{}}
}

// Close stops the queue at once: attempts in flight have their context
// cancelled, and Close waits for them to return and for their results to
// be saved. Messages stay in the directory for the next Open.
func (q *Queue) Close() error { return q.shutdown(nil) }

// Shutdown stops starting attempts and waits for those in flight to
// finish, or for ctx to be done, whichever comes first; then it cancels
// what is left, as Close does, and returns ctx's error.
func (q *Queue) Shutdown(ctx context.Context) error { return q.shutdown(ctx) }

func (q *Queue) shutdown(ctx context.Context) error {
	q.mu.Lock()
	if q.closing {
		q.mu.Unlock()
		return ErrClosed
	}
	q.closing = true
	q.mu.Unlock()
	close(q.done)
	q.loopWG.Wait()
	idle := make(chan struct{})
	go func() { q.wg.Wait(); close(idle) }()
	var err error
	if ctx == nil {
		q.cancel()
		<-idle
	} else {
		select {
		case <-idle:
		case <-ctx.Done():
			err = ctx.Err()
			q.cancel()
			<-idle
		}
	}
	q.cancel()
	close(q.removeC)
	q.removeWG.Wait()
	q.store.close()
	return err
}

// Enqueue stores a message for delivery and returns its ID. It returns
// only when the message (envelope and body, one record in a segment file)
// is on disk, fdatasync'd, with the directory entry of its segment
// synced: from then on the message survives a crash. The body is streamed
// to disk, never held in memory. ctx bounds reading the body.
func (q *Queue) Enqueue(ctx context.Context, env Envelope, body io.Reader) (string, error) {
	return q.enqueue(ctx, env, body, false)
}

func (q *Queue) enqueue(ctx context.Context, env Envelope, body io.Reader, internal bool) (string, error) {
	if err := env.validate(); err != nil {
		return "", fmt.Errorf("queue: %w", err)
	}
	q.mu.Lock()
	if q.closing && !internal {
		q.mu.Unlock()
		return "", ErrClosed
	}
	if !internal {
		// Close waits for enqueues in flight before releasing the
		// directory. Internal ones (DSNs) run inside a tracked goroutine.
		q.wg.Add(1)
		defer q.wg.Done()
	}
	q.mu.Unlock()

	now := q.clock.Now()
	m := &Message{
		ID:         newID(now),
		From:       env.From,
		Return:     env.Return,
		EnvelopeID: env.EnvelopeID,
		UTF8:       env.UTF8,
		BodyType:   env.BodyType,
		Arrival:    now,
	}
	for _, r := range env.Recipients {
		m.Recipients = append(m.Recipients, RecipientStatus{Recipient: cloneRecipient(r), State: StatePending, NextAttempt: now})
	}
	if err := q.store.create(ctx, m, body); err != nil {
		return "", fmt.Errorf("queue: storing message: %w", err)
	}
	rcpts := make([]string, len(m.Recipients))
	for i, r := range m.Recipients {
		rcpts[i] = r.Address
	}
	// The event goes first, so that it precedes the message's other events.
	q.emit(Event{Kind: EventQueued, Time: now, ID: m.ID, From: m.From, Recipients: rcpts})
	e := newEntry(m)
	q.mu.Lock()
	q.msgs[m.ID] = e
	q.schedule(e, now)
	q.kicked = true
	q.mu.Unlock()
	q.signal()
	return m.ID, nil
}

// newID returns a unique message ID that sorts by time: 16 hex digits of
// nanoseconds and 8 random ones.
func newID(now time.Time) string {
	var r [4]byte
	rand.Read(r[:])
	return fmt.Sprintf("%016x-%s", uint64(now.UnixNano()), hex.EncodeToString(r[:]))
}

func (q *Queue) emit(ev Event) {
	if q.opts.OnEvent != nil {
		q.opts.OnEvent(ev)
	}
}

// kick wakes the scheduler.
func (q *Queue) kick() {
	q.mu.Lock()
	q.kicked = true
	q.mu.Unlock()
	q.signal()
}

// signal wakes the scheduler; the caller has set q.kicked under q.mu in
// the same critical section as its change of state, so that the queue is
// never seen idle with work that the scheduler has not looked at.
func (q *Queue) signal() {
	select {
	case q.kickC <- struct{}{}:
	default:
	}
}

// workDone ends the work of a tracked goroutine and wakes the scheduler.
func (q *Queue) workDone() {
	q.mu.Lock()
	q.busy--
	q.kicked = true
	q.mu.Unlock()
	q.signal()
}

// loop is the scheduler: it turns due timers into processing and ready
// jobs into attempts, within the concurrency limits.
func (q *Queue) loop() {
	defer q.loopWG.Done()
	for {
		q.mu.Lock()
		q.kicked = false
		now := q.clock.Now()
		for len(q.timers) > 0 && !q.timers[0].when.After(now) {
			t := heap.Pop(&q.timers).(timerItem)
			e := q.msgs[t.id]
			if e == nil || !e.wake.Equal(t.when) {
				continue // stale: the message is gone or was rescheduled
			}
			e.wake = time.Time{}
			q.spawnProcessLocked(e)
		}
		q.dispatchLocked()
		var tc <-chan time.Time
		var timer Timer
		q.wakeAt = time.Time{}
		if len(q.timers) > 0 {
			q.wakeAt = q.timers[0].when
			timer = q.clock.NewTimer(q.wakeAt.Sub(now))
			tc = timer.C()
		}
		q.sleeping = true
		q.mu.Unlock()
		select {
		case <-q.kickC:
		case <-tc:
		case <-q.done:
		}
		if timer != nil {
			timer.Stop()
		}
		q.mu.Lock()
		q.sleeping = false
		stop := q.closing
		q.mu.Unlock()
		if stop {
			return
		}
	}
}

// spawnProcessLocked runs process(e) in a tracked goroutine. q.mu is held.
func (q *Queue) spawnProcessLocked(e *entry) {
	if q.closing {
		return
	}
	q.busy++
	q.wg.Add(1)
	go func() {
		defer q.wg.Done()
		q.process(e)
		q.workDone()
	}()
}

// dispatchLocked starts attempts for ready jobs while the limits allow,
// taking domains in turn. q.mu is held.
func (q *Queue) dispatchLocked() {
	for {
		a := q.nextAttemptLocked()
		if a == nil {
			return
		}
		go q.attempt(a)
	}
}

// nextAttemptLocked takes the next ready job that the limits allow,
// taking domains in turn, and returns it as an attempt counted in flight
// for its caller to run, or nil. q.mu is held.
func (q *Queue) nextAttemptLocked() *attemptJob {
	if q.closing || q.opts.Deliverer == nil {
		return nil
	}
	for n := len(q.readyDomains); n > 0 && q.inflight < q.opts.MaxConcurrency; n-- {
		d := q.readyDomains[0]
		q.readyDomains = q.readyDomains[1:]
		if q.domainInflight[d] >= q.opts.MaxPerDomain || q.domainPacedLocked(d) {
			q.readyDomains = append(q.readyDomains, d)
			continue
		}
		ids := q.ready[d]
		id := ids[0]
		if len(ids) == 1 {
			delete(q.ready, d)
		} else {
			q.ready[d] = ids[1:]
			q.readyDomains = append(q.readyDomains, d)
		}
		if a := q.prepareAttemptLocked(id, d); a != nil {
			return a
		}
	}
	return nil
}

// attemptJob is an attempt for the recipients idx of message e at domain d.
type attemptJob struct {
	e   *entry
	d   string
	idx []int
	dl  *Delivery
}

// prepareAttemptLocked makes an attempt for the recipients of message id
// at domain d that are not final, and counts it in flight. q.mu is held.
func (q *Queue) prepareAttemptLocked(id, d string) *attemptJob {
	e := q.msgs[id]
	if e == nil {
		return nil
	}
	delete(e.queued, d)
	var idx []int
	for i, r := range e.msg.Recipients {
		if !r.State.Final() && r.Domain() == d {
			idx = append(idx, i)
		}
	}
	if len(idx) == 0 || e.inflight[d] {
		return nil
	}
	m := e.msg
	dl := &Delivery{
		ID:         m.ID,
		From:       m.From,
		Return:     m.Return,
		EnvelopeID: m.EnvelopeID,
		UTF8:       m.UTF8,
		BodyType:   m.BodyType,
		Domain:     d,
		Size:       m.Size,
	}
	for _, i := range idx {
		r := m.Recipients[i]
		dl.Recipients = append(dl.Recipients, cloneRecipient(r.Recipient))
		dl.Attempt = max(dl.Attempt, r.Attempts+1)
	}
	dl.open = func() (io.ReadCloser, error) { return q.store.openBody(id) }
	e.inflight[d] = true
	q.inflight++
	q.domainInflight[d]++
	q.busy++
	q.wg.Add(1)
	return &attemptJob{e: e, d: d, idx: idx, dl: dl}
}

// attempt runs one Deliver call and applies its results; then, while jobs
// are ready, it runs the next one itself: a goroutine that has delivered
// a message has the stack for the next, and the scheduler goroutine need
// not wake up between attempts while a backlog drains.
func (q *Queue) attempt(a *attemptJob) {
	for a != nil {
		a = q.attemptOne(a)
	}
}

func (q *Queue) attemptOne(a *attemptJob) (next *attemptJob) {
	defer q.wg.Done()
	e, d, idx, dl := a.e, a.d, a.idx, a.dl
	ctx, cancel := context.WithTimeout(q.ctx, q.opts.AttemptTimeout)
	results := q.callDeliver(ctx, dl)
	cancel()
	now := q.clock.Now()

	q.mu.Lock()
	q.inflight--
	if q.domainInflight[d]--; q.domainInflight[d] <= 0 {
		delete(q.domainInflight, d)
	}
	delete(e.inflight, d)
	var events []Event
	if !e.removed {
		events = q.applyLocked(e, idx, results, now, q.ctx.Err() != nil)
	}
	next = q.nextAttemptLocked()
	q.mu.Unlock()
	for _, ev := range events {
		q.emit(ev)
	}
	if next == nil {
		q.kick() // slots are free
	}
	q.process(e)
	q.workDone()
	return next
}

// callDeliver calls the Deliverer, turning a panic into a temporary
// failure of the whole attempt.
func (q *Queue) callDeliver(ctx context.Context, dl *Delivery) (res []Result) {
	defer func() {
		if p := recover(); p != nil {
			q.log.Error("queue: deliverer panicked", "id", dl.ID, "domain", dl.Domain, "panic", p)
			res = []Result{{Status: StatusTemporary, Message: "internal error in delivery"}}
		}
	}()
	return q.opts.Deliverer.Deliver(ctx, dl)
}

// applyLocked records the results of an attempt. closing is set when the
// attempt was cut short by Close: its temporary failures are then not
// counted, since the recipients were not really tried. q.mu is held.
func (q *Queue) applyLocked(e *entry, idx []int, results []Result, now time.Time, closing bool) []Event {
	m := e.msg
	expire := m.Arrival.Add(q.opts.MaxAge)
	type group struct {
		res   Result
		rcpts []string
		next  time.Time
	}
	var groups []*group
	for k, i := range idx {
		var res Result
		switch {
		case len(results) == len(idx):
			res = results[k]
		case len(results) == 1:
			res = results[0]
		default:
			res = Result{Status: StatusTemporary, Message: "no result from delivery"}
			if k == 0 {
				q.log.Error("queue: deliverer returned a wrong number of results", "id", m.ID, "want", len(idx), "got", len(results))
			}
		}
		res = res.normalize()
		r := &m.Recipients[i]
		if r.State.Final() {
			continue // bounced by Bounce or expired meanwhile
		}
		if closing && res.Status == StatusTemporary {
			continue
		}
		r.Attempts++
		r.LastAttempt = now
		rr := res
		r.Result = &rr
		switch res.Status {
		case StatusDelivered:
			r.State = StateDelivered
		case StatusPermanent:
			r.State = StateFailed
		default:
			if e.bounceNow || !now.Before(expire) {
				r.State = StateFailed
			} else {
				r.State = StateDeferred
				r.NextAttempt = now.Add(q.retryDelay(r.Attempts))
			}
		}
		e.dirty = true
		var g *group
		for _, x := range groups {
			if x.res == res {
				g = x
			}
		}
		if g == nil {
			g = &group{res: res}
			groups = append(groups, g)
		}
		g.rcpts = append(g.rcpts, r.Address)
		if r.State == StateDeferred {
			g.next = r.NextAttempt
		}
	}
	var events []Event
	for _, g := range groups {
		m.History = append(m.History, Attempt{Time: now, Recipients: g.rcpts, Result: g.res})
		switch g.res.Status {
		case StatusDelivered:
			events = append(events, Event{Kind: EventDelivered, Time: now, ID: m.ID, From: m.From, Recipients: g.rcpts, Result: g.res})
		case StatusTemporary:
			if !g.next.IsZero() {
				events = append(events, Event{Kind: EventDeferred, Time: now, ID: m.ID, From: m.From, Recipients: g.rcpts, Result: g.res, Next: g.next})
			}
		}
	}
	if len(m.History) > maxHistory {
		m.History = append(m.History[:0:0], m.History[len(m.History)-maxHistory:]...)
	}
	return events
}

// retryDelay is the wait after the n-th failed attempt.
func (q *Queue) retryDelay(n int) time.Duration {
	d := q.opts.RetryInterval
	if q.opts.BackoffFactor > 1 && n > 1 {
		f := float64(d) * math.Pow(q.opts.BackoffFactor, float64(n-1))
		if f >= float64(q.opts.MaxRetryInterval) || math.IsInf(f, 0) || math.IsNaN(f) {
			return q.opts.MaxRetryInterval
		}
		d = time.Duration(f)
	}
	return d
}

// process brings a message up to date: it expires recipients past MaxAge,
// sends the DSNs that are due (failure, delay, success), saves the state,
// deletes the message when it is finished, and schedules what comes next.
func (q *Queue) process(e *entry) {
	e.work.Lock()
	events := q.processWork(e)
	e.work.Unlock()
	// Outside e.work, so that OnEvent may call Remove or Bounce.
	for _, ev := range events {
		q.emit(ev)
	}
}

// processWork does the work of process with e.work held and returns the
// events to emit.
func (q *Queue) processWork(e *entry) []Event {
	q.mu.Lock()
	if e.removed {
		q.mu.Unlock()
		return nil
	}
	now := q.clock.Now()
	m := e.msg
	var events []Event
	if !now.Before(m.Arrival.Add(q.opts.MaxAge)) {
		for i := range m.Recipients {
			r := &m.Recipients[i]
			if r.State.Final() || e.inflight[r.Domain()] {
				continue
			}
			// RFC 3463 4.4.7: delivery time expired, a persistent
			// transient failure. The last reply, if any, stays as the
			// diagnostic.
			if r.Result == nil {
				r.Result = &Result{Status: StatusTemporary, EnhancedCode: "4.4.7", Message: "delivery time expired"}
			}
			r.State = StateFailed
			e.dirty = true
		}
	}
	var rep *report
	if len(e.inflight) == 0 && !now.Before(e.reportAt) {
		rep = q.collectReportLocked(e, now)
	}
	q.mu.Unlock()

	if rep != nil {
		var dsnID string
		var err error
		if len(rep.rcpts) > 0 && m.From != "" {
			dsnID, err = q.sendReport(rep)
		}
		q.mu.Lock()
		if err != nil {
			q.log.Error("queue: sending DSN", "id", m.ID, "err", err)
			e.reportAt = now.Add(q.opts.RetryInterval)
		} else {
			events = append(events, rep.markLocked(e, dsnID)...)
			e.dirty = true
			if m.From == "" && len(rep.failed) > 0 {
				q.log.Warn("queue: message from the null sender failed; not bounced", "id", m.ID, "recipients", rep.failed)
			}
		}
		q.mu.Unlock()
	}

	q.mu.Lock()
	finished := len(e.inflight) == 0
	for _, r := range m.Recipients {
		finished = finished && r.State.Final() && r.Reported
	}
	var snap *Message
	if finished {
		e.removed = true
		delete(q.msgs, m.ID)
	} else if e.dirty && !now.Before(e.saveAt) {
		snap = m.clone()
		e.dirty = false
	}
	q.mu.Unlock()

	if finished {
		q.removing.Add(1)
		q.removeC <- m.ID
	} else if snap != nil {
		if err := q.store.save(snap); err != nil {
			q.log.Error("queue: saving message state", "id", m.ID, "err", err)
			q.mu.Lock()
			e.dirty = true
			e.saveAt = now.Add(q.opts.RetryInterval)
			q.mu.Unlock()
		}
	}
	q.mu.Lock()
	q.schedule(e, now)
	q.mu.Unlock()
	return events
}

// schedule queues the domains of e that are due for an attempt and sets
// the timer for what is due next. q.mu is held.
func (q *Queue) schedule(e *entry, now time.Time) {
	if e.removed {
		return
	}
	m := e.msg
	var next time.Time
	later := func(t time.Time) {
		if next.IsZero() || t.Before(next) {
			next = t
		}
	}
	open := false
	unreported := false
	for _, r := range m.Recipients {
		if r.State.Final() {
			unreported = unreported || !r.Reported
			continue
		}
		open = true
		d := r.Domain()
		if e.inflight[d] || e.queued[d] {
			continue
		}
		if r.NextAttempt.After(now) {
			later(r.NextAttempt)
			continue
		}
		e.queued[d] = true
		if _, ok := q.ready[d]; !ok {
			q.readyDomains = append(q.readyDomains, d)
		}
		q.ready[d] = append(q.ready[d], m.ID)
	}
	// Reports and expiry wait for the attempts in flight, whose end
	// processes the message anyway.
	if len(e.inflight) == 0 {
		if open {
			later(m.Arrival.Add(q.opts.MaxAge))
			if !m.DelayWarned && q.opts.DelayWarning > 0 {
				later(maxTime(m.Arrival.Add(q.opts.DelayWarning), e.reportAt))
			}
		}
		if unreported {
			later(maxTime(now, e.reportAt))
		}
		if e.dirty {
			later(maxTime(now, e.saveAt))
		}
	}
	if !next.IsZero() && !next.Equal(e.wake) {
		e.wake = next
		heap.Push(&q.timers, timerItem{when: next, id: m.ID})
	}
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// Summary describes a queued message for List.
type Summary struct {
	ID      string
	From    string
	Arrival time.Time
	Size    int64
	// Recipients is the number of recipients; Pending of those not yet
	// delivered nor failed.
	Recipients int
	Pending    int
	// Domains are the destinations of the pending recipients.
	Domains []string
	// NextAttempt is the earliest next attempt of a pending recipient.
	NextAttempt time.Time
	// LastResult is the most recent attempt result, if any.
	LastResult *Result
}

// List returns a summary of every queued message, oldest first.
func (q *Queue) List() []Summary {
	q.mu.Lock()
	defer q.mu.Unlock()
	out := make([]Summary, 0, len(q.msgs))
	for _, e := range q.msgs {
		m := e.msg
		s := Summary{ID: m.ID, From: m.From, Arrival: m.Arrival, Size: m.Size, Recipients: len(m.Recipients)}
		for _, r := range m.Recipients {
			if !r.State.Final() {
				s.Pending++
				if !slices.Contains(s.Domains, r.Domain()) {
					s.Domains = append(s.Domains, r.Domain())
				}
				if s.NextAttempt.IsZero() || r.NextAttempt.Before(s.NextAttempt) {
					s.NextAttempt = r.NextAttempt
				}
			}
		}
		if n := len(m.History); n > 0 {
			res := m.History[n-1].Result
			s.LastResult = &res
		}
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Arrival.Equal(out[j].Arrival) {
			return out[i].Arrival.Before(out[j].Arrival)
		}
		return out[i].ID < out[j].ID
	})
	return out
}

// Len returns the number of queued messages.
func (q *Queue) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.msgs)
}

// Get returns a copy of the full state of a queued message.
func (q *Queue) Get(id string) (*Message, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	e := q.msgs[id]
	if e == nil {
		return nil, ErrNotFound
	}
	return e.msg.clone(), nil
}

// OpenBody opens the body of a queued message for reading.
func (q *Queue) OpenBody(id string) (io.ReadCloser, error) {
	q.mu.Lock()
	_, ok := q.msgs[id]
	q.mu.Unlock()
	if !ok || !validID(id) {
		return nil, ErrNotFound
	}
	return q.store.openBody(id)
}

// Corrupt lists what was set aside in the corrupt/ subdirectory: the
// records and envelopes Open found unusable this time, with the reason,
// and those already there.
func (q *Queue) Corrupt() []CorruptMessage {
	q.mu.Lock()
	defer q.mu.Unlock()
	return slices.Clone(q.corrupt)
}

// RetryNow makes the pending recipients of a message due at once.
func (q *Queue) RetryNow(id string) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closing {
		return ErrClosed
	}
	e := q.msgs[id]
	if e == nil {
		return ErrNotFound
	}
	q.retryLocked(e, "")
	return nil
}

// RetryAll makes every pending recipient due at once and returns the
// number of messages concerned.
func (q *Queue) RetryAll() int { return q.RetryDomain("") }

// RetryDomain makes the pending recipients at domain due at once (all of
// them if domain is empty) and returns the number of messages concerned.
func (q *Queue) RetryDomain(domain string) int {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closing {
		return 0
	}
	n := 0
	for _, e := range q.msgs {
		if q.retryLocked(e, domain) {
			n++
		}
	}
	return n
}

func (q *Queue) retryLocked(e *entry, domain string) bool {
	now := q.clock.Now()
	found := false
	for i := range e.msg.Recipients {
		r := &e.msg.Recipients[i]
		if r.State.Final() || (domain != "" && r.Domain() != strings.ToLower(domain)) {
			continue
		}
		found = true
		if r.NextAttempt.After(now) {
			r.NextAttempt = now
		}
	}
	e.reportAt = time.Time{}
	if found {
		q.spawnProcessLocked(e)
	}
	return found
}

// Bounce gives up on a message now: its pending recipients fail with
// "5.0.0 delivery cancelled" and the sender gets a failure DSN (as NOTIFY
// allows). Recipients with an attempt in flight fail when it ends, unless
// it delivered them.
func (q *Queue) Bounce(id string) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closing {
		return ErrClosed
	}
	e := q.msgs[id]
	if e == nil {
		return ErrNotFound
	}
	e.bounceNow = true
	for i := range e.msg.Recipients {
		r := &e.msg.Recipients[i]
		if r.State.Final() || e.inflight[r.Domain()] {
			continue
		}
		r.State = StateFailed
		r.Result = &Result{Status: StatusPermanent, EnhancedCode: "5.0.0", Message: "delivery cancelled by the postmaster"}
		e.dirty = true
	}
	e.reportAt = time.Time{}
	q.spawnProcessLocked(e)
	return nil
}

// Remove deletes a message from the queue without any notification. An
// attempt in flight is not stopped, but its results are ignored. The
// removal is on disk when Remove returns: the message does not come back
// after a crash (a delivered message may, see the package doc).
func (q *Queue) Remove(id string) error {
	q.mu.Lock()
	if q.closing {
		q.mu.Unlock()
		return ErrClosed
	}
	e := q.msgs[id]
	if e == nil {
		q.mu.Unlock()
		return ErrNotFound
	}
	e.removed = true
	delete(q.msgs, id)
	m := e.msg
	rcpts := make([]string, 0, len(m.Recipients))
	for _, r := range m.Recipients {
		if !r.State.Final() {
			rcpts = append(rcpts, r.Address)
		}
	}
	q.mu.Unlock()
	// Wait for a save of this message in progress, so that it cannot
	// rename the envelope back after the removal.
	e.work.Lock()
	err := q.store.remove(id)
	e.work.Unlock()
	if err != nil {
		return fmt.Errorf("queue: removing %s: %w", id, err)
	}
	q.emit(Event{Kind: EventRemoved, Time: q.clock.Now(), ID: id, From: m.From, Recipients: rcpts})
	return nil
}

// timerHeap orders message wake-ups by time.
type timerItem struct {
	when time.Time
	id   string
}

type timerHeap []timerItem

func (h timerHeap) Len() int           { return len(h) }
func (h timerHeap) Less(i, j int) bool { return h[i].when.Before(h[j].when) }
func (h timerHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *timerHeap) Push(x any)        { *h = append(*h, x.(timerItem)) }
func (h *timerHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
