package delivery

import (
	"context"
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestPythonSubmission: Python's smtplib submits with AUTH to an
// Agent-backed server; the message lands in the recipient's mailbox.
func TestPythonSubmission(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not installed")
	}
	a := testAgent(t)
	a.Queue = &recordingQueue{}
	host, port, _ := net.SplitHostPort(serve(t, a))
	script := `
import smtplib, sys
from email.message import EmailMessage
msg = EmailMessage()
msg["From"] = "alice@example.org"
msg["To"] = "bob@example.org, carol@elsewhere.test"
msg["Subject"] = "from python"
msg.set_content("Hello from smtplib.\n")
with smtplib.SMTP(sys.argv[1], int(sys.argv[2]), local_hostname="py.client.test") as s:
    s.login("alice@example.org", "secret")
    refused = s.send_message(msg)
    assert not refused, refused
    try:
        s.sendmail("alice@example.org", ["nobody@example.org"], "Subject: x\r\n\r\nx\r\n")
    except smtplib.SMTPRecipientsRefused as e:
        print("refused", e.recipients["nobody@example.org"][0])
`
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, python, "-c", script, host, port).CombinedOutput()
	if err != nil {
		t.Fatalf("python: %v\n%s", err, out)
	}
	if strings.TrimSpace(string(out)) != "refused 550" {
		t.Errorf("python printed %q", out)
	}
	msgs := inbox(t, a.Store, "bob")
	if len(msgs) != 1 {
		t.Fatalf("bob has %d messages", len(msgs))
	}
	f := headerFields(msgs[0])
	if f[0] != "Return-Path: <alice@example.org>" || !strings.HasPrefix(f[1], "Received: from py.client.test ([127.0.0.1]) by mx.example.org (mailwright) with ESMTPA id ") ||
		!strings.Contains(msgs[0], "Subject: from python") || !strings.Contains(msgs[0], "Hello from smtplib.") {
		t.Errorf("stored: %q", msgs[0])
	}
	if envs, _ := a.Queue.(*recordingQueue).get(); len(envs) != 1 || envs[0].Recipients[0].Address != "carol@elsewhere.test" {
		t.Errorf("queued: %+v", envs)
	}
}
