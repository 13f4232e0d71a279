package mailbox

// Large-folder behaviour of the Maildir store behind the IMAP server
// (issue 5): SELECT of a folder with a fresh index reads the index and
// touches no message file and lists neither new/ nor cur/; FETCH 1:*
// (ENVELOPE BODYSTRUCTURE FLAGS) streams, with memory bounded by buffers
// and the structure cache rather than by the folder.
//
// The folder has 2,000 messages by default so that the test runs in CI;
// set MAILWRIGHT_BIG to measure a larger one:
//
//	MAILWRIGHT_BIG=100000 go test -run=TestBigFolder -v -timeout=20m ./mailbox

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mailwright/mailwright/imap"
)

// bigFolderSize is the number of messages of the test folder: 2,000, or
// MAILWRIGHT_BIG.
func bigFolderSize(t testing.TB) int {
	t.Helper()
	v := os.Getenv("MAILWRIGHT_BIG")
	if v == "" {
		if testing.Short() {
			return 500
		}
		return 2000
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 2 || n > 10_000_000 {
		t.Fatalf("MAILWRIGHT_BIG=%q: want a message count from 2 to 10000000", v)
	}
	return n
}

// bigMessage returns message i of the test folder: a small multipart
// message whose subject names i, so a FETCH response can be checked
// against its sequence number.
func bigMessage(i int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Return-Path: <sender%d@example.org>\r\n", i%97)
	fmt.Fprintf(&b, "Received: from mx%d.example.org by mail.example.com; Mon, 1 Jan 2024 00:00:00 +0000\r\n", i%13)
	fmt.Fprintf(&b, "From: Sender %d <sender%d@example.org>\r\n", i%97, i%97)
	b.WriteString("To: Alice <alice@example.com>, Bob <bob@example.com>\r\n")
	fmt.Fprintf(&b, "Subject: Big folder message %d\r\n", i)
	fmt.Fprintf(&b, "Date: Mon, 1 Jan 2024 %02d:%02d:%02d +0000\r\n", i/3600%24, i/60%60, i%60)
	fmt.Fprintf(&b, "Message-ID: <big.%d@example.org>\r\n", i)
	b.WriteString("MIME-Version: 1.0\r\n")
	b.WriteString("Content-Type: multipart/alternative; boundary=\"bnd\"\r\n\r\n")
	b.WriteString("--bnd\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n")
	for range 8 {
		b.WriteString("The quick brown fox jumps over the lazy dog, again and again.\r\n")
	}
	b.WriteString("--bnd\r\nContent-Type: text/html; charset=us-ascii\r\n\r\n<p>")
	for range 4 {
		b.WriteString("The quick brown fox jumps over the lazy dog.")
	}
	b.WriteString("</p>\r\n--bnd--\r\n")
	return b.String()
}

// writeBigMaildir writes n messages straight into user's INBOX cur/ under
// root, in the Maildir layout the store reads: CRLF files whose names carry
// Dovecot's ",S=" and ",W=" sizes (so the store does not read them to
// measure them), every third one \Seen. Names sort in message order and
// modification times do not decrease, so message i gets UID i+1. The
// directories are dated an hour back: an index written after that finds
// them quiet (state.go, quietAfter) and a later open may trust it.
func writeBigMaildir(t testing.TB, root, user string, n int) {
	t.Helper()
	dir := filepath.Join(root, user)
	for _, sub := range []string{"", "tmp", "new", "cur"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	start := time.Now().Unix() - 3600
	for i := range n {
		msg := bigMessage(i)
		info := ""
		if i%3 == 0 {
			info = "S"
		}
		name := fmt.Sprintf("%d.M%07dP1Q%d.bigfolder,S=%d,W=%d:2,%s", start, i, i, len(msg), len(msg), info)
		// No fsync: this is test data, rebuilt if the machine crashes.
		if err := os.WriteFile(filepath.Join(dir, "cur", name), []byte(msg), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-time.Hour)
	for _, sub := range []string{"new", "cur"} {
		if err := os.Chtimes(filepath.Join(dir, sub), old, old); err != nil {
			t.Fatal(err)
		}
	}
}

// countFS counts what the store does to the file system, told apart by
// whether the path is a message file (in new/ or cur/), a listing of new/
// or cur/, or anything else (state files, directories). onOpen, if set,
// runs before a message file is opened.
type countFS struct {
	fsys
	msgOpen, msgStat, msgOther atomic.Int64 // on message files
	listMsgDirs                atomic.Int64 // ReadDir of new/ or cur/
	other                      atomic.Int64 // any other operation
	onOpen                     func(name string)
}

// kind tells a message file ("msg"), a new/ or cur/ directory ("dir") and
// anything else ("").
func (c *countFS) kind(name string) string {
	if strings.HasSuffix(name, "/new") || strings.HasSuffix(name, "/cur") {
		return "dir"
	}
	if strings.Contains(name, "/new/") || strings.Contains(name, "/cur/") {
		return "msg"
	}
	return ""
}

func (c *countFS) note(name string, onMsg *atomic.Int64) {
	if c.kind(name) == "msg" {
		onMsg.Add(1)
	} else {
		c.other.Add(1)
	}
}

func (c *countFS) reset() {
	for _, v := range []*atomic.Int64{&c.msgOpen, &c.msgStat, &c.msgOther, &c.listMsgDirs, &c.other} {
		v.Store(0)
	}
}

func (c *countFS) String() string {
	return fmt.Sprintf("message files opened %d, stat'ed %d, other ops %d; new/ and cur/ listed %d times; other ops %d",
		c.msgOpen.Load(), c.msgStat.Load(), c.msgOther.Load(), c.listMsgDirs.Load(), c.other.Load())
}

func (c *countFS) Open(name string) (rfile, error) {
	c.note(name, &c.msgOpen)
	if c.onOpen != nil && c.kind(name) == "msg" {
		c.onOpen(name)
	}
	return c.fsys.Open(name)
}

func (c *countFS) ReadFile(name string) ([]byte, error) {
	c.note(name, &c.msgOpen)
	return c.fsys.ReadFile(name)
}

func (c *countFS) Stat(name string) (fileStat, error) {
	c.note(name, &c.msgStat)
	return c.fsys.Stat(name)
}

func (c *countFS) ReadDir(name string) ([]dirEntry, error) {
	if c.kind(name) == "dir" {
		c.listMsgDirs.Add(1)
	} else {
		c.other.Add(1)
	}
	return c.fsys.ReadDir(name)
}

func (c *countFS) Create(name string) (wfile, error) {
	c.note(name, &c.msgOther)
	return c.fsys.Create(name)
}

func (c *countFS) OpenAppend(name string) (wfile, error) {
	c.note(name, &c.msgOther)
	return c.fsys.OpenAppend(name)
}

func (c *countFS) Rename(a, b string) error {
	c.note(a, &c.msgOther)
	return c.fsys.Rename(a, b)
}

func (c *countFS) Link(a, b string) error {
	c.note(a, &c.msgOther)
	return c.fsys.Link(a, b)
}

func (c *countFS) Remove(name string) error {
	c.note(name, &c.msgOther)
	return c.fsys.Remove(name)
}

func (c *countFS) Chtimes(name string, t time.Time) error {
	c.note(name, &c.msgOther)
	return c.fsys.Chtimes(name, t)
}

// bigServer serves store over IMAP on a loopback listener, with alice
// (password "secret") as the only user.
func bigServer(t testing.TB, store *Store) string {
	t.Helper()
	accts := NewMemoryAccounts()
	if err := accts.Add("alice", "secret"); err != nil {
		t.Fatal(err)
	}
	srv := &imap.Server{Backend: NewIMAPBackend(store, accts), AllowInsecureAuth: true}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.Serve(ln)
	}()
	t.Cleanup(func() {
		srv.Close()
		<-done
	})
	return ln.Addr().String()
}

// bigClient is a plain IMAP client on a real socket for the transcripts
// of this file.
type bigClient struct {
	t    testing.TB
	conn net.Conn
	r    *bufio.Reader
}

func dialBig(t testing.TB, addr string) *bigClient {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	c := &bigClient{t: t, conn: conn, r: bufio.NewReaderSize(conn, 64<<10)}
	c.run(`S: * OK *`)
	return c
}

// readLine returns one response line without CRLF.
func (c *bigClient) readLine() string {
	c.t.Helper()
	c.conn.SetReadDeadline(time.Now().Add(2 * time.Minute))
	line, err := c.r.ReadString('\n')
	if err != nil {
		c.t.Fatalf("reading response: %v (got %q)", err, line)
	}
	return strings.TrimSuffix(line, "\r\n")
}

// run drives a transcript: "C: " lines are sent, "S: " lines must come
// back in order; a "*" at the end of an S: line matches any rest.
func (c *bigClient) run(transcript string) {
	c.t.Helper()
	for _, l := range strings.Split(strings.TrimSpace(transcript), "\n") {
		l = strings.TrimSpace(l)
		switch {
		case strings.HasPrefix(l, "C: "):
			if _, err := c.conn.Write([]byte(l[3:] + "\r\n")); err != nil {
				c.t.Fatal(err)
			}
		case strings.HasPrefix(l, "S: "):
			want, got := l[3:], c.readLine()
			if p, ok := strings.CutSuffix(want, "*"); ok && strings.HasPrefix(got, p) || got == want {
				continue
			}
			c.t.Fatalf("got %q, want %q", got, want)
		default:
			c.t.Fatalf("bad transcript line %q", l)
		}
	}
}

// heapSampler records the largest heap figures seen while it runs:
// heap objects (live and not yet collected) and the live heap as of the
// last GC. runtime/metrics does not stop the world.
type heapSampler struct {
	stop       chan struct{}
	done       chan struct{}
	peakObj    uint64
	peakLive   uint64
	baseObj    uint64
	baseLive   uint64
	sampleOnce func() (obj, live uint64)
}

func newHeapSampler() *heapSampler {
	samples := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/gc/heap/live:bytes"}}
	read := func() (uint64, uint64) {
		metrics.Read(samples)
		return samples[0].Value.Uint64(), samples[1].Value.Uint64()
	}
	runtime.GC()
	runtime.GC()
	h := &heapSampler{stop: make(chan struct{}), done: make(chan struct{}), sampleOnce: read}
	h.baseObj, h.baseLive = read()
	go func() {
		defer close(h.done)
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			obj, live := read()
			h.peakObj, h.peakLive = max(h.peakObj, obj), max(h.peakLive, live)
			select {
			case <-h.stop:
				return
			case <-tick.C:
			}
		}
	}()
	return h
}

// finish stops sampling and returns the peak growth over the baseline
// of heap objects and of the live heap.
func (h *heapSampler) finish() (obj, live int64) {
	close(h.stop)
	<-h.done
	return int64(h.peakObj) - int64(h.baseObj), int64(h.peakLive) - int64(h.baseLive)
}

// liveHeap returns the heap in use after a full collection.
func liveHeap() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }

