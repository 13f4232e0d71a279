// Package delivery is mailwright's mail transfer agent: it decides where
// each message goes and takes it there.
//
// Agent is the smtp.Backend of an MX or submission server. It accepts
// mail for the local domains' users (mailbox.Accounts) and aliases
// (Aliases, an /etc/aliases style file), refuses unknown users at RCPT
// (550 5.1.1), relays to other domains only for authenticated clients and
// trusted networks (550 5.7.1 otherwise), adds the Received trace field,
// refuses looping mail, and stores every copy durably before it answers
// 250: local mailboxes through mailbox.Store (or an LMTP server), other
// domains through the queue. On an LMTP server it reports a result per
// recipient.
//
// Remote is the queue.Deliverer that sends queued mail on: MX lookup with
// github.com/miekg/dns (null MX, implicit MX), opportunistic STARTTLS,
// pipelining, connection reuse, SIZE, and per-recipient results that the
// queue turns into retries and RFC 3464 bounces.
//
// A whole MTA in a few lines:
//
//	store, _ := mailbox.NewMaildirStore("/var/mail/mailwright")
//	accounts, _ := mailbox.OpenAccountsFile("/etc/mailwright/accounts", "example.org")
//	aliases, _ := delivery.LoadAliases("/etc/mailwright/aliases")
//	remote := &delivery.Remote{LocalName: "mx.example.org"}
//	agent := &delivery.Agent{
//		Hostname: "mx.example.org",
//		Accounts: accounts, // its domains are the local domains
//		Store:    store,
//		Aliases:  aliases,
//	}
//	q, _ := queue.Open("/var/spool/mailwright", queue.Options{
//		Deliverer: remote,
//		Hostname:  "mx.example.org",
//		SendDSN:   agent.SendDSN, // bounces to local senders go straight to their INBOX
//	})
//	agent.Queue = q // the agent enqueues, the queue sends its DSNs through the agent
//	q.Start()       // deliveries and DSNs begin once both know each other
//	srv := &smtp.Server{Addr: ":25", Domain: "mx.example.org", Backend: agent}
//	log.Fatal(srv.ListenAndServe())
package delivery
