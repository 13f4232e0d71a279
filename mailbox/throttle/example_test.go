package throttle_test

import (
	"github.com/mailwright/mailwright/delivery"
	"github.com/mailwright/mailwright/imap"
	"github.com/mailwright/mailwright/mailbox"
	"github.com/mailwright/mailwright/mailbox/throttle"
	"github.com/mailwright/mailwright/pop3"
	"github.com/mailwright/mailwright/smtp"
)

// One Logins guards the logins of all three servers: failures on one
// protocol count on the others, and a blocked client is refused on all.
func ExampleLogins() {
	store := mailbox.NewMemoryStore()
	accounts := mailbox.NewMemoryAccounts("example.org")
	agent := &delivery.Agent{Accounts: accounts, Store: store}

	logins := &throttle.Logins{MaxFailures: 10} // zero fields: the defaults
	submission := &smtp.Server{Addr: ":587", Backend: agent, LoginLimiter: logins}
	imapServer := &imap.Server{Addr: ":143", Backend: mailbox.NewIMAPBackend(store, accounts), LoginLimiter: logins}
	pop3Server := &pop3.Server{Addr: ":110", Backend: mailbox.NewPOP3Backend(store, accounts), LoginLimiter: logins}
	_, _, _ = submission, imapServer, pop3Server // then ListenAndServe each
}
