// Command imapload puts a bounded, mixed IMAP load on one mailbox of any
// server and reports completed operations per second (GitHub issue 5).
//
// It speaks raw IMAP4rev1/IMAP4rev2 over net.Conn with a small
// tagged-command helper, so the same load runs against mailwright, Dovecot
// and go-imap's imapmemserver. Each of -c clients logs in, selects
// -mailbox and loops over a weighted mix of UID FETCH (FLAGS ENVELOPE) of a
// random range, FETCH 1 BODY.PEEK[], UID SEARCH, UID STORE +/-FLAGS \Seen,
// APPEND of a 1-2 KB message, STORE \Deleted + UID EXPUNGE of a message it
// appended itself (RFC 4315 APPENDUID gives the UID), NOOP and IDLE/DONE
// (when advertised), until -duration passes or -ops operations are done.
// Only tagged OK responses count as operations.
//
// Usage:
//
//	go run ./internal/cmd/imapload -addr 127.0.0.1:11143 -user bench -pass pass -c 8 -duration 20s -fill 200
//
// Dovecot for comparison ran from a minimal config in /var/tmp/dovecot-imap:
// passdb passwd-file with "bench:{PLAIN}pass::::", userdb static
// (uid/gid of an unprivileged user), mail_location =
// maildir:/var/tmp/dovecot-imap/mail/%u, listen 127.0.0.1:21143, ssl = no,
// disable_plaintext_auth = no, base_dir and log_path under the same
// directory, and "protocol imap { mail_max_userip_connections = 1000 }"
// (the default of 10 refuses LOGIN beyond ten clients of one user).
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// config is the load to run.
type config struct {
	Addr     string
	User     string
	Pass     string
	Clients  int
	Duration time.Duration
	Ops      int64 // 0: bounded by Duration only
	Mailbox  string
	Fill     int
	// MaxErrors is how many failed commands are tolerated before run
	// reports an error.
	MaxErrors int64
}

// result is what a run did.
type result struct {
	Ops    int64
	Errors int64
	// NO counts FETCH, SEARCH and STORE answered NO because of a concurrent
	// expunge (see loadClient); they are neither operations nor errors.
	NO      int64
	Elapsed time.Duration
	PerKind map[string]int64
	// FirstError is the first failure seen, for the report.
	FirstError string
}

// OpsPerSecond is the rate of completed operations.
func (r *result) OpsPerSecond() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Ops) / r.Elapsed.Seconds()
}

// String is the summary line and the per-kind counts.
func (r *result) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "ops=%d ops/s=%.1f errors=%d no=%d elapsed=%s\n", r.Ops, r.OpsPerSecond(), r.Errors, r.NO, r.Elapsed.Round(time.Millisecond))
	kinds := make([]string, 0, len(r.PerKind))
	for k := range r.PerKind {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		fmt.Fprintf(&b, "  %-10s %d\n", k, r.PerKind[k])
	}
	if r.FirstError != "" {
		fmt.Fprintf(&b, "first error: %s\n", r.FirstError)
	}
	return b.String()
}

func main() {
	var cfg config
	flag.StringVar(&cfg.Addr, "addr", "127.0.0.1:143", "server host:port")
	flag.StringVar(&cfg.User, "user", "bench", "user name")
	flag.StringVar(&cfg.Pass, "pass", "pass", "password")
	flag.IntVar(&cfg.Clients, "c", 8, "concurrent clients")
	flag.DurationVar(&cfg.Duration, "duration", 20*time.Second, "how long to run")
	flag.Int64Var(&cfg.Ops, "ops", 0, "stop after this many operations (0: no count bound)")
	flag.StringVar(&cfg.Mailbox, "mailbox", "INBOX", "mailbox to load")
	flag.IntVar(&cfg.Fill, "fill", 100, "APPEND messages first until the mailbox holds this many")
	flag.Int64Var(&cfg.MaxErrors, "maxerrors", 10, "failed commands tolerated")
	flag.Parse()
	res, err := run(context.Background(), cfg)
	if res != nil {
		fmt.Print(res)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "imapload:", err)
		os.Exit(1)
	}
}

