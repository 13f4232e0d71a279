package queue

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	mtextproto "github.com/emersion/go-message/textproto"
)

func tempFail(d *Delivery) []Result {
	return []Result{TempFail(451, "4.4.1", "mailbox busy, try later", "mx."+d.Domain)}
}

// TestRetrySchedule: temporary failures are retried every 15 minutes until
// the attempt succeeds.
func TestRetrySchedule(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		te := newTestEnv(t)
		te.d.setBehaveNth(func(n int, d *Delivery) []Result {
			if n <= 3 {
				return tempFail(d)
			}
			return []Result{Delivered(250, "2.0.0", "queued as 1", "mx.b.example")}
		})
		id := te.enqueue(Envelope{From: "alice@sender.example", Recipients: []Recipient{{Address: "bob@b.example"}}}, basicBody)
		te.runUntil(t0.Add(2 * time.Hour))

		calls := te.d.callsFor(id)
		if len(calls) != 4 {
			t.Fatalf("%d attempts, want 4", len(calls))
		}
		for i, c := range calls {
			if want := t0.Add(time.Duration(i) * 15 * time.Minute); !c.at.Equal(want) {
				t.Errorf("attempt %d at %v, want %v", i+1, c.at, want)
			}
			if c.attempt != i+1 || c.body != basicBody || c.domain != "b.example" {
				t.Errorf("attempt %d: %+v", i+1, c)
			}
		}
		if te.q.Len() != 0 {
			t.Errorf("message still queued: %+v", te.q.List())
		}
		if n := msgFiles(t, te.dir); len(n) != 0 {
			t.Errorf("files left: %v", n)
		}
		if d := te.d.dsns(); len(d) != 0 {
			t.Errorf("unexpected DSNs: %d", len(d))
		}
		if ev := te.events.kind(EventDeferred); len(ev) != 3 || !ev[0].Next.Equal(t0.Add(15*time.Minute)) || ev[0].Result.Code != 451 {
			t.Errorf("deferred events: %+v", ev)
		}
		if ev := te.events.kind(EventDelivered); len(ev) != 1 || ev[0].Recipients[0] != "bob@b.example" {
			t.Errorf("delivered events: %+v", ev)
		}
	})
}

