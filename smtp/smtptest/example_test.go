package smtptest_test

import (
	"context"
	"fmt"
	"net/smtp"
	"strings"
	"time"

	mwsmtp "github.com/mailwright/mailwright/smtp"
	"github.com/mailwright/mailwright/smtp/smtptest"
)

func ExampleNewServer() {
	// In a test: srv := smtptest.NewServer(t), closed by t.Cleanup.
	srv := smtptest.NewUnstartedServer(nil)
	if err := srv.Start(); err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()

	// The code under test sends mail to srv.Addr.
	smtp.SendMail(srv.Addr, nil, "app@example.org", []string{"bob@example.org"},
		[]byte("Subject: Welcome\r\n\r\nHello Bob.\r\n"))

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	msg, err := srv.Wait(ctx, smtptest.To("bob@example.org"))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(msg.Subject(), "|", msg.Text())
	// Output: Welcome | Hello Bob.
}

// Inject makes the server fail deterministically: here it refuses one
// recipient, and the data of the first message.
func ExampleServer_Inject() {
	srv := smtptest.NewUnstartedServer(nil) // in a test: smtptest.NewServer(t)
	if err := srv.Start(); err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()
	srv.Inject(smtptest.Fault{
		Stage:      smtptest.AtRcpt,
		Recipients: []string{"gone@example.org"},
		Reply:      &mwsmtp.Error{Code: 550, EnhancedCode: mwsmtp.EnhancedCode{5, 1, 1}, Message: "No such user"},
	})
	// The first message data fails; no Reply means 451 4.3.0 Injected fault.
	srv.Inject(smtptest.Fault{Stage: smtptest.AtData, Nth: 1})

	// The code under test sends three messages.
	for _, to := range []string{"gone@example.org", "bob@example.org", "bob@example.org"} {
		err := srv.SendMail(context.Background(), "app@example.org", []string{to}, strings.NewReader("Subject: Hi\r\n\r\nHello.\r\n"))
		fmt.Println(to, err)
	}
	fmt.Println(len(srv.Messages()), "message kept")
	// Output:
	// gone@example.org 550 5.1.1 No such user
	// bob@example.org 451 4.3.0 Injected fault
	// bob@example.org <nil>
	// 1 message kept
}
