package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/smtp"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mailwright/mailwright/internal/dnstest"
	"github.com/mailwright/mailwright/internal/interop"
	"github.com/mailwright/mailwright/internal/testcert"
)

// pebbleCA is a private instance of Pebble, Let's Encrypt's test CA.
type pebbleCA struct {
	directory string         // the ACME directory URL
	caFile    string         // the CA of Pebble's own HTTPS certificate, for -acme-ca
	roots     *x509.CertPool // the root that Pebble issues under
}

// startPebble runs Pebble on free loopback ports, resolving names with
// the DNS server at dnsAddr and validating http-01 on httpPort and
// tls-alpn-01 on tlsPort, issuing certificates valid for validity.
func startPebble(t *testing.T, dnsAddr string, httpPort, tlsPort int, validity time.Duration) *pebbleCA {
	t.Helper()
	pebble, err := exec.LookPath("pebble")
	if err != nil {
		t.Skip("pebble (Debian package pebble, Let's Encrypt's test CA) is not installed; skipping this ACME test")
	}
	certFile, keyFile := testcert.Files(t)
	listen, management := interop.FreeAddr(t), interop.FreeAddr(t)
	config, _ := json.Marshal(map[string]any{"pebble": map[string]any{
		"listenAddress": listen, "managementListenAddress": management,
		"certificate": certFile, "privateKey": keyFile,
		"httpPort": httpPort, "tlsPort": tlsPort,
		"certificateValidityPeriod": int(validity.Seconds()),
	}})
	dir := t.TempDir()
	configFile := filepath.Join(dir, "pebble.json")
	if err := os.WriteFile(configFile, config, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(pebble, "-config", configFile, "-dnsserver", dnsAddr)
	// No random sleeps before validating; a new order always validates
	// again (no authorization reuse), so that a renewal answers
	// challenges too.
	cmd.Env = append(os.Environ(), "PEBBLE_VA_NOSLEEP=1", "PEBBLE_AUTHZREUSE=0")
	logf, err := os.Create(filepath.Join(dir, "pebble.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
		if t.Failed() {
			log, _ := os.ReadFile(logf.Name())
			t.Logf("pebble log:\n%s", log)
		}
	})
	interop.WaitListening(t, exited, listen, management)

	// The issuing root is made at each start: the management interface
	// gives it.
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: testcert.Pool()}}}
	resp, err := client.Get("https://" + management + "/roots/0")
	if err != nil {
		t.Fatal(err)
	}
	root, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(root) {
		t.Fatalf("pebble's root: %q", root)
	}
	return &pebbleCA{directory: "https://" + listen + "/dir", caFile: certFile, roots: roots}
}

func port(t *testing.T, addr string) int {
	t.Helper()
	_, p, _ := net.SplitHostPort(addr)
	n, err := strconv.Atoi(p)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// servedCert is the certificate chain a listener presented.
type servedCert struct {
	chain []*x509.Certificate
	err   error
}

func (c servedCert) leaf() *x509.Certificate { return c.chain[0] }

// verify checks the chain for name against Pebble's root, as a mail
// client does.
func (c servedCert) verify(name string, roots *x509.CertPool) error {
	if c.err != nil {
		return c.err
	}
	intermediates := x509.NewCertPool()
	for _, ic := range c.chain[1:] {
		intermediates.AddCert(ic)
	}
	_, err := c.leaf().Verify(x509.VerifyOptions{DNSName: name, Roots: roots, Intermediates: intermediates})
	return err
}

// Each probe handshakes with SNI name (none when name is empty) and
// returns what the server presented; verification is the caller's.
func probeConfig(name string) *tls.Config {
	return &tls.Config{ServerName: name, InsecureSkipVerify: true, MinVersion: tls.VersionTLS12}
}

func probeSMTP(addr, name string) servedCert {
	c, err := smtp.Dial(addr)
	if err != nil {
		return servedCert{err: err}
	}
	defer c.Close()
	if err := c.StartTLS(probeConfig(name)); err != nil {
		return servedCert{err: err}
	}
	st, _ := c.TLSConnectionState()
	c.Quit()
	return servedCert{chain: st.PeerCertificates}
}

func probeImplicitTLS(addr, name string) servedCert {
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: 30 * time.Second}, "tcp", addr, probeConfig(name))
	if err != nil {
		return servedCert{err: err}
	}
	defer c.Close()
	return servedCert{chain: c.ConnectionState().PeerCertificates}
}

// httpsClient connects every request to addr, whatever the URL's host,
// trusting roots: a client that found the server by DNS.
func httpsClient(addr string, roots *x509.CertPool) *http.Client {
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: roots},
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, addr)
		},
	}}
}

