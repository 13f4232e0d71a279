package delivery

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mailwright/mailwright/mailbox"
	"github.com/mailwright/mailwright/queue"
	"github.com/mailwright/mailwright/smtp"
)

// BenchmarkLocalDelivery measures the SMTP ingest hot path: parallel SMTP
// sessions delivering 1 KB messages through the Agent into a Maildir store
// on disk (fsync'd, group commit), one recipient each, spread over 16
// users. "append" is the store alone, fed the same way, for the ratio.
func BenchmarkLocalDelivery(b *testing.B) {
	const users = 16
	setup := func(b *testing.B) *Agent {
		store, err := mailbox.NewMaildirStore(b.TempDir())
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { store.Close() })
		accts := mailbox.NewMemoryAccounts("example.org")
		for i := range users {
			accts.Add("u"+strconv.Itoa(i), testPassword)
		}
		return &Agent{Hostname: "mx.example.org", Accounts: accts, Store: store, Logger: discardLogger()}
	}
	msg := message("bench", 1024)
	b.Run("smtp", func(b *testing.B) {
		a := setup(b)
		addr := serve(b, a)
		var next atomic.Int64
		b.SetBytes(int64(len(msg)))
		b.ReportAllocs()
		b.SetParallelism(8)
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			c, err := smtp.Dial(addr)
			if err != nil {
				b.Error(err)
				return
			}
			defer c.Quit(b.Context())
			for pb.Next() {
				rcpt := []smtp.Recipient{{Address: "u" + strconv.Itoa(int(next.Add(1)%users)) + "@example.org"}}
				if _, err := c.Send(b.Context(), "sender@elsewhere.test", nil, rcpt, strings.NewReader(msg)); err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
	})
	b.Run("append", func(b *testing.B) {
		a := setup(b)
		var next atomic.Int64
		b.SetBytes(int64(len(msg)))
		b.ReportAllocs()
		b.SetParallelism(8)
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				user := "u" + strconv.Itoa(int(next.Add(1)%users))
				if _, err := a.Store.Append(context.Background(), user, mailbox.Inbox, strings.NewReader(msg), nil); err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
	})
}

// startSink starts a discarding SMTP server on loopback: Postfix's
// smtp-sink when it is installed, else an smtp.Server whose backend reads
// and drops each message. It returns the port and the sink's name.
func startSink(b testing.TB) (int, string) {
	if path, err := exec.LookPath("smtp-sink"); err == nil {
		for range 5 {
			l, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				b.Fatal(err)
			}
			port := l.Addr().(*net.TCPAddr).Port
			l.Close()
			args := []string{}
			if os.Geteuid() == 0 {
				args = append(args, "-u", "nobody") // smtp-sink refuses to run as root
			}
			cmd := exec.Command(path, append(args, "127.0.0.1:"+strconv.Itoa(port), "256")...)
			if err := cmd.Start(); err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
			for range 100 {
				if c, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(port)); err == nil {
					c.Close()
					return port, "smtp-sink"
				}
				time.Sleep(10 * time.Millisecond)
			}
			cmd.Process.Kill()
		}
		b.Fatal("smtp-sink did not start")
	}
	addr := serve(b, smtp.BackendFunc(func(ctx context.Context, c *smtp.Conn) (smtp.Session, error) { return discardSession{}, nil }))
	_, port, _ := net.SplitHostPort(addr)
	p, _ := strconv.Atoi(port)
	return p, "smtp.Server"
}

type discardSession struct{}

func (discardSession) Mail(context.Context, string, *smtp.MailOptions) error { return nil }
func (discardSession) Rcpt(context.Context, string, *smtp.RcptOptions) error { return nil }
func (discardSession) Data(ctx context.Context, r io.Reader) error {
	_, err := io.Copy(io.Discard, r)
	return err
}
func (discardSession) Reset(context.Context)        {}
func (discardSession) Logout(context.Context) error { return nil }

