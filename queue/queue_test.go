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
