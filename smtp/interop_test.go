package smtp

import (
	"crypto/tls"
	"encoding/pem"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mailwright/mailwright/internal/interop"
)

// These tests drive the server with independent SMTP clients: Python's
// smtplib, swaks and curl. Each skips with a message when its client, or a
// capability it needs (TLS), is missing (.ci/run installs swaks).

// tlsTestServer starts a server with STARTTLS and the users of
// testBackend, and writes its certificate to a PEM file for the clients.
func tlsTestServer(t *testing.T) (b *testBackend, addr, caFile string) {
	t.Helper()
	cert, _, der := testCertificate(t)
	caFile = filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	b = &testBackend{users: map[string]string{"alice": "s3cret"}}
	addr = startServer(t, &Server{Backend: b, TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}}})
	return b, addr, caFile
}

func runClient(t *testing.T, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	done := make(chan struct{})
	var out []byte
	var err error
	go func() { out, err = cmd.CombinedOutput(); close(done) }()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Fatalf("%s timed out:\n%s", name, out)
	}
	if err != nil {
		t.Fatalf("%s failed: %v\n%s", name, err, out)
	}
	return string(out)
}

func TestInteropPythonSmtplib(t *testing.T) {
	python := interop.NeedPython(t, "ssl")
	b, addr, caFile := tlsTestServer(t)
	host, port, _ := net.SplitHostPort(addr)
	script := `
import smtplib, ssl, sys
from email.message import EmailMessage
host, port, cafile = sys.argv[1], int(sys.argv[2]), sys.argv[3]
ctx = ssl.create_default_context(cafile=cafile)
ctx.check_hostname = False
with smtplib.SMTP(host, port, timeout=20) as s:
    s.ehlo("python.test")
    assert s.has_extn("starttls"), s.esmtp_features
    assert not s.has_extn("auth"), "AUTH offered before TLS"
    s.starttls(context=ctx)
    s.ehlo("python.test")
    assert "PLAIN" in s.esmtp_features["auth"], s.esmtp_features
    s.login("alice", "s3cret")
    msg = EmailMessage()
    msg["From"] = "alice@example.org"
    msg["To"] = "bob@example.net"
    msg["Subject"] = "interop"
    msg.set_content("Hello from smtplib.\n.leading dot line\n")
    refused = s.send_message(msg)
    assert refused == {}, refused
    try:
        s.sendmail("alice@example.org", ["nobody"], "x")
        raise SystemExit("bad address accepted")
    except smtplib.SMTPRecipientsRefused as e:
        code = e.recipients["nobody"][0]
        assert code == 553, e.recipients
    # SMTPUTF8 with an 8-bit message
    s.sendmail("jörg@bücher.example", ["bob@example.net"], "Subject: x\r\n\r\nGrüße\r\n".encode(), mail_options=["SMTPUTF8", "BODY=8BITMIME"])
print("ok")
`
	out := runClient(t, python, "-c", script, host, port, caFile)
	if strings.TrimSpace(out) != "ok" {
		t.Fatalf("smtplib: %s", out)
	}
	msgs := b.Messages()
	if len(msgs) != 2 {
		t.Fatalf("got %d messages, want 2", len(msgs))
	}
	m := msgs[0]
	if m.Auth != "alice" || m.From != "alice@example.org" || m.Rcpts[0] != "bob@example.net" {
		t.Errorf("envelope %+v", m)
	}
	if !strings.Contains(string(m.Body), "Subject: interop") || !strings.Contains(string(m.Body), "\r\n.leading dot line\r\n") {
		t.Errorf("body %q", m.Body)
	}
	if msgs[1].From != "jörg@bücher.example" || !strings.Contains(string(msgs[1].Body), "Grüße") {
		t.Errorf("UTF-8 message %+v", msgs[1])
	}
}

func TestInteropSwaks(t *testing.T) {
	swaks := interop.NeedSwaks(t, "TLS", "Basic AUTH")
	b, addr, _ := tlsTestServer(t)
	host, port, _ := net.SplitHostPort(addr)
	out := runClient(t, swaks, "--server", host, "--port", port, "--tls",
		"--auth", "PLAIN", "--auth-user", "alice", "--auth-password", "s3cret",
		"--from", "alice@example.org", "--to", "bob@example.net,carol@example.net",
		"--ehlo", "swaks.test", "--header", "Subject: from swaks", "--body", "swaks body\n..two dots\n",
		"--pipeline", "--timeout", "20")
	if !strings.Contains(out, "250 2.0.0 Message accepted") {
		t.Fatalf("swaks output:\n%s", out)
	}
	msgs := b.Messages()
	if len(msgs) != 1 {
		t.Fatalf("got %d messages\n%s", len(msgs), out)
	}
	m := msgs[0]
	if m.Auth != "alice" || len(m.Rcpts) != 2 || m.Helo != "swaks.test" {
		t.Errorf("envelope %+v", m)
	}
	if !strings.Contains(string(m.Body), "Subject: from swaks") || !strings.Contains(string(m.Body), "\r\n..two dots\r\n") {
		t.Errorf("body %q", m.Body)
	}
}

func TestInteropCurl(t *testing.T) {
	curl := interop.NeedCurl(t, "smtp", "SSL")
	b, addr, caFile := tlsTestServer(t)
	msgFile := filepath.Join(t.TempDir(), "msg.txt")
	os.WriteFile(msgFile, []byte("From: alice@example.org\r\nTo: bob@example.net\r\nSubject: from curl\r\n\r\ncurl body\r\n.dot\r\n"), 0o600)
	runClient(t, curl, "--silent", "--show-error", "--max-time", "20",
		"--url", "smtp://"+addr, "--ssl-reqd", "--cacert", caFile,
		"--user", "alice:s3cret", "--login-options", "AUTH=PLAIN",
		"--mail-from", "alice@example.org", "--mail-rcpt", "bob@example.net", "--upload-file", msgFile)
	msgs := b.Messages()
	if len(msgs) != 1 {
		t.Fatalf("got %d messages", len(msgs))
	}
	if m := msgs[0]; m.Auth != "alice" || !strings.Contains(string(m.Body), "Subject: from curl") || !strings.Contains(string(m.Body), "\r\n.dot\r\n") {
		t.Errorf("message %+v body %q", m, m.Body)
	}
}
