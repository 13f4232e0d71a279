package queue

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// TestManagement exercises List, Get, RetryNow, RetryDomain, RetryAll,
// Bounce and Remove, and the events they cause.
func TestManagement(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		te := newTestEnv(t)
		te.d.setBehave(tempFail)
		m1 := te.enqueue(Envelope{From: "alice@sender.example", Recipients: []Recipient{{Address: "x@a.example"}}}, basicBody)
		time.Sleep(time.Minute)
		m2 := te.enqueue(Envelope{From: "alice@sender.example", Recipients: []Recipient{{Address: "y@b.example"}, {Address: "z@c.example"}}}, basicBody)
		synctest.Wait()

		l := te.q.List()
		if len(l) != 2 || l[0].ID != m1 || l[1].ID != m2 {
			t.Fatalf("List = %+v", l)
		}
		if s := l[1]; s.Pending != 2 || s.Recipients != 2 || len(s.Domains) != 2 || s.Size != int64(len(basicBody)) ||
			!s.NextAttempt.Equal(t0.Add(16*time.Minute)) || s.LastResult == nil || s.LastResult.Code != 451 {
			t.Errorf("summary %+v", s)
		}
		attempts := func(id string) int { return len(te.d.callsFor(id)) }
		if attempts(m1) != 1 || attempts(m2) != 2 {
			t.Fatalf("attempts %d %d", attempts(m1), attempts(m2))
		}
		m, err := te.q.Get(m1)
		if err != nil || m.Recipients[0].State != StateDeferred || m.Recipients[0].Attempts != 1 || len(m.History) != 1 {
			t.Fatalf("Get: %+v %v", m, err)
		}
		// Get returns a copy.
		m.Recipients[0].State = StateDelivered
		if again, _ := te.q.Get(m1); again.Recipients[0].State != StateDeferred {
			t.Error("Get exposes internal state")
		}

		// Time does not move: only the retry calls cause attempts.
		if err := te.q.RetryNow(m1); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		if attempts(m1) != 2 || attempts(m2) != 2 {
			t.Errorf("after RetryNow: %d %d", attempts(m1), attempts(m2))
		}
		if n := te.q.RetryDomain("C.example"); n != 1 {
			t.Errorf("RetryDomain = %d", n)
		}
		synctest.Wait()
		var toC int
		for _, c := range te.d.callsFor(m2) {
			if c.domain == "c.example" {
				toC++
			}
		}
		if attempts(m1) != 2 || attempts(m2) != 3 || toC != 2 {
			t.Errorf("after RetryDomain: %d %d (c.example %d)", attempts(m1), attempts(m2), toC)
		}
		if n := te.q.RetryAll(); n != 2 {
			t.Errorf("RetryAll = %d", n)
		}
		synctest.Wait()
		if attempts(m1) != 3 || attempts(m2) != 5 {
			t.Errorf("after RetryAll: %d %d", attempts(m1), attempts(m2))
		}

		// Bounce: the sender gets a failure DSN at once.
		if err := te.q.Bounce(m1); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		if _, err := te.q.Get(m1); !errors.Is(err, ErrNotFound) {
			t.Errorf("bounced message still queued: %v", err)
		}
		dsns := te.d.dsns()
		if len(dsns) != 1 {
			t.Fatalf("%d DSNs after Bounce", len(dsns))
		}
		p := parseDSN(t, dsns[0].body)
		h, _ := p.rcpt("x@a.example")
		checkFields(t, "bounce", h, map[string]string{"Action": "failed", "Status": "5.0.0"})
		if ev := te.events.kind(EventBounced); len(ev) != 1 || ev[0].ID != m1 || ev[0].DSN != dsns[0].id {
			t.Errorf("bounced events %+v", ev)
		}

		// Remove: gone without a DSN, files deleted.
		if err := te.q.Remove(m2); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		if te.q.Len() != 0 || len(te.d.dsns()) != 1 {
			t.Errorf("after Remove: %d queued, %d DSNs", te.q.Len(), len(te.d.dsns()))
		}
		for _, f := range msgFiles(t, te.dir) {
			if strings.Contains(f, m2) {
				t.Errorf("stored data of the removed message remains: %s", f)
			}
		}
		if ev := te.events.kind(EventRemoved); len(ev) != 1 || ev[0].ID != m2 || len(ev[0].Recipients) != 2 {
			t.Errorf("removed events %+v", ev)
		}
		for name, err := range map[string]error{
			"Remove":   te.q.Remove(m2),
			"RetryNow": te.q.RetryNow(m2),
			"Bounce":   te.q.Bounce(m2),
		} {
			if !errors.Is(err, ErrNotFound) {
				t.Errorf("%s of a removed message: %v", name, err)
			}
		}
		if _, err := te.q.OpenBody("../../etc/passwd"); !errors.Is(err, ErrNotFound) {
			t.Errorf("OpenBody with a path: %v", err)
		}
		if n := len(te.events.kind(EventQueued)); n != 3 { // m1, m2 and the DSN
			t.Errorf("%d queued events", n)
		}
	})
}

