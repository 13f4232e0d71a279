package tlsrpt

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/mail"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// txtResolver answers TXT lookups from a map.
type txtResolver map[string][]string

func (r txtResolver) LookupTXT(_ context.Context, name string) ([]string, error) {
	if txts, ok := r[name]; ok {
		return txts, nil
	}
	return nil, errors.New("NXDOMAIN")
}

// sent is what a Reporter handed over: mailed messages and posted bodies.
type sent struct {
	mu    sync.Mutex
	mails map[string][]byte // by recipient
	posts map[string][]byte // by URL
	types []string          // Content-Type of posts
}

func (s *sent) mail(_ context.Context, from, to string, msg []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mails[to] = msg
	return nil
}

func (s *sent) RoundTrip(req *http.Request) (*http.Response, error) {
	body, _ := io.ReadAll(req.Body)
	s.mu.Lock()
	s.posts[req.URL.String()] = body
	s.types = append(s.types, req.Header.Get("Content-Type"))
	s.mu.Unlock()
	return &http.Response{StatusCode: 200, Status: "200 OK", Body: io.NopCloser(strings.NewReader("")), Request: req}, nil
}

var stsPolicy = Policy{Type: PolicySTS, String: []string{"version: STSv1", "mode: enforce", "mx: mx.example.test", "max_age: 86400"}, Domain: "example.test", MXHost: []string{"mx.example.test"}}

func newReporter(rec *Recorder) (*Reporter, *sent) {
	s := &sent{mails: map[string][]byte{}, posts: map[string][]byte{}}
	return &Reporter{
		Recorder:   rec,
		Resolver:   txtResolver{"_smtp._tls.example.test": {"v=TLSRPTv1; rua=mailto:tlsrpt@example.test,https://reports.example.test/v1"}},
		Submitter:  "mail.example.org",
		From:       "tlsrpt@example.org",
		Mail:       s.mail,
		HTTPClient: &http.Client{Transport: s},
	}, s
}

// TestRunSendsDaily: sessions of one day are reported once, after that
// UTC day ended, by mail and by HTTPS, with the right counts; sessions
// of the next day wait for the next report.
func TestRunSendsDaily(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &Recorder{}
		rep, s := newReporter(rec)
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		done := make(chan error, 1)
		go func() { done <- rep.Run(ctx) }()

		day := time.Now().UTC().Truncate(24 * time.Hour)
		for range 3 {
			rec.Success(stsPolicy)
		}
		mismatch := Failure{Result: ResultHostMismatch, ReceivingMXHostname: "mx.example.test", ReceivingIP: "192.0.2.1"}
		rec.Failure(stsPolicy, mismatch)
		rec.Failure(stsPolicy, mismatch)
		rec.Failure(stsPolicy, Failure{Result: ResultStartTLSNotSupported, ReceivingMXHostname: "mx.example.test"})
		rec.Success(Policy{Type: PolicyNone, Domain: "norecord.test"})

		// Still the same day: nothing is sent.
		time.Sleep(day.Add(23 * time.Hour).Sub(time.Now()))
		synctest.Wait()
		if len(s.mails)+len(s.posts) != 0 {
			t.Fatal("a report was sent before the day ended")
		}
		// Sessions after midnight belong to the next report.
		time.Sleep(day.Add(24*time.Hour + time.Minute).Sub(time.Now()))
		rec.Success(stsPolicy)
		time.Sleep(day.Add(24*time.Hour + DefaultSendDelay + time.Minute).Sub(time.Now()))
		synctest.Wait()

		s.mu.Lock()
		msg, post := s.mails["tlsrpt@example.test"], s.posts["https://reports.example.test/v1"]
		s.mu.Unlock()
		if msg == nil || post == nil || len(s.mails) != 1 || len(s.posts) != 1 {
			t.Fatalf("sent %d mails and %d posts, want 1 of each to example.test", len(s.mails), len(s.posts))
		}
		if s.types[0] != MediaType {
			t.Errorf("posted as %q", s.types[0])
		}
		for _, r := range []*Report{decodeGzip(t, post), reportOfMessage(t, msg)} {
			checkReport(t, r, day)
		}

		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("Run = %v", err)
		}
		// The next day's session is still there, for the next report.
		next := rec.Flush(day.Add(72 * time.Hour))
		if len(next) != 1 || next[0].Policies[0].Summary.Successful != 1 || !next[0].DateRange.Start.Equal(day.Add(24*time.Hour)) {
			t.Errorf("next day's reports: %+v", next)
		}
	})
}