// TestBigFolder builds a folder of bigFolderSize messages, lets the store
// index it, reopens the store and checks over IMAP that SELECT reads the
// index only and that FETCH 1:* (ENVELOPE BODYSTRUCTURE FLAGS) streams:
// the first response reaches the client before the server opens the last
// message. It logs the figures asked for in issue 5.
func TestBigFolder(t *testing.T) {
	n := bigFolderSize(t)
	root := t.TempDir()
	t0 := time.Now()
	writeBigMaildir(t, root, "alice", n)
	t.Logf("%d messages written in %v", n, time.Since(t0).Round(time.Millisecond))

	// First open: no index yet, so the store lists cur/ and reads the
	// sizes from the names; closing it leaves a fresh index behind.
	cfs := &countFS{fsys: &osFS{root: root}}
	s1 := newStore(cfs)
	t0 = time.Now()
	f, err := s1.OpenFolder(bg, "alice", Inbox)
	if err != nil {
		t.Fatal(err)
	}
	if got := len(f.Messages()); got != n {
		t.Fatalf("first open sees %d messages, want %d", got, n)
	}
	t.Logf("first open (no index): %v; %v", time.Since(t0).Round(time.Millisecond), cfs)
	if cfs.msgOpen.Load() != 0 {
		t.Errorf("first open read message files to measure them although their names carry W=: %v", cfs)
	}
	f.Close()
	if err := s1.Close(); err != nil {
		t.Fatal(err)
	}

	// Second store, as after a restart: SELECT must use the index.
	cfs = &countFS{fsys: &osFS{root: root}}
	store := newStore(cfs)
	t.Cleanup(func() { store.Close() })
	addr := bigServer(t, store)

	c := dialBig(t, addr)
	c.run(`
C: a1 LOGIN alice secret
S: a1 OK *
`)
	before := liveHeap()
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	cfs.reset()
	t0 = time.Now()
	c.run(fmt.Sprintf(`
C: a2 SELECT INBOX
S: * FLAGS *
S: * OK [PERMANENTFLAGS *
S: * %d EXISTS
S: * %d RECENT
S: * OK [UNSEEN 2] First unseen
S: * OK [UIDVALIDITY *
S: * OK [UIDNEXT %d] Predicted next UID
S: a2 OK [READ-WRITE] SELECT completed
`, n, n, n+1))
	coldSelect := time.Since(t0)
	runtime.ReadMemStats(&ms1)
	t.Logf("SELECT, cold (store reads the index): %v, %d bytes allocated a message; %v", coldSelect.Round(time.Microsecond),
		(ms1.TotalAlloc-ms0.TotalAlloc)/uint64(n), cfs)
	if cfs.msgOpen.Load()+cfs.msgStat.Load()+cfs.msgOther.Load() != 0 {
		t.Errorf("SELECT with a fresh index touched message files: %v", cfs)
	}
	if cfs.listMsgDirs.Load() != 0 {
		t.Errorf("SELECT with a fresh index listed new/ or cur/: %v", cfs)
	}
	withFolder := liveHeap()

	// A second session on the folder, now loaded: what it costs is the
	// session's own per-message metadata.
	c2 := dialBig(t, addr)
	c2.run(`
C: b1 LOGIN alice secret
S: b1 OK *
`)
	base2 := liveHeap()
	cfs.reset()
	t0 = time.Now()
	c2.run(fmt.Sprintf(`
C: b2 EXAMINE INBOX
S: * FLAGS *
S: * OK [PERMANENTFLAGS *
S: * %d EXISTS
S: * 0 RECENT
S: * OK [UNSEEN 2] First unseen
S: * OK [UIDVALIDITY *
S: * OK [UIDNEXT %d] Predicted next UID
S: b2 OK [READ-ONLY] EXAMINE completed
`, n, n+1))
	warmSelect := time.Since(t0)
	if cfs.msgOpen.Load()+cfs.msgStat.Load()+cfs.msgOther.Load()+cfs.listMsgDirs.Load() != 0 {
		t.Errorf("EXAMINE of a loaded folder touched message files or listed them: %v", cfs)
	}
	perSession := int64(liveHeap()) - int64(base2)
	t.Logf("EXAMINE, folder loaded: %v; session metadata %s = %d bytes/message",
		warmSelect.Round(time.Microsecond), mib(perSession), perSession/int64(n))
	t.Logf("first SELECT (folder state + session + \\Recent): %s = %d bytes/message",
		mib(int64(withFolder)-int64(before)), (int64(withFolder)-int64(before))/int64(n))
	c2.run(`
C: b3 LOGOUT
S: * BYE *
S: b3 OK *
`)

	// FETCH 1:*: the server must not open the last message before the
	// client has read the first response. If it buffered the response,
	// the gate would wait its full time and the test fails.
	firstSeen := make(chan struct{})
	var gateTimedOut atomic.Bool
	var opensAtFirst atomic.Int64
	lastName := fmt.Sprintf(".M%07dP1Q", n-1)
	var gateOnce sync.Once
	cfs.onOpen = func(name string) {
		if !strings.Contains(name, lastName) {
			return
		}
		gateOnce.Do(func() {
			select {
			case <-firstSeen:
			case <-time.After(30 * time.Second):
				gateTimedOut.Store(true)
			}
		})
	}
	cfs.reset()
	fetchBase := liveHeap()
	hs := newHeapSampler()
	// Every n/8 responses the client stops to measure what the server
	// holds (a full GC: garbage not yet collected does not count).
	var retained int64
	every := max(n/8, 1)
	t0 = time.Now()
	if _, err := c.conn.Write([]byte("a3 FETCH 1:* (ENVELOPE BODYSTRUCTURE FLAGS)\r\n")); err != nil {
		t.Fatal(err)
	}
	var firstAfter time.Duration
	var bytesIn int64
	for seq := 1; seq <= n; seq++ {
		line := c.readLine()
		bytesIn += int64(len(line)) + 2
		if seq == 1 {
			firstAfter = time.Since(t0)
			opensAtFirst.Store(cfs.msgOpen.Load())
			close(firstSeen)
		}
		// The messages have no 8-bit or special characters: every
		// response is one line, with no literal.
		if seq%every == 0 && seq < n {
			retained = max(retained, int64(liveHeap())-int64(fetchBase))
		}
		prefix := fmt.Sprintf("* %d FETCH (", seq)
		if !strings.HasPrefix(line, prefix) || !strings.HasSuffix(line, ")") {
			t.Fatalf("response %d: %.200q", seq, line)
		}
		for _, want := range []string{"FLAGS (", "ENVELOPE (", "BODYSTRUCTURE ((\"text\" \"plain\"",
			fmt.Sprintf(`"Big folder message %d"`, seq-1)} {
			if !strings.Contains(line, want) {
				t.Fatalf("response %d lacks %q: %.300q", seq, want, line)
			}
		}
	}
	c.run(`S: a3 OK FETCH completed`)
	fetchTime := time.Since(t0)
	objGrowth, liveGrowth := hs.finish()
	if gateTimedOut.Load() {
		t.Errorf("the server opened the last message before the client got the first response: FETCH is not streamed")
	}
	t.Logf("FETCH 1:* (ENVELOPE BODYSTRUCTURE FLAGS): %v (%.1f us/message, %s sent); first response after %v, when %d of %d messages had been opened",
		fetchTime.Round(time.Millisecond), float64(fetchTime.Microseconds())/float64(n), mib(bytesIn),
		firstAfter.Round(time.Microsecond), opensAtFirst.Load(), n)
	t.Logf("FETCH peak heap growth: heap objects %s, live heap %s (baseline live %s, includes the structure cache of at most %d entries)",
		mib(objGrowth), mib(liveGrowth), mib(int64(hs.baseLive)), DefaultStructureCacheSize)
	cached := min(n, DefaultStructureCacheSize)
	t.Logf("FETCH retained heap growth (largest of 7 checkpoints, after GC): %s = %d bytes/message; with %d structures cached",
		mib(retained), retained/int64(n), cached)
	// What the server may hold during the FETCH: the structure cache
	// (a few KiB an entry), buffers, and a few bytes per message for the
	// resolved sequence set. A response or structures kept for the whole
	// folder (0.5 KiB and 2 KiB a message here) exceed it when the folder
	// is much larger than the cache, as with MAILWRIGHT_BIG=100000.
	if limit := int64(8<<20 + cached*4<<10 + n*64); retained > limit {
		t.Errorf("FETCH retained %s, more than %s (structure cache, buffers, 64 bytes a message)", mib(retained), mib(limit))
	}
	if got := cfs.msgOpen.Load(); got != int64(n) {
		t.Errorf("FETCH opened %d message files, want each of the %d once", got, n)
	}
	c.run(`
C: a4 LOGOUT
S: * BYE *
S: a4 OK *
`)
}

