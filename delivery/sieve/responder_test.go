package sieve

import (
	"context"
	"strings"
	"testing"
	"time"
)

const vacationMessage = "From: \"Ann Other\" <ann@example.org>\r\n" +
	"To: user@example.com\r\n" +
	"Subject: Lunch?\r\n" +
	"Message-ID: <q1@example.org>\r\n" +
	"References: <q0@example.org>\r\n" +
	"\r\n" +
	"Lunch tomorrow?\r\n"

// TestResponderPeriod: one reply per sender per period (RFC 5230 4.2).
func TestResponderPeriod(t *testing.T) {
	now := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
	tr := &fakeTracker{now: &now, seen: map[string]time.Time{}}
	rs := &Responder{Tracker: tr, Hostname: "mx.example.com"}
	v := &Vacation{Reason: "Away.", Period: 24 * time.Hour, Handle: "h"}
	env := Envelope{From: "ann@example.org", To: "user@example.com"}
	msg := NewMessage([]byte(vacationMessage))
	respond := func() bool {
		t.Helper()
		r, err := rs.Respond(context.Background(), v, msg, env, now)
		must(t, err)
		return r != nil
	}
	if !respond() {
		t.Fatal("no first reply")
	}
	now = now.Add(23 * time.Hour)
	if respond() {
		t.Error("a second reply within the period")
	}
	other := env
	other.From = "bob@example.org"
	if r, _ := rs.Respond(context.Background(), v, msg, other, now); r == nil {
		t.Error("no reply to another sender")
	}
	v2 := *v
	v2.Handle = "other"
	if r, _ := rs.Respond(context.Background(), &v2, msg, env, now); r == nil {
		t.Error("no reply for another handle")
	}
	now = now.Add(2 * time.Hour)
	if !respond() {
		t.Error("no reply after the period")
	}
}

func TestResponderDecide(t *testing.T) {
	rs := &Responder{}
	v := &Vacation{Reason: "Away.", Addresses: []string{"alias@example.com"}}
	for _, c := range []struct {
		name   string
		header string
		from   string
		reply  bool
		replyF string
	}{
		{"direct", "To: user@example.com", "ann@example.org", true, "user@example.com"},
		{"cc in a list", "To: x@example.net\r\nCc: \"U\" <USER@example.com>, y@example.net", "ann@example.org", true, "user@example.com"},
		{"alias", "To: alias@example.com", "ann@example.org", true, "alias@example.com"},
		{"not addressed", "To: other@example.com", "ann@example.org", false, ""},
		{"null sender", "To: user@example.com", "", false, ""},
		{"own address", "To: user@example.com", "user@example.com", false, ""},
		{"own alias", "To: user@example.com", "alias@example.com", false, ""},
		{"list", "To: user@example.com\r\nList-Id: <l.example.org>", "ann@example.org", false, ""},
		{"list unsubscribe", "To: user@example.com\r\nList-Unsubscribe: <mailto:u@l.example>", "ann@example.org", false, ""},
		{"auto-submitted", "To: user@example.com\r\nAuto-Submitted: auto-generated", "ann@example.org", false, ""},
		{"auto-submitted no", "To: user@example.com\r\nAuto-Submitted: no (comment)", "ann@example.org", true, "user@example.com"},
		{"bulk", "To: user@example.com\r\nPrecedence: bulk", "ann@example.org", false, ""},
		{"junk", "To: user@example.com\r\nPrecedence: JUNK", "ann@example.org", false, ""},
		{"suppress", "To: user@example.com\r\nX-Auto-Response-Suppress: DR, OOF", "ann@example.org", false, ""},
		{"mailer-daemon", "To: user@example.com", "MAILER-DAEMON@example.org", false, ""},
		{"owner-", "To: user@example.com", "owner-list@example.org", false, ""},
		{"-request", "To: user@example.com", "list-request@example.org", false, ""},
		{"majordomo", "To: user@example.com", "Majordomo@example.org", false, ""},
	} {
		msg := NewMessage([]byte(c.header + "\r\nSubject: x\r\n\r\nbody\r\n"))
		ok, from, why, err := rs.Decide(context.Background(), v, msg, Envelope{From: c.from, To: "user@example.com"})
		must(t, err)
		if ok != c.reply || from != c.replyF {
			t.Errorf("%s: reply %v from %q (%s), want %v from %q", c.name, ok, from, why, c.reply, c.replyF)
		}
	}
}

