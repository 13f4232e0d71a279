package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/mailwright/mailwright/mailbox"
)

func newAPI(t *testing.T) (*Catcher, *httptest.Server) {
	t.Helper()
	store := mailbox.NewMemoryStore()
	t.Cleanup(func() { store.Close() })
	c := &Catcher{Store: store}
	api := httptest.NewServer(c.Handler())
	t.Cleanup(api.Close)
	return c, api
}

func send(t *testing.T, c *Catcher, from string, to []string, msg string) {
	t.Helper()
	ctx := context.Background()
	s, _ := c.NewSession(ctx, nil)
	s.Mail(ctx, from, nil)
	for _, r := range to {
		s.Rcpt(ctx, r, nil)
	}
	if err := s.Data(ctx, strings.NewReader(msg)); err != nil {
		t.Fatal(err)
	}
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestDecoding(t *testing.T) {
	t.Parallel()
	c, api := newAPI(t)
	send(t, c, "", []string{"bob@example.org"}, "Subject: =?ISO-8859-1?Q?Caf=E9?=\r\n"+
		"Content-Type: multipart/alternative; boundary=b\r\n\r\n"+
		"--b\r\nContent-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nun caf=E9\r\n"+
		"--b\r\nContent-Type: text/html\r\n\r\n<p>html</p>\r\n--b--\r\n")
	code, body := get(t, api.URL+"/api/messages/1")
	var d Detail
	if err := json.Unmarshal([]byte(body), &d); err != nil || code != 200 {
		t.Fatalf("%d %v: %s", code, err, body)
	}
	if d.Subject != "Café" || d.Text != "un café" /* the CRLF before a boundary belongs to it (RFC 2046 5.1.1) */ || d.From != "" || d.To[0] != "bob@example.org" {
		t.Fatalf("detail: %+v", d)
	}
}

func TestBadRequests(t *testing.T) {
	t.Parallel()
	_, api := newAPI(t)
	for _, tc := range []struct {
		path string
		code int
	}{
		{"/api/messages/abc", http.StatusBadRequest},
		{"/api/messages/1", http.StatusNotFound},
		{"/api/wait?timeout=forever", http.StatusBadRequest},
		{"/api/wait?timeout=-1s", http.StatusBadRequest},
		{"/api/wait?timeout=1h", http.StatusBadRequest},
		{"/api/wait?timeout=10ms", http.StatusGatewayTimeout},
		{"/api/messages", http.StatusOK},
	} {
		if code, body := get(t, api.URL+tc.path); code != tc.code {
			t.Errorf("GET %s: %d %s, want %d", tc.path, code, body, tc.code)
		}
	}
	// Only GET and DELETE are routed.
	resp, err := http.Post(api.URL+"/api/messages", "text/plain", strings.NewReader("x"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /api/messages: %d", resp.StatusCode)
	}
}

func BenchmarkList(b *testing.B) {
	store := mailbox.NewMemoryStore()
	defer store.Close()
	c := &Catcher{Store: store}
	ctx := context.Background()
	for range 100 {
		s, _ := c.NewSession(ctx, nil)
		s.Mail(ctx, "a@example.org", nil)
		s.Rcpt(ctx, "b@example.org", nil)
		if err := s.Data(ctx, strings.NewReader("Subject: hello\r\n\r\nbody\r\n")); err != nil {
			b.Fatal(err)
		}
	}
	h := c.Handler()
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", "/api/messages", nil))
		if w.Code != 200 {
			b.Fatal(w.Code)
		}
	}
}

// BenchmarkPage renders the first page of a mailbox of 5000 messages, and
// a search through it: what the page costs a tester who leaves it open.
func BenchmarkPage(b *testing.B) {
	store := mailbox.NewMemoryStore()
	defer store.Close()
	c := &Catcher{Store: store}
	ctx := context.Background()
	for i := range 5000 {
		s, _ := c.NewSession(ctx, nil)
		s.Mail(ctx, "app@example.org", nil)
		s.Rcpt(ctx, "user"+strconv.Itoa(i%50)+"@example.org", nil)
		if err := s.Data(ctx, strings.NewReader("From: App <app@example.org>\r\nSubject: message "+strconv.Itoa(i)+"\r\n\r\nbody\r\n")); err != nil {
			b.Fatal(err)
		}
	}
	h := c.Handler()
	// The first list reads every message once; the page's lists after it
	// read none.
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	for _, path := range []string{"/", "/?q=to:user7%40+subject:%22message+4%22", "/?page=100"} {
		b.Run(path, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				w := httptest.NewRecorder()
				h.ServeHTTP(w, httptest.NewRequest("GET", path, nil))
				if w.Code != 200 {
					b.Fatal(w.Code)
				}
			}
		})
	}
}