func probeHTTPS(addr, name string) servedCert {
	c := httpsClient(addr, nil)
	c.Transport.(*http.Transport).TLSClientConfig = probeConfig(name)
	resp, err := c.Get("https://" + name + "/mail/config-v1.1.xml")
	if err != nil {
		return servedCert{err: err}
	}
	resp.Body.Close()
	return servedCert{chain: resp.TLS.PeerCertificates}
}

// waitIssued probes until the listener presents a certificate for name
// that chains to roots, 120 s at most (the first handshake may wait for
// the issuance).
func waitIssued(t *testing.T, probe func(addr, name string) servedCert, addr, name string, roots *x509.CertPool) *x509.Certificate {
	t.Helper()
	deadline := time.Now().Add(120 * time.Second)
	for {
		c := probe(addr, name)
		err := c.verify(name, roots)
		if err == nil {
			return c.leaf()
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s for %s: no certificate from the CA after 120 s: %v", addr, name, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestACMEPebble: with two domains, the server gets a certificate for
// each from Pebble (tls-alpn-01, answered by the autoconfig HTTPS
// listener), serves each by SNI on SMTP STARTTLS, IMAPS, the HTTPS
// listener, POP3S and submissions, the host name's to a client without
// SNI, renews them before they expire without a restart, and keeps its
// ACME state private.
func TestACMEPebble(t *testing.T) {
	if testing.Short() {
		t.Skip("runs Pebble and the server: not in -short mode")
	}
	names := []string{"a.test", "b.test", "autoconfig.a.test", "autodiscover.a.test", "autoconfig.b.test", "autodiscover.b.test"}
	var records []string
	for _, n := range names {
		records = append(records, n+". 60 IN A 127.0.0.1")
	}
	dns := dnstest.NewServer(t, records...)
	// http-01 validation goes to a port nobody listens on: the
	// certificates come by tls-alpn-01 alone.
	nothing, autoconfig := interop.FreeAddr(t), interop.FreeAddr(t)
	// Certificates for 45 s: autocert renews at two thirds of the
	// lifetime, so within the test.
	ca := startPebble(t, dns.Addr, port(t, nothing), port(t, autoconfig), 45*time.Second)
	bin := buildServer(t)
	in := start(t, bin, "a.test", "-domain", "a.test,b.test", "-acme-directory", ca.directory, "-acme-email", "postmaster@a.test",
		"-acme-ca", ca.caFile, "-autoconfig", autoconfig)
	interop.WaitListening(t, nil, in.imaps, autoconfig)

	probes := []struct {
		listener string
		addr     string
		probe    func(addr, name string) servedCert
	}{{"SMTP STARTTLS", in.smtp, probeSMTP}, {"IMAPS", in.imaps, probeImplicitTLS}, {"HTTPS", autoconfig, probeHTTPS},
		{"POP3S", in.pop3s, probeImplicitTLS}, {"submissions", in.submissions, probeImplicitTLS}}
	first := map[string]*x509.Certificate{}
	for _, name := range []string{"a.test", "b.test"} {
		for _, p := range probes {
			leaf := waitIssued(t, p.probe, p.addr, name, ca.roots)
			if prev := first[name]; prev != nil && !prev.Equal(leaf) {
				t.Logf("%s serves %s's certificate %s, another listener %s (a renewal in between?)", p.listener, name, leaf.SerialNumber, prev.SerialNumber)
			}
			first[name] = leaf
		}
	}
	if first["a.test"].Equal(first["b.test"]) || slices.Contains(first["a.test"].DNSNames, "b.test") {
		t.Errorf("a.test and b.test share a certificate: SNI does not choose")
	}
	// No SNI (a client connecting by IP address): the host name's.
	if c := probeImplicitTLS(in.imaps, ""); c.verify("a.test", ca.roots) != nil {
		t.Errorf("IMAPS without SNI: %v", c.verify("a.test", ca.roots))
	}
	// The autoconfig names are served too, and the document is read over
	// the CA's certificate as Thunderbird does.
	waitIssued(t, probeHTTPS, autoconfig, "autoconfig.b.test", ca.roots)
	resp, err := httpsClient(autoconfig, ca.roots).Get("https://autoconfig.b.test/mail/config-v1.1.xml?emailaddress=bob@b.test")
	if err != nil {
		t.Fatal(err)
	}
	doc, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if _, incoming, _ := parseThunderbird(t, doc); len(incoming) == 0 || incoming[0].port != port(t, in.imaps) {
		t.Errorf("autoconfig over the ACME certificate: incoming %v, want IMAPS on %s first", incoming, in.imaps)
	}

	// Renewal: the same process serves a new certificate for a.test
	// before the first one expires, on every listener.
	old := first["a.test"]
	var renewed *x509.Certificate
	for deadline := time.Now().Add(2 * time.Minute); renewed == nil; time.Sleep(500 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("a.test's certificate %s (until %s) was not renewed", old.SerialNumber, old.NotAfter)
		}
		if leaf := waitIssued(t, probeImplicitTLS, in.imaps, "a.test", ca.roots); !leaf.Equal(old) {
			renewed = leaf
		}
	}
	t.Logf("a.test: certificate %s valid %s to %s renewed by %s valid %s to %s", old.SerialNumber, old.NotBefore.Format(time.TimeOnly),
		old.NotAfter.Format(time.TimeOnly), renewed.SerialNumber, renewed.NotBefore.Format(time.TimeOnly), renewed.NotAfter.Format(time.TimeOnly))
	if !renewed.NotAfter.After(old.NotAfter) || !renewed.NotBefore.Before(old.NotAfter) {
		t.Errorf("renewed certificate valid %s to %s, the old one until %s: want the new one issued before the old one expires",
			renewed.NotBefore, renewed.NotAfter, old.NotAfter)
	}
	for _, p := range probes {
		if leaf := waitIssued(t, p.probe, p.addr, "a.test", ca.roots); leaf.Equal(old) {
			t.Errorf("%s still serves the certificate that IMAPS replaced", p.listener)
		}
	}

	// The account key, certificates and keys: directories 0700, files 0600.
	checkPrivate(t, filepath.Join(in.data, "acme"))
}

// checkPrivate fails t unless every directory under root is 0700 and
// every file 0600, and there is at least one file.
func checkPrivate(t *testing.T, root string) {
	t.Helper()
	files := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		want := fs.FileMode(0o600)
		if d.IsDir() {
			want = fs.ModeDir | 0o700
		} else {
			files++
		}
		if info.Mode() != want {
			t.Errorf("%s: mode %v, want %v", path, info.Mode(), want)
		}
		return nil
	})
	if err != nil || files == 0 {
		t.Errorf("walking %s: %v, %d files", root, err, files)
	}
}

