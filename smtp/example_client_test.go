package smtp_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"log"
	"strings"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/mailwright/mailwright/smtp"
)

// SendMail does the whole job for a submission server: STARTTLS when
// offered, AUTH, one message, QUIT.
func ExampleSendMail() {
	auth := sasl.NewPlainClient("", "user@example.org", "password")
	msg := strings.NewReader("From: user@example.org\r\n" +
		"To: friend@example.net\r\n" +
		"Subject: Hello\r\n" +
		"\r\n" +
		"Hi there.\r\n")
	err := smtp.SendMail(context.Background(), "mail.example.org:587", auth, "user@example.org", []string{"friend@example.net"}, msg)
	if err != nil {
		log.Fatal(err)
	}
}

// A relay hands queued mail to a remote MX: it checks the extensions, uses
// TLS, sends several messages over one connection and looks at each
// recipient's outcome. Every call takes a context: here one deadline for
// the whole exchange, at the end of which the call in progress returns.
func ExampleDialContext() {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	c, err := smtp.DialContext(ctx, "mx.example.net:25")
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	c.LocalName = "relay.example.org"
	if ok, _ := c.Extension("STARTTLS"); ok {
		if err := c.StartTLS(ctx, &tls.Config{ServerName: "mx.example.net"}); err != nil {
			log.Fatal(err)
		}
	}
	if max, ok := c.MaxMessageSize(); ok {
		fmt.Println("the server takes messages up to", max, "bytes")
	}

	rcpts := []smtp.Recipient{
		{Address: "alice@example.net", Options: &smtp.RcptOptions{Notify: []smtp.DSNNotify{smtp.DSNNotifyFailure}}},
		{Address: "bob@example.net"},
	}
	body := strings.NewReader("Subject: report\r\n\r\nAll good.\r\n")
	results, err := c.Send(ctx, "reports@example.org", &smtp.MailOptions{Body: smtp.Body8BitMIME}, rcpts, body)
	for _, r := range results {
		switch e, _ := r.Err.(*smtp.Error); {
		case r.Err == nil:
			fmt.Println(r.Address, "delivered:", r.Reply)
		case e != nil && e.Temporary():
			fmt.Println(r.Address, "retry later:", e)
		default:
			fmt.Println(r.Address, "failed:", r.Err)
		}
	}
	if err != nil {
		if _, ok := err.(*smtp.Error); !ok {
			log.Fatal(err) // the connection is gone
		}
	}
	if err := c.Quit(ctx); err != nil {
		log.Fatal(err)
	}
}

// Step by step, with the writer from Data.
func ExampleClient_Data() {
	ctx := context.Background()
	c, err := smtp.DialContext(ctx, "mail.example.org:25")
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	if err := c.Mail(ctx, "sender@example.org", nil); err != nil {
		log.Fatal(err)
	}
	if err := c.Rcpt(ctx, "recipient@example.net", nil); err != nil {
		log.Fatal(err)
	}
	w, err := c.Data(ctx)
	if err != nil {
		log.Fatal(err)
	}
	// Lone LFs become CRLF, leading dots are doubled.
	fmt.Fprintf(w, "Subject: test\n\n.a line with a leading dot\n")
	if err := w.Close(); err != nil {
		log.Fatal(err) // an *smtp.Error if the server refused the message
	}
	if err := c.Quit(ctx); err != nil {
		log.Fatal(err)
	}
}

// NewSCRAMClient logs in without sending the password: over TLS, when the
// server offers SCRAM-SHA-256-PLUS, the login is bound to the TLS
// connection, so that a man in the middle cannot relay it.
func ExampleNewSCRAMClient() {
	ctx := context.Background()
	c, err := smtp.DialContext(ctx, "mail.example.org:587")
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	if err := c.StartTLS(ctx, nil); err != nil {
		log.Fatal(err)
	}
	if !c.SupportsAuth("SCRAM-SHA-256") {
		log.Fatal("the server has no SCRAM-SHA-256")
	}
	// Auth fails if the server does not prove that it knows the
	// credentials, even when it said 235.
	if err := c.Auth(ctx, smtp.NewSCRAMClient("user@example.org", "password")); err != nil {
		log.Fatal(err)
	}
}