// kinds of operation and their weights in the mix.
var mix = []struct {
	kind   string
	weight int
}{
	{"fetch", 25},
	{"body", 12},
	{"search", 15},
	{"store", 15},
	{"append", 10},
	{"expunge", 6},
	{"noop", 10},
	{"idle", 7},
}

// run puts the load on the server. It returns an error when setup fails or
// more than cfg.MaxErrors commands fail.
func run(ctx context.Context, cfg config) (*result, error) {
	if cfg.Clients < 1 {
		cfg.Clients = 1
	}
	if cfg.Duration <= 0 {
		return nil, errors.New("duration must be positive")
	}
	if err := fill(cfg); err != nil {
		return nil, fmt.Errorf("fill: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.Duration)
	defer cancel()

	var (
		tickets atomic.Int64
		nos     atomic.Int64
		errs    atomic.Int64
		mu      sync.Mutex
		res     = &result{PerKind: make(map[string]int64)}
		wg      sync.WaitGroup
		lastEnd time.Time // when the last client left its loop
	)
	fail := func(err error) {
		errs.Add(1)
		mu.Lock()
		if res.FirstError == "" {
			res.FirstError = err.Error()
		}
		mu.Unlock()
	}
	start := time.Now()
	for i := 0; i < cfg.Clients; i++ {
		wg.Add(1)
		go func(id int) {
			defer wg.Done()
			var end time.Time
			counts, err := loadClient(ctx, cfg, id, &tickets, &nos, &end, fail)
			if err != nil {
				fail(err)
			}
			mu.Lock()
			if end.After(lastEnd) {
				lastEnd = end
			}
			for k, n := range counts {
				res.PerKind[k] += n
				res.Ops += n
			}
			mu.Unlock()
		}(i)
	}
	wg.Wait()
	if lastEnd.IsZero() {
		lastEnd = time.Now()
	}
	res.Elapsed = lastEnd.Sub(start)
	res.Errors = errs.Load()
	res.NO = nos.Load()
	if res.Errors > cfg.MaxErrors {
		return res, fmt.Errorf("%d failed commands (tolerance %d)", res.Errors, cfg.MaxErrors)
	}
	return res, nil
}

// fill appends messages until the mailbox holds cfg.Fill.
func fill(cfg config) error {
	c, err := dial(cfg, time.Now().Add(cfg.Duration+time.Minute))
	if err != nil {
		return err
	}
	defer c.close()
	rng := rand.New(rand.NewPCG(1, 2))
	for n := c.exists; n < cfg.Fill; n++ {
		if _, err := c.append(cfg.Mailbox, message(rng, n)); err != nil {
			return err
		}
	}
	return nil
}

// loadClient runs one client's loop and returns its completed operations
// by kind. Failed commands go to fail; a broken connection ends the loop.
func loadClient(ctx context.Context, cfg config, id int, tickets, nos *atomic.Int64, loopEnd *time.Time, fail func(error)) (map[string]int64, error) {
	counts := make(map[string]int64)
	deadline, _ := ctx.Deadline()
	// The connection deadline stops a stuck read a little after the run.
	c, err := dial(cfg, deadline.Add(30*time.Second))
	if err != nil {
		return counts, err
	}
	defer c.close()
	rng := rand.New(rand.NewPCG(uint64(id)+100, uint64(time.Now().UnixNano())))
	total := 0
	for _, m := range mix {
		total += m.weight
	}
	var mine []uint32 // UIDs this client appended and has not expunged
	for seq := 0; ctx.Err() == nil; seq++ {
		if cfg.Ops > 0 && tickets.Add(1) > cfg.Ops {
			break
		}
		pick := rng.IntN(total)
		kind := mix[0].kind
		for _, m := range mix {
			if pick < m.weight {
				kind = m.kind
				break
			}
			pick -= m.weight
		}
		if kind == "idle" && !c.caps["IDLE"] {
			kind = "noop"
		}
		if kind == "expunge" && len(mine) == 0 {
			kind = "append"
		}
		var err error
		switch kind {
		case "fetch":
			lo := 1 + rng.Uint32N(max(c.uidNext, 2)-1)
			_, err = c.command("UID FETCH %d:%d (FLAGS ENVELOPE)", lo, lo+9)
		case "body":
			if c.exists == 0 {
				kind = "noop"
				_, err = c.command("NOOP")
				break
			}
			_, err = c.command("FETCH %d BODY.PEEK[]", 1+rng.IntN(min(c.exists, 5)))
		case "search":
			switch rng.IntN(3) {
			case 0:
				_, err = c.command("UID SEARCH SUBJECT %s", quote(fmt.Sprintf("load %d", rng.IntN(50))))
			case 1:
				_, err = c.command("UID SEARCH FROM %s", quote(senders[rng.IntN(len(senders))]))
			default:
				_, err = c.command("UID SEARCH UNSEEN")
			}
		case "store":
			lo := 1 + rng.Uint32N(max(c.uidNext, 2)-1)
			op := "+FLAGS.SILENT"
			if rng.IntN(2) == 0 {
				op = "-FLAGS.SILENT"
			}
			_, err = c.command("UID STORE %d:%d %s (\\Seen)", lo, lo+2, op)
		case "append":
			var uid uint32
			uid, err = c.append(cfg.Mailbox, message(rng, id*1000000+seq))
			if err == nil && uid != 0 {
				mine = append(mine, uid)
			}
		case "expunge":
			uid := mine[len(mine)-1]
			mine = mine[:len(mine)-1]
			if _, err = c.command("UID STORE %d +FLAGS.SILENT (\\Deleted)", uid); err == nil {
				_, err = c.command("UID EXPUNGE %d", uid)
			}
		case "noop":
			_, err = c.command("NOOP")
		case "idle":
			err = c.idle()
		}
		if err != nil {
			var ne *net.OpError
			if errors.As(err, &ne) || errors.Is(err, io.EOF) || errors.Is(err, os.ErrDeadlineExceeded) {
				return counts, err
			}
			// RFC 2180 section 4.1: a server may answer NO to FETCH, SEARCH or
			// STORE of a message another session expunged but this one
			// still sees; that is the race the mix provokes, not a
			// protocol error, and it does not count as an operation.
			var ce *commandError
			if errors.As(err, &ce) && ce.no() && (kind == "fetch" || kind == "body" || kind == "store" || kind == "search") {
				nos.Add(1)
				continue
			}
			fail(fmt.Errorf("%s: %w", kind, err))
			continue
		}
		counts[kind]++
	}
	// The clean-up below is not part of the measured time.
	*loopEnd = time.Now()
	// Leave the mailbox as we found it, apart from the fill.
	for _, uid := range mine {
		if _, err := c.command("UID STORE %d +FLAGS.SILENT (\\Deleted)", uid); err != nil {
			break
		}
		if _, err := c.command("UID EXPUNGE %d", uid); err != nil {
			break
		}
	}
	c.command("LOGOUT")
	return counts, nil
}

var senders = []string{"alice@example.org", "bob@example.net", "carol@example.com"}

// message builds a 1-2 KB message.
func message(rng *rand.Rand, n int) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "From: %s\r\nTo: bench@example.org\r\nSubject: load %d\r\n", senders[rng.IntN(len(senders))], n%50)
	fmt.Fprintf(&b, "Date: Mon, 02 Jan 2006 15:04:05 +0000\r\nMessage-ID: <%d.%d@load.test>\r\n\r\n", n, rng.Uint64())
	size := 1024 + rng.IntN(1024)
	for b.Len() < size {
		b.WriteString("The quick brown fox jumps over the lazy dog, again and again.\r\n")
	}
	return []byte(b.String())
}

