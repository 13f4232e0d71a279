package mtasts

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mailwright/mailwright/delivery/spf"
	"github.com/mailwright/mailwright/internal/dnstest"
	"github.com/mailwright/mailwright/internal/testcert"
)

const enforcePolicy = "version: STSv1\r\nmode: enforce\r\nmx: mx.example.test\r\nmax_age: 86400\r\n"

// policyWorld is a DNS server and an HTTPS policy server for example.test,
// and a Client that trusts the server's CA.
type policyWorld struct {
	dns    *dnstest.Server
	body   atomic.Pointer[string] // the policy served
	status atomic.Int32           // the HTTP status served
	hits   atomic.Int32           // requests served
	client *Client
}

func newPolicyWorld(t *testing.T, certNames ...string) *policyWorld {
	t.Helper()
	ca, err := testcert.NewCA()
	if err != nil {
		t.Fatal(err)
	}
	if len(certNames) == 0 {
		certNames = []string{"mta-sts.example.test"}
	}
	cert, err := ca.Issue(certNames...)
	if err != nil {
		t.Fatal(err)
	}
	w := &policyWorld{}
	body := enforcePolicy
	w.body.Store(&body)
	w.status.Store(http.StatusOK)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		w.hits.Add(1)
		if r.URL.Path != "/.well-known/mta-sts.txt" || r.Host != "mta-sts.example.test" {
			http.NotFound(rw, r)
			return
		}
		if s := int(w.status.Load()); s != http.StatusOK {
			http.Redirect(rw, r, "https://elsewhere.test/", s)
			return
		}
		rw.Header().Set("Content-Type", "text/plain")
		rw.Write([]byte(*w.body.Load()))
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	p, _ := strconv.Atoi(port)
	w.dns = dnstest.NewServer(t,
		`_mta-sts.example.test. 60 IN TXT "v=STSv1; id=1"`,
		"mta-sts.example.test. 60 IN A 127.0.0.1",
		"mta-sts.nopolicy.test. 60 IN A 127.0.0.1",
	)
	w.client = &Client{Resolver: &spf.DNS{Server: w.dns.Addr}, RootCAs: ca.Pool(), Port: p, FetchTimeout: 10 * time.Second}
	return w
}

func (w *policyWorld) setRecord(t *testing.T, id string) {
	t.Helper()
	// A new DNS server answer: the resolver cache is bypassed with a
	// fresh Resolver.
	if err := w.dns.Add(`_mta-sts.example.test. 60 IN TXT "v=STSv1; id=` + id + `"`); err != nil {
		t.Fatal(err)
	}
	w.client.Resolver = &spf.DNS{Server: w.dns.Addr}
}

func TestLookupFetchesAndCaches(t *testing.T) {
	w := newPolicyWorld(t)
	ctx := t.Context()
	p, err := w.client.Lookup(ctx, "example.test")
	if err != nil || p == nil || p.Mode != ModeEnforce || !p.Match("mx.example.test") || p.MaxAge != 24*time.Hour {
		t.Fatalf("Lookup = %+v, %v", p, err)
	}
	// Same id: the cached policy, no fetch.
	if p2, err := w.client.Lookup(ctx, "EXAMPLE.test."); err != nil || p2 != p {
		t.Fatalf("second Lookup = %+v, %v", p2, err)
	}
	if n := w.hits.Load(); n != 1 {
		t.Errorf("%d fetches, want 1", n)
	}
	// A new id: fetched again.
	body := "version: STSv1\nmode: testing\nmx: other.example.test\nmax_age: 60\n"
	w.body.Store(&body)
	w.setRecord(t, "2") // the zone now holds two records: no policy record
	if p3, err := w.client.Lookup(ctx, "example.test"); err != nil || p3 != p {
		t.Fatalf("with two records, the cached policy stays: %+v, %v", p3, err)
	}
	w.dns = dnstest.NewServer(t, `_mta-sts.example.test. 60 IN TXT "v=STSv1; id=2"`, "mta-sts.example.test. 60 IN A 127.0.0.1")
	w.client.Resolver = &spf.DNS{Server: w.dns.Addr}
	p4, err := w.client.Lookup(ctx, "example.test")
	if err != nil || p4.Mode != ModeTesting || !p4.Match("other.example.test") {
		t.Fatalf("after an id change: %+v, %v", p4, err)
	}
	if n := w.hits.Load(); n != 2 {
		t.Errorf("%d fetches, want 2", n)
	}
}

func TestLookupNoRecord(t *testing.T) {
	w := newPolicyWorld(t)
	p, err := w.client.Lookup(t.Context(), "nopolicy.test")
	if p != nil || err != nil {
		t.Errorf("Lookup = %+v, %v; want no policy", p, err)
	}
	if w.hits.Load() != 0 {
		t.Error("fetched a policy without a record")
	}
}

func TestLookupFailures(t *testing.T) {
	tests := []struct {
		name   string
		names  []string // certificate names
		body   string
		status int
		result string
	}{
		{"certificate for another name", []string{"www.example.test"}, enforcePolicy, 200, ResultWebPKIInvalid},
		{"invalid policy", nil, "version: STSv1\nmode: enforce\n", 200, ResultPolicyInvalid},
		{"redirect not followed", nil, enforcePolicy, http.StatusFound, ResultFetchError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newPolicyWorld(t, tt.names...)
			w.body.Store(&tt.body)
			w.status.Store(int32(tt.status))
			p, err := w.client.Lookup(t.Context(), "example.test")
			var fe *FetchError
			if p != nil || !errors.As(err, &fe) || fe.Result != tt.result {
				t.Fatalf("Lookup = %+v, %v; want a %s error", p, err, tt.result)
			}
		})
	}
}

