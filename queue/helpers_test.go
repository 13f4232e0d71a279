package queue

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/emersion/go-message"
	mtextproto "github.com/emersion/go-message/textproto"
)

// t0 is when the fake clock of a testing/synctest bubble starts
// (midnight UTC, 2000-01-01), in the local zone as time.Now gives it.
var t0 = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC).Local()

// testEnv is a started queue with a recording deliverer, in a
// testing/synctest bubble: days of schedule pass in fake time.
type testEnv struct {
	t      *testing.T
	dir    string
	q      *Queue
	d      *fakeDeliverer
	events *eventLog
	logBuf *syncBuffer
}

type envOption func(*Options)

// newTestEnv opens and starts a queue in a temporary directory. It must
// run at the start of a synctest bubble (synctest.Test), at t0. Unless
// durable is requested through an option setting fs, fsync is skipped:
// these tests are about scheduling, and durability has tests of its own.
func newTestEnv(t *testing.T, opts ...envOption) *testEnv {
	t.Helper()
	if !time.Now().Equal(t0) {
		t.Fatalf("newTestEnv at %v: not at the start of a synctest bubble", time.Now())
	}
	te := &testEnv{t: t, dir: t.TempDir(), events: &eventLog{}, logBuf: &syncBuffer{}}
	te.d = newFakeDeliverer()
	o := Options{
		Deliverer: te.d,
		Hostname:  "mx.test.example",
		OnEvent:   te.events.add,
		Logger:    slog.New(slog.NewTextHandler(te.logBuf, nil)),
		fs:        osFS{noSync: true},
	}
	for _, f := range opts {
		f(&o)
	}
	q, err := Open(te.dir, o)
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Start(); err != nil {
		t.Fatal(err)
	}
	te.q = q
	t.Cleanup(func() { q.Close() })
	return te
}

func (te *testEnv) enqueue(env Envelope, body string) string {
	te.t.Helper()
	id, err := te.q.Enqueue(context.Background(), env, strings.NewReader(body))
	if err != nil {
		te.t.Fatalf("Enqueue: %v", err)
	}
	return id
}

// runUntil lets the fake time of the bubble run to end, and returns once
// the queue has done everything due by then: each timer fires at its
// exact time, and the queue works while the fake time stands still.
func (te *testEnv) runUntil(end time.Time) {
	te.t.Helper()
	time.Sleep(time.Until(end))
	synctest.Wait()
}

// call is one recorded Deliver call.
type call struct {
	at      time.Time
	id      string
	from    string
	domain  string
	rcpts   []Recipient
	body    string
	attempt int
}

func (c call) addrs() []string {
	var s []string
	for _, r := range c.rcpts {
		s = append(s, r.Address)
	}
	return s
}

// fakeDeliverer records calls and answers with behave (default: every
// recipient delivered). It counts attempts in flight, globally and per
// domain; while gate is set (hold), each call waits for it to close.
type fakeDeliverer struct {
	mu             sync.Mutex
	behave         func(d *Delivery) []Result
	calls          []call
	inflight       int
	maxInflight    int
	domainInflight map[string]int
	maxDomain      map[string]int
	gate           chan struct{}
}

func newFakeDeliverer() *fakeDeliverer {
	return &fakeDeliverer{domainInflight: map[string]int{}, maxDomain: map[string]int{}}
}

func (f *fakeDeliverer) setBehave(b func(d *Delivery) []Result) {
	f.mu.Lock()
	f.behave = b
	f.mu.Unlock()
}

func (f *fakeDeliverer) Deliver(ctx context.Context, d *Delivery) []Result {
	rc, err := d.Open()
	var body []byte
	if err == nil {
		body, err = io.ReadAll(rc)
		rc.Close()
	}
	if err != nil {
		return []Result{TempFail(0, "", "cannot read body: "+err.Error(), "")}
	}
	f.mu.Lock()
	f.calls = append(f.calls, call{at: time.Now(), id: d.ID, from: d.From, domain: d.Domain, rcpts: d.Recipients, body: string(body), attempt: d.Attempt})
	f.inflight++
	f.maxInflight = max(f.maxInflight, f.inflight)
	f.domainInflight[d.Domain]++
	f.maxDomain[d.Domain] = max(f.maxDomain[d.Domain], f.domainInflight[d.Domain])
	gate, behave := f.gate, f.behave
	f.mu.Unlock()
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
		}
	}
	f.mu.Lock()
	f.inflight--
	f.domainInflight[d.Domain]--
	f.mu.Unlock()
	if behave == nil || d.From == "" && strings.HasSuffix(d.Domain, "sender.example") {
		// DSNs to the senders of these tests are delivered.
		return []Result{Delivered(250, "2.0.0", "OK", "mx."+d.Domain)}
	}
	return behave(d)
}

// setBehaveNth sets behave to b, which is given the number of the call,
// from 1.
func (f *fakeDeliverer) setBehaveNth(b func(n int, d *Delivery) []Result) {
	var mu sync.Mutex
	n := 0
	f.setBehave(func(d *Delivery) []Result {
		mu.Lock()
		n++
		k := n
		mu.Unlock()
		return b(k, d)
	})
}

// hold makes the Deliver calls from now on wait until release is called
// (or their context ends): synctest.Wait then returns with the calls held
// in flight.
func (f *fakeDeliverer) hold() (release func()) {
	gate := make(chan struct{})
	f.mu.Lock()
	f.gate = gate
	f.mu.Unlock()
	return func() {
		f.mu.Lock()
		f.gate = nil
		f.mu.Unlock()
		close(gate)
	}
}

