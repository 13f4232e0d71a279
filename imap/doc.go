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
package imap
