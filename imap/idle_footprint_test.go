package imap_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailwright/mailwright/imap"
	"github.com/mailwright/mailwright/mailbox"
)

// BenchmarkIdleFootprint measures the server memory (heap in use plus
// goroutine stacks) of sessions waiting in IDLE on one folder, and checks
// that a message delivered meanwhile reaches every one of them.
//
// N is MAILWRIGHT_IDLE_N (default 2,000). The clients are bare sockets.
// With MAILWRIGHT_IDLE_EXTERNAL=1 they run in a child process (this test
// binary running TestIdleClients), so that the server process holds only
// its own sockets: 10,000 sessions then fit in a file-descriptor limit of
// 20,000. Otherwise they share the process, and their own cost is
// measured first against a listener that only accepts, and subtracted.
//
//	MAILWRIGHT_IDLE_N=10000 MAILWRIGHT_IDLE_EXTERNAL=1 go test -run '^$' -bench IdleFootprint -benchtime 1x ./imap
func BenchmarkIdleFootprint(b *testing.B) {
	n := 2000
	if s := os.Getenv("MAILWRIGHT_IDLE_N"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	external := os.Getenv("MAILWRIGHT_IDLE_EXTERNAL") == "1"
	for range b.N {
		var clientCost uint64
		if !external {
			clientCost = clientOnlyFootprint(b, n)
		}

		store := mailbox.NewMemoryStore()
		store.SpecialFolders = []mailbox.SpecialFolder{}
		accts := mailbox.NewMemoryAccounts()
		accts.Cost = 4
		accts.Add("alice", "secret")
		srv := &imap.Server{Backend: mailbox.NewIMAPBackend(store, accts), AllowInsecureAuth: true,
			MaxConnections: n + 10, MaxConnectionsPerIP: n + 10}
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		go srv.Serve(l)
		ctx := context.Background()
		store.Append(ctx, "alice", mailbox.Inbox, strings.NewReader("Subject: first\r\n\r\nx\r\n"), nil)

		before := footprint()
		var ms0 runtime.MemStats
		runtime.ReadMemStats(&ms0)
		var conns []net.Conn
		var child *idleChild
		if external {
			child = startIdleChild(b, l.Addr().String(), n)
		} else {
			conns = idleClients(b, l.Addr().String(), n)
		}
		after := footprint()
		var ms1 runtime.MemStats
		runtime.ReadMemStats(&ms1)
		perSession := float64(after-before-clientCost) / float64(n)
		b.Logf("per session: heap %d, stacks %d bytes (client side included when the clients share the process)",
			(int64(ms1.HeapInuse)-int64(ms0.HeapInuse))/int64(n), (int64(ms1.StackInuse)-int64(ms0.StackInuse))/int64(n))

		// A delivery reaches every watcher.
		store.Append(ctx, "alice", mailbox.Inbox, strings.NewReader("Subject: second\r\n\r\ny\r\n"), nil)
		var missed int
		if external {
			missed = child.missed(b)
		} else {
			missed = awaitExists(conns)
		}
		srv.Close()
		if missed > 0 {
			b.Fatalf("%d of %d IDLE sessions did not see the new message", missed, n)
		}
		b.ReportMetric(perSession, "bytes/session")
		b.ReportMetric(float64(n), "sessions")
		b.Logf("%d IDLE sessions: %.0f bytes each (heap in use + stacks; clients in a child process: %v, client side subtracted: %d bytes)", n, perSession, external, clientCost)
	}
}

// clientOnlyFootprint is the memory that n bare client connections (and
// the accepted sockets held by a trivial server) cost in this process.
func clientOnlyFootprint(b *testing.B, n int) uint64 {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	var held []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			held = append(held, c)
			mu.Unlock()
		}
	}()
	before := footprint()
	conns := make([]net.Conn, 0, n)
	for range n {
		c, err := net.Dial("tcp", l.Addr().String())
		if err != nil {
			b.Fatal(err)
		}
		conns = append(conns, c)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		mu.Lock()
		got := len(held)
		mu.Unlock()
		if got == n || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	after := footprint()
	l.Close()
	for _, c := range conns {
		c.Close()
	}
	mu.Lock()
	for _, c := range held {
		c.Close()
	}
	mu.Unlock()
	if after < before {
		return 0
	}
	return after - before
}