// TestACMEHTTP01: when the CA cannot reach a tls-alpn-01 responder (no
// -autoconfig listener on the port it asks), the server answers http-01
// on -acme-http and gets its certificate, for the -acme-hosts name,
// which also goes to clients that name another host or none.
func TestACMEHTTP01(t *testing.T) {
	if testing.Short() {
		t.Skip("runs Pebble and the server: not in -short mode")
	}
	dns := dnstest.NewServer(t, "mail.a.test. 60 IN A 127.0.0.1")
	challengeHTTP, nothing := interop.FreeAddr(t), interop.FreeAddr(t)
	ca := startPebble(t, dns.Addr, port(t, challengeHTTP), port(t, nothing), time.Hour)
	bin := buildServer(t)
	in := start(t, bin, "a.test", "-acme-directory", ca.directory, "-acme-ca", ca.caFile, "-acme-http", challengeHTTP, "-acme-hosts", "Mail.A.Test")
	interop.WaitListening(t, nil, in.imaps)
	leaf := waitIssued(t, probeImplicitTLS, in.imaps, "mail.a.test", ca.roots)
	if want := time.Hour; leaf.NotAfter.Sub(leaf.NotBefore) > want+time.Minute {
		t.Errorf("certificate valid %s to %s: not Pebble's one-hour certificate", leaf.NotBefore, leaf.NotAfter)
	}
	for _, name := range []string{"", "a.test", "other.test"} {
		if c := probeImplicitTLS(in.imaps, name); c.err != nil || !c.leaf().Equal(leaf) {
			t.Errorf("IMAPS with SNI %q: %v, not mail.a.test's certificate", name, c.err)
		}
	}
	// Other requests on the http-01 port are sent to HTTPS.
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get(fmt.Sprintf("http://%s/mail/config-v1.1.xml", challengeHTTP))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") == "" {
		t.Errorf("plain HTTP request: %d to %q, want a redirect to HTTPS", resp.StatusCode, resp.Header.Get("Location"))
	}
}

