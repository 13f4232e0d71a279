package tlsrpt

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/mailwright/mailwright/delivery/internal/reportmail"
)

// MediaType is the media type of a gzip'd report (RFC 8460 6.4).
const MediaType = "application/tlsrpt+gzip"

// Filename is the name of the report's attachment (RFC 8460 5.1):
// submitter "!" policy-domain "!" begin "!" end "!" unique-id ".json.gz",
// the unique-id being the letters and digits of the report ID.
func (r *Report) Filename(submitter string) string {
	unique := strings.Map(func(c rune) rune {
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' {
			return c
		}
		return -1
	}, r.ReportID)
	return submitter + "!" + r.Domain() + "!" + strconv.FormatInt(r.DateRange.Start.Unix(), 10) + "!" +
		strconv.FormatInt(r.DateRange.End.Unix(), 10) + "!" + unique + ".json.gz"
}

// Gzip returns the report's JSON compressed with gzip, as it is sent.
func (r *Report) Gzip() ([]byte, error) {
	doc, err := r.JSON()
	if err != nil {
		return nil, err
	}
	return reportmail.Gzip(doc, "", r.DateRange.End)
}

// WriteMessage writes the report as a mail message from one address to
// another (RFC 8460 5.3): multipart/report with report-type "tlsrpt", a
// short text part and the gzip'd JSON, with the TLS-Report-Domain and
// TLS-Report-Submitter header fields. The lines end in CRLF.
func (r *Report) WriteMessage(w io.Writer, submitter, from, to string, date time.Time) error {
	gz, err := r.Gzip()
	if err != nil {
		return err
	}
	m := &reportmail.Message{
		Header: []string{
			"From: " + from,
			"To: " + to,
			"Subject: Report Domain: " + r.Domain() + " Submitter: " + submitter + " Report-ID: <" + r.ReportID + ">",
			"Date: " + date.Format(time.RFC1123Z),
			"Message-ID: <" + reportmail.Nonce() + "." + r.ReportID + ">",
			"TLS-Report-Domain: " + r.Domain(),
			"TLS-Report-Submitter: " + submitter,
		},
		ContentType: `multipart/report; report-type="tlsrpt"`,
		Text: fmt.Sprintf("This is an aggregate TLS report (RFC 8460) from %s for %s,\r\ncovering %s to %s.\r\n",
			submitter, r.Domain(), r.DateRange.Start.Format(time.RFC3339), r.DateRange.End.Format(time.RFC3339)),
		AttachmentType: MediaType,
		Filename:       r.Filename(submitter),
		Attachment:     gz,
	}
	return m.Write(w)
}
