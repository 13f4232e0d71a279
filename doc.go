// Package mailwright is an embeddable Go library for building mail
// servers. This package holds no code: it maps the packages and shows
// (Example) a whole server for one domain, the program of the README's
// "A server in a few lines".
//
// Protocol servers, each shaped like net/http.Server (exported fields
// with safe defaults, ListenAndServe, ListenAndServeTLS, Serve,
// Shutdown, Close) with a small Backend interface of its own:
//
//   - smtp: ESMTP and LMTP server, and an SMTP client
//   - pop3: POP3 server, and a POP3 client
//   - imap: IMAP4rev1 and IMAP4rev2 server
//
// The mail system behind them:
//
//   - mailbox: the Maildir store (and an in-memory one) that serves
//     IMAP and POP3 (NewIMAPBackend, NewPOP3Backend), accounts with bcrypt
//     passwords (AccountsFile), mbox files
//   - delivery: the mail transfer agent, an smtp.Backend (Agent) that
//     delivers local mail into the store and hands the rest to the queue,
//     and remote delivery by MX lookup (Remote)
//   - queue: the durable outbound queue, with retries and bounces
//   - mailbox/throttle: login throttling shared by the SMTP, IMAP and
//     POP3 servers, sending limits for the Agent, the queue's pace per
//     destination domain
//   - delivery/dnsbl: DNS blocklist checks for the Agent of the MX port
//
// For tests, servers on a loopback port in the style of
// net/http/httptest, and conformance suites for backends of your own:
//
//   - smtp/smtptest, imap/imaptest, pop3/pop3test
//   - imap/backendtest, pop3/backendtest
//
// Programs: examples/mailserver (the complete system, with user and queue
// commands), examples/simple (the simplest server, and a POP3 client that
// downloads into an mbox file), examples/mailcatcher, examples/smtpsink.
package mailwright