// buildBigFolder writes a folder of n messages under a new directory and
// opens and closes a store on it once, so that the folder has a fresh
// index. It returns the root.
func buildBigFolder(b *testing.B, n int) string {
	b.Helper()
	root := b.TempDir()
	writeBigMaildir(b, root, "alice", n)
	s := newStore(&osFS{root: root})
	f, err := s.OpenFolder(bg, "alice", Inbox)
	if err != nil {
		b.Fatal(err)
	}
	f.Close()
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
	return root
}

// readUntil reads responses until the tagged one and returns how many
// untagged responses came before it (at most limit).
func (c *bigClient) readUntil(tag string, limit int) int {
	c.t.Helper()
	n := 0
	for ; n <= limit; n++ {
		line := c.readLine()
		if strings.HasPrefix(line, tag+" ") {
			if !strings.HasPrefix(line, tag+" OK ") {
				c.t.Fatalf("%s", line)
			}
			return n
		}
	}
	c.t.Fatalf("no %s response after %d lines", tag, limit)
	return n
}

// BenchmarkBigFolder measures, over a loopback socket, SELECT of a folder
// of bigFolderSize messages (MAILWRIGHT_BIG, default 2,000) on a store
// that has just been opened, so that SELECT reads the folder's index
// (select-cold), SELECT of the loaded folder (select-warm), and FETCH 1:*
// (ENVELOPE BODYSTRUCTURE FLAGS) with the default structure cache.
//
//	MAILWRIGHT_BIG=100000 go test -run='^$' -bench=BenchmarkBigFolder -benchtime=5x ./mailbox
func BenchmarkBigFolder(b *testing.B) {
	n := bigFolderSize(b)
	root := buildBigFolder(b, n)
	cmd := func(c *bigClient, tag, command string, want int) {
		if _, err := c.conn.Write([]byte(tag + " " + command + "\r\n")); err != nil {
			b.Fatal(err)
		}
		if got := c.readUntil(tag, n+100); got < want {
			b.Fatalf("%s: %d responses, want at least %d", command, got, want)
		}
	}
	b.Run(fmt.Sprintf("select-cold/messages=%d", n), func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			store := newStore(&osFS{root: root})
			addr := bigServer(b, store)
			c := dialBig(b, addr)
			cmd(c, "a1", "LOGIN alice secret", 0)
			b.StartTimer()
			cmd(c, "a2", "EXAMINE INBOX", 5)
			b.StopTimer()
			c.conn.Close()
			store.Close()
			b.StartTimer()
		}
	})
	store := newStore(&osFS{root: root})
	defer store.Close()
	c := dialBig(b, bigServer(b, store))
	cmd(c, "a1", "LOGIN alice secret", 0)
	b.Run(fmt.Sprintf("select-warm/messages=%d", n), func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			cmd(c, "s"+strconv.Itoa(i), "EXAMINE INBOX", 5)
		}
	})
	b.Run(fmt.Sprintf("fetch-all/messages=%d", n), func(b *testing.B) {
		b.ReportAllocs()
		start := time.Now()
		for i := 0; i < b.N; i++ {
			cmd(c, "f"+strconv.Itoa(i), "FETCH 1:* (ENVELOPE BODYSTRUCTURE FLAGS)", n)
		}
		b.ReportMetric(float64(time.Since(start).Nanoseconds())/float64(b.N*n), "ns/message")
	})
}
