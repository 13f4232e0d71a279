package main

import (
	"bytes"
	"crypto/rand"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/mailwright/mailwright/internal/interop"
)

// instance is one mailserver process of the test's mail world.
type instance struct {
	data                     string
	smtp, submission, pop3   string
	submissions, pop3s, imap string
	imaps, managesieve       string
}

func buildServer(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "mailserver")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

// start runs a mailserver for domain with its own data directory and ports.
func start(t *testing.T, bin, domain string, extra ...string) *instance {
	t.Helper()
	return startIn(t, bin, domain, filepath.Join(t.TempDir(), domain), extra...)
}

// startIn is start with the data directory data, which may hold files
// the server reads at start (aliases).
func startIn(t *testing.T, bin, domain, data string, extra ...string) *instance {
	t.Helper()
	in := &instance{data: data}
	free := interop.FreeAddr
	in.smtp, in.submission, in.submissions = free(t), free(t), free(t)
	in.pop3, in.pop3s, in.imap, in.imaps = free(t), free(t), free(t), free(t)
	in.managesieve = free(t)
	args := append([]string{"-data", in.data, "-domain", domain, "-smtp", in.smtp, "-submission", in.submission,
		"-submissions", in.submissions, "-pop3", in.pop3, "-pop3s", in.pop3s, "-imap", in.imap, "-imaps", in.imaps,
		"-managesieve", in.managesieve, "-insecure-auth"}, extra...)
	cmd := exec.Command(bin, args...)
	logf, _ := os.Create(filepath.Join(t.TempDir(), domain+".log"))
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			log, _ := os.ReadFile(logf.Name())
			t.Logf("%s log:\n%s", domain, log)
		}
	})
	interop.WaitListening(t, nil, in.smtp, in.submission, in.pop3)
	return in
}

func (in *instance) addUser(t *testing.T, bin, domain, name, password string) {
	t.Helper()
	out, err := exec.Command(bin, "adduser", "-data", in.data, "-domain", domain, "-cost", "4", "-password", password, name).CombinedOutput()
	if err != nil {
		t.Fatalf("adduser %s: %v\n%s", name, err, out)
	}
}

// startDNS answers MX and A queries for b.test from a miekg/dns server.
func startDNS(t *testing.T) string {
	t.Helper()
	records := map[string][]string{
		"b.test.":    {"b.test. 60 IN MX 10 mx.b.test."},
		"mx.b.test.": {"mx.b.test. 60 IN A 127.0.0.1"},
	}
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	started := make(chan struct{})
	srv := &dns.Server{PacketConn: pc, NotifyStartedFunc: func() { close(started) },
		Handler: dns.HandlerFunc(func(w dns.ResponseWriter, req *dns.Msg) {
			m := new(dns.Msg)
			m.SetReply(req)
			q := req.Question[0]
			rrs, ok := records[strings.ToLower(q.Name)]
			if !ok {
				m.Rcode = dns.RcodeNameError
			}
			for _, s := range rrs {
				rr, _ := dns.NewRR(s)
				if rr.Header().Rrtype == q.Qtype {
					m.Answer = append(m.Answer, rr)
				}
			}
			w.WriteMsg(m)
		})}
	go srv.ActivateAndServe()
	<-started
	t.Cleanup(func() { srv.Shutdown() })
	return pc.LocalAddr().String()
}

