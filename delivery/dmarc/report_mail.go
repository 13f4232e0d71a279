package dmarc

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
	var b bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
	zw.Name = r.Filename()[:len(r.Filename())-len(".gz")]
	zw.ModTime = r.Meta.End
	if _, err := zw.Write(doc); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// WriteMessage writes the report as an RFC 5322 message from one address
// to another: a short text part and the gzip'd XML as an application/gzip
// attachment (RFC 9990 2.5.2). The lines end in CRLF.
func (r *Report) WriteMessage(w io.Writer, from, to string, date time.Time) error {
	gz, err := r.Gzip()
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(w)
	mw := multipart.NewWriter(bw)
	var nonce [8]byte
	rand.Read(nonce[:])
	header := []string{
		"From: " + from,
		"To: " + to,
		"Subject: " + r.Subject(),
		"Date: " + date.Format(time.RFC1123Z),
		// RFC 9990 2.5.2: the Message-ID may carry the Report-ID.
		fmt.Sprintf("Message-ID: <%x.%s>", nonce, r.ID),
		"MIME-Version: 1.0",
		"Content-Type: multipart/mixed; boundary=\"" + mw.Boundary() + "\"",
	}
	for _, h := range header {
		bw.WriteString(h + "\r\n")
	}
	bw.WriteString("\r\n")
	text, err := mw.CreatePart(textproto.MIMEHeader{"Content-Type": {"text/plain; charset=us-ascii"}})
	if err != nil {
		return err
	}
	fmt.Fprintf(text, "This is a DMARC aggregate report (RFC 9990) for %s\r\nfrom %s, covering %s to %s.\r\n",
		r.PolicyDomain, r.Meta.Receiver, r.Meta.Begin.UTC().Format(time.RFC3339), r.Meta.End.UTC().Format(time.RFC3339))
	name := r.Filename()
	att, err := mw.CreatePart(textproto.MIMEHeader{
		"Content-Type":              {"application/gzip; name=\"" + name + "\""},
		"Content-Disposition":       {"attachment; filename=\"" + name + "\""},
		"Content-Transfer-Encoding": {"base64"},
	})
	if err != nil {
		return err
	}
	enc := base64.StdEncoding.EncodeToString(gz)
	for len(enc) > 76 {
		io.WriteString(att, enc[:76]+"\r\n")
		enc = enc[76:]
	}
	io.WriteString(att, enc+"\r\n")
	if err := mw.Close(); err != nil {
		return err
	}
	return bw.Flush()
}
