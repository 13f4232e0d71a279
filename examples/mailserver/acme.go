package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/acme"
	"golang.org/x/crypto/acme/autocert"
)

// acmeConfig is what the -acme-* flags say. ACME is on when an email
// address or a directory is given.
type acmeConfig struct {
	email, directory, caFile, httpAddr, hosts string
}

func (a *acmeConfig) enabled() bool { return a.email != "" || a.directory != "" }

func acmeFlags(fs *flag.FlagSet, a *acmeConfig) {
	fs.StringVar(&a.email, "acme-email", "", "get certificates with ACME (RFC 8555), this address as the account's contact; accepts the CA's terms of service")
	fs.StringVar(&a.directory, "acme-directory", "", "ACME directory URL; default Let's Encrypt's ("+autocert.DefaultACMEDirectory+") when -acme-email is set")
	fs.StringVar(&a.caFile, "acme-ca", "", "PEM file of a CA to trust, besides the system's, for the ACME server's HTTPS (a private or test CA)")
	fs.StringVar(&a.hosts, "acme-hosts", "", "host names to get certificates for, comma separated, the first for clients without SNI; default: every -domain, and with -autoconfig the autoconfig. and autodiscover. name of each")
	fs.StringVar(&a.httpAddr, "acme-http", "", "answer ACME http-01 challenges on this address (the CA asks port 80); tls-alpn-01 is answered by the -autoconfig listener (the CA asks port 443)")
}

// errorLogInterval spaces the log lines of a failing certificate
// request, which a busy port would otherwise repeat at every handshake.
const errorLogInterval = time.Minute

// certSource gives every TLS listener (SMTP STARTTLS, submissions, IMAPS,
// POP3S, STARTTLS/STLS, the autoconfig HTTPS listener) its certificate:
// with ACME, one certificate per host name obtained and renewed by
// autocert and chosen by SNI; without, the -tls-cert file or the
// self-signed one.
type certSource struct {
	static  tls.Certificate   // -tls-cert or self-signed: the whole story without ACME, the fallback with it
	manager *autocert.Manager // nil without ACME
	primary string            // the certificate for clients that send no SNI, or a name that is not ours
	hosts   []string          // names that get a certificate: lower case, no final dot
	logger  *slog.Logger

	mu     sync.Mutex
	logged map[string]time.Time // host -> when its last failure was logged
}

// newCertSource loads (or generates) the static certificate and, with
// ACME on, sets up autocert with its cache under the data directory.
func newCertSource(cfg *config, logger *slog.Logger) (*certSource, error) {
	static, err := loadOrCreateCertificate(cfg)
	if err != nil {
		return nil, err
	}
	c := &certSource{static: static, logger: logger, logged: make(map[string]time.Time)}
	if !cfg.acme.enabled() {
		if cfg.acme.caFile != "" || cfg.acme.httpAddr != "" || cfg.acme.hosts != "" {
			return nil, errors.New("-acme-ca, -acme-hosts and -acme-http need ACME on: give -acme-email or -acme-directory")
		}
		return c, nil
	}
	if c.hosts, err = acmeHosts(cfg); err != nil {
		return nil, err
	}
	c.primary = c.hosts[0]
	directory := cfg.acme.directory
	if directory == "" {
		directory = autocert.DefaultACMEDirectory
	}
	u, err := url.Parse(directory)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("-acme-directory %q: not an https URL", directory)
	}
	httpClient, err := acmeHTTPClient(cfg.acme.caFile)
	if err != nil {
		return nil, err
	}
	c.manager = &autocert.Manager{
		// RFC 8555 7.3: a new account states that it agrees to the terms of
		// service; giving -acme-email or -acme-directory is the operator's
		// agreement.
		Prompt:     autocert.AcceptTOS,
		Email:      cfg.acme.email,
		HostPolicy: autocert.HostWhitelist(c.hosts...),
		// One cache per CA, so that certificates from a staging or test CA
		// are never served once the directory is changed. DirCache makes
		// its directories 0700 and its files 0600.
		Cache:  loggingCache{autocert.DirCache(filepath.Join(cfg.data, "acme", cacheDirName(u))), logger},
		Client: &acme.Client{DirectoryURL: directory, HTTPClient: httpClient, UserAgent: "mailwright-mailserver"},
	}
	return c, nil
}

// acmeHosts returns the names that get a certificate: -acme-hosts, or
// every local domain (the first is the host name clients and other
// servers connect to) and with -autoconfig the autoconfig. and
// autodiscover. names that Thunderbird and Outlook look up for each.
func acmeHosts(cfg *config) ([]string, error) {
	var hosts []string
	add := func(h string) {
		h = strings.TrimSuffix(strings.ToLower(h), ".")
		if !slices.Contains(hosts, h) {
			hosts = append(hosts, h)
		}
	}
	if cfg.acme.hosts != "" {
		for _, h := range splitList(cfg.acme.hosts) {
			add(h)
		}
	} else {
		for _, d := range cfg.domains {
			add(d)
		}
		if cfg.autoconfig != "" {
			for _, d := range cfg.domains {
				add("autoconfig." + d)
				add("autodiscover." + d)
			}
		}
	}
	for _, h := range hosts {
		if !validDomain(h) {
			return nil, fmt.Errorf("ACME host name %q: not a DNS name", h)
		}
	}
	if len(hosts) == 0 {
		return nil, errors.New("-acme-hosts: no host name")
	}
	return hosts, nil
}

// cacheDirName names a CA's cache directory after its directory URL's
// host (and port), in characters every file system takes.
func cacheDirName(u *url.URL) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' || r == '-' {
			return r
		}
		return '_'
	}, strings.ToLower(u.Host))
}

