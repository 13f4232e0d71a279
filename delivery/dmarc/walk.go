package dmarc

import (
	"context"
	"errors"
	"strings"

	"github.com/mailwright/mailwright/delivery/spf"
)

// maxWalkQueries is the most DNS queries of one tree walk; a name of more
// labels is shortened to 7 after the first query (RFC 9989 4.10).
const maxWalkQueries = 8

// walkNames returns the names a DNS Tree Walk from domain asks, in order:
// domain, then its parents, shortened to 7 labels at the first step when
// it has 8 or more, down to a single label (RFC 9989 4.10 steps 3-7).
func walkNames(domain string) []string {
	labels := strings.Split(domain, ".")
	names := []string{domain}
	start := 1
	if len(labels) >= maxWalkQueries {
		start = len(labels) - (maxWalkQueries - 1)
	}
	for i := start; i < len(labels); i++ {
		names = append(names, strings.Join(labels[i:], "."))
	}
	return names
}

// found is a DMARC Policy Record met on a walk.
type found struct {
	domain string
	rec    *Record
}

// walker looks records up for one evaluation, asking the DNS once per
// name however many walks pass through it.
type walker struct {
	ctx      context.Context
	resolver Resolver
	records  map[string]lookup
	orgs     map[string]string
}

type lookup struct {
	rec *Record
	err error
}

func newWalker(ctx context.Context, r Resolver) *walker {
	return &walker{ctx: ctx, resolver: r, records: make(map[string]lookup), orgs: make(map[string]string)}
}

// record returns the DMARC Policy Record at _dmarc.domain: nil when there
// is none, or more than one (RFC 9989 4.10 step 2: "they are all
// discarded"). NXDOMAIN and NODATA are not errors.
func (w *walker) record(domain string) (*Record, error) {
	if l, ok := w.records[domain]; ok {
		return l.rec, l.err
	}
	txts, err := w.resolver.LookupTXT(w.ctx, "_dmarc."+domain)
	if errors.Is(err, spf.ErrNoSuchDomain) {
		err = nil
	}
	var recs []*Record
	for _, t := range txts {
		if r, perr := Parse(t); perr == nil {
			recs = append(recs, r)
		}
	}
	var rec *Record
	if len(recs) == 1 {
		rec = recs[0]
	}
	w.records[domain] = lookup{rec, err}
	return rec, err
}

// walk performs the DNS Tree Walk from start and returns the records it
// met, longest name first; it stops at a record with psd=y or psd=n
// (RFC 9989 4.10 steps 2 and 6).
func (w *walker) walk(start string) ([]found, error) {
	var recs []found
	for _, name := range walkNames(start) {
		rec, err := w.record(name)
		if err != nil {
			return nil, err
		}
		if rec == nil {
			continue
		}
		recs = append(recs, found{name, rec})
		if rec.PSD == 'y' || rec.PSD == 'n' {
			break
		}
	}
	return recs, nil
}

// orgDomain is the Organizational Domain of domain (RFC 9989 4.10.2).
func (w *walker) orgDomain(domain string) (string, error) {
	if org, ok := w.orgs[domain]; ok {
		return org, nil
	}
	recs, err := w.walk(domain)
	if err != nil {
		return "", err
	}
	org := selectOrg(domain, recs)
	w.orgs[domain] = org
	return org, nil
}

// selectOrg picks the Organizational Domain from the records of a walk
// from start, longest name first (RFC 9989 4.10.2): the first with
// psd=n; the name one label below the first with psd=y (other than start
// itself); else the record with the fewest labels; else start.
func selectOrg(start string, recs []found) string {
	for _, f := range recs {
		switch {
		case f.rec.PSD == 'n':
			return f.domain
		case f.rec.PSD == 'y' && f.domain != start:
			return oneLabelBelow(start, f.domain)
		}
	}
	if len(recs) > 0 {
		return recs[len(recs)-1].domain
	}
	return start
}

// oneLabelBelow returns the parent of start that has one label more than
// ancestor.
func oneLabelBelow(start, ancestor string) string {
	labels := strings.Split(start, ".")
	n := strings.Count(ancestor, ".") + 2
	return strings.Join(labels[len(labels)-n:], ".")
}

// discovery is where the policy of an Author Domain comes from.
type discovery struct {
	domain string  // the DMARC Policy Domain
	rec    *Record // its record; nil: DMARC does not apply
	org    string  // the author's Organizational Domain, when known
}

// discover finds the record that applies to author: the author's own,
// else its Organizational Domain's, else its Public Suffix Domain's
// (RFC 9989 4.10.1).
func (w *walker) discover(author string) (discovery, error) {
	rec, err := w.record(author)
	if err != nil || rec != nil {
		return discovery{domain: author, rec: rec}, err
	}
	recs, err := w.walk(author)
	if err != nil {
		return discovery{}, err
	}
	org := selectOrg(author, recs)
	w.orgs[author] = org
	var psd *found
	for i, f := range recs {
		if f.domain == org {
			return discovery{domain: org, rec: f.rec, org: org}, nil
		}
		if f.rec.PSD == 'y' {
			psd = &recs[i]
		}
	}
	if psd != nil {
		return discovery{domain: psd.domain, rec: psd.rec, org: org}, nil
	}
	return discovery{org: org}, nil
}
