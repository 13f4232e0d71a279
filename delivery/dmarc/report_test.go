package dmarc

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/xml"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mailwright/mailwright/delivery/spf"
	"github.com/mailwright/mailwright/internal/dnstest"
)

var reportMeta = Metadata{
	OrgName: "Receiver Inc.", Email: "dmarc@receiver.example", Receiver: "receiver.example",
	Begin: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC),
	Generator: "mailwright",
}

// aggregate evaluates messages against the test zone and adds them.
func aggregate(t *testing.T, agg *Aggregator, ip string, in Input) {
	t.Helper()
	e, _ := newEvaluator(t)
	agg.Add(Event{SourceIP: netip.MustParseAddr(ip), Input: in, Verdict: e.Evaluate(context.Background(), in), EnvelopeTo: "receiver.example"})
}

func TestAggregateReport(t *testing.T) {
	agg := &Aggregator{}
	pass := Input{From: "example.com", SPF: spf.Pass, SPFDomain: "example.com",
		DKIM: []DKIMResult{{Domain: "other.example", Selector: "x", Result: "fail"}, {Domain: "example.com", Selector: "s1", Result: "pass"}}}
	aggregate(t, agg, "192.0.2.1", pass)
	aggregate(t, agg, "192.0.2.1", pass)
	aggregate(t, agg, "198.51.100.7", Input{From: "news.example.com", SPF: spf.Fail, SPFDomain: "spoof.example"})
	aggregate(t, agg, "198.51.100.7", Input{From: "mail.example.com"})            // p=none, no rua: not reported
	aggregate(t, agg, "198.51.100.7", Input{From: "nodmarc.example"})             // no DMARC
	aggregate(t, agg, "198.51.100.8", Input{From: "badp.example", SPF: spf.None}) // rua, p=none
	reports := agg.Flush(reportMeta)
	if got := len(reports); got != 2 || reports[0].PolicyDomain != "badp.example" || reports[1].PolicyDomain != "example.com" {
		t.Fatalf("%d reports: %v", got, reports)
	}
	if again := agg.Flush(reportMeta); len(again) != 0 {
		t.Errorf("Flush did not start over: %d reports", len(again))
	}
	doc, err := reports[1].XML()
	if err != nil {
		t.Fatal(err)
	}
	var fb struct {
		XMLName xml.Name `xml:"feedback"`
		Version string   `xml:"version"`
		Meta    struct {
			ReportID string `xml:"report_id"`
			Begin    int64  `xml:"date_range>begin"`
			End      int64  `xml:"date_range>end"`
		} `xml:"report_metadata"`
		Policy struct {
			Domain    string `xml:"domain"`
			P         string `xml:"p"`
			SP        string `xml:"sp"`
			NP        string `xml:"np"`
			Testing   string `xml:"testing"`
			Discovery string `xml:"discovery_method"`
		} `xml:"policy_published"`
	}
	if err := xml.Unmarshal(doc, &fb); err != nil {
		t.Fatalf("%v\n%s", err, doc)
	}
	if fb.XMLName.Space != Namespace || fb.Version != "1.0" || fb.Meta.ReportID != reports[1].ID ||
		fb.Meta.Begin != reportMeta.Begin.Unix() || fb.Meta.End != reportMeta.End.Unix() {
		t.Errorf("feedback %+v", fb)
	}
	if p := fb.Policy; p.Domain != "example.com" || p.P != "reject" || p.SP != "quarantine" || p.NP != "reject" || p.Testing != "n" || p.Discovery != "treewalk" {
		t.Errorf("policy_published %+v", p)
	}
	rows := recordRows(t, doc)
	want := []string{
		"192.0.2.1 2 pass dkim=pass spf=pass from=example.com env=example.com sigs=example.com,other.example spf=pass",
		"198.51.100.7 1 quarantine dkim=fail spf=fail from=news.example.com env=spoof.example sigs= spf=fail",
	}
	if !slices.Equal(rows, want) {
		t.Errorf("records\n%s\nwant\n%s\n%s", strings.Join(rows, "\n"), strings.Join(want, "\n"), doc)
	}
	checkOrder(t, doc)
}

// recordRows summarizes the records of a report.
func recordRows(t *testing.T, doc []byte) []string {
	var fb struct {
		Records []struct {
			IP     string   `xml:"row>source_ip"`
			Count  string   `xml:"row>count"`
			Disp   string   `xml:"row>policy_evaluated>disposition"`
			DKIM   string   `xml:"row>policy_evaluated>dkim"`
			SPF    string   `xml:"row>policy_evaluated>spf"`
			From   string   `xml:"identifiers>header_from"`
			Env    string   `xml:"identifiers>envelope_from"`
			Sigs   []string `xml:"auth_results>dkim>domain"`
			SPFRes string   `xml:"auth_results>spf>result"`
		} `xml:"record"`
	}
	if err := xml.Unmarshal(doc, &fb); err != nil {
		t.Fatal(err)
	}
	var rows []string
	for _, r := range fb.Records {
		rows = append(rows, r.IP+" "+r.Count+" "+r.Disp+" dkim="+r.DKIM+" spf="+r.SPF+" from="+r.From+" env="+r.Env+" sigs="+strings.Join(r.Sigs, ",")+" spf="+r.SPFRes)
	}
	return rows
}

