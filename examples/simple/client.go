package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"text/tabwriter"
	"time"

	_ "github.com/emersion/go-message/charset" // bodies and names in any charset
	"github.com/emersion/go-message/mail"
	"github.com/mailwright/mailwright/mailbox"
	"github.com/mailwright/mailwright/pop3"
)

// client is the simplest mail client: it downloads a user's mail over
// POP3 into one local mbox file, erases it from the server, lists the
// messages of the file (sender, subject, date, size) and shows the text
// of one of them.
func client(args []string) error {
	flags := flag.NewFlagSet("client", flag.ExitOnError)
	addr := flags.String("pop3", "127.0.0.1:1110", "POP3 server address")
	user := flags.String("user", "bob", "user name")
	password := flags.String("password", "secret", "password")
	file := flags.String("mbox", "inbox.mbox", "local mbox file that keeps the mail")
	show := flags.Int("show", 1, "number of the message whose text is shown (0: none)")
	flags.Parse(args)

	ctx := context.Background()
	local := &mailbox.MboxFile{Path: *file}
	n, err := download(ctx, *addr, *user, *password, local)
	if err != nil {
		return err
	}
	fmt.Printf("%d new messages in %s\n\n", n, *file)
	return list(ctx, local, *show)
}

// download appends every message of the maildrop to local and erases it
// from the server. Append returns once the message is on disk, and QUIT
// comes after the last one, so a failure loses no mail (at worst, some is
// downloaded twice).
func download(ctx context.Context, addr, user, password string, local *mailbox.MboxFile) (int, error) {
	c, err := pop3.DialContext(ctx, addr)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	// Plain text: the simple server listens on loopback only. Elsewhere,
	// call c.StartTLS first.
	if err := c.Login(ctx, user, password); err != nil {
		return 0, err
	}
	msgs, err := c.List(ctx)
	if err != nil {
		return 0, err
	}
	for _, m := range msgs {
		body, err := c.Retrieve(ctx, m.Number)
		if err != nil {
			return 0, err
		}
		err = local.Append(ctx, "", time.Now(), body) // streamed to the file
		body.Close()
		if err != nil {
			return 0, err
		}
		if err := c.Delete(ctx, m.Number); err != nil {
			return 0, err
		}
	}
	return len(msgs), c.Quit(ctx) // the server erases the messages now
}

// list prints a line for each message of the local file, then the text of
// message number show.
func list(ctx context.Context, local *mailbox.MboxFile, show int) error {
	file, err := local.Lock(ctx)
	if err != nil {
		return err
	}
	defer file.Close()
	table := tabwriter.NewWriter(os.Stdout, 0, 8, 2, ' ', 0)
	fmt.Fprintln(table, "#\tFrom\tSubject\tDate\tSize")
	var text string
	msgs := file.Messages()
	for n := 1; ; n++ {
		m, err := msgs.Next()
		if err == io.EOF {
			break
		} else if err != nil {
			return err
		}
		size := &counter{r: m.Body}
		r, err := mail.CreateReader(size)
		if err != nil {
			return err
		}
		var from, date string
		if addrs, err := r.Header.AddressList("From"); err == nil && len(addrs) > 0 {
			from = addrs[0].Name
			if from == "" {
				from = addrs[0].Address
			}
		}
		subject, _ := r.Header.Subject()
		if d, err := r.Header.Date(); err == nil {
			date = d.Format("2006-01-02 15:04")
		}
		if n == show {
			text = firstText(r)
		}
		io.Copy(io.Discard, size) // the rest, to count it
		fmt.Fprintf(table, "%d\t%s\t%s\t%s\t%d\n", n, from, subject, date, size.n)
	}
	table.Flush()
	if show > 0 {
		fmt.Printf("\n--- message %d ---\n%s", show, text)
	}
	return nil
}

// firstText returns the first text/plain part of a message, decoded.
func firstText(r *mail.Reader) string {
	for {
		part, err := r.NextPart()
		if err != nil {
			return "(no text)\n"
		}
		if h, ok := part.Header.(*mail.InlineHeader); ok {
			if t, _, _ := h.ContentType(); t == "text/plain" || t == "" {
				b, _ := io.ReadAll(part.Body)
				return string(b)
			}
		}
	}
}

// counter counts the bytes read through it.
type counter struct {
	r io.Reader
	n int64
}

func (c *counter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
