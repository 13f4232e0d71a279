package browsertest

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/emersion/go-message/mail"
)

// TestHostileMailParses: every corpus message is a well-formed message
// with an HTML body (but the text-only one), within SMTP's line length,
// and the names are unique.
func TestHostileMailParses(t *testing.T) {
	seen := map[string]bool{}
	for _, m := range HostileMail("http://127.0.0.1:9") {
		if seen[m.Name] {
			t.Errorf("name %q twice", m.Name)
		}
		seen[m.Name] = true
		for i, line := range strings.Split(string(m.Raw), "\r\n") {
			if len(line) > 998 || strings.ContainsAny(line, "\r\n") {
				t.Errorf("%s: line %d: %d octets or a bare line ending", m.Name, i+1, len(line))
			}
		}
		html := htmlBody(t, m.Raw)
		if (html == "") != (m.Name == "text-only") {
			t.Errorf("%s: HTML body %q", m.Name, html)
		}
		if strings.Contains(html, "{{") {
			t.Errorf("%s: placeholder left: %s", m.Name, html)
		}
	}
}

// htmlBody returns the first text/html part of a message that is not an
// attachment.
func htmlBody(t testing.TB, raw []byte) string {
	t.Helper()
	r, err := mail.CreateReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	for {
		p, err := r.NextPart()
		if err == io.EOF {
			return ""
		}
		if err != nil {
			t.Fatal(err)
		}
		if h, ok := p.Header.(*mail.InlineHeader); ok {
			if ct, _, _ := h.ContentType(); ct == "text/html" {
				b, _ := io.ReadAll(p.Body)
				return string(b)
			}
		}
	}
}

// testApp is a mail application for the self-tests of the check, with
// three ways of showing a message's HTML: two unsafe, one safe but
// without a sanitizer.
type testApp struct {
	mu   sync.Mutex
	html map[string]string
}

func newTestApp(t testing.TB) (*testApp, *httptest.Server) {
	a := &testApp{html: map[string]string{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /inline/{name}", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "<!doctype html><title>inline</title>%s", a.get(r.PathValue("name")))
	})
	mux.HandleFunc("GET /same-origin-frame/{name}", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `<!doctype html><title>framed</title><iframe sandbox="allow-same-origin" src="/raw/%s"></iframe>`, r.PathValue("name"))
	})
	mux.HandleFunc("GET /csp-frame/{name}", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `<!doctype html><title>framed</title><iframe sandbox src="/csp/%s"></iframe>`, r.PathValue("name"))
	})
	mux.HandleFunc("GET /scripted-frame/{name}", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `<!doctype html><title>framed</title><iframe sandbox="allow-scripts" src="/raw/%s"></iframe>`, r.PathValue("name"))
	})
	mux.HandleFunc("GET /raw/{name}", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, a.get(r.PathValue("name")))
	})
	mux.HandleFunc("GET /csp/{name}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", "sandbox; default-src 'none'; style-src 'unsafe-inline'")
		io.WriteString(w, a.get(r.PathValue("name")))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return a, srv
}

func (a *testApp) get(name string) string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.html[name]
}

// hostileApp returns the HostileApp that shows messages at path/{name}.
func (a *testApp) hostileApp(srv *httptest.Server, path string) HostileApp {
	return HostileApp{
		Origin: srv.URL,
		Deliver: func(t testing.TB, m Hostile) {
			a.mu.Lock()
			defer a.mu.Unlock()
			a.html[m.Name] = htmlBody(t, m.Raw)
		},
		Open: func(t testing.TB, b *Browser, m Hostile) {
			b.Do(chromedp.Navigate(srv.URL + path + m.Name))
		},
	}
}

// TestCheckFindsWhatHostileMailDoes: the check is not vacuous. Shown
// unsafely, the corpus runs scripts, reaches the foreign host and reads
// the cookie, and the check says so; shown in a sandboxed frame with a
// strict policy, a script does nothing, but a refresh still takes the
// frame away (which is why an application removes it).
func TestCheckFindsWhatHostileMailDoes(t *testing.T) {
	a, srv := newTestApp(t)
	b := New(t, srv.URL)
	foreign := NewForeign(t)
	secret := setSecretCookie(t, b, srv.URL)
	corpus := map[string]Hostile{}
	for _, m := range HostileMail(foreign.URL) {
		corpus[m.Name] = m
	}
	for _, tc := range []struct {
		path, message string
		want          []string // substrings of the findings; none: no finding
	}{
		{"/inline/", "script", []string{`a script ran: "script"`, "foreign origin: GET " + foreign.URL + "/script.js"}},
		{"/inline/", "event-handlers", []string{`a script ran: "img-onerror"`}},
		{"/inline/", "remote-images", []string{"foreign origin: GET " + foreign.URL + "/pixel.gif", "http://tracker.example/open.gif"}},
		// The first submission navigates away; which of the two gets out
		// first varies.
		{"/inline/", "forms", []string{"a request left for a foreign origin: ", " " + foreign.URL + "/form"}},
		{"/inline/", "prefetch", []string{"foreign origin: GET " + foreign.URL + "/prefetch", "foreign origin: POST " + foreign.URL + "/ping"}},
		{"/same-origin-frame/", "script", []string{"can read the application's cookie"}},
		{"/csp-frame/", "script", nil},
		{"/csp-frame/", "meta-refresh", nil},
		{"/scripted-frame/", "meta-refresh", []string{"foreign origin: GET " + foreign.URL + "/refresh"}},
	} {
		findings := checkOne(t, b, a.hostileApp(srv, tc.path), foreign, secret, corpus[tc.message])
		all := strings.Join(findings, "\n")
		if len(tc.want) == 0 && len(findings) > 0 {
			t.Errorf("%s%s: findings %s", tc.path, tc.message, all)
		}
		for _, w := range tc.want {
			if !strings.Contains(all, w) {
				t.Errorf("%s%s: no finding with %q in:\n%s", tc.path, tc.message, w, all)
			}
		}
	}
}

// TestFrameText reads the DOM of a sandboxed frame with an opaque origin.
func TestFrameText(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `<!doctype html><iframe id="f" sandbox src="/frame"></iframe>`)
	})
	mux.HandleFunc("/frame", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", "sandbox; default-src 'none'")
		io.WriteString(w, `<!doctype html><p id="inner">inside the <b>frame</b></p>`)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	b := New(t, srv.URL)
	b.Do(chromedp.Navigate(srv.URL))
	if got := b.FrameText("#f", "#inner"); got != "inside the frame" {
		t.Errorf("FrameText = %q", got)
	}
}
