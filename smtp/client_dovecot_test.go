package smtp_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mailwright/mailwright/internal/interop"
	"github.com/mailwright/mailwright/mailbox"
	"github.com/mailwright/mailwright/smtp"
	"github.com/mailwright/mailwright/smtp/smtptest"
)

// dovecotSubmission starts a private Dovecot whose submission service
// accepts SCRAM-SHA-256 for alice with the credentials that creds gives
// (Dovecot's passwd-file format), relaying to relayAddr; it returns the
// submission address. It needs root (Dovecot changes users) and Dovecot's
// submission service (package dovecot-submissiond).
func dovecotSubmission(t *testing.T, creds, relayAddr string) string {
	t.Helper()
	dovecot := interop.Need(t, "dovecot")
	if _, err := os.Stat("/usr/lib/dovecot/submission"); err != nil {
		t.Skip("Dovecot's submission service (package dovecot-submissiond) is not installed")
	}
	if os.Geteuid() != 0 {
		t.Skip("a private Dovecot needs root")
	}
	dir, err := os.MkdirTemp("", "mailwright-dovecot-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	// Dovecot's unprivileged processes walk into it.
	os.Chmod(dir, 0o755)
	home := filepath.Join(dir, "home")
	os.MkdirAll(filepath.Join(home, "alice"), 0o755)
	exec.Command("chown", "-R", "nobody:nogroup", home).Run()
	addr := interop.FreeAddr(t)
	_, port, _ := strings.Cut(addr, ":")
	relayHost, relayPort, _ := strings.Cut(relayAddr, ":")
	conf := `protocols = submission
listen = 127.0.0.1
base_dir = ` + dir + `/run
state_dir = ` + dir + `/state
log_path = ` + dir + `/dovecot.log
instance_name = mailwright-` + port + `
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain scram-sha-256
hostname = localhost
passdb {
  driver = passwd-file
  args = ` + dir + `/users
}
userdb {
  driver = static
  args = uid=nobody gid=nogroup home=` + home + `/%u
}
mail_location = maildir:~/Maildir
submission_relay_host = ` + relayHost + `
submission_relay_port = ` + relayPort + `
submission_relay_trusted = yes
service submission-login {
  inet_listener submission {
    address = 127.0.0.1
    port = ` + port + `
  }
}
service anvil {
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
`
	if err := os.WriteFile(filepath.Join(dir, "dovecot.conf"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "users"), []byte("alice:"+creds+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(dovecot, "-F", "-c", filepath.Join(dir, "dovecot.conf"))
	out := &strings.Builder{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			log, _ := os.ReadFile(filepath.Join(dir, "dovecot.log"))
			t.Logf("dovecot output:\n%s\nlog:\n%s", out, log)
		}
	})
	interop.WaitListening(t, exited, addr)
	return addr
}

// TestClientInteropDovecotSCRAM: our Client's SCRAM-SHA-256 against
// Dovecot's submission server, an independent SCRAM server, which checks
// the credentials that mailbox stores (handed to it in its own format),
// and relays the message to a test server.
func TestClientInteropDovecotSCRAM(t *testing.T) {
	relay := smtptest.NewServer(t)
	addr := dovecotSubmission(t, mailbox.NewSCRAMCredentials("correct horse", 0).String(), relay.Addr)
	c, err := smtp.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if !c.SupportsAuth("SCRAM-SHA-256") {
		t.Fatal("Dovecot does not offer SCRAM-SHA-256")
	}
	var se *smtp.Error
	if err := c.Auth(t.Context(), smtp.NewSCRAMClient("alice", "wrong")); !errors.As(err, &se) || se.Code != 535 {
		t.Fatalf("wrong password: %v", err)
	}
	if err := c.Auth(t.Context(), smtp.NewSCRAMClient("alice", "correct horse")); err != nil {
		t.Fatal(err)
	}
	if err := c.SendMail(t.Context(), "alice@example.org", []string{"bob@example.net"}, strings.NewReader("Subject: via Dovecot\r\n\r\nhello\r\n")); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := relay.Wait(ctx, smtptest.Subject("via Dovecot")); err != nil {
		t.Fatal(err)
	}
}
