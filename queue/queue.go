package queue

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"
)

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
	started        bool      // Start was called: the scheduler runs
	rateWake       time.Time // a wake-up set for a domain that DomainRate paces
	closing        bool
	corrupt        []CorruptMessage

	// Finished messages are marked done in the store by one goroutine,
	// in batches, off the delivery path.
	removeC  chan string
	removeWG sync.WaitGroup
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

// Open opens (creating it if needed) the queue stored in dir and loads
// every message in it. It starts no work: Start begins scheduling and
// delivery, and Close or Shutdown stop it. Between Open and Start the
// queue takes new messages (Enqueue) and answers the management API
// (List, Get, Remove, ...), so that the code that delivers and the code
// that enqueues can each be given the queue before it runs; a queue
// opened only to inspect or manage it (a command-line tool, say) is never
// started. Damaged records and envelopes that cannot be read are copied or
// moved into dir/corrupt/, logged, reported as EventCorrupt and listed by
// Corrupt; they are never deleted. Only one Queue may have a directory
// open at a time.
func Open(dir string, opts Options) (*Queue, error) {
	o := opts.withDefaults()
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
		log:            o.Logger,
		kickC:          make(chan struct{}, 1),
		done:           make(chan struct{}),
		msgs:           make(map[string]*entry, len(msgs)),
		ready:          make(map[string][]string),
		domainInflight: make(map[string]int),
		corrupt:        corrupt,
	}
	q.ctx, q.cancel = context.WithCancel(context.Background())
	now := time.Now()
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
	return q, nil
}

// errStarted is returned by a second Start.
var errStarted = errors.New("queue: already started")

// Start begins the queue's work: delivery attempts through
// Options.Deliverer, retries, delay warnings, expiry and DSNs, for the
// messages that Open loaded and those enqueued since, which wait for it.
// It returns at once; Close or Shutdown stop the work. Start returns
// ErrClosed after Close, and an error if the queue is already started.
func (q *Queue) Start() error {
	q.mu.Lock()
	defer q.mu.Unlock()
	switch {
	case q.closing:
		return ErrClosed
	case q.started:
		return errStarted
	}
	q.started = true
	q.removeWG.Add(1)
	go q.remover()
	q.loopWG.Add(1)
	go q.loop()
	return nil
}

func newEntry(m *Message) *entry {
	return &entry{msg: m, inflight: map[string]bool{}, queued: map[string]bool{}}
}

// Close stops the queue at once: attempts in flight have their context
// cancelled, and Close waits for them to return and for their results to
// be saved. Messages stay in the directory for the next Open, with the
// changes made to them (by RetryNow or Bounce, say) saved, started or not.
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
	q.saveDirty()
	q.store.close()
	return err
}

// saveDirty saves the state of the messages changed since their last
// save: changes made by the management API before Start, whose processing
// never ran, and saves put off after a failure. The queue's work has
// stopped.
func (q *Queue) saveDirty() {
	q.mu.Lock()
	var snaps []*Message
	for _, e := range q.msgs {
		if e.dirty {
			snaps = append(snaps, e.msg.clone())
			e.dirty = false
		}
	}
	q.mu.Unlock()
	for _, m := range snaps {
		if err := q.store.save(m); err != nil {
			q.log.Error("queue: saving message state", "id", m.ID, "err", err)
		}
	}
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

	now := time.Now()
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
	q.mu.Unlock()
	q.kick()
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
