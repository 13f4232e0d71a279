package smtptest_test

import (
	"context"
	"errors"
	"strings"
	"testing"

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
