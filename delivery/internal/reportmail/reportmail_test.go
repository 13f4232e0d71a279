package reportmail

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"strings"
	"testing"
	"time"
)

func TestLineWriter(t *testing.T) {
	var b bytes.Buffer
	lw := &lineWriter{w: &b}
	lw.Write([]byte(strings.Repeat("a", 70)))
	lw.Write([]byte(strings.Repeat("b", 90)))
	lines := strings.Split(b.String(), "\r\n")
	if len(lines) != 3 || len(lines[0]) != 76 || len(lines[1]) != 76 || len(lines[2]) != 8 {
		t.Errorf("lines %q", lines)
	}
}

// TestMessage: the message parses, and its attachment decodes to the
// gzip'd document.
func TestMessage(t *testing.T) {
	doc := bytes.Repeat([]byte("report "), 500)
	gz, err := Gzip(doc, "r.json", time.Unix(1e9, 0))
	if err != nil {
		t.Fatal(err)
	}
	m := &Message{Header: []string{"From: a@example.org", "Subject: r"}, ContentType: `multipart/report; report-type="tlsrpt"`,
		Text: "A report.\r\n", AttachmentType: "application/tlsrpt+gzip", Filename: "r.json.gz", Attachment: gz}
	var b bytes.Buffer
	if err := m.Write(&b); err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(b.String(), "\r\n") {
		if len(line) > 78 || strings.Contains(line, "\n") {
			t.Fatalf("bad line %q", line)
		}
	}
	msg, err := mail.ReadMessage(&b)
	if err != nil {
		t.Fatal(err)
	}
	mt, params, _ := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if mt != "multipart/report" || params["report-type"] != "tlsrpt" || msg.Header.Get("Subject") != "r" {
		t.Fatalf("header %v", msg.Header)
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	text, _ := mr.NextPart()
	if body, _ := io.ReadAll(text); string(body) != "A report.\r\n" {
		t.Errorf("text %q", body)
	}
	att, err := mr.NextPart()
	if err != nil || att.FileName() != "r.json.gz" {
		t.Fatalf("attachment %v, %v", att, err)
	}
	zr, err := gzip.NewReader(base64.NewDecoder(base64.StdEncoding, att))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(zr)
	if !bytes.Equal(got, doc) || zr.Name != "r.json" {
		t.Errorf("attachment decodes to %d bytes named %q", len(got), zr.Name)
	}
	if len(Nonce()) != 16 || Nonce() == Nonce() {
		t.Error("Nonce")
	}
}
