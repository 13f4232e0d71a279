package main

import (
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/mailwright/mailwright/mailbox"
)

// parts is a message with a text and an HTML body and files of every
// kind: a Latin-1 text file in quoted-printable (downloaded in Latin-1,
// not converted), binary in base64, an inline image the HTML refers to,
// an attached message, and file names that are not ASCII or not safe.
const parts = "From: App <app@example.org>\r\nTo: bob@example.org\r\nSubject: Files\r\nMIME-Version: 1.0\r\n" +
	"Content-Type: multipart/mixed; boundary=\"mix\"\r\n\r\n" +
	"--mix\r\nContent-Type: multipart/related; boundary=\"rel\"\r\n\r\n" +
	"--rel\r\nContent-Type: multipart/alternative; boundary=\"alt\"\r\n\r\n" +
	"--alt\r\nContent-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nun caf=E9\r\n" +
	"--alt\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>logo: <img src=\"cid:logo@example.org\"></p>\r\n" +
	"--alt--\r\n" +
	"--rel\r\nContent-Type: image/png\r\nContent-ID: <logo@example.org>\r\nContent-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\n" +
	"--rel--\r\n" +
	"--mix\r\nContent-Type: text/plain; charset=iso-8859-1\r\nContent-Disposition: attachment; filename*=utf-8''r%C3%A9sum%C3%A9.txt\r\n" +
	"Content-Transfer-Encoding: quoted-printable\r\n\r\ncaf=E9 cr=E8me\r\n" +
	"--mix\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"../../etc/passwd\"\r\n" +
	"Content-Transfer-Encoding: base64\r\n\r\nAP8=\r\n" +
	"--mix\r\nContent-Type: message/rfc822\r\n\r\nSubject: inner\r\n\r\ninner body\r\n" +
	"--mix--\r\n"

func TestPartsAndDownloads(t *testing.T) {
	cat := newTestCatcher(t)
	cat.mustSend(t, "app@example.org", []string{"bob@example.org"}, parts)
	id := cat.newest(t, "Files").ID
	_, body := get(t, cat.web.URL+"/api/messages/"+itoa(id))
	var d Detail
	if err := json.Unmarshal([]byte(body), &d); err != nil {
		t.Fatal(err)
	}
	want := []Attachment{
		{Part: 3, Type: "image/png", Size: 8, ContentID: "logo@example.org"},
		{Part: 4, Filename: "résumé.txt", Type: "text/plain", Size: 10},
		{Part: 5, Filename: "../../etc/passwd", Type: "application/octet-stream", Size: 2},
		{Part: 6, Type: "message/rfc822", Size: 28}, // the CRLF before a boundary is the boundary's (RFC 2046 5.1.1)
	}
	if d.Text != "un café" || d.HTML != `<p>logo: <img src="cid:logo@example.org"></p>` || !reflect.DeepEqual(d.Attachments, want) {
		t.Errorf("detail: text %q html %q\nattachments %+v\nwant %+v", d.Text, d.HTML, d.Attachments, want)
	}
	for _, tc := range []struct {
		part, body, disposition, typ string
	}{
		{"3", "\x89PNG\r\n\x1a\n", "attachment; filename=part3.png", "image/png"},
		{"4", "caf\xe9 cr\xe8me", "attachment; filename*=utf-8''r%C3%A9sum%C3%A9.txt", "text/plain"},
		{"5", "\x00\xff", "attachment; filename=.._.._etc_passwd", "application/octet-stream"},
		{"6", "Subject: inner\r\n\r\ninner body", "attachment; filename=part6.rfc822", "message/rfc822"},
		{"1", "un caf\xe9", "attachment; filename=part1.plain", "text/plain"}, // a body is a part too
	} {
		resp, err := http.Get(cat.web.URL + "/messages/" + itoa(id) + "/parts/" + tc.part)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		h := resp.Header
		if resp.StatusCode != 200 || string(b) != tc.body || h.Get("Content-Disposition") != tc.disposition || h.Get("Content-Type") != tc.typ ||
			h.Get("X-Content-Type-Options") != "nosniff" || !strings.HasPrefix(h.Get("Content-Security-Policy"), "sandbox") {
			t.Errorf("part %s: %d %q %v", tc.part, resp.StatusCode, b, h)
		}
	}
	for path, code := range map[string]int{"/parts/7": 404, "/parts/0": 400, "/parts/x": 400} {
		if got, _ := get(t, cat.web.URL+"/messages/"+itoa(id)+path); got != code {
			t.Errorf("%s: %d, want %d", path, got, code)
		}
	}
	// The frame gets the inline image as a data: URL.
	_, frame := get(t, cat.web.URL+"/messages/"+itoa(id)+"/body.html")
	if !strings.Contains(frame, `<img src="data:image/png;base64,iVBORw0KGgo="/>`) {
		t.Errorf("frame: %s", frame)
	}
}

