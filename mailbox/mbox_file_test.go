package mailbox

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

var testDate = time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)

func newTestMboxFile(t *testing.T) *MboxFile {
	t.Helper()
	return &MboxFile{Path: filepath.Join(t.TempDir(), "alice.mbox")}
}

func mustAppend(t *testing.T, f *MboxFile, from, msg string) {
	t.Helper()
	if err := f.Append(context.Background(), from, testDate, strings.NewReader(msg)); err != nil {
		t.Fatal(err)
	}
}

// drainAll drains f and returns the senders and bodies.
func drainAll(t *testing.T, f *MboxFile) []mboxMsg {
	t.Helper()
	var got []mboxMsg
	err := f.Drain(context.Background(), func(m *MboxMessage) error {
		b, err := io.ReadAll(m.Body)
		got = append(got, mboxMsg{From: m.From, Offset: m.Offset, Body: string(b)})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestMboxFileAppendDrain(t *testing.T) {
	f := newTestMboxFile(t)
	if got := drainAll(t, f); len(got) != 0 {
		t.Fatalf("new file drained %v", got)
	}
	mustAppend(t, f, "a@example.org", "Subject: 1\r\n\r\nFrom me\r\n")
	mustAppend(t, f, "", "Subject: 2\n\nbounce")
	info, err := os.Stat(f.Path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("new file has mode %v, want 0600", perm)
	}
	want := "From a@example.org Mon May  6 07:08:09 2024\nSubject: 1\n\n>From me\n\n" +
		"From MAILER-DAEMON Mon May  6 07:08:09 2024\nSubject: 2\n\nbounce\n\n"
	if got := readFile(t, f.Path); got != want {
		t.Fatalf("file %q, want %q", got, want)
	}
	got := drainAll(t, f)
	wantMsgs := []mboxMsg{{"a@example.org", 0, "Subject: 1\n\nFrom me\n"}, {"MAILER-DAEMON", 66, "Subject: 2\n\nbounce\n"}}
	if fmt.Sprintf("%#v", got) != fmt.Sprintf("%#v", wantMsgs) {
		t.Errorf("drained %#v, want %#v", got, wantMsgs)
	}
	if s := readFile(t, f.Path); s != "" {
		t.Errorf("file after Drain: %q", s)
	}
	// The emptied file takes new mail.
	mustAppend(t, f, "b@example.org", "x\n")
	if got := drainAll(t, f); len(got) != 1 || got[0].Body != "x\n" {
		t.Errorf("after refill: %#v", got)
	}
}

func TestMboxFileDrainError(t *testing.T) {
	f := newTestMboxFile(t)
	mustAppend(t, f, "a", "one\n")
	mustAppend(t, f, "b", "two\n")
	before := readFile(t, f.Path)
	stop := errors.New("stop")
	calls := 0
	err := f.Drain(context.Background(), func(m *MboxMessage) error {
		calls++
		if calls == 2 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || calls != 2 {
		t.Fatalf("Drain: %v after %d calls, want stop after 2", err, calls)
	}
	if after := readFile(t, f.Path); after != before {
		t.Errorf("file changed by a failed Drain: %q", after)
	}
	// A file that is not mbox is an error, and is left alone.
	os.WriteFile(f.Path, []byte("garbage\n"), 0o600)
	if err := f.Drain(context.Background(), func(*MboxMessage) error { return nil }); !errors.Is(err, ErrNotMbox) {
		t.Errorf("Drain of garbage: %v", err)
	}
	if s := readFile(t, f.Path); s != "garbage\n" {
		t.Errorf("garbage file changed: %q", s)
	}
}

// failingReader yields n bytes of a message, then fails.
type failingReader struct {
	n   int
	err error
}

func (r *failingReader) Read(p []byte) (int, error) {
	if r.n == 0 {
		return 0, r.err
	}
	k := min(len(p), r.n)
	for i := range k {
		p[i] = "From x\nabc\n"[i%11]
	}
	r.n -= k
	return k, nil
}

func TestMboxFileAppendRollback(t *testing.T) {
	f := newTestMboxFile(t)
	mustAppend(t, f, "a", "one\n")
	before := readFile(t, f.Path)
	boom := errors.New("connection lost")
	// Far more than the write buffer, so that part of it reached the file.
	err := f.Append(context.Background(), "b", testDate, &failingReader{n: 1 << 20, err: boom})
	if !errors.Is(err, boom) {
		t.Fatalf("Append: %v, want %v", err, boom)
	}
	if after := readFile(t, f.Path); after != before {
		t.Fatalf("failed Append left %d bytes behind", len(after)-len(before))
	}

	// ctx cancelled halfway through the message.
	ctx, cancel := context.WithCancel(context.Background())
	r := io.MultiReader(strings.NewReader(strings.Repeat("line\n", 100000)),
		readerFunc(func([]byte) (int, error) { cancel(); return 0, nil }),
		strings.NewReader(strings.Repeat("more\n", 100000)))
	if err := f.Append(ctx, "b", testDate, r); !errors.Is(err, context.Canceled) {
		t.Fatalf("Append with ctx cancelled: %v", err)
	}
	if after := readFile(t, f.Path); after != before {
		t.Fatalf("cancelled Append left %d bytes behind", len(after)-len(before))
	}
	// A sender over the limit writes nothing.
	if err := f.Append(context.Background(), strings.Repeat("s", 2000), testDate, strings.NewReader("x")); err == nil {
		t.Fatal("long sender accepted")
	}
	if after := readFile(t, f.Path); after != before {
		t.Fatal("refused Append left bytes behind")
	}
}

type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }

func TestMboxFileHealsTail(t *testing.T) {
	for _, tail := range []string{"From a x\npartial", "From a x\npartial\n", "From a x\r\npartial\r\n", "From a x\n\n"} {
		f := newTestMboxFile(t)
		os.WriteFile(f.Path, []byte(tail), 0o600)
		mustAppend(t, f, "b", "whole\n")
		got := drainAll(t, f)
		if len(got) != 2 || got[1].From != "b" || got[1].Body != "whole\n" {
			t.Errorf("after %q: %#v", tail, got)
		}
	}
}

// TestMboxFileConcurrentAppend has goroutines append large messages to
// one file; every message must come back whole.
func TestMboxFileConcurrentAppend(t *testing.T) {
	f := newTestMboxFile(t)
	const writers, each = 6, 5
	body := func(w, i int) string {
		line := fmt.Sprintf("writer %d message %d: From here on, a long line to fill the buffers\n", w, i)
		return fmt.Sprintf("Subject: %d-%d\n\n", w, i) + strings.Repeat(line, 3000) // ~200 KB
	}
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for w := range writers {
		wg.Go(func() {
			// Each append opens the file itself, as another process would.
			g := &MboxFile{Path: f.Path}
			for i := range each {
				errs <- g.Append(context.Background(), fmt.Sprintf("w%d", w), testDate, strings.NewReader(body(w, i)))
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	seen := make(map[string]bool)
	for _, m := range drainAll(t, f) {
		var w, i int
		if _, err := fmt.Sscanf(m.Body, "Subject: %d-%d\n", &w, &i); err != nil {
			t.Fatalf("message does not start with its subject: %.80q", m.Body)
		}
		if m.Body != body(w, i) || m.From != fmt.Sprintf("w%d", w) {
			t.Fatalf("message %d-%d is not whole (%d bytes)", w, i, len(m.Body))
		}
		seen[fmt.Sprint(w, i)] = true
	}
	if len(seen) != writers*each {
		t.Fatalf("%d distinct messages, want %d", len(seen), writers*each)
	}
}

func TestMboxFileLockExcludes(t *testing.T) {
	f := newTestMboxFile(t)
	l, err := f.Lock(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := f.Append(ctx, "a", testDate, strings.NewReader("x\n")); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Append while locked: %v, want the ctx deadline", err)
	}
	done := make(chan error, 1)
	go func() { done <- f.Append(context.Background(), "b", testDate, strings.NewReader("late\n")) }()
	// The waiting Append does not show up under the lock.
	if _, err := l.Messages().Next(); err != io.EOF {
		t.Fatalf("locked file: %v, want no message", err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Append still waiting 10s after the lock was released")
	}
	if got := drainAll(t, f); len(got) != 1 || got[0].Body != "late\n" {
		t.Fatalf("got %#v", got)
	}
	if err := l.Append(context.Background(), "a", testDate, strings.NewReader("x")); !errors.Is(err, os.ErrClosed) {
		t.Errorf("Append on a closed lock: %v", err)
	}
}

func TestMboxLockMessageAt(t *testing.T) {
	f := newTestMboxFile(t)
	for i := range 3 {
		mustAppend(t, f, fmt.Sprint("s", i), fmt.Sprintf("message %d\n", i))
	}
	l, err := f.Lock(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	all, err := readMbox(l.Messages(), false)
	if err != nil || len(all) != 3 {
		t.Fatalf("%v %v", all, err)
	}
	for _, i := range []int{2, 0, 1} {
		got, err := readMbox(l.MessageAt(all[i].Offset), false)
		if err != nil || len(got) == 0 || got[0] != all[i] {
			t.Errorf("MessageAt(%d): %#v %v, want %#v first", all[i].Offset, got, err, all[i])
		}
	}
	if _, err := l.MessageAt(all[1].Offset + 1).Next(); !errors.Is(err, ErrNotMbox) {
		t.Errorf("MessageAt a wrong offset: %v", err)
	}
}

func TestMboxLockDeleteFunc(t *testing.T) {
	f := newTestMboxFile(t)
	// Start with a message written by another program, with a From_ line
	// of its own style: kept messages are kept byte for byte.
	foreign := "From x@example.org Mon Jan  1 00:00:00 2024 remote from far\nSubject: 0\n\nzero\n\n"
	os.WriteFile(f.Path, []byte(foreign), 0o640)
	var want strings.Builder
	want.WriteString(foreign)
	for i := 1; i < 5; i++ {
		mustAppend(t, f, fmt.Sprint("s", i), fmt.Sprintf("Subject: %d\n\nbody %d\n", i, i))
		if i%2 == 0 {
			fmt.Fprintf(&want, "From s%d Mon May  6 07:08:09 2024\nSubject: %d\n\nbody %d\n\n", i, i, i)
		}
	}
	l, err := f.Lock(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	err = l.DeleteFunc(func(m *MboxMessage) bool {
		b, _ := io.ReadAll(m.Body) // reading the body is allowed
		return bytes.Contains(b, []byte("body 1")) || bytes.Contains(b, []byte("body 3"))
	})
	if err != nil {
		t.Fatal(err)
	}
	// An Append that waits for the lock now must end up in the new file.
	done := make(chan error, 1)
	go func() { done <- f.Append(context.Background(), "late", testDate, strings.NewReader("late\n")) }()
	time.Sleep(20 * time.Millisecond) // let it open the old file and wait (the test holds either way)
	if got := readFile(t, f.Path); got != want.String() {
		t.Fatalf("after DeleteFunc: %q\nwant %q", got, want.String())
	}
	info, err := os.Stat(f.Path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o640 {
		t.Errorf("mode %v after DeleteFunc, want the old 0640", info.Mode().Perm())
	}
	// Append under the same lock goes to the new file.
	if err := l.Append(context.Background(), "mine", testDate, strings.NewReader("mine\n")); err != nil {
		t.Fatal(err)
	}
	l.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	got := drainAll(t, f)
	var froms []string
	for _, m := range got {
		froms = append(froms, m.From)
	}
	if strings.Join(froms, " ") != "x@example.org s2 s4 mine late" {
		t.Errorf("messages from %v", froms)
	}
	entries, _ := os.ReadDir(filepath.Dir(f.Path))
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries, want the mbox only", len(entries))
	}
}

// TestMboxPythonInterop checks our files against Python's mailbox module,
// an independent mbox implementation (mboxo: it quotes "From " on write
// and does not unquote on read).
func TestMboxPythonInterop(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not installed: mbox interop with Python's mailbox module not tested")
	}
	dir := t.TempDir()

	// We write, Python reads.
	ours := &MboxFile{Path: filepath.Join(dir, "ours.mbox")}
	mustAppend(t, ours, "a@example.org", "Subject: one\r\n\r\nFrom the start\r\nplain\r\n")
	mustAppend(t, ours, "b@example.org", "Subject: two\n\n\nblank lines\n\n")
	const readPy = `
import json, mailbox, sys
mb = mailbox.mbox(sys.argv[1], create=False)
out = []
for key in mb.keys():
    out.append({"from": mb.get_message(key).get_from(), "body": mb.get_bytes(key).decode("latin-1")})
print(json.dumps(out))
`
	out, err := exec.Command(python, "-c", readPy, ours.Path).Output()
	if err != nil {
		t.Fatalf("python: %v", err)
	}
	var py []struct{ From, Body string }
	if err := json.Unmarshal(out, &py); err != nil {
		t.Fatalf("python output %q: %v", out, err)
	}
	want := []struct{ From, Body string }{
		{"a@example.org Mon May  6 07:08:09 2024", "Subject: one\n\n>From the start\nplain\n"},
		{"b@example.org Mon May  6 07:08:09 2024", "Subject: two\n\n\nblank lines\n\n"},
	}
	if fmt.Sprint(py) != fmt.Sprint(want) {
		t.Errorf("python read %q\nwant %q", py, want)
	}

	// Python writes, we read.
	theirs := filepath.Join(dir, "theirs.mbox")
	const writePy = `
import mailbox, sys
mb = mailbox.mbox(sys.argv[1])
mb.add(b"From c@example.org Tue Jan  2 03:04:05 2024\nSubject: three\n\nFrom inside\nend\n")
mb.add(b"From d@example.org Wed Jan  3 03:04:05 2024\nSubject: four\n\nno final newline")
mb.close()
`
	if out, err := exec.Command(python, "-c", writePy, theirs).CombinedOutput(); err != nil {
		t.Fatalf("python: %v: %s", err, out)
	}
	f, err := os.Open(theirs)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, err := readMbox(NewMboxReader(f), false)
	if err != nil {
		t.Fatal(err)
	}
	var s []string
	for _, m := range got {
		s = append(s, m.From+"|"+m.Body)
	}
	wantOurs := []string{
		"c@example.org|Subject: three\n\nFrom inside\nend\n",
		"d@example.org|Subject: four\n\nno final newline\n",
	}
	if fmt.Sprintf("%q", s) != fmt.Sprintf("%q", wantOurs) {
		t.Errorf("read from Python's file %q\nwant %q", s, wantOurs)
	}
}

func BenchmarkMboxFileAppend(b *testing.B) {
	f := &MboxFile{Path: filepath.Join(b.TempDir(), "bench.mbox")}
	msg := bytes.Repeat([]byte("A line of an ordinary message, 72 characters long or so, and more.\r\n"), 150)
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	for b.Loop() {
		if err := f.Append(context.Background(), "a@example.org", testDate, bytes.NewReader(msg)); err != nil {
			b.Fatal(err)
		}
	}
}
