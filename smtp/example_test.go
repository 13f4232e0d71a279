package smtp_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"net/textproto"

	"github.com/mailwright/mailwright/smtp"
)

// printSession prints each message it receives.
type printSession struct{ from string }

func (s *printSession) Mail(ctx context.Context, from string, opts *smtp.MailOptions) error {
	s.from = from
	return nil
}

func (s *printSession) Rcpt(ctx context.Context, to string, opts *smtp.RcptOptions) error {
	if to == "nobody@example.org" {
		return &smtp.Error{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such user"}
	}
	return nil
}

func (s *printSession) Data(ctx context.Context, r io.Reader) error {
	body, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	fmt.Printf("message from %s: %q\n", s.from, body)
	return nil
}

func (s *printSession) Reset(ctx context.Context)        {}
func (s *printSession) Logout(ctx context.Context) error { return nil }

func ExampleServer() {
	s := &smtp.Server{
		Domain: "mx.example.org",
		Backend: smtp.BackendFunc(func(ctx context.Context, c *smtp.Conn) (smtp.Session, error) {
			return &printSession{}, nil
		}),
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	go s.Serve(l)
	defer s.Close()

	// A client session, spoken by hand.
	c, err := textproto.Dial("tcp", l.Addr().String())
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	c.ReadResponse(220)
	for _, cmd := range []string{"HELO client.example", "MAIL FROM:<alice@example.org>", "RCPT TO:<nobody@example.org>", "RCPT TO:<bob@example.org>"} {
		c.PrintfLine("%s", cmd)
		code, msg, _ := c.ReadResponse(0)
		fmt.Println(code, msg)
	}
	c.PrintfLine("DATA")
	c.ReadResponse(354)
	c.PrintfLine("Subject: hi\r\n\r\nHello.\r\n.")
	code, msg, _ := c.ReadResponse(250)
	fmt.Println(code, msg)
	// Output:
	// 250 mx.example.org Hello client.example
	// 250 2.1.0 Sender OK
	// 550 5.1.1 No such user
	// 250 2.1.5 Recipient OK
	// message from alice@example.org: "Subject: hi\r\n\r\nHello.\r\n"
	// 250 2.0.0 Message accepted
}