// quote makes an IMAP quoted string of plain ASCII s.
func quote(s string) string { return strconv.Quote(s) }

// conn is one IMAP client connection.
type conn struct {
	nc      net.Conn
	r       *bufio.Reader
	w       *bufio.Writer
	tag     int
	caps    map[string]bool
	exists  int
	uidNext uint32
	lastOK  string // the last tagged OK, for its response code
}

// dial connects, logs in and selects cfg.Mailbox.
func dial(cfg config, deadline time.Time) (*conn, error) {
	nc, err := net.DialTimeout("tcp", cfg.Addr, 10*time.Second)
	if err != nil {
		return nil, err
	}
	nc.SetDeadline(deadline)
	c := &conn{nc: nc, r: bufio.NewReader(nc), w: bufio.NewWriter(nc), caps: make(map[string]bool)}
	greeting, err := c.readLine()
	if err != nil || !strings.HasPrefix(greeting, "* OK") {
		nc.Close()
		return nil, fmt.Errorf("greeting %q: %v", greeting, err)
	}
	if _, err := c.command("LOGIN %s %s", quote(cfg.User), quote(cfg.Pass)); err != nil {
		nc.Close()
		return nil, fmt.Errorf("LOGIN: %w", err)
	}
	lines, err := c.command("CAPABILITY")
	if err != nil {
		nc.Close()
		return nil, err
	}
	for _, l := range lines {
		if rest, ok := strings.CutPrefix(l, "* CAPABILITY "); ok {
			for _, f := range strings.Fields(rest) {
				c.caps[strings.ToUpper(f)] = true
			}
		}
	}
	if _, err := c.command("SELECT %s", quote(cfg.Mailbox)); err != nil {
		nc.Close()
		return nil, fmt.Errorf("SELECT: %w", err)
	}
	return c, nil
}

