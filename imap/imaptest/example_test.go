package imaptest_test

import (
	"context"
	"fmt"
	"net/smtp"
	"time"

	goimap "github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/mailwright/mailwright/imap/imaptest"
	"github.com/mailwright/mailwright/smtp/smtptest"
)

func ExampleNewServer() {
	// In a test: srv := imaptest.NewServer(t), closed by t.Cleanup.
	srv := imaptest.NewUnstartedServer(nil)
	if err := srv.Start(); err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()
	srv.Deliver("bob", []byte("Subject: Welcome\r\n\r\nHello Bob.\r\n"))

	// The code under test reads bob's mail from srv.Addr; any password
	// works for a user that AddUser did not add.
	c, err := imapclient.DialInsecure(srv.Addr, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	if err := c.Login("bob", "x").Wait(); err != nil {
		fmt.Println(err)
		return
	}
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		fmt.Println(err)
		return
	}
	msgs, err := c.Fetch(goimap.SeqSetNum(1), &goimap.FetchOptions{Envelope: true}).Collect()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(msgs[0].Envelope.Subject)
	// Output: Welcome
}

func ExampleServer_Capture() {
	// In a test: mta := smtptest.NewServer(t); srv := imaptest.NewServer(t).
	mta := smtptest.NewUnstartedServer(nil)
	srv := imaptest.NewUnstartedServer(nil)
	if err := mta.Start(); err != nil {
		fmt.Println(err)
		return
	}
	defer mta.Close()
	if err := srv.Start(); err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()
	srv.Capture(mta)

	// The code under test sends mail to mta.Addr ...
	err := smtp.SendMail(mta.Addr, nil, "app@example.org", []string{"Bob@example.org"},
		[]byte("Subject: Welcome\r\n\r\nHello Bob.\r\n"))
	if err != nil {
		fmt.Println(err)
		return
	}

	// ... and the message was in bob@example.org's INBOX before the
	// server answered 250: no waiting.
	st, err := srv.Store.Status(context.Background(), "bob@example.org", "INBOX")
	fmt.Println(st.Messages, err)
	// Output: 1 <nil>
}

// Wait finds a message in the server's store by smtptest's predicates,
// whichever way it arrived: here an APPEND of the code under test.
func ExampleServer_Wait() {
	srv := imaptest.NewUnstartedServer(nil) // in a test: imaptest.NewServer(t)
	if err := srv.Start(); err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()

	// The code under test saves a draft over IMAP.
	go func() {
		c, err := imapclient.DialInsecure(srv.Addr, nil)
		if err != nil {
			return
		}
		defer c.Close()
		c.Login("bob", "any password").Wait()
		draft := "Subject: Draft\r\n\r\nTo do.\r\n"
		w := c.Append("Drafts", int64(len(draft)), nil)
		w.Write([]byte(draft))
		w.Close()
		w.Wait()
	}()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	msg, err := srv.Wait(ctx, smtptest.To("bob"), smtptest.Subject("Draft"))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(msg.Subject(), "|", msg.Text())
	// Output: Draft | To do.
}