// attemptHeld enqueues a message to x@a.example whose attempts fail
// temporarily, and returns once its first attempt is held in flight.
func (te *testEnv) attemptHeld() (id string, release func()) {
	te.t.Helper()
	release = te.d.hold()
	te.d.setBehave(tempFail)
	id = te.enqueue(Envelope{From: "alice@sender.example", Recipients: []Recipient{{Address: "x@a.example"}}}, basicBody)
	synctest.Wait()
	return id, release
}

func (f *fakeDeliverer) allCalls() []call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]call(nil), f.calls...)
}

// callsTo returns the attempts for message id.
func (f *fakeDeliverer) callsFor(id string) []call {
	var out []call
	for _, c := range f.allCalls() {
		if c.id == id {
			out = append(out, c)
		}
	}
	return out
}

// dsns returns the bodies of the null-sender messages delivered, which in
// these tests are the DSNs, in order.
func (f *fakeDeliverer) dsns() []call {
	var out []call
	seen := map[string]bool{}
	for _, c := range f.allCalls() {
		if c.from == "" && !seen[c.id] {
			seen[c.id] = true
			out = append(out, c)
		}
	}
	return out
}

// eventLog records events.
type eventLog struct {
	mu sync.Mutex
	ev []Event
}

func (l *eventLog) add(e Event) {
	l.mu.Lock()
	l.ev = append(l.ev, e)
	l.mu.Unlock()
}

func (l *eventLog) kind(k EventKind) []Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []Event
	for _, e := range l.ev {
		if e.Kind == k {
			out = append(out, e)
		}
	}
	return out
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// parsedDSN is a DSN taken apart with go-message.
type parsedDSN struct {
	header     message.Header
	human      string
	perMessage mtextproto.Header
	perRcpt    []mtextproto.Header
	origType   string
	orig       string
}

func (p *parsedDSN) rcpt(addr string) (mtextproto.Header, bool) {
	for _, h := range p.perRcpt {
		if strings.EqualFold(h.Get("Final-Recipient"), "rfc822; "+addr) {
			return h, true
		}
	}
	return mtextproto.Header{}, false
}

// parseDSN parses an RFC 3464 report with go-message and fails the test if
// it does not have the required structure.
func parseDSN(t *testing.T, raw string) *parsedDSN {
	t.Helper()
	// The standard library's parser must accept it too.
	nm, err := mail.ReadMessage(strings.NewReader(raw))
	if err != nil {
		t.Fatalf("net/mail: %v", err)
	}
	if _, err := nm.Header.Date(); err != nil {
		t.Fatalf("net/mail Date: %v", err)
	}
	if _, err := nm.Header.AddressList("From"); err != nil {
		t.Fatalf("net/mail From: %v", err)
	}
	if _, err := nm.Header.AddressList("To"); err != nil {
		t.Fatalf("net/mail To: %v", err)
	}
	e, err := message.Read(strings.NewReader(raw))
	if err != nil {
		t.Fatalf("DSN does not parse: %v\n%s", err, raw)
	}
	mt, params, err := e.Header.ContentType()
	if err != nil || mt != "multipart/report" || params["report-type"] != "delivery-status" {
		t.Fatalf("DSN content type %q %v (%v)", mt, params, err)
	}
	p := &parsedDSN{header: e.Header}
	mr := e.MultipartReader()
	if mr == nil {
		t.Fatal("DSN is not multipart")
	}
	var parts []*message.Entity
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("DSN part: %v", err)
		}
		parts = append(parts, part)
		if len(parts) > 3 {
			t.Fatal("DSN has more than 3 parts")
		}
		body, err := io.ReadAll(part.Body)
		if err != nil {
			t.Fatal(err)
		}
		ct, _, _ := part.Header.ContentType()
		switch len(parts) {
		case 1:
			if ct != "text/plain" {
				t.Fatalf("first part is %q", ct)
			}
			p.human = string(body)
		case 2:
			if ct != "message/delivery-status" {
				t.Fatalf("second part is %q", ct)
			}
			br := bufio.NewReader(bytes.NewReader(body))
			h, err := mtextproto.ReadHeader(br)
			if err != nil {
				t.Fatalf("per-message fields: %v", err)
			}
			p.perMessage = h
			for {
				if _, err := br.Peek(1); err == io.EOF {
					break
				}
				h, err := mtextproto.ReadHeader(br)
				if err != nil && !errors.Is(err, io.EOF) {
					t.Fatalf("per-recipient fields: %v", err)
				}
				if h.Len() > 0 {
					p.perRcpt = append(p.perRcpt, h)
				}
				if err != nil {
					break
				}
			}
		case 3:
			p.origType = ct
			p.orig = string(body)
		}
	}
	if len(parts) != 3 {
		t.Fatalf("DSN has %d parts", len(parts))
	}
	return p
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

// msgFiles lists what the queue directory at dir holds for messages: the
// files in msg/, and "seg:<id>" for each record of a segment that its
// .done file does not mark finished.
func msgFiles(t *testing.T, dir string) []string {
	t.Helper()
	names := dirNames(t, filepath.Join(dir, "msg"))
	for _, name := range dirNames(t, filepath.Join(dir, "seg")) {
		base, ok := strings.CutSuffix(name, segSuffix)
		if !ok {
			continue
		}
		path := filepath.Join(dir, "seg", name)
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		fi, _ := f.Stat()
		sc, err := scanSegment(f, fi.Size())
		if err != nil {
			names = append(names, "bad segment "+name+": "+err.Error())
			f.Close()
			continue
		}
		f.Close()
		data, _ := os.ReadFile(filepath.Join(dir, "seg", base+doneSuffix))
		marks := parseDone(data)
		for _, r := range sc.records {
			if !marks[r.id] {
				names = append(names, "seg:"+r.id)
			}
		}
	}
	return names
}

func newTextLogger(w io.Writer) *slog.Logger { return slog.New(slog.NewTextHandler(w, nil)) }
