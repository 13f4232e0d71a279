package queue

import (
	"context"
	"errors"
	"io"
	"runtime"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// TestSendDSN: Options.SendDSN receives the DSNs instead of the queue; an
// error makes the queue try again after RetryInterval.
func TestSendDSN(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		var got []string
		var envs []Envelope
		calls := 0
		te := newTestEnv(t, func(o *Options) {
			o.SendDSN = func(ctx context.Context, env Envelope, msg io.Reader) (string, error) {
				b, err := io.ReadAll(msg)
				if err != nil {
					return "", err
				}
				mu.Lock()
				defer mu.Unlock()
				if calls++; calls == 1 {
					return "", errors.New("disk full")
				}
				got = append(got, string(b))
				envs = append(envs, env)
				return "dsn-1", nil
			}
		})
		te.d.setBehave(func(d *Delivery) []Result { return []Result{PermFail(550, "5.7.1", "rejected", "mx.b.example")} })
		id := te.enqueue(Envelope{From: "alice@sender.example", Recipients: []Recipient{{Address: "bob@b.example"}}}, basicBody)
		synctest.Wait()
		if _, err := te.q.Get(id); err != nil {
			t.Fatal("message gone although its DSN could not be sent")
		}
		if !strings.Contains(te.logBuf.String(), "disk full") {
			t.Error("DSN failure not logged")
		}
		te.runUntil(t0.Add(15 * time.Minute))
		mu.Lock()
		defer mu.Unlock()
		if calls != 2 || len(got) != 1 {
			t.Fatalf("SendDSN called %d times", calls)
		}
		if envs[0].From != "" || len(envs[0].Recipients) != 1 || envs[0].Recipients[0].Address != "alice@sender.example" {
			t.Errorf("DSN envelope %+v", envs[0])
		}
		h, _ := parseDSN(t, got[0]).rcpt("bob@b.example")
		checkFields(t, "bounce", h, map[string]string{"Action": "failed", "Status": "5.7.1"})
		if te.q.Len() != 0 || len(te.d.dsns()) != 0 {
			t.Error("DSN went through the queue")
		}
		if ev := te.events.kind(EventBounced); len(ev) != 1 || ev[0].DSN != "dsn-1" {
			t.Errorf("events %+v", ev)
		}
	})
}

// TestSendDSNContext: SendDSN gets the queue's context, which Close
// cancels, so that a DSN stuck in SendDSN does not hold Close up.
func TestSendDSNContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		entered := make(chan struct{})
		var sendErr error
		te := newTestEnv(t, func(o *Options) {
			o.SendDSN = func(ctx context.Context, env Envelope, msg io.Reader) (string, error) {
				close(entered)
				<-ctx.Done() // a next hop that never answers
				sendErr = ctx.Err()
				return "", sendErr
			}
		})
		te.d.setBehave(func(d *Delivery) []Result { return []Result{PermFail(550, "5.1.1", "no such user", "mx.b.example")} })
		id := te.enqueue(Envelope{From: "alice@sender.example", Recipients: []Recipient{{Address: "bob@b.example"}}}, basicBody)
		<-entered
		// Before the fix SendDSN had context.Background: Close waited for
		// it forever, and synctest reported the deadlock.
		if err := te.q.Close(); err != nil {
			t.Fatal(err)
		}
		if !errors.Is(sendErr, context.Canceled) {
			t.Errorf("SendDSN's context ended with %v, want context.Canceled", sendErr)
		}
		// The bounce was not sent: the next Open has it to send again.
		q := openQueue(t, te.dir, Options{})
		defer q.Close()
		if m, err := q.Get(id); err != nil || m.Recipients[0].State != StateFailed || m.Recipients[0].Reported {
			t.Errorf("after Close: %+v %v", m, err)
		}
	})
}