// TestResponderCompose checks the reply's header (RFC 5230 5, RFC 3834).
func TestResponderCompose(t *testing.T) {
	rs := &Responder{Hostname: "mx.example.com"}
	msg := NewMessage([]byte(vacationMessage))
	env := Envelope{From: "ann@example.org", To: "user@example.com"}
	now := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
	r := rs.Compose(&Vacation{Reason: "Away\nuntil Monday."}, msg, env, "user@example.com", now)
	if r.EnvelopeFrom != "" || r.EnvelopeTo != "ann@example.org" {
		t.Errorf("envelope %q -> %q", r.EnvelopeFrom, r.EnvelopeTo)
	}
	reply := NewMessage(r.Message)
	h := headerIndex(reply.Header)
	for name, want := range map[string]string{
		"from":           "<user@example.com>",
		"to":             `"Ann Other" <ann@example.org>`,
		"subject":        "Auto: Lunch?",
		"in-reply-to":    "<q1@example.org>",
		"references":     "<q0@example.org> <q1@example.org>",
		"auto-submitted": "auto-replied",
		"content-type":   "text/plain; charset=utf-8",
		"date":           "Fri, 01 Mar 2024 12:00:00 +0000",
	} {
		if got := strings.Join(h[name], "|"); got != want {
			t.Errorf("%s: %q, want %q", name, got, want)
		}
	}
	if id := strings.Join(h["message-id"], ""); !strings.HasSuffix(id, "@mx.example.com>") {
		t.Errorf("message-id %q", id)
	}
	if !strings.HasSuffix(string(r.Message), "\r\n\r\nAway\r\nuntil Monday.\r\n") {
		t.Errorf("body:\n%s", r.Message)
	}
	r = rs.Compose(&Vacation{Reason: "Content-Type: text/plain\r\n\r\nHi", MIME: true, Subject: "Ünïcode", From: "Office <office@example.com>"},
		msg, env, "user@example.com", now)
	h = headerIndex(NewMessage(r.Message).Header)
	if h["from"][0] != "Office <office@example.com>" || decodeHeader(h["subject"][0]) != "Ünïcode" || h["content-type"][0] != "text/plain" {
		t.Errorf(":mime reply header %q", h)
	}
}

func TestParseMailto(t *testing.T) {
	for _, c := range []struct {
		uri      string
		to, cc   string
		subject  string
		body     string
		headers  string
		errorful bool
	}{
		{uri: "mailto:a@example.com", to: "a@example.com"},
		{uri: "MAILTO:a@example.com%2Cb%40example.com?cc=c@example.com,d@example.com", to: "a@example.com b@example.com", cc: "c@example.com d@example.com"},
		{uri: "mailto:?to=a@example.com&subject=Hi%20there&body=Line%0D%0A&X-Tag=1&From=evil@example.com", to: "a@example.com", subject: "Hi there", body: "Line\r\n", headers: "X-Tag=1"},
		{uri: "mailto:a@example.com,b@example.com", errorful: true},
		{uri: "mailto:a@example.com%2", errorful: true},
		{uri: "mailto:not-an-address", errorful: true},
		{uri: "mailto:a@example.com?subject=a%0Db", errorful: true},
		{uri: "mailto:a@example.com?bad name=x", errorful: true},
		{uri: "xmpp:a@example.com", errorful: true},
	} {
		m, err := ParseMailto(c.uri)
		if c.errorful {
			if err == nil {
				t.Errorf("%q: accepted: %+v", c.uri, m)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", c.uri, err)
			continue
		}
		var hs []string
		for _, f := range m.Headers {
			hs = append(hs, f.Name+"="+f.Value)
		}
		if strings.Join(m.To, " ") != c.to || strings.Join(m.Cc, " ") != c.cc || m.Subject != c.subject || m.Body != c.body || strings.Join(hs, " ") != c.headers {
			t.Errorf("%q: %+v", c.uri, m)
		}
	}
}

func TestComposeMailto(t *testing.T) {
	src := `require "enotify"; notify :importance "1" :from "alerts@example.com" "mailto:ops@example.com%2Cdev@example.com?cc=boss@example.com&X-Tag=a&body=Look";`
	res, err := evaluate(t, src, vacationMessage, nil, nil)
	must(t, err)
	n := res.Actions[0].(*Notify)
	env := Envelope{From: "ann@example.org", To: "user@example.com"}
	now := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
	out, err := n.ComposeMailto(NewMessage([]byte(vacationMessage)), env, now, "mx.example.com")
	must(t, err)
	if out.EnvelopeFrom != "" || strings.Join(out.Recipients, " ") != "ops@example.com dev@example.com boss@example.com" {
		t.Errorf("envelope %q -> %q", out.EnvelopeFrom, out.Recipients)
	}
	h := headerIndex(NewMessage(out.Message).Header)
	for name, want := range map[string]string{
		"from": "alerts@example.com", "to": "ops@example.com, dev@example.com", "cc": "boss@example.com",
		"subject": "Notification: Lunch?", "importance": "High", "x-tag": "a",
		"auto-submitted": `auto-notified; owner-email="user@example.com"`,
	} {
		if got := strings.Join(h[name], "|"); got != want {
			t.Errorf("%s: %q, want %q", name, got, want)
		}
	}
	if !strings.HasSuffix(string(out.Message), "\r\n\r\nLook\r\n") {
		t.Errorf("message:\n%s", out.Message)
	}
	auto := NewMessage([]byte("Auto-Submitted: auto-generated\r\nSubject: x\r\n\r\n"))
	if out, err := n.ComposeMailto(auto, env, now, ""); out != nil || err != nil {
		t.Errorf("notification about an automatic message: %v, %v", out, err)
	}
}
