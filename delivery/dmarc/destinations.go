package dmarc

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/mailwright/mailwright/delivery/spf"
)

// Destinations returns the mail addresses that an aggregate report about
// policyDomain may be sent to: the mailto: URIs of rec's rua (other
// schemes are not supported, RFC 9989 4.7) whose domain is in the policy
// domain's organization, or whose domain agrees to receive the reports by
// publishing policyDomain._report._dmarc.<its domain> (RFC 9990 3, which
// also lets that record replace the address). A DNS failure leaves its
// URI out and is returned with the others, so that the caller can retry
// later.
func (e *Evaluator) Destinations(ctx context.Context, policyDomain string, rec *Record) ([]string, error) {
	w := newWalker(ctx, e.resolver())
	policyDomain = normalize(policyDomain)
	org, err := w.orgDomain(policyDomain)
	if err != nil {
		return nil, err
	}
	var addrs []string
	var errs []error
	for _, uri := range rec.AggregateURIs {
		addr, host, ok := mailtoAddress(uri)
		if !ok {
			continue
		}
		hostOrg, err := w.orgDomain(host)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if hostOrg == org {
			addrs = append(addrs, addr)
			continue
		}
		verified, err := w.externalDestination(policyDomain, addr, host)
		if err != nil {
			errs = append(errs, err)
		}
		addrs = append(addrs, verified...)
	}
	return addrs, errors.Join(errs...)
}

// externalDestination checks that host accepts reports about
// policyDomain, and applies its override of the address (RFC 9990 3).
func (w *walker) externalDestination(policyDomain, addr, host string) ([]string, error) {
	name := policyDomain + "._report._dmarc." + host
	if len(name) > 253 {
		return nil, nil // step 4: no positive determination
	}
	txts, err := w.resolver.LookupTXT(w.ctx, name)
	if errors.Is(err, spf.ErrNoSuchDomain) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("verifying %s for %s: %w", addr, policyDomain, err)
	}
	for _, t := range txts {
		rec, err := Parse(t)
		if err != nil {
			continue
		}
		if len(rec.AggregateURIs) == 0 {
			return []string{addr}, nil
		}
		// Step 9: the override must keep the destination host; one that
		// does not forbids both addresses.
		var over []string
		for _, u := range rec.AggregateURIs {
			a, h, ok := mailtoAddress(u)
			if !ok || h != host {
				return nil, nil
			}
			over = append(over, a)
		}
		return over, nil
	}
	return nil, nil
}

// mailtoAddress returns the address of a mailto: URI and its domain.
func mailtoAddress(uri string) (addr, host string, ok bool) {
	u, err := url.Parse(uri)
	if err != nil || !strings.EqualFold(u.Scheme, "mailto") {
		return "", "", false
	}
	addr, err = url.PathUnescape(u.Opaque)
	if err != nil {
		return "", "", false
	}
	at := strings.LastIndexByte(addr, '@')
	if at <= 0 || checkDomain(normalize(addr[at+1:])) != nil {
		return "", "", false
	}
	return addr, normalize(addr[at+1:]), true
}
