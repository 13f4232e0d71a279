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
//	id, err := q.Enqueue(ctx, queue.Envelope{From: from, Recipients: rcpts}, body)
//	// err == nil: the message is on disk and will be delivered or bounced.
//
// # Durability
//
// Each message is two files in <dir>/msg/: the body, written once, and the
// envelope (JSON: sender, recipients, DSN parameters, per-recipient state,
// attempt history), replaced atomically on each change. Enqueue writes
// both in <dir>/tmp/, fsyncs them, renames them into msg/ (body first) and
// fsyncs the directory before returning; concurrent enqueues share the
// directory fsync (group commit). Open resumes every queued message; an
// envelope it cannot read is moved into <dir>/corrupt/, logged, reported
// as EventCorrupt and listed by Corrupt, never deleted.
//
// Delivery is at least once. A recipient's state is saved after the
// Deliverer returns, so a crash after the remote server accepted a
// message but before the envelope was replaced makes the queue attempt
// that recipient again after restart: a duplicate. Likewise a DSN is
// queued before the state recording it is saved, so a crash in between can
// send a DSN twice. A finished message is removed in the background and
// without a directory fsync, so a crash soon after its delivery can bring
// it back and deliver it again too. Nothing acknowledged is ever lost.
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
