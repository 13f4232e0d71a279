package delivery

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/mailwright/mailwright/mailbox"
	"github.com/mailwright/mailwright/queue"
	"github.com/mailwright/mailwright/smtp"
	"github.com/miekg/dns"
)

// Test accounts: alice and bob at example.org (and example.net, a second
// local domain), password "secret".
const testPassword = "secret"

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// testAgent returns an Agent over a memory store with alice and bob.
func testAgent(t testing.TB) *Agent {
	t.Helper()
	accts := mailbox.NewMemoryAccounts()
	accts.Domains = []string{"example.org", "example.net"}
	for _, u := range []string{"alice", "bob"} {
		if err := accts.Add(u, testPassword); err != nil {
			t.Fatal(err)
		}
	}
	store := mailbox.NewMemoryStore()
	t.Cleanup(func() { store.Close() })
	return &Agent{
		Hostname: "mx.example.org",
		Domains:  []string{"example.org", "example.net"},
		Accounts: accts,
		Store:    store,
		Logger:   discardLogger(),
	}
}

// serve runs an SMTP server for backend on a loopback port until the test
// ends, and returns its address. configure may change the server first.
func serve(t testing.TB, backend smtp.Backend, configure ...func(*smtp.Server)) string {
	t.Helper()
	s := &smtp.Server{
		Domain:            "mx.example.org",
		Backend:           backend,
		AllowInsecureAuth: true,
		EnableDSN:         true,
		Logger:            discardLogger(),
	}
	for _, f := range configure {
		f(s)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(l) }()
	t.Cleanup(func() {
		s.Close()
		if err := <-done; !errors.Is(err, smtp.ErrServerClosed) {
			t.Errorf("Serve: %v", err)
		}
	})
	return l.Addr().String()
}

// dial connects to addr; the connection is closed when the test ends.
func dial(t testing.TB, addr string) net.Conn {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// transcript drives a session from a script of "C: line" (sent with CRLF;
// consecutive C lines go out in one write, as a pipelining client sends
// them) and "S: line" (the next reply line must equal it, or start with it
// when it ends in "*"). Leading tabs are ignored. A reader may be reused
// across calls on the same connection.
func transcript(t *testing.T, conn net.Conn, br *bufio.Reader, script string) {
	t.Helper()
	var pending strings.Builder
	flush := func() {
		if pending.Len() > 0 {
			if _, err := io.WriteString(conn, pending.String()); err != nil {
				t.Fatalf("write: %v", err)
			}
			pending.Reset()
		}
	}
	for _, raw := range strings.Split(script, "\n") {
		line := strings.TrimLeft(raw, "\t ")
		switch {
		case line == "":
		case line == "C:":
			pending.WriteString("\r\n")
		case strings.HasPrefix(line, "C: "):
			pending.WriteString(line[3:] + "\r\n")
		case strings.HasPrefix(line, "S: "):
			flush()
			conn.SetReadDeadline(time.Now().Add(10 * time.Second))
			got, err := br.ReadString('\n')
			if err != nil {
				t.Fatalf("reading reply (want %q): %v", line[3:], err)
			}
			got = strings.TrimSuffix(got, "\r\n")
			want := line[3:]
			if prefix, ok := strings.CutSuffix(want, "*"); ok {
				if !strings.HasPrefix(got, prefix) {
					t.Fatalf("S: got %q, want %q", got, want)
				}
			} else if got != want {
				t.Fatalf("S: got %q, want %q", got, want)
			}
		default:
			t.Fatalf("bad transcript line %q", line)
		}
	}
	flush()
}

// ehlo is the greeting and EHLO part of a transcript against serve's
// server (with EnableDSN and insecure AUTH).
const ehlo = `
	S: 220 *
	C: EHLO client.test
	S: 250-mx.example.org*
	S: 250-PIPELINING
	S: 250-8BITMIME
	S: 250-ENHANCEDSTATUSCODES
	S: 250-SIZE 33554432
	S: 250-CHUNKING
	S: 250-BINARYMIME
	S: 250-SMTPUTF8
	S: 250-DSN
	S: 250 AUTH PLAIN LOGIN SCRAM-SHA-256
`

// authPlain is "AUTH PLAIN" for alice.
const authPlain = `
	C: AUTH PLAIN AGFsaWNlAHNlY3JldA==
	S: 235 2.7.0 *
`

// inbox returns the messages in user's INBOX, oldest first.
func inbox(t testing.TB, store *mailbox.Store, user string) []string {
	t.Helper()
	ctx := context.Background()
	f, err := store.OpenFolder(ctx, user, mailbox.Inbox)
	if err != nil {
		t.Fatalf("open %s's INBOX: %v", user, err)
	}
	defer f.Close()
	var out []string
	for _, m := range f.Messages() {
		r, err := f.Open(ctx, m.UID)
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(r)
		r.Close()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, string(b))
	}
	return out
}

