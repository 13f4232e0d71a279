package queue

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkEnqueue measures durable enqueues of 1 KB messages (body and
// envelope fsync'd, directory fsync shared by group commit) with 1 and 64
// concurrent enqueuers, and reports messages per second.
func BenchmarkEnqueue(b *testing.B) {
	body := bytes.Repeat([]byte("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd\r\n"), 16) // 1 KiB
	env := Envelope{From: "alice@sender.example", Recipients: []Recipient{{Address: "bob@b.example"}}}
	for _, workers := range []int{1, 64} {
		b.Run("enqueuers="+strconv.Itoa(workers), func(b *testing.B) {
			// No Deliverer: only the enqueue path is measured.
			q, err := Open(b.TempDir(), Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
			if err != nil {
				b.Fatal(err)
			}
			defer q.Close()
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			var next atomic.Int64
			var wg sync.WaitGroup
			start := time.Now()
			b.ResetTimer()
			for w := 0; w < workers; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for next.Add(1) <= int64(b.N) {
						if _, err := q.Enqueue(context.Background(), env, bytes.NewReader(body)); err != nil {
							b.Error(err)
							return
						}
					}
				}()
			}
			wg.Wait()
			b.StopTimer()
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
		})
	}
}

// BenchmarkWriteDSN measures building a failure DSN that returns a 1 KB
// message.
func BenchmarkWriteDSN(b *testing.B) {
	q, err := Open(b.TempDir(), Options{Hostname: "mx.test.example", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	defer q.Close()
	body := bytes.Repeat([]byte("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd\r\n"), 16)
	id, err := q.Enqueue(context.Background(), Envelope{From: "a@sender.example", Recipients: []Recipient{{Address: "b@b.example"}}}, bytes.NewReader(body))
	if err != nil {
		b.Fatal(err)
	}
	m, _ := q.Get(id)
	rep := &report{msg: m, now: t0, until: t0.Add(DefaultMaxAge), rcpts: []dsnRecipient{{
		RecipientStatus: RecipientStatus{Recipient: Recipient{Address: "b@b.example"}, State: StateFailed, LastAttempt: t0,
			Result: &Result{Status: StatusPermanent, Code: 550, EnhancedCode: "5.1.1", Message: "no such user", RemoteMTA: "mx.b.example"}},
		action: actionFailed,
	}}}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := q.writeDSN(io.Discard, rep, true); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDrainQueue measures the queue's own cost of delivering a
// backlog: b.N queued 1 KB messages for one domain, loaded by Open and,
// from Start on, handed to a Deliverer that accepts at once, until every message is
// finished (done marks written). It reports messages per second.
func BenchmarkDrainQueue(b *testing.B) {
	body := bytes.Repeat([]byte("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd\r\n"), 16) // 1 KiB
	dir := b.TempDir()
	q, err := Open(dir, Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), fs: osFS{noSync: true}})
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < b.N; i++ {
		env := Envelope{From: "alice@sender.example", Recipients: []Recipient{{Address: "bob" + strconv.Itoa(i) + "@b.example"}}}
		if _, err := q.Enqueue(context.Background(), env, bytes.NewReader(body)); err != nil {
			b.Fatal(err)
		}
	}
	q.Close()
	done := make(chan struct{})
	var delivered atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	q, err = Open(dir, Options{
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Deliverer: DelivererFunc(func(ctx context.Context, d *Delivery) []Result {
			rc, err := d.Open()
			if err != nil {
				return []Result{TempFail(0, "", err.Error(), "")}
			}
			io.Copy(io.Discard, rc)
			rc.Close()
			return []Result{Delivered(250, "2.0.0", "ok", "")}
		}),
		OnEvent: func(e Event) {
			if e.Kind == EventDelivered && delivered.Add(1) == int64(b.N) {
				close(done)
			}
		},
	})
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now() // Open has loaded the queue; Start delivers it
	if err := q.Start(); err != nil {
		b.Fatal(err)
	}
	<-done
	elapsed := time.Since(start)
	q.Close()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "msgs/s")
}
