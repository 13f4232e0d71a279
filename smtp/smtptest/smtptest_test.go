package smtptest_test

import (
	"context"
	"errors"
	"fmt"
	"net/smtp"
	"net/textproto"
	"strings"
	"sync"
	"testing"
	"time"

	mwsmtp "github.com/mailwright/mailwright/smtp"
	"github.com/mailwright/mailwright/smtp/smtptest"
)

// send is the "code under test": it mails through the standard library.
func send(addr, from string, to []string, subject, body string) error {
	msg := "From: " + from + "\r\nTo: " + strings.Join(to, ", ") + "\r\nSubject: " + subject + "\r\n\r\n" + body + "\r\n"
	return smtp.SendMail(addr, nil, from, to, []byte(msg))
}

func TestCaptureAndWait(t *testing.T) {
	srv := smtptest.NewServer(t)
	go func() {
		time.Sleep(50 * time.Millisecond) // arrives after Wait has started
		send(srv.Addr, "app@example.org", []string{"bob@example.org"}, "Welcome, Bob", "Hello Bob.")
	}()
	send(srv.Addr, "app@example.org", []string{"alice@example.org"}, "Welcome, Alice", "Hello Alice.")

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	msg, err := srv.Wait(ctx, smtptest.To("bob@example.org"), smtptest.Subject("Welcome"))
	if err != nil {
		t.Fatal(err)
	}
	if msg.Subject() != "Welcome, Bob" || strings.TrimSpace(msg.Text()) != "Hello Bob." || msg.From != "app@example.org" {
		t.Errorf("message: subject %q text %q from %q", msg.Subject(), msg.Text(), msg.From)
	}
	if got := len(srv.Messages()); got != 2 {
		t.Errorf("Messages() has %d, want 2", got)
	}
	if _, ok := srv.Find(smtptest.Header("To", "alice@example.org")); !ok {
		t.Error("Find by header failed")
	}

	// Waiting for something that never comes ends with the context.
	short, cancel2 := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel2()
	if _, err := srv.Wait(short, smtptest.To("nobody@example.org")); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Wait for a missing message: %v", err)
	}

	srv.Purge()
	if len(srv.Messages()) != 0 {
		t.Error("Purge left messages")
	}
}

func TestParallelServersAreIsolated(t *testing.T) {
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			srv := smtptest.NewUnstartedServer(nil)
			if err := srv.Start(); err != nil {
				t.Error(err)
				return
			}
			defer srv.Close()
			subject := fmt.Sprintf("server %d", i)
			if err := send(srv.Addr, "a@example.org", []string{"b@example.org"}, subject, "x"); err != nil {
				t.Error(err)
				return
			}
			msgs := srv.Messages()
			if len(msgs) != 1 || msgs[0].Subject() != subject {
				t.Errorf("server %d saw %d messages", i, len(msgs))
			}
		}()
	}
	wg.Wait()
}

func TestFaults(t *testing.T) {
	srv := smtptest.NewServer(t)
	srv.Inject(smtptest.Fault{Stage: smtptest.AtRcpt, Recipients: []string{"bounce@example.org"},
		Reply: &mwsmtp.Error{Code: 550, EnhancedCode: mwsmtp.EnhancedCode{5, 1, 1}, Message: "No such user"}})
	srv.Inject(smtptest.Fault{Stage: smtptest.AtData, Nth: 2,
		Reply: &mwsmtp.Error{Code: 451, EnhancedCode: mwsmtp.EnhancedCode{4, 3, 0}, Message: "Try again later"}})

	err := send(srv.Addr, "a@example.org", []string{"bounce@example.org"}, "s", "x")
	var te *textproto.Error
	if !errors.As(err, &te) || te.Code != 550 {
		t.Fatalf("rejected recipient: %v", err)
	}
	if err := send(srv.Addr, "a@example.org", []string{"ok@example.org"}, "first", "x"); err != nil {
		t.Fatalf("first message: %v", err)
	}
	err = send(srv.Addr, "a@example.org", []string{"ok@example.org"}, "second", "x")
	if !errors.As(err, &te) || te.Code != 451 {
		t.Fatalf("second message should fail with 451: %v", err)
	}
	if err := send(srv.Addr, "a@example.org", []string{"ok@example.org"}, "third", "x"); err != nil {
		t.Fatalf("third message: %v", err)
	}
	if got := subjects(srv.Messages()); got != "first,third" {
		t.Errorf("stored %q", got)
	}

	srv.ClearFaults()
	srv.Inject(smtptest.Fault{Stage: smtptest.AtMail, Delay: 200 * time.Millisecond})
	start := time.Now()
	if err := send(srv.Addr, "a@example.org", []string{"ok@example.org"}, "slow", "x"); err != nil {
		t.Fatal(err)
	}
	if time.Since(start) < 200*time.Millisecond {
		t.Errorf("delay fault not applied: %v", time.Since(start))
	}
}

func TestKnownRecipientsAndAuth(t *testing.T) {
	srv := smtptest.NewUnstartedServer(t)
	srv.KnownRecipients = []string{"alice@example.org"}
	srv.Users = map[string]string{"app": "pw"}
	srv.AuthRequired = true
	if err := srv.StartTLS(); err != nil {
		t.Fatal(err)
	}
	c, err := smtp.Dial(srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.StartTLS(srv.ClientTLSConfig()); err != nil {
		t.Fatalf("STARTTLS with the generated certificate: %v", err)
	}
	if err := c.Mail("app@example.org"); err == nil || !strings.Contains(err.Error(), "530") {
		t.Fatalf("MAIL before AUTH: %v", err)
	}
	if err := c.Auth(smtp.PlainAuth("", "app", "pw", "127.0.0.1")); err != nil {
		t.Fatal(err)
	}
	if err := c.Mail("app@example.org"); err != nil {
		t.Fatal(err)
	}
	if err := c.Rcpt("mallory@example.org"); err == nil || !strings.Contains(err.Error(), "550") {
		t.Fatalf("unknown recipient: %v", err)
	}
	if err := c.Rcpt("alice@example.org"); err != nil {
		t.Fatal(err)
	}
	w, _ := c.Data()
	w.Write([]byte("Subject: over tls\r\n\r\nhi\r\n"))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	m, ok := srv.Find(smtptest.Subject("over tls"))
	if !ok || !m.TLS || m.AuthUser != "app" {
		t.Fatalf("message %+v", m)
	}
}