// TestMalformedMessages: what applications send broken is shown as far
// as it can be read, with what is wrong, and never panics.
func TestMalformedMessages(t *testing.T) {
	deep := "Subject: deep\r\nContent-Type: multipart/mixed; boundary=b0\r\n\r\n"
	for i := range 30 {
		deep += "--b" + itoa(uint32(i)) + "\r\nContent-Type: multipart/mixed; boundary=b" + itoa(uint32(i+1)) + "\r\n\r\n"
	}
	for _, tc := range []struct {
		name, msg, text, damage string
	}{
		{"deep", deep, "", "nested too deep"},
		{"bad header line", "Subject: bad header\r\nthis is not a field\r\n\r\nbody\r\n", "\r\nbody\r\n", "malformed MIME header"},
		{"no body", "Subject: no body\r\n", "", ""},
		{"bad base64", "Subject: bad base64\r\nContent-Transfer-Encoding: base64\r\n\r\naGVsbG8=!!!!\r\n", "hello", ""},
		{"unknown charset", "Subject: unknown charset\r\nContent-Type: text/plain; charset=x-klingon\r\n\r\nqapla'\r\n", "qapla'\r\n", ""},
		{"no end boundary", "Subject: no end boundary\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\nfirst\r\n--b\r\n\r\nsec", "first", "EOF"},
	} {
		c := readContent(strings.NewReader(tc.msg), true)
		if c.Text != tc.text || !strings.Contains(c.Damage, tc.damage) || (tc.damage == "") != (c.Damage == "") {
			t.Errorf("%s: text %q, damage %q; want %q, %q", tc.name, c.Text, c.Damage, tc.text, tc.damage)
		}
	}
}

func itoa(n uint32) string { return strconv.FormatUint(uint64(n), 10) }

// FuzzReadContent: any message is read without a panic, within the
// bounds, its files numbered in order, and the list and the page read the
// same number of files.
func FuzzReadContent(f *testing.F) {
	f.Add(parts)
	f.Add(welcome)
	f.Add("Subject: x\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b--\r\n")
	f.Add("Content-Type: text/html; charset=utf-7\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n=3Cp=3E+ADw-\r\n")
	f.Fuzz(func(t *testing.T, msg string) {
		c := readContent(strings.NewReader(msg), true)
		if len(c.Text) > maxBodyBytes+len("\uFFFD")*maxBodyBytes || len(c.Files) > maxParts {
			t.Fatalf("text of %d bytes, %d files", len(c.Text), len(c.Files))
		}
		for i := 1; i < len(c.Files); i++ {
			if c.Files[i].Part <= c.Files[i-1].Part {
				t.Fatalf("files out of order: %+v", c.Files)
			}
		}
		if e := readEntry(strings.NewReader(msg), mailbox.MessageInfo{}); e.Attachments != len(c.Files) {
			t.Fatalf("the list counts %d files, the page shows %d", e.Attachments, len(c.Files))
		}
	})
}