func (c *conn) close() { c.nc.Close() }

// commandError is a tagged NO or BAD.
type commandError struct{ line string }

func (e *commandError) Error() string { return e.line }

// no reports whether the response is a tagged NO.
func (e *commandError) no() bool {
	f := strings.Fields(e.line)
	return len(f) >= 2 && strings.EqualFold(f[1], "NO")
}

// command sends one tagged command and reads up to its tagged response,
// returning the untagged lines (literals are read and dropped). A NO or
// BAD is a *commandError.
func (c *conn) command(format string, args ...any) ([]string, error) {
	c.tag++
	tag := "a" + strconv.Itoa(c.tag)
	fmt.Fprintf(c.w, "%s "+format+"\r\n", append([]any{tag}, args...)...)
	if err := c.w.Flush(); err != nil {
		return nil, err
	}
	return c.wait(tag)
}

// wait reads responses up to the one tagged tag.
func (c *conn) wait(tag string) ([]string, error) {
	var lines []string
	for {
		line, err := c.readLine()
		if err != nil {
			return lines, err
		}
		if rest, ok := strings.CutPrefix(line, tag+" "); ok {
			if strings.HasPrefix(rest, "OK") {
				c.lastOK = rest
				c.noteCode(rest)
				return lines, nil
			}
			return lines, &commandError{line}
		}
		if strings.HasPrefix(line, "* ") {
			c.noteUntagged(line)
			lines = append(lines, line)
		}
	}
}

// noteUntagged tracks the mailbox size and next UID.
func (c *conn) noteUntagged(line string) {
	f := strings.Fields(line)
	if len(f) >= 3 {
		n, err := strconv.Atoi(f[1])
		if err == nil {
			switch strings.ToUpper(f[2]) {
			case "EXISTS":
				c.exists = n
			case "EXPUNGE":
				c.exists--
			}
		}
	}
	c.noteCode(line)
}

