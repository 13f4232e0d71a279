package mtasts

import (
	"cmp"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"time"
)

// TLS-RPT result types of a failed fetch (RFC 8460 4.3.2.1).
const (
	ResultFetchError    = "sts-policy-fetch-error"
	ResultPolicyInvalid = "sts-policy-invalid"
	ResultWebPKIInvalid = "sts-webpki-invalid"
)

// FetchError is a policy that could not be had: the server could not be
// reached or answered badly, its certificate did not verify, or the
// policy did not parse.
type FetchError struct {
	Domain string
	// Result is the TLS-RPT result type: ResultFetchError,
	// ResultWebPKIInvalid or ResultPolicyInvalid.
	Result string
	Err    error
}

func (e *FetchError) Error() string {
	return "mtasts: policy of " + e.Domain + " (" + e.Result + "): " + e.Err.Error()
}

func (e *FetchError) Unwrap() error { return e.Err }

// DefaultFetchTimeout bounds a whole policy fetch.
const DefaultFetchTimeout = 30 * time.Second

// PolicyURL returns where domain's policy is served (RFC 8461 3.3).
func PolicyURL(domain string) string {
	return "https://mta-sts." + domain + "/.well-known/mta-sts.txt"
}

// Fetch gets and parses domain's policy over HTTPS, without the cache.
// RFC 8461 3.3: the certificate must be valid for mta-sts.DOMAIN,
// redirects are not followed, and only a 200 answer counts.
func (c *Client) Fetch(ctx context.Context, domain string) (*Policy, error) {
	ctx, cancel := context.WithTimeout(ctx, cmp.Or(c.FetchTimeout, DefaultFetchTimeout))
	defer cancel()
	fail := func(result string, err error) (*Policy, error) {
		return nil, &FetchError{Domain: domain, Result: result, Err: err}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, PolicyURL(domain), nil)
	if err != nil {
		return fail(ResultFetchError, err)
	}
	resp, err := c.httpClient().Do(req)
	if err != nil {
		if isCertificateError(err) {
			return fail(ResultWebPKIInvalid, err)
		}
		return fail(ResultFetchError, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fail(ResultFetchError, errors.New("HTTP status "+resp.Status))
	}
	if ct := resp.Header.Get("Content-Type"); ct != "" {
		// RFC 8461 3.2: the policy is served as text/plain.
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "text/plain" {
			return fail(ResultPolicyInvalid, fmt.Errorf("content type %q, want text/plain", ct))
		}
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxPolicySize+1))
	if err != nil {
		return fail(ResultFetchError, err)
	}
	p, err := ParsePolicy(body)
	if err != nil {
		return fail(ResultPolicyInvalid, err)
	}
	return p, nil
}

// isCertificateError reports whether err is a failed verification of the
// policy server's certificate.
func isCertificateError(err error) bool {
	var (
		verr *tls.CertificateVerificationError
		uerr x509.UnknownAuthorityError
		herr x509.HostnameError
		ierr x509.CertificateInvalidError
	)
	return errors.As(err, &verr) || errors.As(err, &uerr) || errors.As(err, &herr) || errors.As(err, &ierr)
}

// httpClient returns the client that fetches policies: TLS 1.2 or later
// with the configured roots, no proxy, no redirects, no kept
// connections (a policy is fetched rarely), bounded headers.
func (c *Client) httpClient() *http.Client {
	c.clientOnce.Do(func() {
		tr := &http.Transport{
			DialContext:            c.dial,
			TLSClientConfig:        &tls.Config{RootCAs: c.RootCAs, MinVersion: tls.VersionTLS12},
			TLSHandshakeTimeout:    10 * time.Second,
			ResponseHeaderTimeout:  20 * time.Second,
			MaxResponseHeaderBytes: 16 << 10,
			DisableKeepAlives:      true,
		}
		c.client = &http.Client{
			Transport: tr,
			// RFC 8461 3.3: "HTTP 3xx redirects MUST NOT be followed".
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	})
	return c.client
}

// dial connects to the policy host, whose addresses come from Resolver
// (so that they go through the same DNS as every other lookup), on Port.
func (c *Client) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	port := strconv.Itoa(cmp.Or(c.Port, 443))
	var d net.Dialer
	if c.Resolver == nil {
		return d.DialContext(ctx, network, net.JoinHostPort(host, port))
	}
	var addrs []netip.Addr
	var errs []error
	for _, lookup := range []func(context.Context, string) ([]netip.Addr, error){c.Resolver.LookupA, c.Resolver.LookupAAAA} {
		a, err := lookup(ctx, host)
		addrs = append(addrs, a...)
		errs = append(errs, err)
	}
	if len(addrs) == 0 {
		return nil, fmt.Errorf("no address for %s: %w", host, errors.Join(errs...))
	}
	var last error
	for _, ip := range addrs {
		conn, err := d.DialContext(ctx, network, net.JoinHostPort(ip.String(), port))
		if err == nil {
			return conn, nil
		}
		last = err
	}
	return nil, last
}
