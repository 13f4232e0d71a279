package mailbox_test

import (
	"context"
	"crypto/tls"
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

// ExampleSASL shows what the servers offer besides PLAIN and LOGIN:
// SCRAM-SHA-256 from accounts that keep SCRAM credentials, -PLUS only
// over TLS, and OAUTHBEARER once the application checks tokens.
func ExampleSASL() {
	accounts := mailbox.NewMemoryAccounts()
	accounts.Add("alice", "correct horse")
	backend := mailbox.NewIMAPBackend(mailbox.NewMemoryStore(), accounts)
	backend.TokenVerifier = mailbox.TokenVerifierFunc(func(ctx context.Context, req mailbox.TokenRequest) (string, error) {
		// Ask the authorization server here (token introspection, RFC
		// 7662), or check a JWT access token's signature and claims.
		if req.Token == "a token the authorization server vouches for" {
			return "alice", nil
		}
		return "", mailbox.ErrInvalidToken
	})

	withTokens := mailbox.SASL{Auth: accounts, TokenVerifier: backend.TokenVerifier}
	fmt.Println(withTokens.Mechanisms(nil))                    // no TLS
	fmt.Println(withTokens.Mechanisms(&tls.ConnectionState{})) // TLS
	// Output:
	// [SCRAM-SHA-256 OAUTHBEARER]
	// [SCRAM-SHA-256-PLUS SCRAM-SHA-256 OAUTHBEARER]
}