// TestRemoveDuringAttempt: results of an attempt in flight for a removed
// message are dropped and nothing is written back.
func TestRemoveDuringAttempt(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		te := newTestEnv(t)
		id, release := te.attemptHeld()
		if err := te.q.Remove(id); err != nil {
			t.Fatal(err)
		}
		release()
		synctest.Wait()
		if n := msgFiles(t, te.dir); len(n) != 0 {
			t.Errorf("msg/ = %v", n)
		}
		if len(te.events.kind(EventDeferred)) != 0 {
			t.Error("result of a removed message recorded")
		}
	})
}

// TestBounceDuringAttempt: Bounce while an attempt is in flight fails the
// recipient when the attempt fails temporarily.
func TestBounceDuringAttempt(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		te := newTestEnv(t)
		id, release := te.attemptHeld()
		if err := te.q.Bounce(id); err != nil {
			t.Fatal(err)
		}
		release()
		synctest.Wait()
		if te.q.Len() != 0 {
			t.Fatalf("queue %+v", te.q.List())
		}
		dsns := te.d.dsns()
		if len(dsns) != 1 {
			t.Fatalf("%d DSNs", len(dsns))
		}
		h, _ := parseDSN(t, dsns[0].body).rcpt("x@a.example")
		checkFields(t, "bounce", h, map[string]string{"Action": "failed", "Status": "4.4.1", "Diagnostic-Code": "smtp; 451 4.4.1 mailbox busy, try later"})
	})
}

// TestResumeAfterRestart: a reopened queue resumes the schedule where it
// was, and DSN state survives.
func TestResumeAfterRestart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dir := t.TempDir()
		d := newFakeDeliverer()
		d.setBehave(tempFail)
		open := func() *Queue {
			return startQueue(t, dir, Options{Deliverer: d, Hostname: "mx.test.example", fs: osFS{noSync: true}})
		}
		q := open()
		te := &testEnv{t: t, dir: dir, q: q, d: d}
		id := te.enqueue(Envelope{From: "alice@sender.example", Recipients: []Recipient{{Address: "x@a.example"}}}, basicBody)
		te.runUntil(t0.Add(4*time.Hour + time.Minute)) // the delay warning is out
		if len(d.dsns()) != 1 {
			t.Fatalf("%d DSNs", len(d.dsns()))
		}
		n := len(d.callsFor(id))
		q.Close()

		time.Sleep(time.Hour) // down for an hour
		q = open()
		defer q.Close()
		te.q = q
		synctest.Wait() // overdue: attempted at once
		calls := d.callsFor(id)
		if len(calls) != n+1 || !calls[n].at.Equal(t0.Add(5*time.Hour+time.Minute)) {
			t.Fatalf("after restart: %d attempts, last at %v", len(calls), calls[len(calls)-1].at)
		}
		m, _ := q.Get(id)
		if !m.DelayWarned || m.Recipients[0].Attempts != n+1 {
			t.Errorf("state after restart %+v", m)
		}
		te.runUntil(t0.Add(6 * 24 * time.Hour))
		if len(d.dsns()) != 2 {
			t.Errorf("%d DSNs: the delay warning must not be repeated", len(d.dsns()))
		}
	})
}

// TestEventHandlerMayManage: OnEvent may call the management API.
func TestEventHandlerMayManage(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var q *Queue
		var mu sync.Mutex
		var removeErr []error
		te := newTestEnv(t, func(o *Options) {
			o.OnEvent = func(ev Event) {
				if ev.Kind == EventDeferred {
					err := q.Remove(ev.ID)
					mu.Lock()
					removeErr = append(removeErr, err)
					mu.Unlock()
				}
			}
		})
		q = te.q
		te.d.setBehave(tempFail)
		te.enqueue(Envelope{From: "alice@sender.example", Recipients: []Recipient{{Address: "x@a.example"}}}, basicBody)
		synctest.Wait()
		mu.Lock()
		defer mu.Unlock()
		if len(removeErr) != 1 || removeErr[0] != nil || te.q.Len() != 0 {
			t.Errorf("Remove from OnEvent: %v, %d queued", removeErr, te.q.Len())
		}
	})
}
