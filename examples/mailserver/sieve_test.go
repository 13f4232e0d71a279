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

// TestSieveStory: alice uploads a Sieve script with sieve-connect (over
// ManageSieve with STARTTLS) and activates it; mail that arrives over
// SMTP is filed where the script says, a sub-address reaches her and
// its detail sorts it, a catch-all takes the unknown users of one domain
// while the other still refuses them at RCPT; she sees it all over IMAP
// (imaplib).
func TestSieveStory(t *testing.T) {
	connect := interop.Need(t, "sieve-connect")
	python := interop.NeedPython(t)
	bin := buildServer(t)
	data := filepath.Join(t.TempDir(), "a.test")
	if err := os.MkdirAll(data, 0o700); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(data, "aliases"), []byte("@b.test: alice\n"), 0o600)
	a := startIn(t, bin, "a.test", data, "-domain", "a.test,b.test")
	a.addUser(t, bin, "a.test", "alice", "alice-pw")

	script := filepath.Join(t.TempDir(), "filters.sieve")
	os.WriteFile(script, []byte(`require ["fileinto", "mailbox", "envelope", "subaddress"];
if header :contains "subject" "report" { fileinto :create "Reports"; stop; }
if envelope :detail "to" "lists" { fileinto :create "Lists"; stop; }
`), 0o600)
	host, port, _ := net.SplitHostPort(a.managesieve)
	sieve := func(args ...string) string {
		t.Helper()
		r, w, _ := os.Pipe()
		w.WriteString("alice-pw\n")
		w.Close()
		defer r.Close()
		cmd := exec.Command(connect, append([]string{"--server", host, "--port", port, "--user", "alice",
			"--passwordfd", "3", "--notlsverify", "--noclearchan"}, args...)...)
		cmd.ExtraFiles = []*os.File{r}
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("sieve-connect %q: %v\n%s", args, err, out)
		}
		return string(out)
	}
	sieve("--upload", "--localsieve", script, "--remotesieve", "filters")
	sieve("--activate", "--remotesieve", "filters")
	if out := sieve("--list"); !strings.Contains(out, "filters") {
		t.Fatalf("list:\n%s", out)
	}

	py := `
import smtplib, imaplib, sys, email
sh, sp, ih, ip = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
def send(rcpt, subject):
    with smtplib.SMTP(sh, sp, timeout=30) as s:
        s.ehlo("client.test")
        s.mail("x@elsewhere.test")
        code, msg = s.rcpt(rcpt)
        if code != 250:
            return code, msg
        return s.data(("From: x@elsewhere.test\r\nTo: %s\r\nSubject: %s\r\n\r\nHello.\r\n" % (rcpt, subject)).encode())
assert send("alice@a.test", "weekly report")[0] == 250
assert send("alice+lists@a.test", "list mail")[0] == 250
assert send("Anyone.Else@b.test", "caught")[0] == 250
code, msg = send("nobody@a.test", "refused")
assert code == 550 and b"5.1.1" in msg, (code, msg)
m = imaplib.IMAP4(ih, ip, timeout=30)
m.login("alice", "alice-pw")
for folder, want in (("Reports", "weekly report"), ("Lists", "list mail"), ("INBOX", "caught")):
    typ, data = m.select(folder, readonly=True)
    assert typ == "OK" and data[0] == b"1", (folder, typ, data)
    typ, data = m.fetch("1", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    got = email.message_from_bytes(data[0][1])["Subject"]
    assert got == want, (folder, got)
m.logout()
print("sieve story ok")
`
	sh, sp, _ := net.SplitHostPort(a.smtp)
	ih, ip, _ := net.SplitHostPort(a.imap)
	out, err := exec.Command(python, "-c", py, sh, sp, ih, ip).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "sieve story ok") {
		t.Fatalf("python: %v\n%s", err, out)
	}
}
