// Package reportmail writes the mail messages of aggregate reports
// (DMARC's, RFC 9990; TLS-RPT's, RFC 8460): a header, a short text part
// and the gzip'd report as a base64 attachment.
package reportmail

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"io"
	"mime/multipart"
	"net/textproto"
	"time"
)

// Gzip compresses doc, recording name and modTime in the gzip header.
func Gzip(doc []byte, name string, modTime time.Time) ([]byte, error) {
	var b bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
	zw.Name = name
	zw.ModTime = modTime
	if _, err := zw.Write(doc); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// Nonce returns 16 random hex digits, for a unique Message-ID.
func Nonce() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Message is a report message.
type Message struct {
	// Header are the "Name: value" fields before MIME-Version and
	// Content-Type.
	Header []string
	// ContentType is the media type of the whole message, multipart,
	// without its boundary: "multipart/mixed",
	// `multipart/report; report-type="tlsrpt"`.
	ContentType string
	// Text is the text part (us-ascii, CRLF line endings).
	Text string
	// AttachmentType, Filename and Attachment make the report's part.
	AttachmentType string
	Filename       string
	Attachment     []byte
}

// Write writes the message with CRLF line endings.
func (m *Message) Write(w io.Writer) error {
	bw := bufio.NewWriter(w)
	mw := multipart.NewWriter(bw)
	for _, h := range m.Header {
		bw.WriteString(h + "\r\n")
	}
	// The boundary is folded onto a line of its own: RFC 5322 2.1.1 asks
	// for lines of at most 78 characters.
	bw.WriteString("MIME-Version: 1.0\r\nContent-Type: " + m.ContentType + ";\r\n\tboundary=\"" + mw.Boundary() + "\"\r\n\r\n")
	text, err := mw.CreatePart(textproto.MIMEHeader{"Content-Type": {"text/plain; charset=us-ascii"}})
	if err != nil {
		return err
	}
	io.WriteString(text, m.Text)
	att, err := mw.CreatePart(textproto.MIMEHeader{
		"Content-Type":              {m.AttachmentType + "; name=\"" + m.Filename + "\""},
		"Content-Disposition":       {"attachment; filename=\"" + m.Filename + "\""},
		"Content-Transfer-Encoding": {"base64"},
	})
	if err != nil {
		return err
	}
	enc := base64.NewEncoder(base64.StdEncoding, &lineWriter{w: att})
	enc.Write(m.Attachment)
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