// TestReturnLimit: without RET, a message above ReturnLimit is returned as
// its header only; RET=FULL returns it whole.
func TestReturnLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		te := newTestEnv(t, func(o *Options) { o.ReturnLimit = 100 })
		te.d.setBehave(func(d *Delivery) []Result { return []Result{PermFail(552, "5.3.4", "too big", "")} })
		big := "Subject: big\r\n\r\n" + strings.Repeat("x", 200) + "\r\n"
		te.enqueue(Envelope{From: "alice@sender.example", Recipients: []Recipient{{Address: "bob@b.example"}}}, big)
		synctest.Wait()
		te.enqueue(Envelope{From: "alice@sender.example", Return: ReturnFull, Recipients: []Recipient{{Address: "bob@b.example"}}}, big)
		synctest.Wait()
		dsns := te.d.dsns()
		if len(dsns) != 2 {
			t.Fatalf("%d DSNs", len(dsns))
		}
		p := parseDSN(t, dsns[0].body)
		if p.origType != "text/rfc822-headers" || p.orig != "Subject: big\r\n\r\n" {
			t.Errorf("no RET: %s %q", p.origType, p.orig)
		}
		if p := parseDSN(t, dsns[1].body); p.origType != "message/rfc822" || p.orig != big {
			t.Errorf("RET=FULL: %s %q", p.origType, p.orig)
		}
	})
}

// TestCloseCancelsAttempts: Close cancels attempts in flight, waits for
// them, leaks no goroutine, and does not count the cut-short attempt.
func TestCloseCancelsAttempts(t *testing.T) {
	before := runtime.NumGoroutine()
	dir := t.TempDir()
	entered := make(chan struct{})
	d := DelivererFunc(func(ctx context.Context, d *Delivery) []Result {
		close(entered)
		<-ctx.Done()
		return []Result{TempFail(0, "", ctx.Err().Error(), "")}
	})
	q := startQueue(t, dir, Options{Deliverer: d, fs: osFS{noSync: true}})
	id, err := q.Enqueue(context.Background(), Envelope{From: "a@sender.example", Recipients: []Recipient{{Address: "b@b.example"}}}, strings.NewReader(basicBody))
	if err != nil {
		t.Fatal(err)
	}
	<-entered
	if err := q.Close(); err != nil {
		t.Fatal(err)
	}
	if err := q.Close(); !errors.Is(err, ErrClosed) {
		t.Errorf("second Close: %v", err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("goroutines: %d before, %d after Close\n%s", before, runtime.NumGoroutine(), buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(time.Millisecond)
	}
	q2 := openQueue(t, dir, Options{})
	defer q2.Close()
	m, err := q2.Get(id)
	if err != nil || m.Recipients[0].Attempts != 0 || m.Recipients[0].State != StatePending {
		t.Errorf("after Close: %+v %v", m, err)
	}
}

// TestShutdownWaits: Shutdown lets the attempt in flight finish and its
// result is saved.
func TestShutdownWaits(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dir := t.TempDir()
		entered := make(chan struct{}, 2)
		release := make(chan struct{})
		d := DelivererFunc(func(ctx context.Context, d *Delivery) []Result {
			entered <- struct{}{}
			<-release
			return []Result{Delivered(250, "", "ok", "")}
		})
		q := startQueue(t, dir, Options{Deliverer: d, fs: osFS{noSync: true}})
		id, err := q.Enqueue(context.Background(), Envelope{From: "a@sender.example", Recipients: []Recipient{{Address: "b@b.example"}, {Address: "c@c.example"}}}, strings.NewReader(basicBody))
		if err != nil {
			t.Fatal(err)
		}
		<-entered // both domains are in flight
		<-entered
		done := make(chan error)
		go func() { done <- q.Shutdown(context.Background()) }()
		synctest.Wait() // Shutdown is waiting for the attempts
		close(release)
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		// Both attempts ended normally: the message is finished and gone.
		q2 := openQueue(t, dir, Options{})
		defer q2.Close()
		if _, err := q2.Get(id); !errors.Is(err, ErrNotFound) || q2.Len() != 0 {
			t.Errorf("after Shutdown: %v, %d queued", err, q2.Len())
		}
	})
}

// TestShutdownDeadline: when ctx ends first, Shutdown cancels the attempts
// in flight and returns ctx's error.
func TestShutdownDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		entered := make(chan struct{}, 1)
		d := DelivererFunc(func(ctx context.Context, d *Delivery) []Result {
			entered <- struct{}{}
			<-ctx.Done()
			return []Result{TempFail(0, "", "cancelled", "")}
		})
		q := startQueue(t, t.TempDir(), Options{Deliverer: d, fs: osFS{noSync: true}})
		if _, err := q.Enqueue(context.Background(), Envelope{From: "a@sender.example", Recipients: []Recipient{{Address: "b@b.example"}}}, strings.NewReader(basicBody)); err != nil {
			t.Fatal(err)
		}
		<-entered
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		defer cancel()
		if err := q.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Shutdown = %v", err)
		}
	})
}
