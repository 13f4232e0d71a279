package main

import (
	"crypto/x509"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/mailwright/mailwright/delivery"
	"github.com/mailwright/mailwright/delivery/mtasts"
	"github.com/mailwright/mailwright/internal/testcert"
)

// TestMTASTSPolicyServed: the HTTPS listener serves the local domains'
// policy at mta-sts.DOMAIN (RFC 8461 3.3), and nothing for other hosts.
func TestMTASTSPolicyServed(t *testing.T) {
	cfg := &config{domains: []string{"mail.a.test", "b.test"}, transport: transportConfig{policyMode: "enforce"}}
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "next") })
	h, err := withMTASTSPolicy(cfg, next)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewTLSServer(h)
	t.Cleanup(srv.Close)
	get := func(host, path string) (int, string, string) {
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		req.Host = host
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get("Content-Type"), string(body)
	}
	for _, host := range []string{"mta-sts.b.test", "MTA-STS.mail.a.test:443"} {
		code, ct, body := get(host, "/.well-known/mta-sts.txt")
		if code != 200 || ct != "text/plain" {
			t.Fatalf("%s: %d %s", host, code, ct)
		}
		p, err := mtasts.ParsePolicy([]byte(body))
		if err != nil || p.Mode != mtasts.ModeEnforce || !p.Match("mail.a.test") || p.Match("b.test") || p.MaxAge != ownPolicyMaxAge {
			t.Errorf("%s: policy %q: %+v, %v", host, body, p, err)
		}
	}
	if code, _, _ := get("mta-sts.other.test", "/.well-known/mta-sts.txt"); code != 404 {
		t.Errorf("another domain's policy: %d", code)
	}
	if code, _, body := get("autoconfig.b.test", "/mail/config-v1.1.xml"); code != 200 || body != "next" {
		t.Errorf("other paths: %d %q", code, body)
	}
	cfg.transport.policyMode = "strict"
	if _, err := withMTASTSPolicy(cfg, next); err == nil {
		t.Error("-mta-sts-mode strict accepted")
	}
}

// TestSetupTransport: the flags turn on MTA-STS, DANE and TLS-RPT in
// the deliverer, and -tls-roots adds a CA.
func TestSetupTransport(t *testing.T) {
	roots := filepath.Join(t.TempDir(), "roots.pem")
	if err := os.WriteFile(roots, testcert.CertPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := &config{data: t.TempDir(), domains: []string{"a.test"}, transport: transportConfig{mtaSTS: true, daneResolver: "127.0.0.1:53", tlsrpt: "tlsrpt@a.test", tlsRoots: roots}}
	remote := &delivery.Remote{}
	ts, err := setupTransport(cfg, remote, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if remote.MTASTS == nil || remote.DANEResolver != "127.0.0.1:53" || remote.TLSRPT == nil || ts.reporter.From != "tlsrpt@a.test" {
		t.Errorf("remote %+v", remote)
	}
	if remote.TLSConfig == nil || remote.TLSConfig.RootCAs == nil || remote.MTASTS.RootCAs != remote.TLSConfig.RootCAs {
		t.Error("-tls-roots not applied")
	}
	if _, err := testcert.Static().Leaf.Verify(x509Opts(remote)); err != nil {
		t.Errorf("the added CA is not trusted: %v", err)
	}
	cfg.transport.tlsRoots = filepath.Join(t.TempDir(), "missing.pem")
	if _, err := setupTransport(cfg, &delivery.Remote{}, slog.New(slog.DiscardHandler)); err == nil {
		t.Error("a missing -tls-roots file accepted")
	}
	remote = &delivery.Remote{}
	if _, err := setupTransport(&config{domains: []string{"a.test"}}, remote, slog.New(slog.DiscardHandler)); err != nil || remote.MTASTS != nil || remote.DANEResolver != "" || remote.TLSRPT != nil {
		t.Errorf("by default: %+v, %v", remote, err)
	}
}

func x509Opts(r *delivery.Remote) x509.VerifyOptions {
	return x509.VerifyOptions{Roots: r.TLSConfig.RootCAs, DNSName: "localhost"}
}

// TestSTSCachePersisted: the MTA-STS cache is saved into the data
// directory when it changes, and loaded from there at the next start.
func TestSTSCachePersisted(t *testing.T) {
	dir := t.TempDir()
	logger := slog.New(slog.DiscardHandler)
	policy := "version: STSv1\r\nmode: enforce\r\nmx: mx.b.test\r\nmax_age: 86400\r\n"
	saved := `[{"domain":"b.test","id":"1","fetched":"` + time.Now().UTC().Format(time.RFC3339) + `","policy":` + strconv.Quote(policy) + `}]`
	if err := os.WriteFile(filepath.Join(dir, stsCacheFile), []byte(saved), 0o600); err != nil {
		t.Fatal(err)
	}
	sts := &mtasts.Client{}
	if err := persistSTSCache(sts, dir, logger); err != nil {
		t.Fatal(err)
	}
	if p := sts.Cached("b.test"); p == nil || !p.Match("mx.b.test") {
		t.Fatalf("not loaded: %+v", p)
	}
	os.Remove(filepath.Join(dir, stsCacheFile))
	sts.OnUpdate()
	again := &mtasts.Client{}
	if err := persistSTSCache(again, dir, logger); err != nil {
		t.Fatal(err)
	}
	if p := again.Cached("b.test"); p == nil || p.Mode != mtasts.ModeEnforce {
		t.Errorf("not saved: %+v", p)
	}
	if names, _ := filepath.Glob(filepath.Join(dir, ".tmp-*")); len(names) != 0 {
		t.Errorf("temporary files left: %v", names)
	}
	// A damaged file is logged and ignored.
	os.WriteFile(filepath.Join(dir, stsCacheFile), []byte("{"), 0o600)
	if err := persistSTSCache(&mtasts.Client{}, dir, logger); err != nil {
		t.Errorf("damaged cache: %v", err)
	}
}
