package dmarc

import (
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/mailwright/mailwright/delivery/internal/reportmail"
)

// Filename is the name of the report's gzip'd attachment:
// receiver "!" policy-domain "!" begin "!" end ".xml.gz" (RFC 9990 2.5.2).
func (r *Report) Filename() string {
	return r.Meta.Receiver + "!" + r.PolicyDomain + "!" + strconv.FormatInt(r.Meta.Begin.Unix(), 10) + "!" + strconv.FormatInt(r.Meta.End.Unix(), 10) + ".xml.gz"
}

// Subject is the Subject of the report message (RFC 9990 2.5.2).
func (r *Report) Subject() string {
	return "Report Domain: " + r.PolicyDomain + " Submitter: " + r.Meta.Receiver + " Report-ID: <" + r.ID + ">"
}

// Gzip returns the report XML compressed with gzip (RFC 1952), as it is
// attached.
func (r *Report) Gzip() ([]byte, error) {
	doc, err := r.XML()
	if err != nil {
		return nil, err
	}
	return reportmail.Gzip(doc, r.Filename()[:len(r.Filename())-len(".gz")], r.Meta.End)
}

// WriteMessage writes the report as an RFC 5322 message from one address
// to another: a short text part and the gzip'd XML as an application/gzip
// attachment (RFC 9990 2.5.2). The lines end in CRLF.
func (r *Report) WriteMessage(w io.Writer, from, to string, date time.Time) error {
	gz, err := r.Gzip()
	if err != nil {
		return err
	}
	m := &reportmail.Message{
		Header: []string{
			"From: " + from,
			"To: " + to,
			"Subject: " + r.Subject(),
			"Date: " + date.Format(time.RFC1123Z),
			// RFC 9990 2.5.2: the Message-ID may carry the Report-ID.
			"Message-ID: <" + reportmail.Nonce() + "." + r.ID + ">",
		},
		ContentType: "multipart/mixed",
		Text: fmt.Sprintf("This is a DMARC aggregate report (RFC 9990) for %s\r\nfrom %s, covering %s to %s.\r\n",
			r.PolicyDomain, r.Meta.Receiver, r.Meta.Begin.UTC().Format(time.RFC3339), r.Meta.End.UTC().Format(time.RFC3339)),
		AttachmentType: "application/gzip",
		Filename:       r.Filename(),
		Attachment:     gz,
	}
	return m.Write(w)
}