// noteCode reads UIDNEXT from a response code.
func (c *conn) noteCode(line string) {
	if i := strings.Index(line, "[UIDNEXT "); i >= 0 {
		rest := line[i+len("[UIDNEXT "):]
		if j := strings.IndexByte(rest, ']'); j > 0 {
			if n, err := strconv.ParseUint(rest[:j], 10, 32); err == nil {
				c.uidNext = uint32(n)
			}
		}
	}
}

// maxLiteral bounds a literal we read (and discard).
const maxLiteral = 64 << 20

// readLine reads one response line; a literal it announces is read and
// discarded, and the line goes on after it.
func (c *conn) readLine() (string, error) {
	var b strings.Builder
	for {
		line, err := c.r.ReadString('\n')
		if err != nil {
			return "", err
		}
		line = strings.TrimRight(line, "\r\n")
		b.WriteString(line)
		n, ok := literalSize(line)
		if !ok {
			return b.String(), nil
		}
		if n > maxLiteral {
			return "", fmt.Errorf("literal of %d bytes", n)
		}
		if _, err := io.CopyN(io.Discard, c.r, n); err != nil {
			return "", err
		}
	}
}

// literalSize reports the size of a literal announced at the end of line.
func literalSize(line string) (int64, bool) {
	if !strings.HasSuffix(line, "}") {
		return 0, false
	}
	i := strings.LastIndexByte(line, '{')
	if i < 0 {
		return 0, false
	}
	n, err := strconv.ParseInt(strings.TrimSuffix(line[i+1:len(line)-1], "+"), 10, 64)
	if err != nil || n < 0 {
		return 0, false
	}
	return n, true
}

// append sends APPEND with a synchronizing literal (RFC 9051 section
// 4.3) and returns the UID from APPENDUID (RFC 4315 section 3), or 0.
func (c *conn) append(mailbox string, msg []byte) (uint32, error) {
	c.tag++
	tag := "a" + strconv.Itoa(c.tag)
	fmt.Fprintf(c.w, "%s APPEND %s {%d}\r\n", tag, quote(mailbox), len(msg))
	if err := c.w.Flush(); err != nil {
		return 0, err
	}
	for {
		line, err := c.readLine()
		if err != nil {
			return 0, err
		}
		if strings.HasPrefix(line, "+") {
			break
		}
		if strings.HasPrefix(line, tag+" ") {
			return 0, &commandError{line}
		}
		c.noteUntagged(line)
	}
	c.w.Write(msg)
	c.w.WriteString("\r\n")
	if err := c.w.Flush(); err != nil {
		return 0, err
	}
	if _, err := c.wait(tag); err != nil {
		return 0, err
	}
	// "[APPENDUID uidvalidity uid]" in the tagged OK.
	i := strings.Index(c.lastOK, "[APPENDUID ")
	if i < 0 {
		return 0, nil
	}
	f := strings.Fields(strings.TrimRight(c.lastOK[i:], "]"))
	if len(f) < 3 {
		return 0, nil
	}
	uid, err := strconv.ParseUint(strings.TrimSuffix(f[2], "]"), 10, 32)
	if err != nil {
		return 0, nil
	}
	if uint32(uid) >= c.uidNext {
		c.uidNext = uint32(uid) + 1
	}
	return uint32(uid), nil
}

// idle enters IDLE (RFC 2177, RFC 9051 section 6.3.13) and leaves it with
// DONE as soon as the server accepts it.
func (c *conn) idle() error {
	c.tag++
	tag := "a" + strconv.Itoa(c.tag)
	fmt.Fprintf(c.w, "%s IDLE\r\n", tag)
	if err := c.w.Flush(); err != nil {
		return err
	}
	for {
		line, err := c.readLine()
		if err != nil {
			return err
		}
		if strings.HasPrefix(line, "+") {
			break
		}
		if strings.HasPrefix(line, tag+" ") {
			return &commandError{line}
		}
		c.noteUntagged(line)
	}
	c.w.WriteString("DONE\r\n")
	if err := c.w.Flush(); err != nil {
		return err
	}
	_, err := c.wait(tag)
	return err
}
