package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mailwright/mailwright/smtp"
	"github.com/mailwright/mailwright/smtp/smtptest"
)

// request sends a request to the catcher and returns the status and body.
func (tc *testCatcher) request(t testing.TB, method, path, body string, header ...string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, tc.web.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestSearchAndPages: the API's list searches and pages as the page does,
// oldest first, and the page shows newest first, 50 a page.
func TestSearchAndPages(t *testing.T) {
	tc := newTestCatcher(t)
	for i := range 55 {
		to := "bob@example.org"
		if i%5 == 0 {
			to = "carol@example.org"
		}
		tc.mustSend(t, "app@example.org", []string{to}, "Subject: number "+itoa(uint32(i))+"\r\n\r\nbody "+itoa(uint32(i))+"\r\n")
	}
	subjects := func(body string) string {
		var list []Summary
		if err := json.Unmarshal([]byte(body), &list); err != nil {
			t.Fatalf("%v: %s", err, body)
		}
		var s []string
		for _, m := range list {
			s = append(s, strings.TrimPrefix(m.Subject, "number "))
		}
		return strings.Join(s, ",")
	}
	for _, c := range []struct{ query, want string }{
		{"?q=to:carol+-subject:%2250%22&limit=3", "0,5,10"},
		{"?q=to:carol&offset=9", "45,50"},
		{"?q=body:%22body+54%22", "54"},
		{"?q=is:unread&offset=53", "53,54"},
		{"?q=nothing", ""},
	} {
		if code, body := tc.request(t, "GET", "/api/messages"+c.query, ""); code != 200 || subjects(body) != c.want {
			t.Errorf("%s: %d %s, want %s", c.query, code, subjects(body), c.want)
		}
	}
	for _, bad := range []string{"?q=%22open", "?limit=-1", "?offset=x"} {
		if code, _ := tc.request(t, "GET", "/api/messages"+bad, ""); code != http.StatusBadRequest {
			t.Errorf("%s: %d", bad, code)
		}
	}
	_, page2 := tc.request(t, "GET", "/?page=2", "")
	if !strings.Contains(page2, "51–55 of 55") || !strings.Contains(page2, ">number 4<") || strings.Contains(page2, ">number 5<") {
		t.Errorf("page 2 of the list:\n%s", page2)
	}
	_, searched := tc.request(t, "GET", "/list?q=subject:%22number+1%22", "")
	if !strings.Contains(searched, "11 of 55 messages match") {
		t.Errorf("the list of a search:\n%s", searched)
	}
}

// TestDeleteOne deletes one message over the API.
func TestDeleteOne(t *testing.T) {
	tc := newTestCatcher(t)
	for _, s := range []string{"keep", "drop"} {
		tc.mustSend(t, "a@example.org", []string{"b@example.org"}, "Subject: "+s+"\r\n\r\nx\r\n")
	}
	id := itoa(tc.newest(t, "drop").ID)
	if code, body := tc.request(t, "DELETE", "/api/messages/"+id, ""); code != 200 || !strings.Contains(body, `"deleted": 1`) {
		t.Fatalf("DELETE: %d %s", code, body)
	}
	if code, _ := tc.request(t, "DELETE", "/api/messages/"+id, ""); code != http.StatusNotFound {
		t.Errorf("DELETE again: %d", code)
	}
	if _, body := tc.request(t, "GET", "/api/messages", ""); !strings.Contains(body, "keep") || strings.Contains(body, "drop") {
		t.Errorf("list: %s", body)
	}
}

// TestCrossOrigin: another site's page cannot change anything; the same
// site's page and clients that are not browsers can.
func TestCrossOrigin(t *testing.T) {
	tc := newTestCatcher(t)
	tc.mustSend(t, "a@example.org", []string{"b@example.org"}, "Subject: x\r\n\r\nx\r\n")
	for _, c := range []struct {
		header []string
		code   int
	}{
		{[]string{"Sec-Fetch-Site", "cross-site"}, http.StatusForbidden},
		{[]string{"Origin", "http://evil.example"}, http.StatusForbidden},
		{[]string{"Sec-Fetch-Site", "same-origin"}, http.StatusOK},
		{nil, http.StatusOK}, // curl
	} {
		if code, _ := tc.request(t, "DELETE", "/api/faults", "", c.header...); code != c.code {
			t.Errorf("DELETE with %v: %d, want %d", c.header, code, c.code)
		}
	}
}

// TestReleaseAPI releases over the API, to the envelope recipients or
// others, and reports the relay's refusals.
func TestReleaseAPI(t *testing.T) {
	tc := newTestCatcher(t)
	tc.mustSend(t, "app@example.org", []string{"bob@example.org", "carol@example.org"}, welcome)
	id := itoa(tc.newest(t, "Welcome").ID)
	if code, body := tc.request(t, "POST", "/api/messages/"+id+"/release", ""); code != http.StatusConflict {
		t.Errorf("without a relay: %d %s", code, body)
	}
	relay := smtptest.NewServer(t)
	relay.Inject(smtptest.Fault{Stage: smtptest.AtRcpt, Recipients: []string{"carol@example.org"},
		Reply: &smtp.Error{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No carol here"}})
	tc.c.Relay = &Relay{Addr: relay.Addr, From: "catcher@example.net"}
	code, body := tc.request(t, "POST", "/api/messages/"+id+"/release", "")
	var res ReleaseResult
	json.Unmarshal([]byte(body), &res)
	if code != 200 || len(res.Recipients) != 2 || res.Recipients[0].Error != "" || !strings.Contains(res.Recipients[1].Error, "550 5.1.1 No carol here") {
		t.Fatalf("release: %d %s", code, body)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	m, err := relay.Wait(ctx, smtptest.To("bob@example.org"))
	if err != nil {
		t.Fatal(err)
	}
	if string(m.Raw) != welcome || m.From != "catcher@example.net" {
		t.Errorf("the relay got from %q:\n%q", m.From, m.Raw)
	}
	for _, c := range []struct {
		body string
		code int
	}{
		{`{"to":["carol@example.org"]}`, http.StatusBadGateway}, // every recipient refused
		{`{"to":["not an address"]}`, http.StatusBadRequest},
		{`{"to":[]}`, http.StatusOK}, // the envelope recipients again
		{`{"cc":["x@example.org"]}`, http.StatusBadRequest},
	} {
		if code, body := tc.request(t, "POST", "/api/messages/"+id+"/release", c.body); code != c.code {
			t.Errorf("release %s: %d %s, want %d", c.body, code, body, c.code)
		}
	}
	tc.c.Relay = &Relay{Addr: "127.0.0.1:1"} // nothing listens
	if code, body := tc.request(t, "POST", "/api/messages/"+id+"/release", ""); code != http.StatusBadGateway || !strings.Contains(body, "127.0.0.1:1") {
		t.Errorf("release to nowhere: %d %s", code, body)
	}
}

// TestWithoutTrace: a release sends the message without the fields the
// catcher put first, and only those.
func TestWithoutTrace(t *testing.T) {
	for _, c := range []struct{ stored, sent string }{
		{traceFields("a@b", []string{"c@d", "e@f"}) + "Delivered-To: x@y\r\nSubject: s\r\n\r\nb\r\n", "Subject: s\r\n\r\nb\r\n"},
		{"Subject: s\r\nReturn-Path: <a@b>\r\n\r\nb\r\n", "Subject: s\r\nReturn-Path: <a@b>\r\n\r\nb\r\n"},
		{traceFields("", nil) + "\r\nbody only", "\r\nbody only"},
		{"Return-Path: <a@b>", "Return-Path: <a@b>"}, // not ours: ours end with CRLF
		{"", ""},
	} {
		r, err := withoutTrace(bufio.NewReader(strings.NewReader(c.stored)))
		if err != nil {
			t.Fatal(err)
		}
		if b, _ := io.ReadAll(r); string(b) != c.sent {
			t.Errorf("%q: sent %q, want %q", c.stored, b, c.sent)
		}
	}
}

// TestEvents reads the event stream: messages that came before it started
// (after the UID the page showed) and those that come later, each once,
// and a change for a deletion.
func TestEvents(t *testing.T) {
	tc := newTestCatcher(t)
	tc.mustSend(t, "a@example.org", []string{"b@example.org"}, "Subject: one\r\n\r\nx\r\n")
	tc.mustSend(t, "a@example.org", []string{"b@example.org"}, "From: Two <two@example.org>\r\nSubject: two\r\n\r\nx\r\n")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", tc.web.URL+"/events?after=1", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("Content-Type %q", ct)
	}
	events := bufio.NewScanner(resp.Body)
	next := func() string {
		var ev []string
		for events.Scan() {
			if events.Text() == "" {
				if len(ev) > 0 && !strings.HasPrefix(ev[0], "retry:") {
					return strings.Join(ev, "|")
				}
				ev = nil
				continue
			}
			ev = append(ev, events.Text())
		}
		t.Fatalf("stream ended: %v", events.Err())
		return ""
	}
	if got := next(); got != `event: new|id: 2|data: {"id":2,"sender":"Two","subject":"two"}` {
		t.Errorf("first event %s", got)
	}
	tc.mustSend(t, "a@example.org", []string{"b@example.org"}, "Subject: three\r\n\r\nx\r\n")
	if got := next(); got != `event: new|id: 3|data: {"id":3,"sender":"a@example.org","subject":"three"}` {
		t.Errorf("second event %s", got)
	}
	tc.request(t, "DELETE", "/api/messages/1", "")
	if got := next(); got != "event: change|data: {}" {
		t.Errorf("third event %s", got)
	}
}
