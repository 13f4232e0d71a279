package delivery_test

import (
	"context"
	"fmt"
	"log"
	"net"
	"strings"

	"github.com/mailwright/mailwright/delivery"
	"github.com/mailwright/mailwright/mailbox"
	"github.com/mailwright/mailwright/smtp"
)

// With Sieve, each user's active script (uploaded over ManageSieve, see
// delivery/managesieve) decides where a message goes. Alice files mail
// sent to her sub-address alice+lists into a folder; the catch-all of
// example.net reaches her too.
func ExampleSieveFilter() {
	accounts := mailbox.NewMemoryAccounts("example.org", "example.net")
	accounts.Add("alice", "secret")
	store := mailbox.NewMemoryStore()
	defer store.Close()
	ctx := context.Background()
	store.PutSieveScript(ctx, "alice", "main", []byte(`require ["fileinto", "mailbox", "envelope", "subaddress"];
if envelope :detail "to" "lists" { fileinto :create "Lists"; }`))
	store.ActivateSieveScript(ctx, "alice", "main")
	aliases, _ := delivery.ParseAliases(strings.NewReader("@example.net: alice\n"))

	srv := &smtp.Server{Domain: "mx.example.org", Backend: &delivery.Agent{
		Hostname: "mx.example.org",
		Accounts: accounts,
		Store:    store,
		Aliases:  aliases,
		Sieve:    &delivery.SieveFilter{},
	}}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	go srv.Serve(l)
	defer srv.Close()
	for _, rcpt := range []string{"alice+lists@example.org", "anyone@example.net", "anyone@example.org"} {
		err := smtp.SendMail(ctx, l.Addr().String(), nil, "bob@elsewhere.test", []string{rcpt},
			strings.NewReader("Subject: Hello\r\n\r\nHi.\r\n"))
		fmt.Println(rcpt+":", err)
	}
	for _, folder := range []string{mailbox.Inbox, "Lists"} {
		st, _ := store.Status(ctx, "alice", folder)
		fmt.Println(folder, st.Messages)
	}
	// Output:
	// alice+lists@example.org: <nil>
	// anyone@example.net: <nil>
	// anyone@example.org: 550 5.1.1 No such user here
	// INBOX 1
	// Lists 1
}
