// Package mailbox is mailwright's default mail store: where mail lives.
// Local delivery appends to it; the POP3 and IMAP servers read it.
//
// A Store holds, per user, an INBOX and folders. NewMaildirStore keeps them
// on disk as one Maildir++ tree per user, readable by mutt, Dovecot and
// mbsync (INBOX at the root of the user's Maildir, the folder "Lists/Go"
// in the directory ".Lists.Go", names in modified UTF-7 on disk).
// NewMemoryStore has the same behaviour in memory, for tests.
//
// What IMAP needs is there from the start: per folder a persistent
// UIDVALIDITY and strictly increasing UIDs, flags in the Maildir file names
// and keywords in Dovecot's dovecot-keywords letters, MODSEQ per message
// and HIGHESTMODSEQ per folder (RFC 7162), a bounded log of expunged UIDs
// by MODSEQ for QRESYNC (Folder.ExpungedSince), subscriptions, special-use
// folders (RFC 6154), and change notifications between sessions (Notifier).
// Mail that another program drops into new/ or cur/ is picked up and given
// UIDs.
//
// Append returns only when the message and its directory entry are on
// disk (tmp/, fsync, rename, directory fsync). Concurrent appends share
// their syncs (group commit), so many SMTP sessions delivering at once cost
// few fsyncs. A per-folder index lets a folder of 100,000 messages open
// without reading or stat'ing its files; it is a cache, rebuilt from the
// directories and the UID list when missing or stale.
//
// Wiring a POP3 server:
//
//	store, err := mailbox.NewMaildirStore("/var/mail/mailwright")
//	if err != nil { ... }
//	defer store.Close()
//	srv := &pop3.Server{Addr: ":110", Backend: mailbox.NewPOP3Backend(store, accounts)}
//
// and local delivery:
//
//	res, err := store.Append(ctx, "alice", mailbox.Inbox, body, nil)
//
// An IMAP session opens a Folder (SELECT), lists its Messages, reads them
// with Open, changes them with SetFlags, Copy, Move and Expunge, and calls
// Poll on NOOP or when Updates fires during IDLE.
package mailbox
