package main

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mailwright/mailwright/internal/interop"
)

// build builds the example into dir and returns the program's path.
func build(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "simple")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

// startServer runs the server with its mbox files in mail, for alice
// (password pa55) and bob (s3cret), and returns its SMTP and POP3
// addresses.
func startServer(t *testing.T, bin, mail string) (smtpAddr, pop3Addr string) {
	t.Helper()
	smtpAddr, pop3Addr = interop.FreeAddr(t), interop.FreeAddr(t)
	cmd := exec.Command(bin, "-dir", mail, "-users", "alice:pa55,bob:s3cret", "-smtp", smtpAddr, "-pop3", pop3Addr)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	interop.WaitListening(t, nil, smtpAddr, pop3Addr)
	return smtpAddr, pop3Addr
}

// TestSimpleServer builds and runs the example as a process and drives it
// with Python's smtplib and poplib: mail sent to bob over SMTP is read and
// deleted over POP3, and the file is empty afterwards.
func TestSimpleServer(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 is not installed")
	}
	dir := t.TempDir()
	bin := build(t, dir)
	mail := filepath.Join(dir, "mail")
	smtpAddr, pop3Addr := startServer(t, bin, mail)

	sh, sp, _ := net.SplitHostPort(smtpAddr)
	ph, pp, _ := net.SplitHostPort(pop3Addr)
	py := func(script string) {
		t.Helper()
		out, err := exec.Command(python, "-c", script, sh, sp, ph, pp).CombinedOutput()
		if err != nil || strings.TrimSpace(string(out)) != "ok" {
			t.Fatalf("python: %v\n%s", err, out)
		}
	}
	mbox := func() string {
		t.Helper()
		data, err := os.ReadFile(filepath.Join(mail, "bob.mbox"))
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}
	const head = "import smtplib, poplib, sys\nsh, sp, ph, pp = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])\n"
	py(head + `
with smtplib.SMTP(sh, sp, timeout=20) as s:
    s.sendmail("alice@localhost", ["bob@localhost"], "Subject: one\r\n\r\nFrom the start\r\n.dot\r\n")
    s.sendmail("alice@localhost", ["bob@localhost"], "Subject: two\r\n\r\nsecond\r\n")
    try:
        s.sendmail("alice@localhost", ["carol@localhost"], "x")
        raise SystemExit("unknown user accepted")
    except smtplib.SMTPRecipientsRefused:
        pass
print("ok")
`)
	// The file is an mbox: From_ lines, ">From" quoting, LF line endings.
	got := mbox()
	for _, want := range []string{"From alice@localhost ", "\nSubject: one\n\n>From the start\n.dot\n\nFrom alice@localhost ", "\nSubject: two\n\nsecond\n\n"} {
		if !strings.Contains(got, want) || !strings.HasPrefix(got, "From alice@localhost ") {
			t.Fatalf("bob.mbox lacks %q:\n%s", want, got)
		}
	}
	py(head + `
p = poplib.POP3(ph, pp, timeout=20)
p.user("bob"); p.pass_("s3cret")
count, size = p.stat()
assert count == 2, count
lines = p.retr(1)[1]
assert lines == [b"Subject: one", b"", b"From the start", b".dot"], lines
p.dele(1); p.quit()
print("ok")
`)
	if got := mbox(); strings.Contains(got, "Subject: one") || !strings.Contains(got, "Subject: two") {
		t.Fatalf("after DELE 1 and QUIT, bob.mbox is:\n%s", got)
	}
	py(head + `
p = poplib.POP3(ph, pp, timeout=20)
p.user("bob"); p.pass_("s3cret")
assert p.stat()[0] == 1
assert p.retr(1)[1] == [b"Subject: two", b"", b"second"]
p.dele(1); p.quit()
print("ok")
`)
	if got := mbox(); got != "" {
		t.Errorf("bob.mbox after deleting everything: %q", got)
	}
}