// TestMailserverAutoconfig: -autoconfig serves documents that describe
// the listeners the server runs. Here the ACME CA cannot be reached:
// every listener offers TLS with the static (self-signed) certificate
// instead, and a client that offers an ALPN protocol of its own
// ("imap") is served (the tls-alpn-01 responder does not restrict the
// listeners' protocols).
func TestMailserverAutoconfig(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the server: not in -short mode")
	}
	bin := buildServer(t)
	autoconfig, nowhere := interop.FreeAddr(t), interop.FreeAddr(t)
	in := start(t, bin, "a.test", "-autoconfig", autoconfig, "-acme-directory", "https://"+nowhere+"/dir")
	interop.WaitListening(t, nil, autoconfig, in.imaps)
	self, err := os.ReadFile(filepath.Join(in.data, "tls", "cert.pem"))
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(self)
	for _, protos := range [][]string{nil, {"imap"}} {
		cfg := &tls.Config{ServerName: "a.test", RootCAs: roots, NextProtos: protos}
		c, err := tls.DialWithDialer(&net.Dialer{Timeout: 30 * time.Second}, "tcp", in.imaps, cfg)
		if err != nil {
			t.Errorf("IMAPS with ALPN %q: %v", protos, err)
			continue
		}
		c.Close()
	}
	if c := probeSMTP(in.smtp, "a.test"); c.verify("a.test", roots) != nil {
		t.Errorf("SMTP STARTTLS: %v", c.verify("a.test", roots))
	}
	client := httpsClient(autoconfig, roots)

	resp, err := client.Get("https://a.test/.well-known/autoconfig/mail/config-v1.1.xml?emailaddress=alice@a.test")
	if err != nil {
		t.Fatal(err)
	}
	doc, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	_, incoming, outgoing := parseThunderbird(t, doc)
	want := func(protocol, addr, socket string) tbEntry { return tbEntry{protocol, "a.test", port(t, addr), socket} }
	if w := []tbEntry{want("imap", in.imaps, "SSL"), want("imap", in.imap, "STARTTLS"), want("pop3", in.pop3s, "SSL"), want("pop3", in.pop3, "STARTTLS")}; !slices.Equal(incoming, w) {
		t.Errorf("incoming %v, want %v", incoming, w)
	}
	if w := []tbEntry{want("smtp", in.submissions, "SSL"), want("smtp", in.submission, "STARTTLS")}; !slices.Equal(outgoing, w) {
		t.Errorf("outgoing %v, want %v", outgoing, w)
	}

	resp, err = client.Post("https://a.test/autodiscover/autodiscover.xml", "text/xml", strings.NewReader(autodiscoverBody("alice@a.test", outlookNS)))
	if err != nil {
		t.Fatal(err)
	}
	doc, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	protocols, code := parseAutodiscover(t, doc)
	if len(protocols) != 3 || code != "" || protocols[0].port != port(t, in.imaps) || protocols[2].port != port(t, in.submissions) {
		t.Errorf("autodiscover: %v (error %q), want IMAPS on %s, POP3S, submissions on %s", protocols, code, in.imaps, in.submissions)
	}
}

// TestACMEHosts: the names that get certificates, and the flags that
// need ACME on.
func TestACMEHosts(t *testing.T) {
	for _, tc := range []struct {
		domains           []string
		autoconfig, hosts string
		want              []string
	}{
		{[]string{"Mail.A.Test", "b.test."}, "", "", []string{"mail.a.test", "b.test"}},
		{[]string{"mail.a.test", "b.test"}, ":443", "", []string{"mail.a.test", "b.test", "autoconfig.mail.a.test",
			"autodiscover.mail.a.test", "autoconfig.b.test", "autodiscover.b.test"}},
		{[]string{"mail.a.test", "b.test"}, ":443", "mail.a.test, autoconfig.b.test,MAIL.a.test", []string{"mail.a.test", "autoconfig.b.test"}},
		{[]string{"a.test"}, "", "a.test,bad_name", nil},
		{[]string{"a.test"}, "", " , ", nil},
	} {
		cfg := &config{domains: tc.domains, autoconfig: tc.autoconfig, acme: acmeConfig{hosts: tc.hosts}}
		got, err := acmeHosts(cfg)
		if !slices.Equal(got, tc.want) || (err == nil) != (tc.want != nil) {
			t.Errorf("domains %q, autoconfig %q, -acme-hosts %q: %q, %v; want %q", tc.domains, tc.autoconfig, tc.hosts, got, err, tc.want)
		}
	}
	for _, a := range []acmeConfig{{caFile: "ca.pem"}, {httpAddr: ":80"}, {hosts: "a.test"}} {
		cfg := &config{data: t.TempDir(), domains: []string{"a.test"}, acme: a}
		if _, err := newCertSource(cfg, nil); err == nil {
			t.Errorf("%+v without -acme-email or -acme-directory: no error", a)
		}
	}
	cfg := &config{data: t.TempDir(), domains: []string{"a.test"}, acme: acmeConfig{directory: "http://ca.test/dir"}}
	if _, err := newCertSource(cfg, nil); err == nil {
		t.Error("a directory over plain HTTP: no error")
	}
}
