package dmarc

import (
	"bytes"
	"encoding/xml"
	"strconv"
	"strings"
)

// Namespace is the XML namespace of RFC 9990 aggregate reports.
const Namespace = "urn:ietf:params:xml:ns:dmarc-2.0"

// Report is the aggregate report for one DMARC Policy Domain (RFC 9990 2.1).
type Report struct {
	// PolicyDomain is the domain the report is about; URIs are the rua
	// of its record (see Evaluator.Destinations before sending).
	PolicyDomain string
	URIs         []string
	// Record is the record the report shows as policy_published.
	Record *Record
	// ID is the Report-ID: unique among the reports to the domain, and
	// the same when the report is sent again (RFC 9990 2.5.1).
	ID   string
	Meta Metadata

	feedback feedback
}

// The elements of RFC 9990's schema, in the order its tables give.
type feedback struct {
	XMLName  xml.Name        `xml:"urn:ietf:params:xml:ns:dmarc-2.0 feedback"`
	Version  string          `xml:"version"`
	Metadata reportMetadata  `xml:"report_metadata"`
	Policy   policyPublished `xml:"policy_published"`
	Records  []recordXML     `xml:"record"`
}

type reportMetadata struct {
	OrgName      string    `xml:"org_name"`
	Email        string    `xml:"email"`
	ExtraContact string    `xml:"extra_contact_info,omitempty"`
	ReportID     string    `xml:"report_id"`
	DateRange    dateRange `xml:"date_range"`
	Generator    string    `xml:"generator,omitempty"`
}

type dateRange struct {
	Begin int64 `xml:"begin"`
	End   int64 `xml:"end"`
}

type policyPublished struct {
	Domain          string `xml:"domain"`
	DiscoveryMethod string `xml:"discovery_method"`
	P               Policy `xml:"p"`
	SP              Policy `xml:"sp,omitempty"`
	NP              Policy `xml:"np,omitempty"`
	FO              string `xml:"fo,omitempty"`
	ADKIM           string `xml:"adkim"`
	ASPF            string `xml:"aspf"`
	Testing         string `xml:"testing"`
}

type recordXML struct {
	Row         rowXML      `xml:"row"`
	Identifiers identifiers `xml:"identifiers"`
	AuthResults authResults `xml:"auth_results"`
}

type rowXML struct {
	SourceIP        string          `xml:"source_ip"`
	Count           int             `xml:"count"`
	PolicyEvaluated policyEvaluated `xml:"policy_evaluated"`
}

type policyEvaluated struct {
	Disposition string      `xml:"disposition"`
	DKIM        string      `xml:"dkim"`
	SPF         string      `xml:"spf"`
	Reasons     []reasonXML `xml:"reason"`
}

type reasonXML struct {
	Type    string `xml:"type"`
	Comment string `xml:"comment,omitempty"`
}

type identifiers struct {
	HeaderFrom string `xml:"header_from"`
	// EnvelopeFrom is present but empty for a null reverse-path
	// (RFC 9990 2.1.1, identifiers).
	EnvelopeFrom string `xml:"envelope_from"`
	EnvelopeTo   string `xml:"envelope_to,omitempty"`
}

type authResults struct {
	DKIM []dkimXML `xml:"dkim"`
	SPF  *spfXML   `xml:"spf"`
}

type dkimXML struct {
	Domain   string `xml:"domain"`
	Selector string `xml:"selector"`
	Result   string `xml:"result"`
}

type spfXML struct {
	Domain string `xml:"domain"`
	Scope  string `xml:"scope"`
	Result string `xml:"result"`
}

func newReport(meta Metadata, domain string, d *domainRows) *Report {
	rec := d.record
	r := &Report{
		PolicyDomain: domain,
		URIs:         rec.AggregateURIs,
		Record:       rec,
		ID:           strconv.FormatInt(meta.Begin.Unix(), 10) + "." + domain + "@" + meta.Receiver,
		Meta:         meta,
	}
	r.feedback = feedback{
		Version: "1.0",
		Metadata: reportMetadata{
			OrgName: meta.OrgName, Email: meta.Email, ExtraContact: meta.ExtraContact,
			ReportID:  r.ID,
			DateRange: dateRange{meta.Begin.Unix(), meta.End.Unix()},
			Generator: meta.Generator,
		},
		Policy: policyPublished{
			Domain: domain, DiscoveryMethod: "treewalk",
			P: cmpPolicy(rec.Policy), SP: rec.SubdomainPolicy, NP: rec.NonexistentPolicy,
			FO: rec.FailureOptions, ADKIM: alignment(rec.StrictDKIM), ASPF: alignment(rec.StrictSPF),
			Testing: map[bool]string{true: "y", false: "n"}[rec.Testing],
		},
	}
	for _, key := range d.order {
		row := d.rows[key]
		in, v := row.ev.Input, row.ev.Verdict
		rx := recordXML{
			Row: rowXML{
				SourceIP: row.ev.SourceIP.String(),
				Count:    row.count,
				PolicyEvaluated: policyEvaluated{
					Disposition: row.applied,
					DKIM:        passFail(v.DKIMAligned),
					SPF:         passFail(v.SPFAligned),
				},
			},
			Identifiers: identifiers{HeaderFrom: normalize(in.From), EnvelopeFrom: normalize(in.SPFDomain), EnvelopeTo: normalize(row.ev.EnvelopeTo)},
		}
		for _, reason := range row.reasons {
			rx.Row.PolicyEvaluated.Reasons = append(rx.Row.PolicyEvaluated.Reasons, reasonXML(reason))
		}
		for _, s := range row.dkim {
			rx.AuthResults.DKIM = append(rx.AuthResults.DKIM, dkimXML{Domain: normalize(s.Domain), Selector: s.Selector, Result: strings.ToLower(s.Result)})
		}
		if in.SPFDomain != "" || in.SPF != "" {
			rx.AuthResults.SPF = &spfXML{Domain: normalize(in.SPFDomain), Scope: "mfrom", Result: spfReportResult(in.SPF)}
		}
		r.feedback.Records = append(r.feedback.Records, rx)
	}
	return r
}

// XML returns the report document (RFC 9990 2.1.1).
func (r *Report) XML() ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(xml.Header)
	enc := xml.NewEncoder(&b)
	enc.Indent("", "  ")
	if err := enc.Encode(r.feedback); err != nil {
		return nil, err
	}
	b.WriteByte('\n')
	return b.Bytes(), nil
}

func passFail(ok bool) string {
	if ok {
		return "pass"
	}
	return "fail"
}

func cmpPolicy(p Policy) Policy {
	if p == "" {
		return PolicyNone
	}
	return p
}
