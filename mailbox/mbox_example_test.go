package mailbox_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/mailwright/mailwright/mailbox"
)

// ExampleMboxFile keeps one account's mail in one mbox file: delivery
// appends to it, and a POP3 "download and delete" drains it.
func ExampleMboxFile() {
	dir, err := os.MkdirTemp("", "mbox-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()
	inbox := &mailbox.MboxFile{Path: filepath.Join(dir, "alice.mbox")}

	// Delivery: the message is on disk when Append returns.
	date := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	for _, msg := range []string{
		"Subject: hello\r\n\r\nFrom the start, a line that needs quoting.\r\n",
		"Subject: again\r\n\r\nSecond message.\r\n",
	} {
		if err := inbox.Append(ctx, "bob@example.org", date, strings.NewReader(msg)); err != nil {
			log.Fatal(err) // e.g. SMTP 451: the sender will retry
		}
	}

	// Download and delete: the file is emptied only if every message was
	// handled.
	err = inbox.Drain(ctx, func(m *mailbox.MboxMessage) error {
		body, err := io.ReadAll(m.Body)
		fmt.Printf("from %s at %s:\n%s", m.From, m.Date.Format(time.RFC3339), body)
		return err
	})
	if err != nil {
		log.Fatal(err)
	}
	info, _ := os.Stat(inbox.Path)
	fmt.Println("bytes left:", info.Size())
	// Output:
	// from bob@example.org at 2024-05-06T07:08:09Z:
	// Subject: hello
	//
	// From the start, a line that needs quoting.
	// from bob@example.org at 2024-05-06T07:08:09Z:
	// Subject: again
	//
	// Second message.
	// bytes left: 0
}

// ExampleMboxReader reads an mbox file one message at a time, streaming.
func ExampleMboxReader() {
	file := "From alice@example.org Mon May  6 07:08:09 2024\n" +
		"Subject: one\n\n>From quoted\n\n" +
		"From bob@example.org Mon May  6 08:00:00 2024\n" +
		"Subject: two\n\nbody\n\n"
	r := mailbox.NewMboxReader(strings.NewReader(file))
	r.CRLF = true // as POP3 and IMAP send messages
	for {
		m, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			log.Fatal(err)
		}
		body, err := io.ReadAll(m.Body)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%s at offset %d: %q\n", m.From, m.Offset, body)
	}
	// Output:
	// alice@example.org at offset 0: "Subject: one\r\n\r\nFrom quoted\r\n"
	// bob@example.org at offset 76: "Subject: two\r\n\r\nbody\r\n"
}

// ExampleAppendMbox exports a message in mboxrd format.
func ExampleAppendMbox() {
	msg := strings.NewReader("Subject: hi\r\n\r\nFrom here\r\n>From there\r\n")
	date := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	if err := mailbox.AppendMbox(os.Stdout, "", date, msg); err != nil {
		log.Fatal(err)
	}
	// Output:
	// From MAILER-DAEMON Mon May  6 07:08:09 2024
	// Subject: hi
	//
	// >From here
	// >>From there
}