func footprint() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse + m.StackInuse
}

// readUntil reads from c until want has been seen, within 30 seconds.
func readUntil(c net.Conn, buf []byte, want string) error {
	c.SetReadDeadline(time.Now().Add(30 * time.Second))
	defer c.SetReadDeadline(time.Time{})
	var seen strings.Builder
	for !strings.Contains(seen.String(), want) {
		n, err := c.Read(buf)
		if err != nil {
			return fmt.Errorf("waiting for %q, got %q: %w", want, seen.String(), err)
		}
		seen.Write(buf[:n])
	}
	return nil
}

// idleClients opens n connections to addr that log in, select INBOX and
// wait in IDLE.
func idleClients(tb testing.TB, addr string, n int) []net.Conn {
	conns := make([]net.Conn, 0, n)
	login := "a LOGIN alice secret\r\nb SELECT INBOX\r\nc IDLE\r\n"
	buf := make([]byte, 4096)
	for i := range n {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			tb.Fatalf("connection %d: %v", i, err)
		}
		conns = append(conns, c)
		c.Write([]byte(login))
		if err := readUntil(c, buf, "+ idling"); err != nil {
			tb.Fatalf("connection %d: %v", i, err)
		}
	}
	return conns
}

// awaitExists waits for "* 2 EXISTS" on every connection, closes them and
// returns how many did not see it.
func awaitExists(conns []net.Conn) int {
	var wg sync.WaitGroup
	var mu sync.Mutex
	missed := 0
	for _, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := readUntil(c, make([]byte, 512), "* 2 EXISTS"); err != nil {
				mu.Lock()
				missed++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	for _, c := range conns {
		c.Close()
	}
	return missed
}

// TestIdleClients is the client side of BenchmarkIdleFootprint when it
// runs its clients in a child process; it does nothing otherwise. It
// prints "ready" once every client is in IDLE, then the number of clients
// that missed the delivery.
func TestIdleClients(t *testing.T) {
	addr, n := os.Getenv("MAILWRIGHT_IDLE_CHILD_ADDR"), os.Getenv("MAILWRIGHT_IDLE_CHILD_N")
	if addr == "" {
		return
	}
	count, err := strconv.Atoi(n)
	if err != nil {
		t.Fatal(err)
	}
	conns := idleClients(t, addr, count)
	fmt.Println("ready")
	fmt.Println("missed", awaitExists(conns))
}

// idleChild is a child process running TestIdleClients.
type idleChild struct {
	cmd *exec.Cmd
	out *bufio.Scanner
}

func startIdleChild(b *testing.B, addr string, n int) *idleChild {
	exe, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^TestIdleClients$", "-test.v=false")
	cmd.Env = append(os.Environ(), "MAILWRIGHT_IDLE_CHILD_ADDR="+addr, "MAILWRIGHT_IDLE_CHILD_N="+strconv.Itoa(n))
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	c := &idleChild{cmd: cmd, out: bufio.NewScanner(stdout)}
	if line := c.line(b); line != "ready" {
		b.Fatalf("client process: %q, want ready", line)
	}
	return c
}

func (c *idleChild) line(b *testing.B) string {
	if !c.out.Scan() {
		b.Fatalf("client process ended: %v", c.out.Err())
	}
	return c.out.Text()
}

// missed reads how many clients missed the delivery.
func (c *idleChild) missed(b *testing.B) int {
	for {
		line := c.line(b)
		if rest, ok := strings.CutPrefix(line, "missed "); ok {
			n, err := strconv.Atoi(rest)
			if err != nil {
				b.Fatal(err)
			}
			return n
		}
	}
}