// BenchmarkDrain measures how fast the queue drains N queued 1 KB
// messages for one remote domain through Remote into a discarding sink on
// loopback (MX found in a local DNS server), against the ceiling of
// sending the same messages straight to the sink with smtp.Client over
// as many reused connections (queue.DefaultMaxPerDomain). One op (ns/op)
// is one drain of N messages; N is MAILWRIGHT_DRAIN_N, 10000 by default.
//
// Reported: drain-msgs/s, direct-msgs/s and their ratio; and, to tell
// the costs apart, queue-msgs/s (the same drain with a Deliverer that
// returns at once: the queue's own ceiling) and remote-msgs/s (N
// Remote.Deliver calls from as many goroutines as connections, no queue).
func BenchmarkDrain(b *testing.B) {
	n := 10000
	if s := os.Getenv("MAILWRIGHT_DRAIN_N"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	port, sinkName := startSink(b)
	dnsAddr := startDNS(b, "sink.test. 300 IN MX 10 mx.sink.test.", "mx.sink.test. 300 IN A 127.0.0.1")
	msg := message("drain", 1024)
	conns := queue.DefaultMaxPerDomain
	rcpts := make([]string, n)
	for i := range rcpts {
		rcpts[i] = "user" + strconv.Itoa(i) + "@sink.test"
	}
	b.Logf("sink: %s, N=%d, %d connections", sinkName, n, conns)
	newRemote := func() *Remote {
		return &Remote{LocalName: "mx.example.org", Port: port, DNSServer: dnsAddr, Logger: discardLogger()}
	}

	var drainTime, directTime, queueTime, remoteTime time.Duration
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		remote := newRemote()
		drainTime += drain(b, rcpts, msg, remote, true)
		remote.Close()

		queueTime += drain(b, rcpts, msg, queue.DelivererFunc(func(ctx context.Context, d *queue.Delivery) []queue.Result {
			return []queue.Result{queue.Delivered(250, "2.0.0", "OK", "mx.sink.test")}
		}), false)

		remote = newRemote()
		start := time.Now()
		parallel(conns, len(rcpts), func(i int) {
			d := queue.NewDelivery("id", "alice@example.org", "sink.test", []queue.Recipient{{Address: rcpts[i]}}, int64(len(msg)),
				func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(msg)), nil })
			if res := remote.Deliver(context.Background(), d); res[0].Status != queue.StatusDelivered {
				b.Errorf("Remote.Deliver: %+v", res)
			}
		})
		remoteTime += time.Since(start)
		remote.Close()

		start = time.Now()
		sendDirect(b, port, conns, rcpts, msg)
		directTime += time.Since(start)
	}
	rate := func(d time.Duration) float64 { return float64(n*b.N) / d.Seconds() }
	b.ReportMetric(rate(drainTime), "drain-msgs/s")
	b.ReportMetric(rate(directTime), "direct-msgs/s")
	b.ReportMetric(rate(drainTime)/rate(directTime), "ratio")
	b.ReportMetric(rate(queueTime), "queue-msgs/s")
	b.ReportMetric(rate(remoteTime), "remote-msgs/s")
}

// drain fills a queue with one message per recipient, then reopens it
// with d as Deliverer and returns the time it takes to deliver them all.
// With timed, the benchmark timer runs during the drain.
func drain(b *testing.B, rcpts []string, msg string, d queue.Deliverer, timed bool) time.Duration {
	dir := b.TempDir()
	fillQueue(b, dir, rcpts, msg)
	n := int64(len(rcpts))
	done := make(chan struct{})
	var delivered, failed atomic.Int64
	q, err := queue.Open(dir, queue.Options{
		Deliverer: d,
		Hostname:  "mx.example.org",
		Logger:    discardLogger(),
		OnEvent: func(e queue.Event) {
			switch e.Kind {
			case queue.EventDelivered:
				if delivered.Add(int64(len(e.Recipients))) == n {
					close(done)
				}
			case queue.EventDeferred, queue.EventBounced:
				failed.Add(1)
			}
		},
	})
	if err != nil {
		b.Fatal(err)
	}
	defer q.Close()
	if timed {
		b.StartTimer()
	}
	start := time.Now() // Open has loaded the queue; Start delivers it
	if err := q.Start(); err != nil {
		b.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(5 * time.Minute):
		b.Fatalf("drain: %d of %d delivered, %d failures", delivered.Load(), n, failed.Load())
	}
	elapsed := time.Since(start)
	if timed {
		b.StopTimer()
	}
	if failed.Load() > 0 {
		b.Fatalf("%d failed attempts", failed.Load())
	}
	return elapsed
}

// parallel calls f(i) for i in [0, n) from workers goroutines.
func parallel(workers, n int, f func(i int)) {
	var wg sync.WaitGroup
	var next atomic.Int64
	for range workers {
		wg.Go(func() {
			for i := next.Add(1) - 1; i < int64(n); i = next.Add(1) - 1 {
				f(int(i))
			}
		})
	}
	wg.Wait()
}

// fillQueue enqueues one message per recipient into the queue at dir,
// with no Deliverer, from several goroutines (the queue's group commit).
func fillQueue(b testing.TB, dir string, rcpts []string, msg string) {
	q, err := queue.Open(dir, queue.Options{Hostname: "mx.example.org", Logger: discardLogger()})
	if err != nil {
		b.Fatal(err)
	}
	defer q.Close()
	parallel(16, len(rcpts), func(i int) {
		env := queue.Envelope{From: "alice@example.org", Recipients: []queue.Recipient{{Address: rcpts[i]}}}
		if _, err := q.Enqueue(context.Background(), env, strings.NewReader(msg)); err != nil {
			b.Error(err)
		}
	})
}

// sendDirect sends a message to each recipient over conns reused
// connections: the ceiling for the drain.
func sendDirect(b *testing.B, port, conns int, rcpts []string, msg string) {
	clients := make(chan *smtp.Client, conns)
	for range conns {
		conn, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(port))
		if err != nil {
			b.Fatal(err)
		}
		c, err := smtp.NewClient(b.Context(), conn)
		if err != nil {
			b.Fatal(err)
		}
		c.LocalName = "mx.example.org"
		clients <- c
	}
	parallel(conns, len(rcpts), func(i int) {
		c := <-clients
		defer func() { clients <- c }()
		if _, err := c.Send(b.Context(), "alice@example.org", &smtp.MailOptions{Size: int64(len(msg))}, []smtp.Recipient{{Address: rcpts[i]}}, strings.NewReader(msg)); err != nil {
			b.Error(fmt.Errorf("direct send: %w", err))
		}
	})
	for range conns {
		(<-clients).Quit(b.Context())
	}
}
