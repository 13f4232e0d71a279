package queue

import (
	"errors"
	"testing"
	"testing/synctest"
	"time"
)

// TestOpenThenStart: Open loads the queue and takes new messages and
// management calls but makes no attempt and sends no DSN, however long
// it waits; Start delivers what was loaded, enqueued and
// bounced meanwhile. Start works once, and not after Close.
func TestOpenThenStart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dir := t.TempDir()
		q := openQueue(t, dir, Options{fs: osFS{noSync: true}})
		te := &testEnv{t: t, q: q}
		loaded := te.enqueue(Envelope{From: "alice@sender.example", Recipients: []Recipient{{Address: "bob@b.example"}}}, basicBody)
		if err := q.Close(); err != nil {
			t.Fatal(err)
		}

		d := newFakeDeliverer()
		q = openQueue(t, dir, Options{Deliverer: d, Hostname: "mx.test.example", fs: osFS{noSync: true}})
		defer q.Close()
		te.q = q
		enqueued := te.enqueue(Envelope{From: "alice@sender.example", Recipients: []Recipient{{Address: "carol@c.example"}}}, basicBody)
		bounced := te.enqueue(Envelope{From: "alice@sender.example", Recipients: []Recipient{{Address: "dave@d.example"}}}, basicBody)
		if err := q.Bounce(bounced); err != nil {
			t.Fatal(err)
		}
		time.Sleep(2 * time.Hour)
		synctest.Wait()
		if calls := d.allCalls(); len(calls) != 0 {
			t.Fatalf("%d attempts before Start: %+v", len(calls), calls)
		}
		if n := q.Len(); n != 3 {
			t.Fatalf("%d messages queued before Start, want 3", n)
		}

		if err := q.Start(); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		for _, id := range []string{loaded, enqueued} {
			if n := len(d.callsFor(id)); n != 1 {
				t.Errorf("%s: %d attempts after Start, want 1", id, n)
			}
		}
		if n := len(d.callsFor(bounced)); n != 0 {
			t.Errorf("bounced message attempted %d times", n)
		}
		if dsns := d.dsns(); len(dsns) != 1 || dsns[0].rcpts[0].Address != "alice@sender.example" {
			t.Errorf("DSNs after Start: %+v, want the bounce", dsns)
		}
		if n := q.Len(); n != 0 {
			t.Errorf("%d messages left", n)
		}
		if err := q.Start(); err == nil {
			t.Error("second Start succeeded")
		}
		q.Close()
		if err := q.Start(); !errors.Is(err, ErrClosed) {
			t.Errorf("Start after Close = %v, want ErrClosed", err)
		}
	})
}

// TestManageUnstarted: what the management API changes on a queue that is
// opened and not started (the queue command of examples/mailserver) is
// saved by Close: a retry makes the recipient due at once for the next
// start, a bounce stays a bounce.
func TestManageUnstarted(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dir := t.TempDir()
		d := newFakeDeliverer()
		d.setBehave(tempFail)
		o := Options{Deliverer: d, Hostname: "mx.test.example", fs: osFS{noSync: true}}
		q := startQueue(t, dir, o)
		te := &testEnv{t: t, q: q}
		retried := te.enqueue(Envelope{From: "alice@sender.example", Recipients: []Recipient{{Address: "bob@b.example"}}}, basicBody)
		bounced := te.enqueue(Envelope{From: "alice@sender.example", Recipients: []Recipient{{Address: "carol@c.example"}}}, basicBody)
		synctest.Wait() // both attempted once and deferred by 15 minutes
		q.Close()

		q = openQueue(t, dir, Options{fs: osFS{noSync: true}})
		if err := q.RetryNow(retried); err != nil {
			t.Fatal(err)
		}
		if err := q.Bounce(bounced); err != nil {
			t.Fatal(err)
		}
		q.Close()

		q = openQueue(t, dir, o)
		defer q.Close()
		if m, err := q.Get(retried); err != nil || m.Recipients[0].NextAttempt.After(time.Now()) {
			t.Errorf("retried message after a restart: %+v %v; want it due now", m, err)
		}
		if m, err := q.Get(bounced); err != nil || m.Recipients[0].State != StateFailed {
			t.Errorf("bounced message after a restart: %+v %v; want it failed", m, err)
		}
		calls := len(d.allCalls())
		if err := q.Start(); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		if n := len(d.callsFor(retried)); n != 2 {
			t.Errorf("retried message: %d attempts in all, want 2", n)
		}
		if n := len(d.callsFor(bounced)); n != 1 {
			t.Errorf("bounced message: %d attempts in all, want 1", n)
		}
		if dsns := d.dsns(); len(dsns) != 1 {
			t.Errorf("%d DSNs, want the bounce (%d calls before the start)", len(dsns), calls)
		}
	})
}