// TestDelayWarningAndExpiry: a recipient that keeps failing temporarily
// gets one delay DSN after 4 hours and a failure DSN after 5 days, with
// attempts every 15 minutes in between.
func TestDelayWarningAndExpiry(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		te := newTestEnv(t)
		te.d.setBehave(tempFail)
		env := Envelope{
			From:       "alice@sender.example",
			EnvelopeID: "env-42",
			Recipients: []Recipient{{Address: "bob@b.example", OriginalRecipientType: "rfc822", OriginalRecipient: "bob@alias.example"}},
		}
		id := te.enqueue(env, basicBody)
		envH := env
		envH.Return = ReturnHeaders
		envH.EnvelopeID = ""
		envH.Recipients = []Recipient{{Address: "carol@c.example"}}
		idH := te.enqueue(envH, basicBody)

		te.runUntil(t0.Add(4*time.Hour - time.Second))
		if d := te.d.dsns(); len(d) != 0 {
			t.Fatalf("DSN before 4 hours: %d", len(d))
		}
		te.runUntil(t0.Add(4 * time.Hour))
		dsns := te.d.dsns()
		if len(dsns) != 2 {
			t.Fatalf("%d DSNs at 4 hours, want one delay warning per message", len(dsns))
		}
		if dsns[0].at != t0.Add(4*time.Hour) || dsns[0].rcpts[0].Address != "alice@sender.example" {
			t.Errorf("delay DSN sent at %v to %v", dsns[0].at, dsns[0].addrs())
		}
		var delay *parsedDSN
		for _, c := range dsns {
			p := parseDSN(t, c.body)
			if _, ok := p.rcpt("bob@b.example"); ok {
				delay = p
			}
		}
		if delay == nil {
			t.Fatal("no delay DSN for bob")
		}
		if got := delay.header.Get("Subject"); !strings.Contains(got, "Delayed") {
			t.Errorf("Subject: %q", got)
		}
		h, _ := delay.rcpt("bob@b.example")
		checkFields(t, "delay", h, map[string]string{
			"Action":             "delayed",
			"Status":             "4.4.1",
			"Remote-MTA":         "dns; mx.b.example",
			"Diagnostic-Code":    "smtp; 451 4.4.1 mailbox busy, try later",
			"Will-Retry-Until":   t0.Add(5 * 24 * time.Hour).Format(time.RFC1123Z),
			"Last-Attempt-Date":  t0.Add(3*time.Hour + 45*time.Minute).Format(time.RFC1123Z),
			"Original-Recipient": "rfc822; bob@alias.example",
		})
		checkFields(t, "delay per-message", delay.perMessage, map[string]string{
			"Reporting-MTA":        "dns; mx.test.example",
			"Original-Envelope-Id": "env-42",
			"Arrival-Date":         t0.Format(time.RFC1123Z),
		})
		if delay.origType != "text/rfc822-headers" || !strings.Contains(delay.orig, "Subject: hi") || strings.Contains(delay.orig, "Hello.") {
			t.Errorf("delay DSN returns %s %q, want the header only", delay.origType, delay.orig)
		}

		te.runUntil(t0.Add(5*24*time.Hour + time.Hour))
		calls := te.d.callsFor(id)
		// Attempts at 0, 15m, ..., 5d-15m; at 5d the message expires.
		if len(calls) != 480 {
			t.Errorf("%d attempts in 5 days, want 480", len(calls))
		}
		for i := 1; i < len(calls); i++ {
			if gap := calls[i].at.Sub(calls[i-1].at); gap != 15*time.Minute {
				t.Fatalf("gap before attempt %d: %v", i+1, gap)
			}
		}
		dsns = te.d.dsns()
		if len(dsns) != 4 {
			t.Fatalf("%d DSNs in all, want 4 (a delay warning and a bounce per message)", len(dsns))
		}
		for _, c := range dsns[2:] {
			if !c.at.Equal(t0.Add(5 * 24 * time.Hour)) {
				t.Errorf("bounce at %v", c.at)
			}
			p := parseDSN(t, c.body)
			if got := p.header.Get("Subject"); !strings.Contains(got, "Undelivered") {
				t.Errorf("Subject: %q", got)
			}
			if h, ok := p.rcpt("bob@b.example"); ok {
				checkFields(t, "bounce", h, map[string]string{
					"Action":           "failed",
					"Status":           "4.4.1",
					"Diagnostic-Code":  "smtp; 451 4.4.1 mailbox busy, try later",
					"Will-Retry-Until": "",
				})
				// No RET and a small message: returned in full.
				if p.origType != "message/rfc822" || p.orig != basicBody {
					t.Errorf("bounce returns %s %q", p.origType, p.orig)
				}
			} else if h, ok := p.rcpt("carol@c.example"); ok {
				checkFields(t, "bounce", h, map[string]string{"Action": "failed", "Status": "4.4.1"})
				// RET=HDRS.
				if p.origType != "text/rfc822-headers" || strings.Contains(p.orig, "Hello.") || !strings.HasPrefix(p.orig, "From: alice") {
					t.Errorf("RET=HDRS bounce returns %s %q", p.origType, p.orig)
				}
			} else {
				t.Errorf("bounce for nobody: %v", p.perRcpt)
			}
		}
		if te.q.Len() != 0 {
			t.Errorf("messages left: %+v", te.q.List())
		}
		if ev := te.events.kind(EventDelayWarning); len(ev) != 2 || ev[0].DSN == "" {
			t.Errorf("delay events: %+v", ev)
		}
		bounced := te.events.kind(EventBounced)
		if len(bounced) != 2 || bounced[0].DSN == "" || bounced[0].Result.Code != 451 {
			t.Errorf("bounced events: %+v", bounced)
		}
		_ = idH
	})
}

func checkFields(t *testing.T, what string, h mtextproto.Header, want map[string]string) {
	t.Helper()
	for k, v := range want {
		if got := h.Get(k); got != v {
			t.Errorf("%s: %s = %q, want %q", what, k, got, v)
		}
	}
}