// waitInbox waits until user's INBOX holds at least n messages.
func waitInbox(t testing.TB, store *mailbox.Store, user string, n int) []string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		msgs := inbox(t, store, user)
		if len(msgs) >= n {
			return msgs
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s's INBOX has %d messages, want %d", user, len(msgs), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// recordingQueue is a queue.Enqueuer that keeps what it is given.
type recordingQueue struct {
	mu   sync.Mutex
	envs []queue.Envelope
	msgs []string
	err  error
}

func (q *recordingQueue) Enqueue(ctx context.Context, env queue.Envelope, body io.Reader) (string, error) {
	b, err := io.ReadAll(body)
	if err != nil {
		return "", err
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.err != nil {
		return "", q.err
	}
	q.envs = append(q.envs, env)
	q.msgs = append(q.msgs, string(b))
	return "q1", nil
}

func (q *recordingQueue) get() ([]queue.Envelope, []string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return append([]queue.Envelope(nil), q.envs...), append([]string(nil), q.msgs...)
}

// headerFields returns the header of a stored message as "Name: value"
// lines, unfolded, in order.
func headerFields(msg string) []string {
	head, _, _ := strings.Cut(msg, "\r\n\r\n")
	var fields []string
	for _, line := range strings.Split(head, "\r\n") {
		if (strings.HasPrefix(line, " ") || strings.HasPrefix(line, "\t")) && len(fields) > 0 {
			fields[len(fields)-1] += " " + strings.TrimLeft(line, " \t")
			continue
		}
		fields = append(fields, line)
	}
	return fields
}

// dnsZone is a fake DNS zone: records by owner name (lower case, with the
// final dot). A name that is not in the map is NXDOMAIN.
type dnsZone map[string][]dns.RR

// startDNS serves zone over UDP on a loopback port until the test ends.
func startDNS(t testing.TB, records ...string) string {
	t.Helper()
	zone := dnsZone{}
	for _, s := range records {
		rr, err := dns.NewRR(s)
		if err != nil {
			t.Fatalf("record %q: %v", s, err)
		}
		name := strings.ToLower(rr.Header().Name)
		zone[name] = append(zone[name], rr)
	}
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	started := make(chan struct{})
	srv := &dns.Server{
		PacketConn:        pc,
		NotifyStartedFunc: func() { close(started) },
		Handler: dns.HandlerFunc(func(w dns.ResponseWriter, req *dns.Msg) {
			m := new(dns.Msg)
			m.SetReply(req)
			m.Authoritative = true
			q := req.Question[0]
			rrs, ok := zone[strings.ToLower(q.Name)]
			if !ok {
				m.Rcode = dns.RcodeNameError
			}
			for _, rr := range rrs {
				if rr.Header().Rrtype == q.Qtype {
					m.Answer = append(m.Answer, rr)
				}
			}
			w.WriteMsg(m)
		}),
	}
	go srv.ActivateAndServe()
	<-started
	t.Cleanup(func() { srv.Shutdown() })
	return pc.LocalAddr().String()
}

// eventLog collects queue events and lets a test wait for one.
type eventLog struct {
	mu      sync.Mutex
	events  []queue.Event
	changed chan struct{}
}

func newEventLog() *eventLog { return &eventLog{changed: make(chan struct{})} }

func (l *eventLog) add(e queue.Event) {
	l.mu.Lock()
	l.events = append(l.events, e)
	close(l.changed)
	l.changed = make(chan struct{})
	l.mu.Unlock()
}

// waitNth returns the nth event (from 1) that matches, waiting up to 10
// seconds.
func (l *eventLog) waitNth(t testing.TB, match func(queue.Event) bool, nth int) queue.Event {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		l.mu.Lock()
		n := 0
		for _, e := range l.events {
			if match(e) {
				if n++; n == nth {
					l.mu.Unlock()
					return e
				}
			}
		}
		ch := l.changed
		l.mu.Unlock()
		select {
		case <-ch:
		case <-timeout:
			t.Fatalf("no matching queue event #%d; got %v", nth, l.kinds())
		}
	}
}

// wait returns the first event that matches, waiting up to 10 seconds.
func (l *eventLog) wait(t testing.TB, match func(queue.Event) bool) queue.Event {
	t.Helper()
	return l.waitNth(t, match, 1)
}

func (l *eventLog) count(kind queue.EventKind) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, e := range l.events {
		if e.Kind == kind {
			n++
		}
	}
	return n
}

func (l *eventLog) kinds() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, e := range l.events {
		out = append(out, e.Kind.String()+":"+strings.Join(e.Recipients, ","))
	}
	return out
}

func isEvent(kind queue.EventKind, rcpt string) func(queue.Event) bool {
	return func(e queue.Event) bool {
		if e.Kind != kind {
			return false
		}
		for _, r := range e.Recipients {
			if strings.EqualFold(r, rcpt) {
				return true
			}
		}
		return rcpt == ""
	}
}

// message returns a test message of about size bytes.
func message(subject string, size int) string {
	var b bytes.Buffer
	b.WriteString("From: alice@example.org\r\nTo: someone@example.test\r\nSubject: " + subject + "\r\nMessage-ID: <" + subject + "@example.org>\r\n\r\n")
	for b.Len() < size {
		b.WriteString("Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod.\r\n")
	}
	return b.String()
}

func plainAuth(user, pass string) sasl.Client { return sasl.NewPlainClient("", user, pass) }

// kindsOf returns the events of one kind, in order.
func (l *eventLog) kindsOf(kind queue.EventKind) []queue.Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []queue.Event
	for _, e := range l.events {
		if e.Kind == kind {
			out = append(out, e)
		}
	}
	return out
}
