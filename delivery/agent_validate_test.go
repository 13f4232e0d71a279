package delivery

import (
	"bufio"
	"context"
	"net"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mailwright/mailwright/mailbox"
	"github.com/mailwright/mailwright/smtp"
)

// opaqueAccounts hides the LocalDomains method of the accounts it wraps,
// as an Accounts implementation of a user's own may not have one.
type opaqueAccounts struct{ mailbox.Accounts }

func TestValidate(t *testing.T) {
	noDomains, err := mailbox.OpenAccountsFile(filepath.Join(t.TempDir(), "accounts"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		agent func(a *Agent)
		want  string // in the error; "" for none
	}{
		{"valid", func(a *Agent) {}, ""},
		{"domains from the accounts", func(a *Agent) { a.Domains = nil }, ""},
		{"domains spelt otherwise", func(a *Agent) { a.Domains = []string{"EXAMPLE.org."} }, ""},
		{"accounts that do not tell their domains", func(a *Agent) { a.Accounts = opaqueAccounts{a.Accounts} }, ""},
		{"Local instead of Store", func(a *Agent) { a.Store, a.Local = nil, &LMTP{} }, ""},
		{"no accounts", func(a *Agent) { a.Accounts = nil }, "Accounts is nil"},
		{"no store", func(a *Agent) { a.Store = nil }, "neither Store nor Local"},
		// The README's old wiring: the accounts file opened without its
		// domains, the domain given to the Agent only.
		{"domain unknown to the accounts", func(a *Agent) { a.Accounts = noDomains }, "domain example.org is not among the domains of Accounts"},
		{"invalid relay network", func(a *Agent) { a.RelayNetworks = []netip.Prefix{{}} }, "invalid prefix"},
		{"Sieve with Store", func(a *Agent) { a.Sieve = &SieveFilter{} }, ""},
		{"Sieve without Store", func(a *Agent) { a.Store, a.Local, a.Sieve = nil, &LMTP{}, &SieveFilter{} }, "Sieve is set but Store is not"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := testAgent(t)
			tc.agent(a)
			err := a.Validate()
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("Validate: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("Validate: %v, want an error saying %q", err, tc.want)
			}
		})
	}
}

// TestInvalidAgentRefusedAtStart: an Agent without Accounts (it panicked
// at RCPT) or without Store (it accepted RCPT and failed after DATA) keeps
// the SMTP server from starting, and the listener is closed; a session
// asked of it anyway is refused with an error instead of a panic.
func TestInvalidAgentRefusedAtStart(t *testing.T) {
	for name, tc := range map[string]struct {
		breakAgent func(*Agent)
		want       string
	}{
		"no accounts": {func(a *Agent) { a.Accounts = nil }, "Accounts is nil"},
		"no store":    {func(a *Agent) { a.Store = nil }, "neither Store nor Local"},
	} {
		t.Run(name, func(t *testing.T) {
			a := testAgent(t)
			tc.breakAgent(a)
			l, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			srv := &smtp.Server{Domain: "mx.example.org", Backend: a, Logger: discardLogger()}
			if err := srv.Serve(l); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Serve: %v, want a refusal saying %q", err, tc.want)
			}
			if c, err := net.Dial("tcp", l.Addr().String()); err == nil {
				c.Close()
				t.Fatal("the listener of a server that refused to start still accepts connections")
			}
			if _, err := a.NewSession(context.Background(), nil); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("NewSession: %v, want an error saying %q", err, tc.want)
			}
		})
	}
}

// TestAgentDomainsFromAccounts: with the domains given once, to the
// accounts, mail to alice@example.org is delivered and alice logs in as
// alice@example.org; other domains are not local.
func TestAgentDomainsFromAccounts(t *testing.T) {
	accounts := mailbox.NewMemoryAccounts("example.org")
	if err := accounts.Add("alice", testPassword); err != nil {
		t.Fatal(err)
	}
	store := mailbox.NewMemoryStore()
	t.Cleanup(func() { store.Close() })
	a := &Agent{Hostname: "mx.example.org", Accounts: accounts, Store: store, Logger: discardLogger()}
	if err := a.Validate(); err != nil {
		t.Fatal(err)
	}
	conn := dial(t, serve(t, a))
	transcript(t, conn, bufio.NewReader(conn), ehlo+`
		C: MAIL FROM:<bob@example.net>
		S: 250 2.1.0 Sender OK
		C: RCPT TO:<alice@example.net>
		S: 550 5.7.1 Relaying denied
		C: RCPT TO:<Alice@Example.org>
		S: 250 2.1.5 Recipient OK
		C: DATA
		S: 354 *
		C: Subject: hi
		C:
		C: Hello.
		C: .
		S: 250 2.0.0 *
		C: QUIT
		S: 221 2.0.0 Bye
	`)
	if msgs := inbox(t, store, "alice"); len(msgs) != 1 {
		t.Fatalf("alice's INBOX holds %d messages, want 1", len(msgs))
	}
	if user, err := accounts.Authenticate(context.Background(), "alice@example.org", testPassword); err != nil || user != "alice" {
		t.Fatalf("login as alice@example.org: %q, %v", user, err)
	}
}