// TestPermanentFailureBouncesAtOnce: a 5xx reply bounces the recipient
// at once, and the DSN lists only the failed recipient.
func TestPermanentFailureBouncesAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		te := newTestEnv(t)
		te.d.setBehave(func(d *Delivery) []Result {
			var res []Result
			for _, r := range d.Recipients {
				if strings.HasPrefix(r.Address, "nobody") {
					res = append(res, PermFail(550, "5.1.1", "No such user here", "mx.b.example"))
				} else {
					res = append(res, Delivered(250, "2.1.5", "OK", "mx.b.example"))
				}
			}
			return res
		})
		id := te.enqueue(Envelope{From: "alice@sender.example", Recipients: []Recipient{{Address: "nobody@b.example"}, {Address: "bob@b.example"}}}, basicBody)
		synctest.Wait()
		if calls := te.d.callsFor(id); len(calls) != 1 || len(calls[0].rcpts) != 2 {
			t.Fatalf("attempts: %+v", calls)
		}
		dsns := te.d.dsns()
		if len(dsns) != 1 || !dsns[0].at.Equal(t0) {
			t.Fatalf("%d DSNs", len(dsns))
		}
		p := parseDSN(t, dsns[0].body)
		if len(p.perRcpt) != 1 {
			t.Fatalf("DSN reports %d recipients, want only the failed one", len(p.perRcpt))
		}
		h, _ := p.rcpt("nobody@b.example")
		checkFields(t, "bounce", h, map[string]string{
			"Action":            "failed",
			"Status":            "5.1.1",
			"Remote-MTA":        "dns; mx.b.example",
			"Diagnostic-Code":   "smtp; 550 5.1.1 No such user here",
			"Last-Attempt-Date": t0.Format(time.RFC1123Z),
		})
		if p.origType != "message/rfc822" || p.orig != basicBody {
			t.Errorf("returned content %s %q", p.origType, p.orig)
		}
		if !strings.Contains(p.human, "nobody@b.example") || !strings.Contains(p.human, "No such user here") {
			t.Errorf("human part: %q", p.human)
		}
		if got := p.header.Get("Auto-Submitted"); got != "auto-replied" {
			t.Errorf("Auto-Submitted: %q", got)
		}
		if got := p.header.Get("From"); !strings.Contains(got, "postmaster@mx.test.example") {
			t.Errorf("From: %q", got)
		}
		if te.q.Len() != 0 {
			t.Errorf("queue: %+v", te.q.List())
		}
		ev := te.events.kind(EventBounced)
		if len(ev) != 1 || ev[0].DSN != dsns[0].id || ev[0].Result.EnhancedCode != "5.1.1" || !slices.Equal(ev[0].Recipients, []string{"nobody@b.example"}) {
			t.Errorf("bounced events: %+v", ev)
		}
	})
}

// TestNotify checks that NOTIFY decides which DSNs are sent (RFC 3461 4.1).
func TestNotify(t *testing.T) {
	cases := []struct {
		name       string
		notify     []DSNNotify
		result     Status
		wantAction []string // actions of the DSNs, in order
	}{
		{"default failure", nil, StatusPermanent, []string{"failed"}},
		{"default delay then expiry", nil, StatusTemporary, []string{"delayed", "failed"}},
		{"default success", nil, StatusDelivered, nil},
		{"success", []DSNNotify{NotifySuccess}, StatusDelivered, []string{"delivered"}},
		{"success only, failure", []DSNNotify{NotifySuccess}, StatusPermanent, nil},
		{"never, failure", []DSNNotify{NotifyNever}, StatusPermanent, nil},
		{"never, expiry", []DSNNotify{NotifyNever}, StatusTemporary, nil},
		{"failure only, expiry", []DSNNotify{NotifyFailure}, StatusTemporary, []string{"failed"}},
		{"delay only, expiry", []DSNNotify{NotifyDelay}, StatusTemporary, []string{"delayed"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				// A slow retry: the schedule itself has its own tests.
				te := newTestEnv(t, func(o *Options) { o.RetryInterval = 2 * time.Hour })
				te.d.setBehave(func(d *Delivery) []Result {
					return []Result{{Status: tc.result, Code: map[Status]int{StatusTemporary: 421, StatusPermanent: 554, StatusDelivered: 250}[tc.result], Message: "reply"}}
				})
				te.enqueue(Envelope{From: "alice@sender.example", Recipients: []Recipient{{Address: "bob@b.example", Notify: tc.notify}}}, basicBody)
				te.runUntil(t0.Add(6 * 24 * time.Hour))
				var got []string
				for _, c := range te.d.dsns() {
					p := parseDSN(t, c.body)
					if len(p.perRcpt) != 1 {
						t.Fatalf("DSN with %d recipients", len(p.perRcpt))
					}
					got = append(got, p.perRcpt[0].Get("Action"))
					if a := p.perRcpt[0].Get("Action"); a == "delivered" {
						checkFields(t, "success", p.perRcpt[0], map[string]string{"Status": "2.0.0", "Diagnostic-Code": "smtp; 250 reply"})
						if p.origType != "text/rfc822-headers" {
							t.Errorf("success DSN returns %s", p.origType)
						}
					}
				}
				if !slices.Equal(got, tc.wantAction) {
					t.Errorf("DSN actions %v, want %v", got, tc.wantAction)
				}
				if te.q.Len() != 0 {
					t.Errorf("message left in the queue")
				}
			})
		})
	}
}

