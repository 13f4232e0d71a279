package main

import (
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mailwright/mailwright/mailbox"
)

// clientTestMail is what the server holds for bob: a message with lines
// that begin with dots and with "From ", one with an encoded sender,
// subject and quoted-printable body, and a multipart one.
var clientTestMail = []string{
	"From: Alice <alice@example.org>\r\nSubject: Hello\r\nDate: Mon, 02 Jan 2006 15:04:05 +0000\r\n\r\nHi Bob.\r\n.a line with a dot\r\n..two\r\n.\r\nFrom the start\r\n",
	"From: =?utf-8?q?J=C3=B6rg?= <joerg@example.org>\r\nSubject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=\r\nDate: Tue, 03 Jan 2006 10:00:00 +0000\r\n" +
		"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nSch=C3=B6ne Gr=C3=BC=C3=9Fe aus Z=C3=BCrich\r\n",
	"From: carol@example.org\r\nSubject: Report\r\nDate: Wed, 04 Jan 2006 08:30:00 +0000\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nThe report is attached.\r\n" +
		"--b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=r.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0=\r\n--b--\r\n",
}

// TestSimpleClient runs the server, fills bob's mbox file, and runs the
// client against it: the mail moves from the server's file to the local
// one byte for byte, the listing shows the decoded headers, and -show
// prints the decoded text of a message.
func TestSimpleClient(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	bin := build(t, dir)
	mail := filepath.Join(dir, "mail")
	_, pop3Addr := startServer(t, bin, mail)
	server := &mailbox.MboxFile{Path: filepath.Join(mail, "bob.mbox")}
	for _, m := range clientTestMail {
		if err := server.Append(ctx, "alice@localhost", time.Now(), strings.NewReader(m)); err != nil {
			t.Fatal(err)
		}
	}
	local := filepath.Join(dir, "bob-local.mbox")
	run := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(bin, append([]string{"client", "-pop3", pop3Addr, "-user", "bob", "-mbox", local}, args...)...)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("client %v: %v\n%s", args, err, out)
		}
		return string(out)
	}

	out := run("-password", "s3cret", "-show", "2")
	for _, want := range []string{
		"3 new messages in " + local,
		"1  Alice              Hello    2006-01-02 15:04",
		"2  Jörg               Grüße    2006-01-03 10:00",
		"3  carol@example.org  Report   2006-01-04 08:30",
		"--- message 2 ---\nSchöne Grüße aus Zürich\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the output lacks %q:\n%s", want, out)
		}
	}
	// Downloaded byte for byte, and erased from the server.
	if got := mboxMessages(t, local); strings.Join(got, "|") != strings.Join(clientTestMail, "|") {
		t.Errorf("the local file holds:\n%q\nwant:\n%q", got, clientTestMail)
	}
	if got := mboxMessages(t, server.Path); len(got) != 0 {
		t.Errorf("the server still has %d messages", len(got))
	}

	// Nothing new: the local file still lists the three.
	out = run("-password", "s3cret", "-show", "3")
	if !strings.Contains(out, "0 new messages") || !strings.Contains(out, "3  carol@example.org") ||
		!strings.Contains(out, "--- message 3 ---\nThe report is attached.") {
		t.Errorf("second run:\n%s", out)
	}

	// A wrong password fails with the server's -ERR [AUTH].
	cmd := exec.Command(bin, "client", "-pop3", pop3Addr, "-user", "bob", "-password", "nope", "-mbox", local)
	if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "[AUTH]") {
		t.Errorf("wrong password: %v\n%s", err, out)
	}
}

// mboxMessages returns the messages of an mbox file, with CRLF line
// endings as POP3 sends them.
func mboxMessages(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := mailbox.NewMboxReader(f)
	r.CRLF = true
	var msgs []string
	for {
		m, err := r.Next()
		if err == io.EOF {
			return msgs
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(m.Body)
		if err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, string(b))
	}
}