func checkReport(t *testing.T, r *Report, day time.Time) {
	t.Helper()
	if r.OrganizationName != "mail.example.org" || r.ContactInfo != "tlsrpt@example.org" || r.ReportID == "" {
		t.Errorf("metadata: %+v", r)
	}
	if !r.DateRange.Start.Equal(day) || !r.DateRange.End.Equal(day.Add(24*time.Hour-time.Second)) {
		t.Errorf("date range %v", r.DateRange)
	}
	if len(r.Policies) != 1 {
		t.Fatalf("%d policies", len(r.Policies))
	}
	p := r.Policies[0]
	if p.Policy.Type != PolicySTS || p.Policy.Domain != "example.test" || len(p.Policy.String) != 4 || p.Policy.MXHost[0] != "mx.example.test" {
		t.Errorf("policy %+v", p.Policy)
	}
	if p.Summary != (Summary{Successful: 3, Failed: 3}) {
		t.Errorf("summary %+v, want 3 and 3", p.Summary)
	}
	if len(p.FailureDetails) != 2 || p.FailureDetails[0].Result != ResultHostMismatch || p.FailureDetails[0].Count != 2 ||
		p.FailureDetails[0].ReceivingIP != "192.0.2.1" || p.FailureDetails[1].Result != ResultStartTLSNotSupported || p.FailureDetails[1].Count != 1 {
		t.Errorf("failure details %+v", p.FailureDetails)
	}
}

func decodeGzip(t *testing.T, gz []byte) *Report {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatal(err)
	}
	var r Report
	if err := json.NewDecoder(zr).Decode(&r); err != nil {
		t.Fatal(err)
	}
	return &r
}

// reportOfMessage checks the RFC 8460 5.3 message and returns its report.
func reportOfMessage(t *testing.T, raw []byte) *Report {
	t.Helper()
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	h := m.Header
	if h.Get("TLS-Report-Domain") != "example.test" || h.Get("TLS-Report-Submitter") != "mail.example.org" ||
		!strings.HasPrefix(h.Get("Subject"), "Report Domain: example.test Submitter: mail.example.org Report-ID: <") {
		t.Errorf("header: %v", h)
	}
	mt, params, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil || mt != "multipart/report" || params["report-type"] != "tlsrpt" {
		t.Fatalf("Content-Type %q", h.Get("Content-Type"))
	}
	mr := multipart.NewReader(m.Body, params["boundary"])
	if _, err := mr.NextPart(); err != nil {
		t.Fatal(err)
	}
	att, err := mr.NextPart()
	if err != nil {
		t.Fatal(err)
	}
	if mt, _, _ := mime.ParseMediaType(att.Header.Get("Content-Type")); mt != MediaType ||
		!regexp.MustCompile(`^mail\.example\.org!example\.test!\d+!\d+![a-zA-Z0-9]+\.json\.gz$`).MatchString(att.FileName()) {
		t.Errorf("attachment %v", att.Header)
	}
	gz, err := io.ReadAll(base64.NewDecoder(base64.StdEncoding, att))
	if err != nil {
		t.Fatal(err)
	}
	return decodeGzip(t, gz)
}

// TestRecorderBounds: past MaxDomains new domains are not counted.
func TestRecorderBounds(t *testing.T) {
	rec := &Recorder{MaxDomains: 1}
	rec.Success(Policy{Type: PolicyNone, Domain: "a.test"})
	rec.Success(Policy{Type: PolicyNone, Domain: "b.test"})
	rec.Success(Policy{Type: PolicyNone, Domain: ""})
	reps := rec.Flush(time.Now().Add(48 * time.Hour))
	if len(reps) != 1 || reps[0].Domain() != "a.test" {
		t.Errorf("reports: %+v", reps)
	}
	// Past maxFailureRows distinct failures, new rows are not kept, but
	// the sessions are still counted.
	rec = &Recorder{}
	for i := range maxFailureRows + 5 {
		rec.Failure(stsPolicy, Failure{Result: ResultValidationFailure, AdditionalInformation: strconv.Itoa(i)})
	}
	reps = rec.Flush(time.Now().Add(48 * time.Hour))
	if p := reps[0].Policies[0]; len(p.FailureDetails) != maxFailureRows || p.Summary.Failed != maxFailureRows+5 {
		t.Errorf("%d rows, %d failures", len(p.FailureDetails), p.Summary.Failed)
	}
}