// TestNullSenderNeverBounced: failures of a message from the null sender
// produce no DSN (RFC 5321 4.5.5), only an event; a bounce that cannot be
// delivered is dropped the same way, so there is no loop.
func TestNullSenderNeverBounced(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		te := newTestEnv(t)
		te.d.setBehave(func(d *Delivery) []Result {
			return []Result{PermFail(550, "5.1.1", "no such user", "mx."+d.Domain)}
		})
		id := te.enqueue(Envelope{From: "", Recipients: []Recipient{{Address: "bob@b.example"}}}, basicBody)
		synctest.Wait()
		if calls := te.d.allCalls(); len(calls) != 1 {
			t.Fatalf("%d attempts, want 1 and no DSN", len(calls))
		}
		ev := te.events.kind(EventBounced)
		if len(ev) != 1 || ev[0].ID != id || ev[0].DSN != "" {
			t.Fatalf("bounced events: %+v", ev)
		}
		if !strings.Contains(te.logBuf.String(), "null sender") {
			t.Errorf("not logged: %s", te.logBuf.String())
		}
		// A sender whose domain rejects everything: the bounce to it fails
		// and is dropped.
		id2 := te.enqueue(Envelope{From: "ghost@dead.example", Recipients: []Recipient{{Address: "bob@b.example"}}}, basicBody)
		te.runUntil(t0.Add(6 * 24 * time.Hour))
		calls := te.d.allCalls()
		if len(calls) != 3 || calls[1].id != id2 || calls[2].from != "" || calls[2].rcpts[0].Address != "ghost@dead.example" {
			t.Fatalf("calls: %+v", calls)
		}
		if te.q.Len() != 0 {
			t.Errorf("queue: %+v", te.q.List())
		}
		// Events of different messages may come in any order.
		byID := map[string]Event{}
		for _, ev := range te.events.kind(EventBounced) {
			byID[ev.ID] = ev
		}
		if len(byID) != 3 || byID[id2].DSN != calls[2].id || byID[calls[2].id].DSN != "" {
			t.Errorf("bounced events: %+v", byID)
		}
	})
}

// TestGroupByDomain: the recipients of one domain go in one attempt.
func TestGroupByDomain(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		te := newTestEnv(t)
		id := te.enqueue(Envelope{From: "alice@sender.example", Recipients: []Recipient{
			{Address: "a1@a.example"}, {Address: "b1@b.example"}, {Address: "a2@A.Example"}, {Address: "c@c.example"}, {Address: "b2@b.example"},
		}}, basicBody)
		synctest.Wait()
		got := map[string][]string{}
		for _, c := range te.d.callsFor(id) {
			if _, dup := got[c.domain]; dup {
				t.Errorf("two attempts for %s", c.domain)
			}
			got[c.domain] = c.addrs()
		}
		want := map[string][]string{
			"a.example": {"a1@a.example", "a2@A.Example"},
			"b.example": {"b1@b.example", "b2@b.example"},
			"c.example": {"c@c.example"},
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("attempts by domain: %v, want %v", got, want)
		}
	})
}

// TestWholeAttemptFailure: a single Result applies to every recipient.
func TestWholeAttemptFailure(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		te := newTestEnv(t)
		te.d.setBehave(func(d *Delivery) []Result {
			return []Result{TempFail(0, "4.4.1", "connection refused", "")}
		})
		id := te.enqueue(Envelope{From: "alice@sender.example", Recipients: []Recipient{{Address: "x@b.example"}, {Address: "y@b.example"}}}, basicBody)
		synctest.Wait()
		m, err := te.q.Get(id)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range m.Recipients {
			if r.State != StateDeferred || r.Attempts != 1 || r.Result == nil || r.Result.Message != "connection refused" || !r.NextAttempt.Equal(t0.Add(15*time.Minute)) {
				t.Errorf("recipient %+v", r)
			}
		}
		if len(m.History) != 1 || len(m.History[0].Recipients) != 2 {
			t.Errorf("history %+v", m.History)
		}
	})
}

