package sieve_test

import (
	"context"
	"fmt"
	"time"

	"github.com/mailwright/mailwright/delivery/sieve"
)

func Example() {
	script, err := sieve.Compile([]byte(`
require ["fileinto", "imap4flags", "vacation", "subaddress"];
if address :detail "to" "lists" {
  fileinto :flags "\\Seen" "Lists";
  stop;
}
vacation :days 7 :subject "Away" "I am back on Monday.";
`), nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	msg := sieve.NewMessage([]byte("From: ann@example.org\r\nTo: user@example.com\r\nSubject: Lunch?\r\n\r\nLunch tomorrow?\r\n"))
	env := sieve.Envelope{From: "ann@example.org", To: "user@example.com"}
	res, err := script.Run(context.Background(), &sieve.Input{Message: msg, Envelope: env})
	if err != nil {
		fmt.Println("keep in INBOX:", err)
		return
	}
	for _, a := range res.Actions {
		switch a := a.(type) {
		case *sieve.FileInto:
			fmt.Println("file into", a.Mailbox, a.Flags)
		case *sieve.Vacation:
			rs := &sieve.Responder{} // with a Tracker: one reply per sender and week
			reply, _ := rs.Respond(context.Background(), a, msg, env, time.Now())
			fmt.Printf("vacation reply to %s, %d days\n", reply.EnvelopeTo, a.Period/(24*time.Hour))
		}
	}
	fmt.Println("implicit keep:", res.ImplicitKeep)
	// Output:
	// vacation reply to ann@example.org, 7 days
	// implicit keep: true
}

func ExampleCompile_error() {
	_, err := sieve.Compile([]byte("require \"fileinto\";\nfileinto :flags \"x\" \"Box\";\n"), nil)
	fmt.Println(err)
	// Output:
	// line 2, column 10: unknown tag :flags for fileinto
}
