package smtptest_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	mwsmtp "github.com/mailwright/mailwright/smtp"
	"github.com/mailwright/mailwright/smtp/smtptest"
)

// TestFaultDefaultReply: a Fault without Reply or Delay fails with the
// documented default instead of doing nothing.
func TestFaultDefaultReply(t *testing.T) {
	for _, tc := range []struct {
		stage smtptest.Stage
		code  int
	}{
		{smtptest.AtConnect, 554},
		{smtptest.AtMail, 451},
		{smtptest.AtRcpt, 451},
		{smtptest.AtData, 451},
	} {
		srv := smtptest.NewServer(t)
		srv.Inject(smtptest.Fault{Stage: tc.stage})
		err := srv.SendMail(context.Background(), "a@example.org", []string{"b@example.org"}, strings.NewReader("Subject: x\r\n\r\nx\r\n"))
		var se *mwsmtp.Error
		if !errors.As(err, &se) || se.Code != tc.code || !strings.Contains(se.Message, "Injected fault") {
			t.Errorf("stage %d: %v, want %d Injected fault", tc.stage, err, tc.code)
		}
		if n := len(srv.Messages()); n != 0 {
			t.Errorf("stage %d: %d messages kept", tc.stage, n)
		}
	}
}

// TestFaultsOutsideServer: a Faults set consulted by another backend
// fails, delays and forgets as Server's does; Remove takes out one fault,
// and Messages()+1 aims an AtData fault at the next message only.
func TestFaultsOutsideServer(t *testing.T) {
	ctx := context.Background()
	var fs smtptest.Faults
	if err := fs.Check(ctx, smtptest.AtMail, ""); err != nil {
		t.Fatalf("empty set: %v", err)
	}
	gone := &mwsmtp.Error{Code: 550, EnhancedCode: mwsmtp.EnhancedCode{5, 1, 1}, Message: "No such user"}
	fs.Inject(smtptest.Fault{Stage: smtptest.AtMail})
	fs.Inject(smtptest.Fault{Stage: smtptest.AtRcpt, Recipients: []string{"Gone@example.org"}, Reply: gone})
	var se *mwsmtp.Error
	if err := fs.Check(ctx, smtptest.AtMail, ""); !errors.As(err, &se) || se.Code != 451 {
		t.Errorf("AtMail: %v, want the default 451", err)
	}
	if err := fs.Check(ctx, smtptest.AtRcpt, "gone@example.org"); err != gone {
		t.Errorf("AtRcpt gone@: %v, want %v", err, gone)
	}
	if err := fs.Check(ctx, smtptest.AtRcpt, "bob@example.org"); err != nil {
		t.Errorf("AtRcpt bob@: %v", err)
	}
	if !fs.Remove(0) || fs.Remove(5) || fs.Remove(-1) {
		t.Error("Remove: want true for index 0, false out of range")
	}
	if list := fs.List(); len(list) != 1 || list[0].Stage != smtptest.AtRcpt {
		t.Errorf("List after Remove(0): %+v", list)
	}
	if err := fs.Check(ctx, smtptest.AtMail, ""); err != nil {
		t.Errorf("AtMail after its removal: %v", err)
	}

	fs.Clear()
	fs.Check(ctx, smtptest.AtData, "") // message 1
	fs.Inject(smtptest.Fault{Stage: smtptest.AtData, Nth: fs.Messages() + 1})
	for i, want := range []bool{true, false} {
		if err := fs.Check(ctx, smtptest.AtData, ""); (err != nil) != want {
			t.Errorf("message %d: %v, want failure %v", i+2, err, want)
		}
	}

	// A cancelled context ends the wait of a delay.
	fs.Clear()
	fs.Inject(smtptest.Fault{Stage: smtptest.AtMail, Delay: time.Hour})
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := fs.Check(cancelled, smtptest.AtMail, ""); err != nil {
		t.Errorf("delay only: %v", err)
	}
}

func TestStageString(t *testing.T) {
	for stage, want := range map[smtptest.Stage]string{
		smtptest.AtConnect: "connect", smtptest.AtMail: "mail", smtptest.AtRcpt: "rcpt", smtptest.AtData: "data", 7: "Stage(7)",
	} {
		if got := stage.String(); got != want {
			t.Errorf("Stage(%d).String() = %q, want %q", int(stage), got, want)
		}
	}
}