// TestDelivererPanicAndBadResults: a panic or a wrong number of results is
// a temporary failure, retried.
func TestDelivererPanicAndBadResults(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		te := newTestEnv(t)
		te.d.setBehaveNth(func(n int, d *Delivery) []Result {
			switch n {
			case 1:
				panic("boom")
			case 2:
				return []Result{{}, {}, {}}
			}
			return []Result{Delivered(250, "", "ok", "")}
		})
		id := te.enqueue(Envelope{From: "alice@sender.example", Recipients: []Recipient{{Address: "x@b.example"}, {Address: "y@b.example"}}}, basicBody)
		te.runUntil(t0.Add(time.Hour))
		if calls := te.d.callsFor(id); len(calls) != 3 {
			t.Fatalf("%d attempts", len(calls))
		}
		if te.q.Len() != 0 {
			t.Error("not delivered")
		}
		if !strings.Contains(te.logBuf.String(), "panicked") {
			t.Error("panic not logged")
		}
	})
}

// TestBackoff: exponential backoff with a cap.
func TestBackoff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		te := newTestEnv(t, func(o *Options) {
			o.RetryInterval = time.Minute
			o.BackoffFactor = 2
			o.MaxRetryInterval = 10 * time.Minute
		})
		te.d.setBehave(tempFail)
		id := te.enqueue(Envelope{From: "alice@sender.example", Recipients: []Recipient{{Address: "x@b.example"}}}, basicBody)
		te.runUntil(t0.Add(50 * time.Minute))
		calls := te.d.callsFor(id)
		var gaps []time.Duration
		for i := 1; i < len(calls); i++ {
			gaps = append(gaps, calls[i].at.Sub(calls[i-1].at))
		}
		want := []time.Duration{1, 2, 4, 8, 10, 10, 10}
		for i := range want {
			want[i] *= time.Minute
		}
		if !slices.Equal(gaps, want) {
			t.Errorf("gaps %v, want %v", gaps, want)
		}
	})
}

// TestConcurrencyLimits counts the attempts in flight in the deliverer,
// holding them there while the queue starts all it may.
func TestConcurrencyLimits(t *testing.T) {
	var manyDomains, oneDomain []string
	for i := range 20 {
		manyDomains = append(manyDomains, fmt.Sprintf("u@d%d.example", i%5))
	}
	for i := range 8 {
		oneDomain = append(oneDomain, fmt.Sprintf("u%d@one.example", i))
	}
	oneDomain = append(oneDomain, "v@two.example")
	cases := []struct {
		name                         string
		maxConcurrency, maxPerDomain int
		rcpts                        []string
		inflight                     map[string]int // by domain; "": in all
	}{
		{"global", 3, 2, manyDomains, map[string]int{"": 3}},
		{"per domain", 10, 2, oneDomain, map[string]int{"": 3, "one.example": 2, "two.example": 1}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				te := newTestEnv(t, func(o *Options) { o.MaxConcurrency, o.MaxPerDomain = tc.maxConcurrency, tc.maxPerDomain })
				release := te.d.hold()
				for _, r := range tc.rcpts {
					te.enqueue(Envelope{From: "alice@sender.example", Recipients: []Recipient{{Address: r}}}, basicBody)
				}
				synctest.Wait() // the attempts allowed are held, the others wait in the queue
				te.d.mu.Lock()
				for d, want := range tc.inflight {
					got := te.d.domainInflight[d]
					if d == "" {
						got = te.d.inflight
					}
					if got != want {
						t.Errorf("in flight at %q: %d, want %d", d, got, want)
					}
				}
				te.d.mu.Unlock()
				release()
				synctest.Wait()
				if got := len(te.d.allCalls()); got != len(tc.rcpts) {
					t.Errorf("%d calls, want %d", got, len(tc.rcpts))
				}
				if te.d.maxInflight != tc.inflight[""] {
					t.Errorf("max in flight %d, want %d", te.d.maxInflight, tc.inflight[""])
				}
				for d, n := range te.d.maxDomain {
					if n > tc.maxPerDomain {
						t.Errorf("%s: %d in flight", d, n)
					}
				}
			})
		})
	}
}
