package dmarc

import (
	"cmp"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mailwright/mailwright/delivery/spf"
)

// Aggregator bounds. A flood of forged senders makes a row per source
// address and domain; past the bounds new rows are counted as dropped.
const (
	DefaultMaxDomains = 10000
	DefaultMaxRows    = 10000
	// maxReportSignatures: "no more than 100 signatures for a given row"
	// (RFC 9990 2.1.3).
	maxReportSignatures = 100
)

// Event is one evaluated message, as an aggregate report counts it.
type Event struct {
	// SourceIP is the address of the client that sent the message.
	SourceIP netip.Addr
	// Input and Verdict are the evaluation's.
	Input   Input
	Verdict Verdict
	// EnvelopeTo is the domain of the RCPT TO address (optional).
	EnvelopeTo string
	// Disposition is what the receiver did when it differs from
	// Verdict.Disposition (a local policy override), with the Reasons.
	Disposition Policy
	Reasons     []Reason
}

// Reason says why the disposition differs from the published policy
// (RFC 9990 2.1.1, "reason"). Type is one of "local_policy",
// "mailing_list", "other", "policy_test_mode", "trusted_forwarder".
type Reason struct {
	Type    string
	Comment string
}

// Aggregator accumulates DMARC results per DMARC Policy Domain, and per
// (source IP, header from, envelope from and to, disposition, alignment,
// authentication results) within it, for aggregate reports (RFC 9990).
// Only domains whose record asks for aggregate reports (rua) are kept.
// It is safe for concurrent use; its zero value is ready.
type Aggregator struct {
	// MaxDomains and MaxRows bound the policy domains kept and the rows
	// of each; zero means DefaultMaxDomains and DefaultMaxRows.
	MaxDomains, MaxRows int

	mu      sync.Mutex
	domains map[string]*domainRows
	dropped int
}

type domainRows struct {
	record *Record // the last one seen: a report shows one configuration
	rows   map[string]*row
	order  []string
}

type row struct {
	count   int
	ev      Event
	dkim    []DKIMResult
	applied string // the report's disposition: none, pass, quarantine, reject
	reasons []Reason
}

// Add counts ev. Messages that DMARC did not evaluate (none, temperror)
// and domains without rua are not reported.
func (a *Aggregator) Add(ev Event) {
	v := ev.Verdict
	if (v.Result != Pass && v.Result != Fail) || v.Record == nil || len(v.Record.AggregateURIs) == 0 {
		return
	}
	applied, reasons := reportDisposition(ev)
	dkim := reportSignatures(ev.Input)
	key := rowKey(ev, applied, reasons, dkim)
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.domains == nil {
		a.domains = make(map[string]*domainRows)
	}
	d := a.domains[v.PolicyDomain]
	if d == nil {
		if len(a.domains) >= cmp.Or(a.MaxDomains, DefaultMaxDomains) {
			a.dropped++
			return
		}
		d = &domainRows{rows: make(map[string]*row)}
		a.domains[v.PolicyDomain] = d
	}
	d.record = v.Record
	r := d.rows[key]
	if r == nil {
		if len(d.rows) >= cmp.Or(a.MaxRows, DefaultMaxRows) {
			a.dropped++
			return
		}
		r = &row{ev: ev, dkim: dkim, applied: applied, reasons: reasons}
		d.rows[key] = r
		d.order = append(d.order, key)
	}
	r.count++
}

// Dropped returns how many messages did not fit in the bounds since the
// last Flush.
func (a *Aggregator) Dropped() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.dropped
}

// Metadata describes the reporter and the period of a batch of reports
// (RFC 9990 2.1.1, report_metadata).
type Metadata struct {
	// OrgName and Email are the reporting organization and its contact.
	OrgName, Email string
	// ExtraContact is optional.
	ExtraContact string
	// Receiver is the reporter's domain: the report file's name and
	// Subject carry it.
	Receiver string
	// Begin and End are the reporting period, usually a UTC day.
	Begin, End time.Time
	// Generator names the software (optional).
	Generator string
}

// Flush returns a report per DMARC Policy Domain for what was added since
// the last Flush, and starts over. Reports are in domain order.
func (a *Aggregator) Flush(meta Metadata) []*Report {
	a.mu.Lock()
	domains := a.domains
	a.domains, a.dropped = nil, 0
	a.mu.Unlock()
	var reports []*Report
	for domain, d := range domains {
		reports = append(reports, newReport(meta, domain, d))
	}
	slices.SortFunc(reports, func(x, y *Report) int { return strings.Compare(x.PolicyDomain, y.PolicyDomain) })
	return reports
}

// reportDisposition is the policy_evaluated disposition (RFC 9990 XSD,
// ActionDispositionType): "pass" for a pass under an enforcing policy,
// else what was applied; testing mode adds its reason.
func reportDisposition(ev Event) (string, []Reason) {
	v := ev.Verdict
	reasons := slices.Clone(ev.Reasons)
	applied := cmp.Or(ev.Disposition, v.Disposition, PolicyNone)
	if v.Result == Pass {
		if ev.Disposition == "" && v.Policy != PolicyNone {
			return "pass", reasons
		}
		return string(applied), reasons
	}
	if v.Record.Testing && v.Disposition != v.Policy && ev.Disposition == "" {
		reasons = append(reasons, Reason{Type: "policy_test_mode"})
	}
	return string(applied), reasons
}

// reportSignatures orders the signatures as RFC 9990 2.1.3 prefers: passes
// by the From domain, other passes, then the rest; at most 100.
func reportSignatures(in Input) []DKIMResult {
	from := normalize(in.From)
	rank := func(s DKIMResult) int {
		switch {
		case !strings.EqualFold(s.Result, "pass"):
			return 2
		case normalize(s.Domain) == from:
			return 0
		}
		return 1
	}
	sigs := slices.Clone(in.DKIM)
	slices.SortStableFunc(sigs, func(x, y DKIMResult) int { return rank(x) - rank(y) })
	if len(sigs) > maxReportSignatures {
		sigs = sigs[:maxReportSignatures]
	}
	return sigs
}

// rowKey identifies the messages that one record counts.
func rowKey(ev Event, applied string, reasons []Reason, dkim []DKIMResult) string {
	in, v := ev.Input, ev.Verdict
	var b strings.Builder
	for _, f := range []string{
		ev.SourceIP.String(), normalize(in.From), normalize(in.SPFDomain), normalize(ev.EnvelopeTo),
		applied, strconv.FormatBool(v.DKIMAligned), strconv.FormatBool(v.SPFAligned), string(in.SPF),
	} {
		b.WriteString(f)
		b.WriteByte(0)
	}
	for _, r := range reasons {
		b.WriteString(r.Type + "\x01" + r.Comment + "\x00")
	}
	for _, s := range dkim {
		b.WriteString(normalize(s.Domain) + "\x01" + s.Selector + "\x01" + strings.ToLower(s.Result) + "\x00")
	}
	return b.String()
}

// spfReportResult is the SPF result as auth_results shows it.
func spfReportResult(r spf.Result) string { return string(cmp.Or(r, spf.None)) }