// acmeHTTPClient returns the client that talks to the ACME server: the
// system's roots, plus caFile's certificates when it is set.
func acmeHTTPClient(caFile string) (*http.Client, error) {
	if caFile == "" {
		return http.DefaultClient, nil
	}
	data, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("-acme-ca: %w", err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(data) {
		return nil, fmt.Errorf("-acme-ca %s: no PEM certificate in it", caFile)
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	return &http.Client{Transport: transport}, nil
}

// serverConfig returns the TLS configuration of every listener.
func (c *certSource) serverConfig() *tls.Config {
	if c.manager == nil {
		return &tls.Config{Certificates: []tls.Certificate{c.static}, MinVersion: tls.VersionTLS12}
	}
	return &tls.Config{GetCertificate: c.getCertificate, GetConfigForClient: c.challengeConfig, MinVersion: tls.VersionTLS12}
}

// challengeConfig answers the CA's tls-alpn-01 validation (RFC 8737 3:
// a handshake that offers only the acme-tls/1 protocol) with autocert's
// challenge certificate. Other handshakes keep the listener's
// configuration: acme-tls/1 is not added to every listener's NextProtos,
// because Go then refuses a client whose ALPN list shares nothing with
// it (a mail client offering "imap").
func (c *certSource) challengeConfig(hello *tls.ClientHelloInfo) (*tls.Config, error) {
	if len(hello.SupportedProtos) == 1 && hello.SupportedProtos[0] == acme.ALPNProto {
		return &tls.Config{GetCertificate: c.manager.GetCertificate, NextProtos: []string{acme.ALPNProto}, MinVersion: tls.VersionTLS12}, nil
	}
	return nil, nil
}

// getCertificate picks the certificate by SNI. A client without SNI, or
// with a name that is not ours (an IP address, an alias), gets the host
// name's certificate rather than a failed handshake; a failed ACME
// request gives the static certificate, so that a mail server whose CA
// is unreachable still offers TLS.
func (c *certSource) getCertificate(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	name := strings.TrimSuffix(strings.ToLower(hello.ServerName), ".")
	if !slices.Contains(c.hosts, name) {
		h := *hello
		h.ServerName = c.primary
		hello, name = &h, c.primary
	}
	cert, err := c.manager.GetCertificate(hello)
	if err != nil {
		c.logFailure(name, err)
		return &c.static, nil
	}
	return cert, nil
}

// logFailure logs a failed certificate request, at most once per
// errorLogInterval per host.
func (c *certSource) logFailure(host string, err error) {
	c.mu.Lock()
	now := time.Now()
	last, seen := c.logged[host]
	quiet := seen && now.Sub(last) < errorLogInterval
	if !quiet {
		c.logged[host] = now
	}
	c.mu.Unlock()
	if !quiet {
		c.logger.Warn("acme: no certificate; serving the static one", "host", host, "err", err,
			"hint", "does DNS for the host point to this server, and does the CA reach -autoconfig on port 443 or -acme-http on port 80?")
	}
}

// obtainAll asks for each host's certificate, one after the other, so
// that the first clients do not wait for issuance and a missing DNS
// record shows in the log at start. Called once the challenge listeners
// are bound.
func (c *certSource) obtainAll() {
	if c.manager == nil {
		return
	}
	for _, h := range c.hosts {
		// An ECDSA-capable hello: autocert gets the ECDSA certificate that
		// today's clients use; an RSA one follows when an old client asks.
		hello := &tls.ClientHelloInfo{ServerName: h, CipherSuites: []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256}}
		if _, err := c.manager.GetCertificate(hello); err != nil {
			c.logFailure(h, err)
		}
	}
}

// challengeHandler answers http-01 challenges and redirects other
// requests to HTTPS (port 443).
func (c *certSource) challengeHandler() http.Handler {
	h := c.manager.HTTPHandler(nil)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// autocert checks the Host header against the host names as it
		// is: a CA that validates on another port than 80 (a test CA, or
		// a port mapping) sends "name:port".
		if host, _, err := net.SplitHostPort(r.Host); err == nil {
			r.Host = host
		}
		h.ServeHTTP(w, r)
	})
}

// note is the banner's line about certificates.
func (c *certSource) note(cfg *config) string {
	switch {
	case c.manager != nil:
		return fmt.Sprintf("Certificates come from ACME (%s) for %s.", c.manager.Client.DirectoryURL, strings.Join(c.hosts, ", "))
	case cfg.tlsCert != "":
		return "The certificate is " + cfg.tlsCert + "."
	}
	return "The certificate is self-signed: trust " + filepath.Join(cfg.data, "tls", "cert.pem") + " or accept it in the client."
}

// loggingCache logs each certificate that autocert stores: the first one
// for a host and every renewal.
type loggingCache struct {
	autocert.Cache
	logger *slog.Logger
}

// Put stores data and logs it when it is a host's certificate (autocert
// keys them "host" or "host+rsa"; "+token", "+http-01" and the account
// key are challenge and account state).
func (c loggingCache) Put(ctx context.Context, key string, data []byte) error {
	if err := c.Cache.Put(ctx, key, data); err != nil {
		return err
	}
	host, kind, _ := strings.Cut(key, "+")
	if kind != "" && kind != "rsa" {
		return nil
	}
	for block, rest := pem.Decode(data); block != nil; block, rest = pem.Decode(rest) {
		if block.Type != "CERTIFICATE" {
			continue
		}
		if leaf, err := x509.ParseCertificate(block.Bytes); err == nil {
			c.logger.Info("acme: new certificate", "host", host, "serial", leaf.SerialNumber.Text(16),
				"not_after", leaf.NotAfter.UTC().Format(time.RFC3339), "issuer", leaf.Issuer.CommonName)
		}
		break
	}
	return nil
}