// TestMailWorld is the story the library exists for: alice at a.test sends
// over submission (STARTTLS, AUTH) to carol at a.test and bob at b.test; the
// message for b.test goes through a.test's queue to b.test's server, found
// by MX lookup; carol and bob read it over POP3 and over IMAP, attachment
// byte for byte.
func TestMailWorld(t *testing.T) {
	python := interop.NeedPython(t, "ssl") // the mail-world test drives smtplib, poplib and imaplib over TLS
	bin := buildServer(t)
	resolver := startDNS(t)
	b := start(t, bin, "b.test")
	_, bSMTPPort, _ := net.SplitHostPort(b.smtp)
	a := start(t, bin, "a.test", "-resolver", resolver, "-remote-port", bSMTPPort)
	a.addUser(t, bin, "a.test", "alice", "alice-pw")
	a.addUser(t, bin, "a.test", "carol", "carol-pw")
	b.addUser(t, bin, "b.test", "bob", "bob-pw")

	attachment := make([]byte, 40000)
	rand.Read(attachment)
	attFile := filepath.Join(t.TempDir(), "attachment.bin")
	os.WriteFile(attFile, attachment, 0o600)

	script := `
import smtplib, poplib, imaplib, ssl, sys, time, email
from email.message import EmailMessage
from email import policy
sub_host, sub_port, att_file = sys.argv[1], int(sys.argv[2]), sys.argv[3]
pops = [(sys.argv[4], int(sys.argv[5]), "carol", "carol-pw"), (sys.argv[6], int(sys.argv[7]), "bob", "bob-pw")]
imaps = [(sys.argv[8], int(sys.argv[9]), "carol", "carol-pw"), (sys.argv[10], int(sys.argv[11]), "bob", "bob-pw")]
msg = EmailMessage()
msg["From"] = "alice@a.test"
msg["To"] = "carol@a.test, bob@b.test"
msg["Subject"] = "The seed's story"
msg.set_content("Hello both.\n")
msg.add_attachment(open(att_file, "rb").read(), maintype="application", subtype="octet-stream", filename="data.bin")
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
with smtplib.SMTP(sub_host, sub_port, timeout=30) as s:
    s.starttls(context=ctx)
    s.login("alice", "alice-pw")
    s.send_message(msg)
for host, port, user, pw in pops:
    deadline = time.time() + 60
    while True:
        p = poplib.POP3(host, port, timeout=30)
        p.user(user); p.pass_(pw)
        n = p.stat()[0]
        if n > 0 or time.time() > deadline:
            break
        p.quit()
        time.sleep(0.2)
    assert n == 1, (user, n)
    raw = b"\r\n".join(p.retr(1)[1])
    p.quit()
    got = email.message_from_bytes(raw, policy=policy.default)
    assert got["Subject"] == "The seed's story", got["Subject"]
    assert "Received" in got and got["Return-Path"].strip("<>") == "alice@a.test", (got["Return-Path"],)
    att = [part for part in got.iter_attachments()][0]
    assert att.get_content() == open(att_file, "rb").read(), user + ": attachment differs"
    print(user, "ok")
for host, port, user, pw in imaps:
    m = imaplib.IMAP4(host, port, timeout=30)
    m.starttls(ssl_context=ctx)
    m.login(user, pw)
    typ, data = m.select("INBOX")
    assert typ == "OK" and data[0] == b"1", data
    typ, data = m.uid("FETCH", "1:*", "(BODY.PEEK[])")
    got = email.message_from_bytes(data[0][1], policy=policy.default)
    att = [part for part in got.iter_attachments()][0]
    assert att.get_content() == open(att_file, "rb").read(), user + ": attachment differs over IMAP"
    m.logout()
    print(user, "imap ok")
`
	sh, sp, _ := net.SplitHostPort(a.submission)
	ah, ap, _ := net.SplitHostPort(a.pop3)
	bh, bp, _ := net.SplitHostPort(b.pop3)
	aih, aip, _ := net.SplitHostPort(a.imap)
	bih, bip, _ := net.SplitHostPort(b.imap)
	out, err := exec.Command(python, "-c", script, sh, sp, attFile, ah, ap, bh, bp, aih, aip, bih, bip).CombinedOutput()
	if err != nil {
		t.Fatalf("python: %v\n%s", err, out)
	}
	if got := string(out); !strings.Contains(got, "carol ok") || !strings.Contains(got, "bob ok") || !strings.Contains(got, "bob imap ok") {
		t.Fatalf("python output:\n%s", got)
	}

	// Unauthenticated relay through a.test's MX port is refused.
	c, err := net.Dial("tcp", a.smtp)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 4096)
	c.Read(buf)
	c.Write([]byte("EHLO mallory.test\r\nMAIL FROM:<m@mallory.test>\r\nRCPT TO:<bob@b.test>\r\n"))
	var got bytes.Buffer
	for !strings.Contains(got.String(), "5.7.1") {
		n, err := c.Read(buf)
		if err != nil {
			t.Fatalf("reading relay refusal: %v (got %q)", err, got.String())
		}
		got.Write(buf[:n])
	}
}
