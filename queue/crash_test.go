package queue

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// The crash test runs the queue in a child process (this test binary,
// running TestCrashChild) and kills it with SIGKILL at random moments.
const (
	crashEnvDir   = "MAILWRIGHT_QUEUE_CRASH_DIR"
	crashEnvFinal = "MAILWRIGHT_QUEUE_CRASH_FINAL"
	crashTotal    = 1000
)

// TestCrashRecovery: at least 1,000 acknowledged messages, a queue killed
// -9 at random points several times while enqueueing and delivering; in
// the end every acknowledged message has been delivered at least once.
func TestCrashRecovery(t *testing.T) {
	if os.Getenv(crashEnvDir) != "" {
		return // we are the child
	}
	dir := t.TempDir()
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 0))
	start := time.Now()
	count := func(name string) int { return len(readLines(t, filepath.Join(dir, name))) }
	// run starts the child; unless final, it kills it once ready() holds
	// (progress measured in the child's logs, so that kills land in real
	// work however slow the machine) plus a random delay.
	run := func(final bool, ready func() bool) {
		ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), crashEnvDir+"="+dir, crashEnvFinal+"="+strconv.FormatBool(final))
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		if final {
			if err := cmd.Wait(); err != nil {
				t.Fatalf("final run: %v\n%s", err, out.String())
			}
			return
		}
		deadline := time.Now().Add(15 * time.Second)
		for !ready() && time.Now().Before(deadline) {
			time.Sleep(2 * time.Millisecond)
		}
		time.Sleep(time.Duration(rng.IntN(30)) * time.Millisecond)
		cmd.Process.Kill() // SIGKILL: no cleanup of any kind
		cmd.Wait()
		if strings.Contains(out.String(), "--- FAIL") || strings.Contains(out.String(), "DATA RACE") {
			t.Fatalf("child failed:\n%s", out.String())
		}
	}
	for i := 0; i < 7; i++ {
		acked0 := count("acked.log")
		var ready func() bool
		if acked0 < crashTotal-100 {
			// Kill while enqueueing (and delivering).
			target := min(crashTotal, acked0+120+rng.IntN(150))
			ready = func() bool { return count("acked.log") >= target }
		} else {
			// Kill at a random time: while loading the queue, or
			// delivering what is left.
			at := time.Now().Add(time.Duration(50+rng.IntN(400)) * time.Millisecond)
			ready = func() bool { return time.Now().After(at) }
		}
		run(false, ready)
		t.Logf("run %d killed: %d acknowledged, %d deliveries so far", i+1, count("acked.log"), count("delivered.log"))
	}
	run(true, nil)

	acked := readLines(t, filepath.Join(dir, "acked.log"))
	delivered := map[string]int{}
	for _, l := range readLines(t, filepath.Join(dir, "delivered.log")) {
		delivered[l]++
	}
	if len(acked) < crashTotal {
		t.Fatalf("only %d messages acknowledged", len(acked))
	}
	dups := 0
	for _, a := range acked {
		f := strings.Fields(a) // token rcpt1 rcpt2
		for _, rc := range f[1:] {
			n := delivered[f[0]+" "+rc]
			if n == 0 {
				t.Errorf("acknowledged message %s to %s never delivered", f[0], rc)
			}
			if n > 1 {
				dups++
			}
		}
	}
	t.Logf("%d acknowledged messages, %d deliveries, %d duplicate deliveries, %v", len(acked), len(delivered), dups, time.Since(start).Round(time.Millisecond))
	if n := dirNames(t, filepath.Join(dir, "q", "msg")); len(n) != 0 {
		t.Errorf("queue not empty at the end: %d files", len(n))
	}
	if n := dirNames(t, filepath.Join(dir, "q", "seg")); len(n) != 0 {
		t.Errorf("segments left at the end: %v", n)
	}
	if n := dirNames(t, filepath.Join(dir, "q", "corrupt")); len(n) != 0 {
		t.Errorf("corrupt files: %v", n)
	}
}

// readLines returns the complete lines of a file (a kill can leave a
// partial last line, which is ignored).
func readLines(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(data), "\n")
	return lines[:len(lines)-1]
}

// TestCrashChild is the child of TestCrashRecovery; it does nothing in a
// normal test run.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv(crashEnvDir)
	if dir == "" {
		return
	}
	final := os.Getenv(crashEnvFinal) == "true"
	ackedLog, err := os.OpenFile(filepath.Join(dir, "acked.log"), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	deliveredLog, err := os.OpenFile(filepath.Join(dir, "delivered.log"), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	var ackedMu sync.Mutex
	acked := len(readLines(t, filepath.Join(dir, "acked.log")))

	var rngMu sync.Mutex
	rng := rand.New(rand.NewPCG(uint64(os.Getpid()), 1))
	deliverer := DelivererFunc(func(ctx context.Context, d *Delivery) []Result {
		rc, err := d.Open()
		if err != nil {
			return []Result{TempFail(0, "", err.Error(), "")}
		}
		line, err := bufio.NewReader(rc).ReadString('\n')
		rc.Close()
		token, ok := strings.CutPrefix(strings.TrimSpace(line), "X-Token: ")
		if err != nil || !ok {
			t.Errorf("bad body in %s: %q %v", d.ID, line, err)
			return []Result{PermFail(554, "5.6.0", "bad body", "")}
		}
		rngMu.Lock()
		fail := rng.IntN(100) < 15
		rngMu.Unlock()
		if fail {
			return []Result{TempFail(421, "4.4.2", "try again", "")}
		}
		var b strings.Builder
		for _, r := range d.Recipients {
			fmt.Fprintf(&b, "%s %s\n", token, r.Address)
		}
		// One write(2) on an O_APPEND file: a kill cannot interleave it.
		if _, err := io.WriteString(deliveredLog, b.String()); err != nil {
			return []Result{TempFail(0, "", err.Error(), "")}
		}
		return []Result{Delivered(250, "2.0.0", "ok", "")}
	})
	q, err := Open(filepath.Join(dir, "q"), Options{
		Deliverer:     deliverer,
		RetryInterval: 50 * time.Millisecond,
		DelayWarning:  -1,
		MaxAge:        time.Hour,
		Logger:        slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Start(); err != nil {
		t.Fatal(err)
	}
	var seq atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				ackedMu.Lock()
				done := acked >= crashTotal
				ackedMu.Unlock()
				if done {
					return
				}
				n := seq.Add(1)
				token := fmt.Sprintf("%d-%d", os.Getpid(), n)
				r1 := fmt.Sprintf("r1@d%d.example", n%5)
				r2 := fmt.Sprintf("r2@e%d.example", n%3)
				body := fmt.Sprintf("X-Token: %s\r\nSubject: %d\r\n\r\nbody %d\r\n", token, n, n)
				_, err := q.Enqueue(context.Background(), Envelope{From: "s@sender.example", Recipients: []Recipient{{Address: r1}, {Address: r2}}}, strings.NewReader(body))
				if err != nil {
					t.Errorf("Enqueue: %v", err)
					return
				}
				ackedMu.Lock()
				if _, err := fmt.Fprintf(ackedLog, "%s %s %s\n", token, r1, r2); err != nil {
					t.Error(err)
				}
				acked++
				ackedMu.Unlock()
			}
		}()
	}
	wg.Wait()
	if !final {
		time.Sleep(time.Minute) // until killed
		return
	}
	deadline := time.Now().Add(40 * time.Second)
	for q.Len() > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("queue not drained: %d messages", q.Len())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := q.Close(); err != nil {
		t.Fatal(err)
	}
}
