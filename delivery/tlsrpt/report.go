package tlsrpt

import (
	"cmp"
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"time"
)

// Policy types (RFC 8460 4.4).
const (
	PolicySTS  = "sts"
	PolicyTLSA = "tlsa"
	PolicyNone = "no-policy-found"
)

// Result types (RFC 8460 4.3) that a sending MTA records.
const (
	ResultStartTLSNotSupported = "starttls-not-supported"
	ResultHostMismatch         = "certificate-host-mismatch"
	ResultExpired              = "certificate-expired"
	ResultNotTrusted           = "certificate-not-trusted"
	ResultValidationFailure    = "validation-failure"
	ResultSTSFetchError        = "sts-policy-fetch-error"
	ResultSTSPolicyInvalid     = "sts-policy-invalid"
	ResultSTSWebPKIInvalid     = "sts-webpki-invalid"
	ResultTLSAInvalid          = "tlsa-invalid"
	ResultDNSSECInvalid        = "dnssec-invalid"
	ResultDANERequired         = "dane-required"
)

// Policy is the policy a session was under (RFC 8460 4.4 "policy").
type Policy struct {
	Type string `json:"policy-type"`
	// String is the policy: the MTA-STS policy's lines, or the TLSA
	// records in presentation format.
	String []string `json:"policy-string,omitempty"`
	// Domain is the policy domain: the recipient domain.
	Domain string `json:"policy-domain"`
	// MXHost are the MTA-STS mx patterns, or the MX host of the TLSA
	// records.
	MXHost []string `json:"mx-host,omitempty"`
}

func (p Policy) key() string {
	return p.Type + "\x00" + strings.Join(p.String, "\n") + "\x00" + strings.Join(p.MXHost, "\n")
}

// Failure is one failed session (RFC 8460 4.4 "failure-details"); the
// fields other than Result are optional.
type Failure struct {
	Result              string `json:"result-type"`
	SendingMTAIP        string `json:"sending-mta-ip,omitempty"`
	ReceivingMXHostname string `json:"receiving-mx-hostname,omitempty"`
	ReceivingMXHelo     string `json:"receiving-mx-helo,omitempty"`
	ReceivingIP         string `json:"receiving-ip,omitempty"`
	// Count is failed-session-count; Recorder sets it.
	Count                 int64  `json:"failed-session-count"`
	AdditionalInformation string `json:"additional-information,omitempty"`
	FailureReasonCode     string `json:"failure-reason-code,omitempty"`
}

func (f Failure) key() string {
	return strings.Join([]string{f.Result, f.SendingMTAIP, f.ReceivingMXHostname, f.ReceivingMXHelo, f.ReceivingIP, f.AdditionalInformation, f.FailureReasonCode}, "\x00")
}

// Report is an aggregate report for one policy domain and one UTC day
// (RFC 8460 4.4).
type Report struct {
	OrganizationName string         `json:"organization-name"`
	DateRange        DateRange      `json:"date-range"`
	ContactInfo      string         `json:"contact-info"`
	ReportID         string         `json:"report-id"`
	Policies         []PolicyResult `json:"policies"`
}

// DateRange is the period a report covers.
type DateRange struct {
	Start time.Time `json:"start-datetime"`
	End   time.Time `json:"end-datetime"`
}

// PolicyResult counts the sessions under one policy.
type PolicyResult struct {
	Policy         Policy    `json:"policy"`
	Summary        Summary   `json:"summary"`
	FailureDetails []Failure `json:"failure-details,omitempty"`
}

// Summary is the session counts of a policy.
type Summary struct {
	Successful int64 `json:"total-successful-session-count"`
	Failed     int64 `json:"total-failure-session-count"`
}

// Domain returns the policy domain of the report.
func (r *Report) Domain() string {
	if len(r.Policies) == 0 {
		return ""
	}
	return r.Policies[0].Policy.Domain
}

// JSON encodes the report.
func (r *Report) JSON() ([]byte, error) { return json.Marshal(r) }

// Recorder bounds. Past them new policy domains and failure rows are
// not recorded.
const (
	DefaultMaxDomains = 10000
	maxFailureRows    = 100
)

// Recorder counts TLS sessions per UTC day, policy domain and policy.
// It is safe for concurrent use; its zero value is ready. Its clock is
// time.Now, so that testing/synctest moves it.
type Recorder struct {
	// MaxDomains bounds the policy domains kept per day; zero means
	// DefaultMaxDomains.
	MaxDomains int

	mu   sync.Mutex
	days map[time.Time]map[string]*domainCounts // day -> policy domain
}

type domainCounts struct {
	policies map[string]*PolicyResult
	order    []string
	rows     map[string]map[string]int // policy key -> failure key -> index
}

// Success records a session that negotiated TLS as the policy asks.
func (r *Recorder) Success(p Policy) {
	r.record(p, nil)
}

// Failure records a failed session.
func (r *Recorder) Failure(p Policy, f Failure) {
	r.record(p, &f)
}

func (r *Recorder) record(p Policy, f *Failure) {
	if p.Domain == "" {
		return
	}
	p.Domain = strings.ToLower(p.Domain)
	day := time.Now().UTC().Truncate(24 * time.Hour)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.days == nil {
		r.days = make(map[time.Time]map[string]*domainCounts)
	}
	domains := r.days[day]
	if domains == nil {
		domains = make(map[string]*domainCounts)
		r.days[day] = domains
	}
	dc := domains[p.Domain]
	if dc == nil {
		if len(domains) >= cmp.Or(r.MaxDomains, DefaultMaxDomains) {
			return
		}
		dc = &domainCounts{policies: make(map[string]*PolicyResult), rows: make(map[string]map[string]int)}
		domains[p.Domain] = dc
	}
	k := p.key()
	pr := dc.policies[k]
	if pr == nil {
		pr = &PolicyResult{Policy: p}
		dc.policies[k] = pr
		dc.order = append(dc.order, k)
		dc.rows[k] = make(map[string]int)
	}
	if f == nil {
		pr.Summary.Successful++
		return
	}
	pr.Summary.Failed++
	fk := f.key()
	if i, ok := dc.rows[k][fk]; ok {
		pr.FailureDetails[i].Count++
		return
	}
	if len(pr.FailureDetails) < maxFailureRows {
		f.Count = 1
		dc.rows[k][fk] = len(pr.FailureDetails)
		pr.FailureDetails = append(pr.FailureDetails, *f)
	}
}

// Flush removes and returns the reports of the days that ended by
// before, oldest first and by domain; the caller fills in
// OrganizationName, ContactInfo and ReportID (Reporter does).
func (r *Recorder) Flush(before time.Time) []*Report {
	r.mu.Lock()
	defer r.mu.Unlock()
	var days []time.Time
	for day := range r.days {
		if !day.Add(24 * time.Hour).After(before) {
			days = append(days, day)
		}
	}
	slices.SortFunc(days, time.Time.Compare)
	var out []*Report
	for _, day := range days {
		domains := r.days[day]
		delete(r.days, day)
		names := make([]string, 0, len(domains))
		for d := range domains {
			names = append(names, d)
		}
		slices.Sort(names)
		for _, d := range names {
			dc := domains[d]
			rep := &Report{DateRange: DateRange{Start: day, End: day.Add(24*time.Hour - time.Second)}}
			for _, k := range dc.order {
				rep.Policies = append(rep.Policies, *dc.policies[k])
			}
			out = append(out, rep)
		}
	}
	return out
}
