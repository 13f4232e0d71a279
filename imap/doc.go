// Package imap is an IMAP4rev1 (RFC 3501) and IMAP4rev2 (RFC 9051) server,
// in the style of net/http: Server serves a Backend (users, mailboxes,
// messages) and does the protocol work itself — ENVELOPE and
// BODYSTRUCTURE, BODY[section] slicing, BINARY decoding, SEARCH, SORT and
// THREAD — on raw messages the backend hands over as an io.ReaderAt.
//
// Wiring it to the default store:
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
