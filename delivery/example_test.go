package delivery_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"strings"

	"github.com/mailwright/mailwright/delivery"
	"github.com/mailwright/mailwright/mailbox"
	"github.com/mailwright/mailwright/queue"
	"github.com/mailwright/mailwright/smtp"
	"github.com/mailwright/mailwright/smtp/smtptest"
)

// An Agent behind an SMTP server delivers mail for its users into their
// INBOX, with the trace fields of final delivery on top.
func ExampleAgent() {
	accounts := mailbox.NewMemoryAccounts("example.org") // alice is alice@example.org
	accounts.Add("alice", "secret")
	store := mailbox.NewMemoryStore() // mailbox.NewMaildirStore(dir) on disk
	defer store.Close()

	srv := &smtp.Server{
		Domain: "mx.example.org",
		Backend: &delivery.Agent{
			Hostname: "mx.example.org",
			Accounts: accounts, // its domains are the local domains
			Store:    store,
		},
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	go srv.Serve(l)
	defer srv.Close()

	err = smtp.SendMail(context.Background(), l.Addr().String(), nil, "bob@example.net", []string{"alice@example.org"},
		strings.NewReader("Subject: Hello\r\n\r\nHi Alice.\r\n"))
	fmt.Println("sent:", err)
	err = smtp.SendMail(context.Background(), l.Addr().String(), nil, "bob@example.net", []string{"mallory@example.org"},
		strings.NewReader("Subject: Hello\r\n\r\nHi?\r\n"))
	fmt.Println("unknown user:", err)

	ctx := context.Background()
	inbox, _ := store.OpenFolder(ctx, "alice", mailbox.Inbox)
	defer inbox.Close()
	for _, m := range inbox.Messages() {
		r, _ := inbox.Open(ctx, m.UID)
		b, _ := io.ReadAll(r)
		r.Close()
		for _, line := range strings.Split(string(b), "\r\n") {
			if name, _, ok := strings.Cut(line, ":"); ok && !strings.HasPrefix(line, "\t") {
				fmt.Println(name)
			}
		}
	}
	// Output:
	// sent: <nil>
	// unknown user: 550 5.1.1 No such user here
	// Return-Path
	// Received
	// Subject
}

// With a queue, an Agent takes mail for other domains too: the queue
// stores it and hands it to its Deliverer (a Remote in production), and
// sends its bounces back through the Agent. Open loads the queue; Start
// begins delivery once the Agent has the queue.
func ExampleAgent_queue() {
	accounts := mailbox.NewMemoryAccounts()
	accounts.Domains = []string{"example.org"}
	accounts.Add("alice", "secret")
	store := mailbox.NewMemoryStore()
	defer store.Close()
	agent := &delivery.Agent{
		Hostname:      "mx.example.org",
		Domains:       []string{"example.org"},
		Accounts:      accounts,
		Store:         store,
		RelayNetworks: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}, // else only after AUTH
	}
	dir, err := os.MkdirTemp("", "queue")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	delivered := make(chan string, 1)
	q, err := queue.Open(dir, queue.Options{
		// &delivery.Remote{LocalName: "mx.example.org"} sends to the
		// domain's MX; this one only says what it was given.
		Deliverer: queue.DelivererFunc(func(ctx context.Context, d *queue.Delivery) []queue.Result {
			delivered <- d.Recipients[0].Address
			return []queue.Result{queue.Delivered(250, "2.0.0", "OK", "mx."+d.Domain)}
		}),
		SendDSN:  agent.SendDSN, // bounces to alice go straight to her INBOX
		Hostname: "mx.example.org",
		Logger:   slog.New(slog.DiscardHandler),
	})
	if err != nil {
		log.Fatal(err)
	}
	defer q.Close()
	agent.Queue = q
	if err := q.Start(); err != nil {
		log.Fatal(err)
	}

	srv := &smtp.Server{Domain: "mx.example.org", Backend: agent}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	go srv.Serve(l)
	defer srv.Close()
	err = smtp.SendMail(context.Background(), l.Addr().String(), nil, "alice@example.org", []string{"bob@example.net"},
		strings.NewReader("Subject: Hi\r\n\r\nHello, Bob.\r\n"))
	if err != nil {
		log.Fatal(err) // not queued: there would be nothing to wait for
	}
	fmt.Println("delivered to", <-delivered)
	// Output: delivered to bob@example.net
}

// Remote delivers a queued message: here to an address literal, which
// needs no DNS; a domain name is looked up in DNS (MX, then A/AAAA).
func ExampleRemote() {
	mx := smtptest.NewUnstartedServer(nil) // stands in for a remote MX
	if err := mx.Start(); err != nil {
		log.Fatal(err)
	}
	defer mx.Close()
	_, port, _ := net.SplitHostPort(mx.Addr)

	remote := &delivery.Remote{LocalName: "mx.example.org", Logger: slog.New(slog.DiscardHandler)}
	fmt.Sscan(port, &remote.Port) // 25 by default
	defer remote.Close()

	msg := "Subject: Hi\r\n\r\nHello.\r\n"
	d := queue.NewDelivery("id1", "alice@example.org", "[127.0.0.1]",
		[]queue.Recipient{{Address: "bob@[127.0.0.1]"}}, int64(len(msg)),
		func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(msg)), nil })
	for _, r := range remote.Deliver(context.Background(), d) {
		fmt.Println(r.Status, r.Code, r.EnhancedCode)
	}
	fmt.Println(len(mx.Messages()), "message at the MX")
	// Output:
	// delivered 250 2.0.0
	// 1 message at the MX
}

// An aliases file in the format of /etc/aliases.
func ExampleParseAliases() {
	aliases, err := delivery.ParseAliases(strings.NewReader(`
# Mail for postmaster goes to alice.
postmaster: alice
team:       alice, bob,
            carol@partner.example
`))
	if err != nil {
		log.Fatal(err)
	}
	team, _ := aliases.Lookup("Team")
	fmt.Println(team)
	// Output: [alice bob carol@partner.example]
}
