package pop3_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log"

	"github.com/mailwright/mailwright/pop3"
	"github.com/mailwright/mailwright/pop3/pop3test"
)

// ExampleClient downloads a maildrop and erases it: STLS before the
// password, the list, each message streamed, DELE, and QUIT, which makes
// the deletions permanent. Its client part is the snippet of the package
// doc.
func ExampleClient() {
	// A test server with STLS and a message for bob.
	srv := pop3test.NewUnstartedServer(nil)
	if err := srv.StartTLS(); err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	srv.Deliver("bob", []byte("Subject: Hi\r\n\r\nHello, Bob.\r\n.sig\r\n"))
	addr, tlsConfig := srv.Addr, srv.ClientTLSConfig()
	ctx := context.Background()
	// save prints the message; a mail client would write it to a file.
	save := func(msg io.Reader) error {
		lines := bufio.NewScanner(msg)
		for lines.Scan() {
			fmt.Println(lines.Text())
		}
		return lines.Err()
	}

	c, err := pop3.DialContext(ctx, addr)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	if err := c.StartTLS(ctx, tlsConfig); err != nil { // before the password
		log.Fatal(err)
	}
	if err := c.Login(ctx, "bob", "password"); err != nil {
		log.Fatal(err)
	}
	list, err := c.List(ctx)
	if err != nil {
		log.Fatal(err)
	}
	for _, m := range list {
		msg, err := c.Retrieve(ctx, m.Number) // streamed, dots unstuffed
		if err != nil {
			log.Fatal(err)
		}
		err = save(msg)
		msg.Close()
		if err != nil {
			log.Fatal(err)
		}
		if err := c.Delete(ctx, m.Number); err != nil {
			log.Fatal(err)
		}
	}
	if err := c.Quit(ctx); err != nil { // the deletions happen here
		log.Fatal(err)
	}
	// Output:
	// Subject: Hi
	//
	// Hello, Bob.
	// .sig
}
