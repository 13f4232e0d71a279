package queue

import "time"

// EventKind says what happened to a message.
type EventKind int

// Event kinds.
const (
	// EventQueued: a message was enqueued (Recipients: all of them).
	EventQueued EventKind = iota + 1
	// EventDelivered: recipients were accepted by the next hop.
	EventDelivered
	// EventDeferred: an attempt failed temporarily; the recipients will be
	// retried at Event.Next.
	EventDeferred
	// EventBounced: recipients failed permanently, expired, or were
	// bounced by Bounce. DSN is the ID of the failure DSN queued for them,
	// empty when none was sent (NOTIFY without FAILURE, or the null sender:
	// a bounce is never bounced, its failure is only logged).
	EventBounced
	// EventDelayWarning: a delay DSN for the recipients was queued (DSN).
	EventDelayWarning
	// EventCorrupt: Open found an unreadable envelope and moved it, with
	// its body, into the corrupt/ subdirectory (Err says why).
	EventCorrupt
	// EventRemoved: the message was removed with Remove.
	EventRemoved
	// EventSuccessDSN: a success DSN was queued for the recipients, who
	// asked for one with NOTIFY=SUCCESS.
	EventSuccessDSN
)

var eventNames = [...]string{
	EventQueued:       "queued",
	EventDelivered:    "delivered",
	EventDeferred:     "deferred",
	EventBounced:      "bounced",
	EventDelayWarning: "delay-warning",
	EventCorrupt:      "corrupt",
	EventRemoved:      "removed",
	EventSuccessDSN:   "success-dsn",
}

// String returns the kind's name, e.g. "deferred".
func (k EventKind) String() string {
	if k > 0 && int(k) < len(eventNames) {
		return eventNames[k]
	}
	return "unknown"
}

// Event reports something that happened in the queue, for logs and
// metrics (Options.OnEvent).
type Event struct {
	Kind EventKind
	Time time.Time
	// ID is the message ID (for EventCorrupt, the ID taken from the file
	// name).
	ID string
	// From is the message's sender.
	From string
	// Recipients are the recipients concerned.
	Recipients []string
	// Result is the attempt's result for Delivered, Deferred and Bounced.
	Result Result
	// Next is when deferred recipients will be retried.
	Next time.Time
	// DSN is the ID of the DSN queued for this event, if any.
	DSN string
	// Err is the reason for EventCorrupt.
	Err error
}
