// Package imap is an IMAP4rev1 (RFC 3501) and IMAP4rev2 (RFC 9051) server
// in the style of net/http: a Server serves a Backend (users, mailboxes,
// messages) and does the protocol work itself — ENVELOPE and
// BODYSTRUCTURE, BODY[section] slicing, BINARY decoding, SEARCH, SORT and
// THREAD — on the raw messages the backend hands over.
//
// # Serving a Maildir store
//
// The mailbox package is the default backend. Wired to a Maildir store and
// an accounts file, over implicit TLS, with the errors handled (this is
// Example_maildir):
//
//	store, err := mailbox.NewMaildirStore("/var/mail/mailwright")
//	if err != nil {
//		log.Fatal(err)
//	}
//	defer store.Close()
//	accounts, err := mailbox.OpenAccountsFile("/etc/mailwright/accounts")
//	if err != nil {
//		log.Fatal(err)
//	}
//	accounts.Domains = []string{"example.org"} // alice@example.org logs in as alice
//	srv := &imap.Server{Addr: ":993", Backend: mailbox.NewIMAPBackend(store, accounts)}
//	if err := srv.ListenAndServeTLS("cert.pem", "key.pem"); !errors.Is(err, imap.ErrServerClosed) {
//		log.Fatal(err)
//	}
//
// ListenAndServeTLS returns ErrServerClosed once Shutdown (graceful) or
// Close is called, and any other error at once: a port in use, a missing
// certificate, a nil Backend. Passwords are refused on a connection
// without TLS unless AllowInsecureAuth is set, which suits loopback only
// (ExampleServer). Set TLSConfig to offer STARTTLS on port 143.
//
// # Writing a backend
//
// Another store implements Backend, User and Mailbox, and checks itself
// with imap/backendtest; backendtest.Memory is a complete reference
// backend to read first. A backend reports what the client should see as
// an *Error with a response code (ErrNonexistent, ErrTryCreate,
// ErrAlreadyExists, OVERQUOTA ...; see ExampleError); any other error
// reaches the client as NO [SERVERBUG] with a generic text, and is logged
// to Server.Logger. Optional interfaces unlock more: StructureCache and
// HeaderCache spare message parsing, a User implementing QResyncUser
// whose mailboxes implement VanishedReporter (they remember expunged UIDs
// by mod-sequence) gets QRESYNC (RFC 7162 3.2), and one implementing
// RecentUser whose mailboxes implement RecentMailbox keeps \Recent in its
// store, for every server on it (RFC 3501 2.3.2; otherwise the Server
// keeps it in memory). A Backend implementing
// URLAuthBackend whose Users implement AccessKeyUser (they keep a secret
// key per mailbox) gets URLAUTH (RFC 4467, RFC 5524), and FetchURL lets a
// submission server in the same process read what such URLs name (BURL,
// RFC 4468; see ExampleFetchURL).
//
// # Logging
//
// The server logs to its Logger, slog.Default() when nil: connection
// details at Debug, configuration warnings (no TLS and no
// AllowInsecureAuth: no client can log in) and failed logins at Warn,
// backend errors and recovered panics at Error. A failed login (refused
// credentials, AUTHENTICATIONFAILED or AUTHORIZATIONFAILED) is one line,
// the same in the smtp and pop3 packages, for operators and fail2ban;
// with slog's text handler:
//
//	level=WARN msg="login failed" proto=imap ip=192.0.2.7 user=alice method=LOGIN
//
// method is LOGIN or "AUTHENTICATE PLAIN". A login that the LoginLimiter
// refuses before checking it is logged as "login blocked", with the
// limiter's reason.
package imap
