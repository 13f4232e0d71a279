package browsertest

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// Foreign is the "foreign host" of the hostile corpus: an HTTP server on
// another loopback port (so another origin) that records every connection
// and request it gets. The browser's guard refuses requests for it, so a
// hit here is something that escaped the guard: a connection that
// <link rel=preconnect> opens, or a request from a frame that DevTools
// did not see.
type Foreign struct {
	URL string // its origin, "http://127.0.0.1:port"

	srv *httptest.Server
	mu  sync.Mutex
	log []string
}

// NewForeign starts a foreign host, closed when the test ends.
func NewForeign(t testing.TB) *Foreign {
	f := &Foreign{}
	f.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.record("request %s %s", r.Method, r.URL)
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprintln(w, "foreign")
	}))
	f.srv.Config.ConnState = func(c net.Conn, s http.ConnState) {
		if s == http.StateNew {
			f.record("connection from %s", c.RemoteAddr())
		}
	}
	f.srv.Start()
	t.Cleanup(f.srv.Close)
	f.URL = f.srv.URL
	return f
}

func (f *Foreign) record(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.log = append(f.log, fmt.Sprintf(format, args...))
}

// Hits returns and forgets the connections and requests so far.
func (f *Foreign) Hits() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	h := f.log
	f.log = nil
	return h
}
