package tlsrpt

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"
)

// Resolver looks up the _smtp._tls TXT records; delivery/spf's DNS
// implements it.
type Resolver interface {
	LookupTXT(ctx context.Context, name string) ([]string, error)
}

// DefaultSendDelay is how long after midnight UTC Run sends the reports
// of the day that ended, so that sessions that were under way are
// counted and reports from many senders do not all arrive at once.
const DefaultSendDelay = 15 * time.Minute

// Reporter sends the reports of a Recorder once a day (RFC 8460 4.1:
// one report per UTC day) to each policy domain that publishes a TLSRPT
// record.
type Reporter struct {
	// Recorder holds the counts. Required.
	Recorder *Recorder
	// Resolver looks up the TLSRPT records. Required.
	Resolver Resolver
	// Submitter is the domain that sends the reports (our mail domain):
	// TLS-Report-Submitter and the attachment's name. Required.
	Submitter string
	// OrganizationName and ContactInfo go into the report (RFC 8460
	// 4.4); they default to Submitter and From.
	OrganizationName string
	ContactInfo      string
	// From is the sender of mailed reports (envelope and header).
	From string
	// Mail sends a report message to one mailto: address, typically by
	// putting it into the outbound queue; nil skips mailto: URIs.
	Mail func(ctx context.Context, from, to string, msg []byte) error
	// HTTPClient posts to https: URIs; nil means a client with a one
	// minute timeout. Set it to one with a Transport that fails to skip them.
	HTTPClient *http.Client
	// SendDelay is how long after midnight UTC Run sends; zero means
	// DefaultSendDelay.
	SendDelay time.Duration
	// Logger receives sending failures; nil means slog.Default().
	Logger *slog.Logger
}

// SendDue sends the reports of the days that have ended, and returns
// what failed. A report that could not be sent anywhere is dropped: RFC
// 8460 5 makes delivery best effort.
func (rp *Reporter) SendDue(ctx context.Context) error {
	var errs []error
	for _, r := range rp.Recorder.Flush(time.Now()) {
		if err := rp.Send(ctx, r); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Send fills in the report's metadata and sends it to the addresses of
// its policy domain's TLSRPT record. A domain without a record gets
// nothing, and that is not an error.
func (rp *Reporter) Send(ctx context.Context, r *Report) error {
	domain := r.Domain()
	txts, err := rp.Resolver.LookupTXT(ctx, "_smtp._tls."+domain)
	if err != nil {
		return nil // no record (or none reachable): nobody to tell
	}
	rec, err := findRecord(txts)
	if err != nil {
		return nil
	}
	r.OrganizationName = cmp.Or(rp.OrganizationName, rp.Submitter)
	r.ContactInfo = cmp.Or(rp.ContactInfo, rp.From)
	if r.ReportID == "" {
		var b [8]byte
		rand.Read(b[:])
		r.ReportID = r.DateRange.Start.Format("2006-01-02") + "." + hex.EncodeToString(b[:]) + "@" + rp.Submitter
	}
	var errs []error
	if rp.Mail != nil {
		for _, to := range rec.Mailto {
			var msg bytes.Buffer
			if err := r.WriteMessage(&msg, rp.Submitter, rp.From, to, time.Now()); err != nil {
				return err
			}
			if err := rp.Mail(ctx, rp.From, to, msg.Bytes()); err != nil {
				errs = append(errs, fmt.Errorf("tlsrpt: mailing the report for %s to %s: %w", domain, to, err))
			}
		}
	}
	for _, u := range rec.HTTPS {
		if err := rp.post(ctx, u, r); err != nil {
			errs = append(errs, fmt.Errorf("tlsrpt: posting the report for %s to %s: %w", domain, u, err))
		}
	}
	return errors.Join(errs...)
}

// post sends the gzip'd report to an https: URI (RFC 8460 5.4).
func (rp *Reporter) post(ctx context.Context, url string, r *Report) error {
	gz, err := r.Gzip()
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(gz))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", MediaType)
	client := rp.HTTPClient
	if client == nil {
		client = &http.Client{Timeout: time.Minute}
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return errors.New("HTTP status " + resp.Status)
	}
	return nil
}

// Run sends the reports of each day SendDelay after it ends, until ctx
// is done, and returns ctx's error.
func (rp *Reporter) Run(ctx context.Context) error {
	for {
		now := time.Now().UTC()
		next := now.Truncate(24 * time.Hour).Add(24*time.Hour + cmp.Or(rp.SendDelay, DefaultSendDelay))
		if now.Before(next.Add(-24 * time.Hour)) {
			next = next.Add(-24 * time.Hour) // today's send time is still ahead
		}
		t := time.NewTimer(next.Sub(now))
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		if err := rp.SendDue(ctx); err != nil {
			cmp.Or(rp.Logger, slog.Default()).Warn("tlsrpt: sending reports", "err", err)
		}
	}
}
