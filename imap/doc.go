// Package imap implements the IMAP4rev1 (RFC 3501) and IMAP4rev2 (RFC
// 9051) protocol: a command parser, the wire syntax of responses, and the
// message work a server does for its backend — ENVELOPE and BODYSTRUCTURE,
// BODY[section] slicing, BINARY decoding and SEARCH evaluation — on raw
// messages read through an io.ReaderAt.
//
// The building blocks are free of I/O policy: Parser reads commands from a
// *bufio.Reader and asks the caller, through its Continue callback, before
// it accepts a literal; Writer writes IMAP syntax to a buffered stream;
// Message computes what FETCH and SEARCH need from a raw message.
//
//	p := imap.NewParser(bufio.NewReader(conn))
//	p.Continue = func(l imap.Literal) error { ... send "+ Ready" unless l.NonSync ... }
//	cmd, err := p.ReadCommand()
//
// Server is the IMAP server built on them, in the style of net/http: it
// serves a Backend (users, mailboxes, messages) and does the protocol work
// itself. Wiring it to the default store:
//
//	store, _ := mailbox.NewMaildirStore("/var/mail/mailwright")
//	srv := &imap.Server{Addr: ":143", Backend: mailbox.NewIMAPBackend(store, accounts), TLSConfig: cfg}
//	log.Fatal(srv.ListenAndServe())
//
// A different store implements Backend, User and Mailbox, and checks itself
// with imap/backendtest. Optional interfaces unlock more: StructureCache
// spares message parsing, and a User implementing QResyncUser whose
// mailboxes implement VanishedReporter (they remember expunged UIDs by
// mod-sequence) gets QRESYNC (RFC 7162 section 3.2).
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
// method is LOGIN or "AUTHENTICATE PLAIN".
package imap
