package imaptest_test

import (
	"fmt"

	goimap "github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/mailwright/mailwright/imap/imaptest"
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
	// In a test:
	//	mta := smtptest.NewServer(t)
	//	srv := imaptest.NewServer(t)
	//	srv.Capture(mta)
	// and mail the code under test sends to mta.Addr lands in the INBOX
	// of each recipient ("bob@example.org" logs in as bob@example.org).
}
