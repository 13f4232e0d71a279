package smtptest_test

import (
	"context"
	"fmt"
	"net/smtp"
	"time"

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