func TestLookupUntrustedCA(t *testing.T) {
	w := newPolicyWorld(t)
	w.client.RootCAs = testcert.Pool() // another CA
	_, err := w.client.Lookup(t.Context(), "example.test")
	var fe *FetchError
	if !errors.As(err, &fe) || fe.Result != ResultWebPKIInvalid {
		t.Fatalf("Lookup error = %v, want %s", err, ResultWebPKIInvalid)
	}
}

// TestLookupKeepsCachedOnFailure: RFC 8461 5.1: a policy that cannot be
// fetched again leaves the cached one in force.
func TestLookupKeepsCachedOnFailure(t *testing.T) {
	w := newPolicyWorld(t)
	ctx := t.Context()
	p, err := w.client.Lookup(ctx, "example.test")
	if err != nil {
		t.Fatal(err)
	}
	bad := "garbage"
	w.body.Store(&bad)
	w.dns = dnstest.NewServer(t, `_mta-sts.example.test. 60 IN TXT "v=STSv1; id=3"`, "mta-sts.example.test. 60 IN A 127.0.0.1")
	w.client.Resolver = &spf.DNS{Server: w.dns.Addr}
	p2, err := w.client.Lookup(ctx, "example.test")
	var fe *FetchError
	if p2 != p || !errors.As(err, &fe) || fe.Result != ResultPolicyInvalid {
		t.Fatalf("Lookup = %+v, %v; want the cached policy and the fetch error", p2, err)
	}
	// The record disappears: the cached policy still applies.
	w.dns.Fail("_mta-sts.example.test", 3) // NXDOMAIN
	w.client.Resolver = &spf.DNS{Server: w.dns.Addr}
	if p3, err := w.client.Lookup(ctx, "example.test"); p3 != p || err != nil {
		t.Fatalf("without a record: %+v, %v; want the cached policy", p3, err)
	}
}

// TestRefresh: a policy fetched long ago is fetched again; an expired
// one is dropped.
func TestRefresh(t *testing.T) {
	w := newPolicyWorld(t)
	ctx := context.Background()
	old := &Policy{Mode: ModeTesting, MX: []string{"old.example.test"}, MaxAge: 7 * 24 * time.Hour}
	w.client.store("example.test", &entry{policy: old, id: "1", fetched: time.Now().Add(-25 * time.Hour)})
	w.client.store("gone.test", &entry{policy: old, id: "1", fetched: time.Now().Add(-8 * 24 * time.Hour)})
	w.client.store("fresh.test", &entry{policy: old, id: "1", fetched: time.Now()})
	w.client.Refresh(ctx)
	if p := w.client.Cached("example.test"); p == nil || p.Mode != ModeEnforce {
		t.Errorf("example.test after Refresh: %+v", p)
	}
	if p := w.client.Cached("gone.test"); p != nil {
		t.Errorf("an expired policy is still cached: %+v", p)
	}
	if p := w.client.Cached("fresh.test"); p != old {
		t.Errorf("a fresh policy changed: %+v", p)
	}
	if n := w.hits.Load(); n != 1 {
		t.Errorf("%d fetches, want 1", n)
	}
}

func TestCacheBound(t *testing.T) {
	c := &Client{MaxDomains: 2}
	p := &Policy{Mode: ModeNone, MaxAge: time.Hour}
	for i := range 5 {
		c.store(strconv.Itoa(i), &entry{policy: p, fetched: time.Now().Add(time.Duration(i) * time.Minute)})
	}
	if n := len(c.cache); n != 2 {
		t.Errorf("%d cached, want 2", n)
	}
	if c.Cached("4") == nil {
		t.Error("the newest policy was evicted")
	}
}

// TestSaveLoad: the cache survives a restart through Save and Load, and
// OnUpdate says when to save.
func TestSaveLoad(t *testing.T) {
	w := newPolicyWorld(t)
	updates := 0
	w.client.OnUpdate = func() { updates++ }
	if _, err := w.client.Lookup(t.Context(), "example.test"); err != nil {
		t.Fatal(err)
	}
	if updates != 1 {
		t.Errorf("%d updates, want 1", updates)
	}
	old := &Policy{Mode: ModeNone, MaxAge: time.Hour}
	w.client.store("expired.test", &entry{policy: old, id: "1", fetched: time.Now().Add(-2 * time.Hour)})
	var b bytes.Buffer
	if err := w.client.Save(&b); err != nil {
		t.Fatal(err)
	}
	saved := b.String()

	// A new Client, as after a restart, with the policy server gone: the
	// saved policy is in force.
	c := &Client{Resolver: w.client.Resolver}
	if err := c.Load(strings.NewReader(saved)); err != nil {
		t.Fatal(err)
	}
	if p := c.Cached("example.test"); p == nil || p.Mode != ModeEnforce || !p.Match("mx.example.test") {
		t.Errorf("loaded: %+v", p)
	}
	if p := c.Cached("expired.test"); p != nil {
		t.Errorf("an expired policy was saved: %+v", p)
	}
	p, err := c.Lookup(t.Context(), "example.test") // same id: no fetch
	if err != nil || p == nil || w.hits.Load() != 1 {
		t.Errorf("Lookup after Load: %+v, %v, %d fetches", p, err, w.hits.Load())
	}
	for _, bad := range []string{"garbage", `[{"domain":"x.test","id":"1","fetched":"2026-01-01T00:00:00Z","policy":"version: STSv9"}]`} {
		if err := (&Client{}).Load(strings.NewReader(bad)); err == nil {
			t.Errorf("Load(%q) succeeded", bad)
		}
	}
}
