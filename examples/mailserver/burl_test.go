package main

import (
	"net"
	"os/exec"
	"strings"
	"testing"

	"github.com/mailwright/mailwright/internal/interop"
)

// TestBURLSubmission is RFC 4468's story with Python's own clients: alice
// saves a draft over IMAP (imaplib APPEND), asks for a URL that lets the
// submission server read it (GENURLAUTH, "submit+alice"), and sends it
// over submission by naming it (smtplib, BURL ... LAST) instead of
// uploading it again; carol reads it over POP3, and alice's sent copy is
// made on the server from the draft's parts (CATENATE). Bob cannot send
// alice's URL, and after RESETKEY alice cannot either.
func TestBURLSubmission(t *testing.T) {
	python := interop.NeedPython(t)
	bin := buildServer(t)
	a := start(t, bin, "a.test")
	a.addUser(t, bin, "a.test", "alice", "alice-pw")
	a.addUser(t, bin, "a.test", "bob", "bob-pw")
	a.addUser(t, bin, "a.test", "carol", "carol-pw")
	script := `
import imaplib, smtplib, poplib, sys, time, re
ih, ip, sh, sp, ph, pp = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), sys.argv[5], int(sys.argv[6])
draft = b"From: alice@a.test\r\nTo: carol@a.test\r\nSubject: sent by reference\r\n\r\n" + b"line of the draft\r\n" * 2000
m = imaplib.IMAP4(ih, ip)
m.login("alice", "alice-pw")
assert "URLAUTH" in m.capabilities and "CATENATE" in m.capabilities, m.capabilities
m.create("Drafts")
typ, data = m.append("Drafts", None, None, draft)
assert typ == "OK", data
uid = re.search(rb"APPENDUID \d+ (\d+)", data[0]).group(1).decode()
rump = "imap://alice@a.test/Drafts/;UID=%s;URLAUTH=submit+alice" % uid
typ, data = m.xatom("GENURLAUTH", '"%s"' % rump, "INTERNAL")
assert typ == "OK", data
url = m.untagged_responses.pop("GENURLAUTH")[0].decode().strip('"')
assert url.startswith(rump + ":INTERNAL:"), url

def send(user, pw):
    with smtplib.SMTP(sh, sp, timeout=30) as s:
        s.login(user, pw)
        assert s.has_extn("burl") and "imap" in s.esmtp_features["burl"], s.esmtp_features
        s.mail(user + "@a.test")
        s.rcpt("carol@a.test")
        return s.docmd("BURL", url + " LAST")

code, msg = send("bob", "bob-pw")
assert code == 554 and b"5.6.6" in msg, (code, msg)
code, msg = send("alice", "alice-pw")
assert code == 250, (code, msg)
deadline = time.time() + 30
while True:
    p = poplib.POP3(ph, pp, timeout=30)
    p.user("carol"); p.pass_("carol-pw")
    if p.stat()[0] > 0 or time.time() > deadline:
        break
    p.quit(); time.sleep(0.2)
raw = b"\r\n".join(p.retr(1)[1]) + b"\r\n"
p.quit()
assert raw.endswith(draft), raw[-200:]
# The sent copy, made on the server from the draft's parts (CATENATE).
m.create("Sent")
typ, data = m._simple_command("APPEND", "Sent", "CATENATE",
    '(URL "/Drafts/;UID=%s/;SECTION=HEADER" URL "/Drafts/;UID=%s/;SECTION=TEXT")' % (uid, uid))
assert typ == "OK", data
m.select("Sent", readonly=True)
typ, data = m.fetch("1", "(BODY.PEEK[])")
assert typ == "OK" and data[0][1] == draft, data[0][1][:200]
typ, data = m.xatom("RESETKEY")
assert typ == "OK", data
code, msg = send("alice", "alice-pw")
assert code == 554, (code, msg)
m.logout()
print("burl ok")
`
	ih, ip, _ := net.SplitHostPort(a.imap)
	sh, sp, _ := net.SplitHostPort(a.submission)
	ph, pp, _ := net.SplitHostPort(a.pop3)
	out, err := exec.Command(python, "-c", script, ih, ip, sh, sp, ph, pp).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "burl ok") {
		t.Fatalf("python: %v\n%s", err, out)
	}
}
