package smtptest_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	mwsmtp "github.com/mailwright/mailwright/smtp"
	"github.com/mailwright/mailwright/smtp/smtptest"
)

// TestClientStartTLS: Client and SendMail talk to a STARTTLS server over
// TLS, trusting its certificate, and to a plain server in plaintext.
func TestClientStartTLS(t *testing.T) {
	for _, withTLS := range []bool{true, false} {
		srv := smtptest.NewUnstartedServer(t)
		start := srv.Start
		if withTLS {
			start = srv.StartTLS
		}
		if err := start(); err != nil {
			t.Fatal(err)
		}
		if err := srv.SendMail(context.Background(), "app@example.org", []string{"bob@example.org"}, strings.NewReader("Subject: hi\r\n\r\nHello.\r\n")); err != nil {
			t.Fatalf("TLS %v: SendMail: %v", withTLS, err)
		}
		m, ok := srv.Find(smtptest.To("bob@example.org"))
		if !ok || m.TLS != withTLS || m.Subject() != "hi" {
			t.Fatalf("TLS %v: message %+v", withTLS, m)
		}
		c, err := srv.Client(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		_, isTLS := c.TLSConnectionState()
		c.Close()
		if isTLS != withTLS {
			t.Errorf("Client of a server started with TLS %v: TLS %v", withTLS, isTLS)
		}
	}
}

// TestOnMessage: f sees the messages received before, and each new one
// before the client has its 250; its error is the client's reply and the
// message is not kept; after stop it is not called.
func TestOnMessage(t *testing.T) {
	srv := smtptest.NewServer(t)
	send := func(subject string) error {
		return srv.SendMail(context.Background(), "app@example.org", []string{"bob@example.org"}, strings.NewReader("Subject: "+subject+"\r\n\r\nx\r\n"))
	}
	if err := send("before"); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var seen []string
	stop, err := srv.OnMessage(func(ctx context.Context, m *smtptest.Message) error {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, m.Subject())
		if m.Subject() == "refused" {
			return &mwsmtp.Error{Code: 552, EnhancedCode: mwsmtp.EnhancedCode{5, 2, 2}, Message: "Mailbox full"}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := send("after"); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	got := strings.Join(seen, ",")
	mu.Unlock()
	if got != "before,after" {
		t.Fatalf("when SendMail returned, f had seen %q, want before,after", got)
	}
	var se *mwsmtp.Error
	if err := send("refused"); !errors.As(err, &se) || se.Code != 552 {
		t.Fatalf("message refused by f: %v, want 552", err)
	}
	stop()
	if err := send("stopped"); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	got = strings.Join(seen, ",")
	mu.Unlock()
	if got != "before,after,refused" {
		t.Errorf("f saw %q, want before,after,refused", got)
	}
	if kept := subjects(srv.Messages()); kept != "before,after,stopped" {
		t.Errorf("kept %q, want before,after,stopped", kept)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := srv.Wait(ctx, smtptest.Subject("stopped")); err != nil {
		t.Error(err)
	}
}

// subjects lists the subjects of messages, comma separated.
func subjects(msgs []*smtptest.Message) string {
	var list []string
	for _, m := range msgs {
		list = append(list, m.Subject())
	}
	return strings.Join(list, ",")
}
