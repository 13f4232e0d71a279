// Package queue is a durable outbound mail queue: it stores messages on
// disk, schedules delivery attempts per recipient domain through a
// Deliverer, retries temporary failures, and tells senders what happened
// with RFC 3464 delivery status notifications (bounces, delay warnings,
// success notices). It knows nothing of SMTP or DNS: the delivery package
// implements Deliverer with MX lookup and an SMTP client.
//
// Wiring, in a few lines:
//
//	q, err := queue.Open("/var/spool/mailwright", queue.Options{
//		Deliverer: remote,           // e.g. a delivery.Remote
//		Hostname:  "mx.example.org", // Reporting-MTA of DSNs
//	})
//	if err != nil { ... }
//	defer q.Close()
//	if err := q.Start(); err != nil { ... }
//	id, err := q.Enqueue(ctx, queue.Envelope{From: from, Recipients: rcpts}, body)
//	// err == nil: the message is on disk and will be delivered or bounced.
//
// Open recovers the queue from disk and loads it; Start begins scheduling
// and delivery; Close or Shutdown stop them. In between Open and Start the
// queue already takes messages and management calls, so that what
// delivers and what enqueues (the delivery package's Agent, which both
// enqueues into the queue and receives its DSNs) can be wired to each
// other before any work begins.
//
// # Durability
//
// New messages are appended to segment files in <dir>/seg/: one record
// holds a message's envelope (JSON: sender, recipients, DSN parameters,
// per-recipient state, attempt history) and its body, with a CRC-32C.
// Concurrent enqueues write to different segments of a small pool and
// share the fdatasyncs (group commit); Enqueue returns only once its
// record, and the directory entry of a new segment, are on disk. A state
// change of a message still queued (a deferral, say) is written as an
// envelope file in <dir>/msg/ that overrides the one in the segment,
// replaced atomically (temp file, fsync, rename, directory fsync). A
// finished message gets a line in its segment's .done file; a segment
// whose messages are all finished is deleted. Queues written in the
// earlier layout (a body and an envelope file per message in msg/) are
// still loaded and delivered.
//
// Open resumes every queued message. An incomplete record at the end of
// a segment is an enqueue that a crash interrupted before acknowledging
// it, and is dropped. A record that fails its checks is copied into
// <dir>/corrupt/, logged, reported as EventCorrupt and listed by Corrupt,
// and the records after it are still read; an unreadable envelope file is
// moved there likewise. Nothing is deleted silently.
//
// Delivery is at least once. A recipient's state is saved after the
// Deliverer returns, so a crash after the remote server accepted a
// message but before the state was saved makes the queue attempt that
// recipient again after restart: a duplicate. Likewise a DSN is queued
// before the state recording it is saved, so a crash in between can send
// a DSN twice. The .done marks of finished messages are written in
// batches, in the background and without fsync: a crash (or power loss)
// soon after a delivery can lose the mark and bring the message back, to
// be delivered again, with the state it had when last saved (or as it was
// enqueued). Nothing acknowledged is ever lost. Queue.Remove is the
// exception to the unsynced marks: an operator's removal is fsync'd before
// Remove returns, so a removed message stays removed.
//
// # Schedule
//
// The default schedule is sendmail's: a failed attempt is retried every 15
// minutes, a recipient still undelivered after 4 hours gets one delay
// warning, and after 5 days the remaining recipients are given up and
// bounced. Options change each figure and can make the retry interval
// grow exponentially. Recipients of one message at one domain go in one
// attempt; Options limit attempts in flight overall and per domain.
//
// The queue takes its time from package time, so a test runs days of
// schedule in a moment inside a testing/synctest bubble: open and start
// the queue in synctest.Test, and time.Sleep until the moment to check;
// synctest.Wait returns once the queue has done what was due by then.
// (A server that waits for connections keeps the bubble's clock still:
// start it outside the bubble.)
//
// # DSNs
//
// DSNs are multipart/report messages (RFC 3464, RFC 6522) sent from the
// null reverse-path to the original sender. By default they are enqueued
// into the queue itself, so they are retried like any message; set
// Options.SendDSN to send them another way. NOTIFY (RFC 3461 4.1) decides
// which recipients are reported: NEVER none, otherwise as given, and
// FAILURE,DELAY when absent. A failure DSN returns the original message
// for RET=FULL, its header for RET=HDRS, and without RET the whole message
// up to Options.ReturnLimit (256 KiB by default), the header above it.
// Delay and success DSNs return the header only. A message from the null
// sender is never bounced: its failures are logged and reported as
// EventBounced with no DSN, so DSNs cannot loop.
package queue