// checkOrder checks that the children of feedback, record and row come
// in the order RFC 9990's tables require.
func checkOrder(t *testing.T, doc []byte) {
	t.Helper()
	order := map[string][]string{
		"feedback":         {"version", "report_metadata", "policy_published", "record"},
		"record":           {"row", "identifiers", "auth_results"},
		"policy_evaluated": {"disposition", "dkim", "spf", "reason"},
		"policy_published": {"domain", "discovery_method", "p", "sp", "np", "fo", "adkim", "aspf", "testing"},
	}
	dec := xml.NewDecoder(bytes.NewReader(doc))
	var stack []string
	last := map[int]int{}
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			if len(stack) > 0 {
				if want, ok := order[stack[len(stack)-1]]; ok {
					i := slices.Index(want, tok.Name.Local)
					if i < last[len(stack)] {
						t.Errorf("<%s> out of order in <%s>", tok.Name.Local, stack[len(stack)-1])
					}
					last[len(stack)] = i
				}
			}
			stack = append(stack, tok.Name.Local)
			last[len(stack)] = 0
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		}
	}
}

func TestAggregateTestingReason(t *testing.T) {
	agg := &Aggregator{}
	e, _ := newEvaluator(t)
	in := Input{From: "testing.example"}
	v := e.Evaluate(context.Background(), in)
	v.Record.AggregateURIs = []string{"mailto:r@testing.example"}
	agg.Add(Event{SourceIP: netip.MustParseAddr("192.0.2.9"), Input: in, Verdict: v})
	agg.Add(Event{SourceIP: netip.MustParseAddr("192.0.2.9"), Input: in, Verdict: v, Disposition: PolicyNone, Reasons: []Reason{{"mailing_list", "list.example"}}})
	reports := agg.Flush(reportMeta)
	doc, _ := reports[0].XML()
	for _, want := range []string{
		"<disposition>quarantine</disposition>", "<type>policy_test_mode</type>",
		"<disposition>none</disposition>", "<type>mailing_list</type>", "<comment>list.example</comment>",
	} {
		if !bytes.Contains(doc, []byte(want)) {
			t.Errorf("no %s in\n%s", want, doc)
		}
	}
}

func TestAggregateBounds(t *testing.T) {
	agg := &Aggregator{MaxRows: 1, MaxDomains: 1}
	in := Input{From: "example.com"}
	aggregate(t, agg, "192.0.2.1", in)
	aggregate(t, agg, "192.0.2.1", in)
	aggregate(t, agg, "192.0.2.2", in)                          // a second row
	aggregate(t, agg, "192.0.2.1", Input{From: "badp.example"}) // a second domain
	if n := agg.Dropped(); n != 2 {
		t.Errorf("dropped %d, want 2", n)
	}
	reports := agg.Flush(reportMeta)
	if len(reports) != 1 || len(reports[0].feedback.Records) != 1 || reports[0].feedback.Records[0].Row.Count != 2 {
		t.Errorf("reports %+v", reports)
	}
}

func TestReportMessage(t *testing.T) {
	agg := &Aggregator{}
	aggregate(t, agg, "2001:db8::1", Input{From: "example.com", SPF: spf.Pass, SPFDomain: "example.com"})
	r := agg.Flush(reportMeta)[0]
	if want := "receiver.example!example.com!1772323200!1772409600.xml.gz"; r.Filename() != want {
		t.Errorf("filename %q, want %q", r.Filename(), want)
	}
	// RFC 9990 2.5.2: "Report" 1*FWS "Domain:" ... "Submitter:" ... ["Report-ID:" ridtxt]
	if !regexp.MustCompile(`^Report Domain: example\.com Submitter: receiver\.example Report-ID: <[^<>@ ]+@[^<>@ ]+>$`).MatchString(r.Subject()) {
		t.Errorf("subject %q", r.Subject())
	}
	var b bytes.Buffer
	if err := r.WriteMessage(&b, "dmarc@receiver.example", "d@example.com", reportMeta.End); err != nil {
		t.Fatal(err)
	}
	msg, err := mail.ReadMessage(&b)
	if err != nil {
		t.Fatal(err)
	}
	if msg.Header.Get("Subject") != r.Subject() || !strings.Contains(msg.Header.Get("Message-ID"), r.ID) {
		t.Errorf("header %v", msg.Header)
	}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/mixed" {
		t.Fatalf("content type %q: %v", mt, err)
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	var found bool
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if ct := p.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/gzip") {
			continue
		}
		found = true
		if p.FileName() != r.Filename() {
			t.Errorf("attachment name %q", p.FileName())
		}
		zr, err := gzip.NewReader(base64.NewDecoder(base64.StdEncoding, p))
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(zr)
		want, _ := r.XML()
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("attachment (%v):\n%s\nwant\n%s", err, got, want)
		}
	}
	if !found {
		t.Error("no application/gzip attachment")
	}
}

func TestDestinations(t *testing.T) {
	srv := dnstest.NewServer(t,
		`_dmarc.example.com. TXT "v=DMARC1; p=none"`,
		`example.com._report._dmarc.reports.example.net. TXT "v=DMARC1"`,
		`example.com._report._dmarc.override.example.net. TXT "v=DMARC1; rua=mailto:other@override.example.net"`,
		`example.com._report._dmarc.elsewhere.example.net. TXT "v=DMARC1; rua=mailto:x@elsewhere.example.org"`,
		`*._report._dmarc.any.example.net. TXT "v=DMARC1"`,
	)
	e := &Evaluator{Resolver: &spf.DNS{Server: srv.Addr}}
	rec, _ := Parse("v=DMARC1; p=none; rua=mailto:local@example.com,mailto:sub@mail.example.com?subject=x," +
		"mailto:d@reports.example.net,mailto:d@override.example.net,mailto:d@elsewhere.example.net," +
		"mailto:d@unverified.example.net,https://reports.example.net/dmarc")
	got, err := e.Destinations(context.Background(), "example.com", rec)
	want := []string{"local@example.com", "sub@mail.example.com", "d@reports.example.net", "other@override.example.net"}
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("Destinations = %q, %v\nwant %q", got, err, want)
	}
}
