package mailbox_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"golang.org/x/crypto/bcrypt"

	"github.com/mailwright/mailwright/mailbox"
)

// ExampleAccountsFile keeps the accounts of a server in a text file of
// name:bcrypt-hash lines.
func ExampleAccountsFile() {
	dir, err := os.MkdirTemp("", "accounts-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	accounts, err := mailbox.OpenAccountsFile(filepath.Join(dir, "accounts"))
	if err != nil {
		log.Fatal(err)
	}
	accounts.Domains = []string{"example.org"} // alice@example.org is alice
	accounts.Cost = bcrypt.MinCost             // keep the example fast; leave 0 in a server
	if err := accounts.Add("alice", "correct horse"); err != nil {
		log.Fatal(err)
	}

	ctx := context.Background()
	user, err := accounts.Authenticate(ctx, "Alice@Example.org", "correct horse")
	fmt.Println(user, err)
	_, err = accounts.Authenticate(ctx, "alice", "battery staple")
	fmt.Println(err)
	_, err = accounts.Authenticate(ctx, "mallory", "battery staple")
	fmt.Println(err)
	user, ok, _ := accounts.Lookup(ctx, "ALICE@example.org")
	fmt.Println(user, ok)
	// Output:
	// alice <nil>
	// mailbox: authentication failed
	// mailbox: authentication failed
	// alice true
}

// ExampleMemoryAccounts gives a test server its users.
func ExampleMemoryAccounts() {
	accounts := mailbox.NewMemoryAccounts()
	accounts.Add("bob@example.net", "s3cret")

	user, err := accounts.Authenticate(context.Background(), "BOB@example.net", "s3cret")
	fmt.Println(user, err)
	// Output: bob@example.net <nil>
}
