package main

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// freeAddr returns a loopback address with a port that was free a moment ago.
func freeAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func waitListening(t *testing.T, addrs ...string) {
	deadline := time.Now().Add(30 * time.Second)
	for _, a := range addrs {
		for {
			c, err := net.Dial("tcp", a)
			if err == nil {
				c.Close()
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s not listening", a)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
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
	bin := filepath.Join(dir, "simple")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	smtpAddr, pop3Addr := freeAddr(t), freeAddr(t)
	mail := filepath.Join(dir, "mail")
	cmd := exec.Command(bin, "-dir", mail, "-users", "alice:pa55,bob:s3cret", "-smtp", smtpAddr, "-pop3", pop3Addr)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	waitListening(t, smtpAddr, pop3Addr)

	sh, sp, _ := net.SplitHostPort(smtpAddr)
	ph, pp, _ := net.SplitHostPort(pop3Addr)
	script := `
import smtplib, poplib, sys
sh, sp, ph, pp = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
with smtplib.SMTP(sh, sp, timeout=20) as s:
    s.sendmail("alice@localhost", ["bob@localhost"], "Subject: one\r\n\r\nFrom the start\r\n.dot\r\n")
    s.sendmail("alice@localhost", ["bob@localhost"], "Subject: two\r\n\r\nsecond\r\n")
    try:
        s.sendmail("alice@localhost", ["carol@localhost"], "x")
        raise SystemExit("unknown user accepted")
    except smtplib.SMTPRecipientsRefused:
        pass
p = poplib.POP3(ph, pp, timeout=20)
p.user("bob"); p.pass_("s3cret")
count, size = p.stat()
assert count == 2, count
lines = p.retr(1)[1]
assert lines == [b"Subject: one", b"", b"From the start", b".dot"], lines
uids = p.uidl()[1]
p.dele(1); p.dele(2); p.quit()
p = poplib.POP3(ph, pp, timeout=20)
p.user("bob"); p.pass_("s3cret")
assert p.stat()[0] == 0
p.quit()
print("ok")
`
	out, err := exec.Command(python, "-c", script, sh, sp, ph, pp).CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "ok" {
		t.Fatalf("python: %v\n%s", err, out)
	}
	data, err := os.ReadFile(filepath.Join(mail, "bob.mbox"))
	if err != nil || len(data) != 0 {
		t.Errorf("bob.mbox after deleting everything: %q, %v", data, err)
	}
}
