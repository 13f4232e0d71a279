package main

import (
	"bytes"
	"cmp"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/mailwright/mailwright/delivery"
	"github.com/mailwright/mailwright/delivery/mtasts"
	"github.com/mailwright/mailwright/delivery/spf"
	"github.com/mailwright/mailwright/delivery/tlsrpt"
	"github.com/mailwright/mailwright/queue"
)

// transportConfig is the outbound transport security that the flags ask
// for, and the MTA-STS policy served for our own domains.
type transportConfig struct {
	mtaSTS       bool   // enforce the destinations' MTA-STS policies
	daneResolver string // trusted DNSSEC-validating resolver: DANE
	tlsrpt       string // address that sends TLS-RPT reports
	tlsRoots     string // extra CAs for MX and policy server certificates
	policyMode   string // mode of our own MTA-STS policy
}

func transportFlags(fs *flag.FlagSet, c *transportConfig) {
	fs.BoolVar(&c.mtaSTS, "mta-sts", false, "apply the MTA-STS policies (RFC 8461) of destination domains: under an enforce policy mail goes only to the listed MX hosts, over TLS with a valid certificate")
	fs.StringVar(&c.daneResolver, "dane-resolver", "", "host:port of a DNSSEC-validating resolver to trust (ideally on loopback): enables DANE (RFC 7672), and every outbound DNS lookup goes to it")
	fs.StringVar(&c.tlsrpt, "tlsrpt-address", "", "count outbound TLS sessions and send TLS-RPT (RFC 8460) reports daily from this address to the domains that ask for them")
	fs.StringVar(&c.tlsRoots, "tls-roots", "", "PEM file of CAs to trust, besides the system's, for MX hosts' certificates and MTA-STS policy servers (private or test CAs)")
	fs.StringVar(&c.policyMode, "mta-sts-mode", "testing", "mode of the MTA-STS policy that the -autoconfig listener serves at mta-sts.DOMAIN for the local domains: enforce, testing or none")
}

// ownPolicyMaxAge is the max_age of the policy we serve: a week, as RFC
// 8461 3.2 suggests for a policy in use.
const ownPolicyMaxAge = 7 * 24 * time.Hour

// ownPolicy is the MTA-STS policy of the local domains: their mail goes
// to this server, whose name is the first domain.
func ownPolicy(cfg *config) (*mtasts.Policy, error) {
	mode := mtasts.Mode(cfg.transport.policyMode)
	switch mode {
	case mtasts.ModeEnforce, mtasts.ModeTesting, mtasts.ModeNone:
	default:
		return nil, fmt.Errorf("-mta-sts-mode %q: want enforce, testing or none", mode)
	}
	return &mtasts.Policy{Mode: mode, MX: []string{strings.ToLower(cfg.domains[0])}, MaxAge: ownPolicyMaxAge}, nil
}

// withMTASTSPolicy serves the policy at https://mta-sts.DOMAIN/.well-known/mta-sts.txt
// (RFC 8461 3.3) for each local domain, and passes other requests to next.
func withMTASTSPolicy(cfg *config, next http.Handler) (http.Handler, error) {
	p, err := ownPolicy(cfg)
	if err != nil {
		return nil, err
	}
	body := []byte(p.String())
	mux := http.NewServeMux()
	mux.Handle("/", next)
	mux.HandleFunc("GET /.well-known/mta-sts.txt", func(w http.ResponseWriter, r *http.Request) {
		host, _, err := net.SplitHostPort(r.Host)
		if err != nil {
			host = r.Host
		}
		domain, ok := strings.CutPrefix(strings.ToLower(host), "mta-sts.")
		if !ok || !slices.ContainsFunc(cfg.domains, func(d string) bool { return strings.EqualFold(d, domain) }) {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/plain")
		w.Write(body)
	})
	return mux, nil
}

// transportSecurity is the outbound policy machinery: what Remote
// consults, and the background jobs (policy refresh, daily reports).
type transportSecurity struct {
	sts      *mtasts.Client
	reporter *tlsrpt.Reporter
}

// setupTransport configures remote as the flags ask.
func setupTransport(cfg *config, remote *delivery.Remote, logger *slog.Logger) (*transportSecurity, error) {
	tc := cfg.transport
	ts := &transportSecurity{}
	var roots *x509.CertPool
	if tc.tlsRoots != "" {
		pem, err := os.ReadFile(tc.tlsRoots)
		if err != nil {
			return nil, err
		}
		if roots, err = x509.SystemCertPool(); err != nil {
			roots = x509.NewCertPool()
		}
		if !roots.AppendCertsFromPEM(pem) {
			return nil, errors.New("-tls-roots: no certificate in " + tc.tlsRoots)
		}
		remote.TLSConfig = &tls.Config{RootCAs: roots}
	}
	// The policy and report lookups go where Remote's own go.
	dns := &spf.DNS{Server: cmp.Or(tc.daneResolver, cfg.resolver)}
	remote.DANEResolver = tc.daneResolver
	if tc.mtaSTS {
		ts.sts = &mtasts.Client{Resolver: dns, RootCAs: roots, Logger: logger}
		if err := persistSTSCache(ts.sts, cfg.data, logger); err != nil {
			return nil, err
		}
		remote.MTASTS = ts.sts
	}
	if tc.tlsrpt != "" {
		remote.TLSRPT = &tlsrpt.Recorder{}
		ts.reporter = &tlsrpt.Reporter{Recorder: remote.TLSRPT, Resolver: dns, Submitter: cfg.domains[0], From: tc.tlsrpt, Logger: logger}
	}
	return ts, nil
}

// start runs the background jobs until ctx ends: reports are mailed
// through q.
func (ts *transportSecurity) start(ctx context.Context, q *queue.Queue) {
	if ts.sts != nil {
		go ts.sts.Run(ctx)
	}
	if ts.reporter != nil {
		ts.reporter.Mail = func(ctx context.Context, from, to string, msg []byte) error {
			env := queue.Envelope{From: from, Recipients: []queue.Recipient{{Address: to}}}
			_, err := q.Enqueue(ctx, env, bytes.NewReader(msg))
			return err
		}
		go ts.reporter.Run(ctx)
	}
}
