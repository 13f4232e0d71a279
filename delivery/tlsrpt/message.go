package tlsrpt

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"mime/multipart"
	"net/textproto"
	"strconv"
	"time"
)

// MediaType is the media type of a gzip'd report (RFC 8460 6.4).
const MediaType = "application/tlsrpt+gzip"

// Filename is the name of the report's attachment (RFC 8460 5.1):
// submitter "!" policy-domain "!" begin "!" end "!" id ".json.gz".
func (r *Report) Filename(submitter string) string {
	return submitter + "!" + r.Domain() + "!" + strconv.FormatInt(r.DateRange.Start.Unix(), 10) + "!" +
		strconv.FormatInt(r.DateRange.End.Unix(), 10) + "!" + r.ReportID + ".json.gz"
}

// Gzip returns the report's JSON compressed with gzip, as it is sent.
func (r *Report) Gzip() ([]byte, error) {
	doc, err := r.JSON()
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.ModTime = r.DateRange.End
	if _, err := zw.Write(doc); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
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
	bw := bufio.NewWriter(w)
	mw := multipart.NewWriter(bw)
	var nonce [8]byte
	rand.Read(nonce[:])
	for _, h := range []string{
		"From: " + from,
		"To: " + to,
		"Subject: Report Domain: " + r.Domain() + " Submitter: " + submitter + " Report-ID: <" + r.ReportID + ">",
		"Date: " + date.Format(time.RFC1123Z),
		fmt.Sprintf("Message-ID: <%x.%s>", nonce, r.ReportID),
		"TLS-Report-Domain: " + r.Domain(),
		"TLS-Report-Submitter: " + submitter,
		"MIME-Version: 1.0",
		"Content-Type: multipart/report; report-type=\"tlsrpt\"; boundary=\"" + mw.Boundary() + "\"",
	} {
		bw.WriteString(h + "\r\n")
	}
	bw.WriteString("\r\n")
	text, err := mw.CreatePart(textproto.MIMEHeader{"Content-Type": {"text/plain; charset=us-ascii"}})
	if err != nil {
		return err
	}
	fmt.Fprintf(text, "This is an aggregate TLS report (RFC 8460) from %s for %s,\r\ncovering %s to %s.\r\n",
		submitter, r.Domain(), r.DateRange.Start.Format(time.RFC3339), r.DateRange.End.Format(time.RFC3339))
	name := r.Filename(submitter)
	att, err := mw.CreatePart(textproto.MIMEHeader{
		"Content-Type":              {MediaType},
		"Content-Disposition":       {"attachment; filename=\"" + name + "\""},
		"Content-Transfer-Encoding": {"base64"},
	})
	if err != nil {
		return err
	}
	enc := base64.NewEncoder(base64.StdEncoding, &lineWriter{w: att})
	enc.Write(gz)
	enc.Close()
	io.WriteString(att, "\r\n")
	if err := mw.Close(); err != nil {
		return err
	}
	return bw.Flush()
}

// lineWriter breaks what it is given into lines of 76 characters (RFC
// 2045 6.8), ending each but the last in CRLF.
type lineWriter struct {
	w   io.Writer
	col int
}

func (l *lineWriter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		if l.col == 76 {
			if _, err := io.WriteString(l.w, "\r\n"); err != nil {
				return 0, err
			}
			l.col = 0
		}
		k := min(len(p), 76-l.col)
		if _, err := l.w.Write(p[:k]); err != nil {
			return 0, err
		}
		l.col += k
		p = p[k:]
	}
	return n, nil
}
