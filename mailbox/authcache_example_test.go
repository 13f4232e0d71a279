package mailbox_test

import (
	"context"
	"fmt"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/mailwright/mailwright/mailbox"
)

// ExampleAuthCache sets the cache of successful logins. The first login
// pays the bcrypt comparison, the next ones within the TTL do not; a new
// password takes effect at once all the same.
func ExampleAuthCache() {
	accounts := mailbox.NewMemoryAccounts()
	accounts.Cost = bcrypt.MinCost            // keep the example fast; leave 0 in a server
	accounts.AuthCache.TTL = 10 * time.Minute // 0: an hour; negative: no cache
	accounts.AuthCache.Size = 1000            // 0: 10,000 logins; negative: no cache
	accounts.Add("alice", "correct horse")

	ctx := context.Background()
	for range 3 {
		user, err := accounts.Authenticate(ctx, "alice", "correct horse") // compared once
		fmt.Println(user, err)
	}
	accounts.SetPassword("alice", "battery staple")
	_, err := accounts.Authenticate(ctx, "alice", "correct horse")
	fmt.Println(err)
	// Output:
	// alice <nil>
	// alice <nil>
	// alice <nil>
	// mailbox: authentication failed
}
