package imaptest_test

import (
	"context"
	"errors"
	"fmt"
	"net/smtp"
	"net/textproto"
	"strings"
	"testing"
	"time"

	"github.com/mailwright/mailwright/imap/imaptest"
	"github.com/mailwright/mailwright/pop3/pop3test"
	"github.com/mailwright/mailwright/smtp/smtptest"
)

// TestCaptureThenReadAtOnce runs the README's "In tests" flow 300 times:
// the code under test sends over SMTP to an smtptest server, and the test
// reads the message over IMAP as soon as the send returned, without
// waiting. (With Capture filing mail in the background, this failed in
// about a third of the runs.)
func TestCaptureThenReadAtOnce(t *testing.T) {
	t.Parallel()
	const runs = 300
	for i := range runs {
		ok := t.Run(fmt.Sprint(i), func(t *testing.T) {
			mta := smtptest.NewServer(t)
			mail := imaptest.NewServer(t)
			mail.Capture(mta)
			subject := fmt.Sprintf("Welcome %d", i)
			if err := smtp.SendMail(mta.Addr, nil, "app@example.org", []string{"bob@example.org"},
				[]byte("Subject: "+subject+"\r\n\r\nHello Bob.\r\n")); err != nil {
				t.Fatal(err)
			}
			c, r := dial(t, mail.Addr)
			transcript(t, c, r, `
				S: * OK*
				C: a LOGIN bob@example.org any-password
				S: a OK*
				C: b STATUS INBOX (MESSAGES)
				S: * STATUS INBOX (MESSAGES 1)
				S: b OK*
			`)
		})
		if !ok {
			t.Fatalf("failed at run %d of %d", i+1, runs)
		}
	}
}

// TestCaptureUnknownUser: without AutoCreateUsers, mail to a name that is
// not a user is refused at the SMTP server with 550 5.1.1; mail to a user
// is filed.
func TestCaptureUnknownUser(t *testing.T) {
	t.Parallel()
	mta := smtptest.NewServer(t)
	mail := imaptest.NewUnstartedServer(t)
	mail.AutoCreateUsers = false
	if err := mail.Start(); err != nil {
		t.Fatal(err)
	}
	if err := mail.AddUser("bob@example.org", "secret"); err != nil {
		t.Fatal(err)
	}
	mail.Capture(mta)
	err := smtp.SendMail(mta.Addr, nil, "app@example.org", []string{"nobody@example.org"}, []byte("Subject: x\r\n\r\nx\r\n"))
	var te *textproto.Error
	if !errors.As(err, &te) || te.Code != 550 || te.Msg != "5.1.1 No such user here" {
		t.Fatalf("mail to an unknown user: %v, want 550 5.1.1", err)
	}
	if err := smtp.SendMail(mta.Addr, nil, "app@example.org", []string{"bob@example.org"}, []byte("Subject: x\r\n\r\nx\r\n")); err != nil {
		t.Fatal(err)
	}
	if n := len(mta.Messages()); n != 1 {
		t.Errorf("the SMTP server kept %d messages, want 1", n)
	}
}

// TestWait: imaptest and pop3test wait for a message in their store by
// smtptest's predicates, whichever way it arrives: Deliver, an IMAP
// APPEND into a folder (which pop3test, serving INBOXes, does not see),
// Capture.
func TestWait(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	mail := imaptest.NewServer(t)
	pop := pop3test.NewUnstartedServer(t)
	pop.Store, pop.Accounts = mail.Store, mail.Accounts
	if err := pop.Start(); err != nil {
		t.Fatal(err)
	}

	go func() {
		time.Sleep(20 * time.Millisecond) // arrives while Wait waits
		mail.Deliver("carol", []byte("Subject: Later\r\n\r\nx\r\n"))
	}()
	m, err := mail.Wait(ctx, smtptest.To("carol"), smtptest.Subject("Later"))
	if err != nil {
		t.Fatal(err)
	}
	if m.Subject() != "Later" || m.Received.IsZero() {
		t.Errorf("Wait: subject %q, received %v", m.Subject(), m.Received)
	}
	if m, err := pop.Wait(ctx, smtptest.Subject("Later")); err != nil || m.To[0] != "carol" {
		t.Fatalf("pop3test Wait: %v, %v", m, err)
	}

	c, r := dial(t, mail.Addr)
	transcript(t, c, r, `
		S: * OK*
		C: a LOGIN dave x
		S: a OK*
		C: b APPEND Sent {24}
		S: + *
		C: Subject: Appended
		C:
		C: y
		C:
		S: b OK*
	`)
	if m, err := mail.Wait(ctx, smtptest.Header("Subject", "Appended")); err != nil || m.To[0] != "dave" {
		t.Fatalf("Wait for an APPEND: %v, %v", m, err)
	}
	short, cancelShort := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancelShort()
	if _, err := pop.Wait(short, smtptest.Subject("Appended")); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("pop3test Wait for a message outside INBOX: %v, want the deadline", err)
	}

	mta := smtptest.NewServer(t)
	mail.Capture(mta)
	if err := mta.SendMail(context.Background(), "app@example.org", []string{"Erin@Example.org"}, strings.NewReader("Subject: Captured\r\n\r\nz\r\n")); err != nil {
		t.Fatal(err)
	}
	if m, err := pop.Wait(ctx, smtptest.To("erin@example.org")); err != nil || m.Subject() != "Captured" {
		t.Fatalf("pop3test Wait for a captured message: %v, %v", m, err)
	}
}
