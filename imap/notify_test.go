package imap_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/mailwright/mailwright/imap"
)

// TestNotifyStatus: RFC 5465 3.1 and 5.1 to 5.3, another session's
// changes to watched mailboxes reach a client that sends no command, as
// STATUS; NOTIFY SET STATUS starts with the counters; the client's own
// APPEND and mailboxes not watched are not told.
func TestNotifyStatus(t *testing.T) {
	ts := startServer(t, nil)
	c2 := ts.login(t)
	c2.run(`
C: b1 CREATE Lists/a
S: b1 OK CREATE completed
C: b2 CREATE misc
S: b2 OK CREATE completed`)
	c1 := ts.login(t)
	c1.run(`
C: a1 NOTIFY SET STATUS (mailboxes misc (MessageNew MessageExpunge)) (subtree Lists (MessageNew MessageExpunge FlagChange))
S: * STATUS Lists (MESSAGES 0 UIDNEXT 1 UIDVALIDITY {*} HIGHESTMODSEQ {*})
S: * STATUS Lists/a (MESSAGES 0 UIDNEXT 1 UIDVALIDITY {*} HIGHESTMODSEQ {*})
S: * STATUS misc (MESSAGES 0 UIDNEXT 1 UIDVALIDITY {*})
S: a1 OK NOTIFY completed`)
	ts.deliver(t, "alice", "misc", msg1)
	c1.run(`S: * STATUS misc (MESSAGES 1 UIDNEXT 2)`)
	ts.deliver(t, "alice", "Lists/a", msg1)
	c1.run(`S: * STATUS Lists/a (MESSAGES 1 UIDNEXT 2)`)
	c2.run(`
C: b3 SELECT Lists/a
S: * {*}
S: * {*}
S: * {*}
S: * {*}
S: * {*}
S: * {*}
S: * {*}
S: b3 OK [READ-WRITE] SELECT completed
C: b4 STORE 1 +FLAGS.SILENT (\Seen)
S: b4 OK STORE completed`)
	c1.run(`S: * STATUS Lists/a (UNSEEN 0)`)
	// With CONDSTORE on, HIGHESTMODSEQ and UIDVALIDITY too (RFC 5465 5.1).
	c1.run(`
C: a2 ENABLE CONDSTORE
S: * ENABLED CONDSTORE
S: a2 OK ENABLE completed`)
	c2.run(`
C: b5 STORE 1 +FLAGS (\Deleted)
S: * 1 FETCH (FLAGS (\Seen \Deleted \Recent))
S: b5 OK STORE completed`)
	c1.run(`S: * STATUS Lists/a (UNSEEN 0 UIDVALIDITY {*} HIGHESTMODSEQ {*})`)
	c2.run(`
C: b6 EXPUNGE
S: * 1 EXPUNGE
S: b6 OK EXPUNGE completed`)
	c1.run(`S: * STATUS Lists/a (MESSAGES 0 UIDNEXT 2)`)
	// INBOX is not watched; the client's own APPEND is not told.
	ts.deliver(t, "alice", "INBOX", msg1)
	c1.run(`
C: a3 APPEND misc {` + fmt.Sprint(len(msg1)) + `}
S: + Ready for literal data`)
	c1.sendRaw(msg1 + "\r\n")
	c1.run(`
S: a3 OK [APPENDUID {*}] APPEND completed
C: a4 NOOP
S: a4 OK NOOP completed`)
	// A new NOTIFY SET replaces the old one; without STATUS, no STATUS.
	c1.run(`
C: a5 NOTIFY SET (mailboxes INBOX (MessageNew MessageExpunge))
S: a5 OK NOTIFY completed`)
	ts.deliver(t, "alice", "misc", msg1)
	ts.deliver(t, "alice", "INBOX", msg1)
	c1.run(`
S: * STATUS INBOX (MESSAGES 2 UIDNEXT 3 HIGHESTMODSEQ {*})
C: a6 NOTIFY NONE
S: a6 OK NOTIFY completed`)
	ts.deliver(t, "alice", "INBOX", msg1)
	c1.run(`
C: a7 NOOP
S: a7 OK NOOP completed`)
}

// TestNotifyMailboxName: RFC 5465 5.4 and 5.5, names created, renamed
// and deleted and subscriptions changed by another session are told with
// LIST: \NonExistent when gone, OLDNAME after a rename, the parent of a
// created or deleted mailbox too; the client's own CREATE is not.
func TestNotifyMailboxName(t *testing.T) {
	ts := startServer(t, nil)
	c1 := ts.login(t)
	c2 := ts.login(t)
	c1.run(`
C: a1 NOTIFY SET (personal (MailboxName SubscriptionChange))
S: a1 OK NOTIFY completed`)
	c2.run(`
C: b1 CREATE foo
S: b1 OK CREATE completed`)
	c1.run(`S: * LIST (\HasNoChildren) "/" foo`)
	c2.run(`
C: b2 CREATE foo/bar
S: b2 OK CREATE completed`)
	c1.run(`
S: * LIST (\HasNoChildren) "/" foo/bar
S: * LIST (\HasChildren) "/" foo`)
	c2.run(`
C: b3 RENAME foo/bar foo/baz
S: b3 OK RENAME completed`)
	c1.run(`S: * LIST (\HasNoChildren) "/" foo/baz ("OLDNAME" (foo/bar))`)
	c2.run(`
C: b4 SUBSCRIBE foo
S: b4 OK SUBSCRIBE completed`)
	c1.run(`S: * LIST (\HasChildren \Subscribed) "/" foo`)
	c2.run(`
C: b5 DELETE foo/baz
S: b5 OK DELETE completed`)
	c1.run(`
S: * LIST (\NonExistent) "/" foo/baz
S: * LIST (\HasNoChildren \Subscribed) "/" foo`)
	c2.run(`
C: b6 UNSUBSCRIBE foo
S: b6 OK UNSUBSCRIBE completed`)
	c1.run(`
S: * LIST (\HasNoChildren) "/" foo
C: a2 CREATE mine
S: a2 OK CREATE completed
C: a3 NOOP
S: a3 OK NOOP completed`)
}

// TestNotifySubscribedFilter: RFC 5465 6.4, "subscribed" follows the
// subscriptions as they change.
func TestNotifySubscribedFilter(t *testing.T) {
	ts := startServer(t, nil)
	c1 := ts.login(t)
	c2 := ts.login(t)
	c2.run(`
C: b1 CREATE a
S: b1 OK CREATE completed
C: b2 CREATE b
S: b2 OK CREATE completed
C: b3 SUBSCRIBE a
S: b3 OK SUBSCRIBE completed`)
	c1.run(`
C: a1 NOTIFY SET STATUS (subscribed (MessageNew MessageExpunge SubscriptionChange))
S: * STATUS INBOX (MESSAGES 0 UIDNEXT 1 UIDVALIDITY {*})
S: * STATUS Sent (MESSAGES 0 UIDNEXT 1 UIDVALIDITY {*})
S: * STATUS Trash (MESSAGES 0 UIDNEXT 1 UIDVALIDITY {*})
S: * STATUS a (MESSAGES 0 UIDNEXT 1 UIDVALIDITY {*})
S: a1 OK NOTIFY completed`)
	ts.deliver(t, "alice", "b", msg1)
	ts.deliver(t, "alice", "a", msg1)
	c1.run(`S: * STATUS a (MESSAGES 1 UIDNEXT 2)`)
	c2.run(`
C: b4 SUBSCRIBE b
S: b4 OK SUBSCRIBE completed`)
	c1.run(`S: * LIST (\HasNoChildren \Subscribed) "/" b`)
	ts.deliver(t, "alice", "b", msg1)
	c1.run(`S: * STATUS b (MESSAGES 2 UIDNEXT 3)`)
	c2.run(`
C: b5 UNSUBSCRIBE a
S: b5 OK UNSUBSCRIBE completed`)
	c1.run(`S: * LIST (\HasNoChildren) "/" a`)
	ts.deliver(t, "alice", "a", msg1)
	c1.run(`
C: a2 NOOP
S: a2 OK NOOP completed`)
}

// TestNotifySelected: RFC 5465 6.1, SELECTED tells new messages (with the
// FETCH asked for), flag changes and expunges of the selected mailbox as
// they happen; SELECTED-DELAYED keeps expunges for a command; without
// SELECTED nothing is told between commands, while commands still end
// with the usual updates; with QRESYNC expunges are VANISHED.
func TestNotifySelected(t *testing.T) {
	ts := startServer(t, nil)
	ts.deliver(t, "alice", "INBOX", msg1)
	c1 := ts.selectInbox(t)
	c2 := ts.selectInbox(t)
	c1.run(`
C: a1 ENABLE IMAP4rev2
S: * ENABLED IMAP4rev2
S: a1 OK ENABLE completed
C: a2 NOTIFY SET (selected (MessageNew (UID RFC822.SIZE) MessageExpunge FlagChange))
S: a2 OK NOTIFY completed`)
	ts.deliver(t, "alice", "INBOX", msg2)
	c1.run(`
S: * 2 EXISTS
S: * 2 FETCH (UID 2 RFC822.SIZE {*})`)
	c2.run(`
C: b0 NOOP
S: * 2 EXISTS
S: * 0 RECENT
S: b0 OK NOOP completed
C: b1 STORE 2 +FLAGS.SILENT (\Flagged)
S: b1 OK STORE completed`)
	c1.run(`S: * 2 FETCH (UID 2 FLAGS (\Flagged))`)
	c2.run(`
C: b2 STORE 1 +FLAGS.SILENT (\Deleted)
S: b2 OK STORE completed`)
	c1.run(`S: * 1 FETCH (UID 1 FLAGS (\Deleted))`)
	c2.run(`
C: b3 EXPUNGE
S: * 1 EXPUNGE
S: b3 OK EXPUNGE completed`)
	c1.run(`
S: * 1 EXPUNGE
C: a3 NOTIFY SET (selected-delayed (MessageNew MessageExpunge))
S: a3 OK NOTIFY completed`)
	ts.deliver(t, "alice", "INBOX", msg1)
	c1.run(`S: * 2 EXISTS`)
	// Flag changes are applied without a word, expunges wait.
	c2.run(`
C: b4 STORE 1 +FLAGS.SILENT (\Deleted)
S: * 2 EXISTS
S: * 0 RECENT
S: b4 OK STORE completed
C: b4 STORE 2 +FLAGS.SILENT (\Answered)
S: b4 OK STORE completed
C: b5 EXPUNGE
S: * 1 EXPUNGE
S: b5 OK EXPUNGE completed`)
	ts.deliver(t, "alice", "INBOX", msg1)
	c1.run(`
S: * 3 EXISTS
C: a4 NOOP
S: * 1 EXPUNGE
S: a4 OK NOOP completed
C: a5 SEARCH ANSWERED
S: * ESEARCH (TAG "a5") ALL 1
S: a5 OK SEARCH completed`)
	// Without SELECTED: nothing between commands, the usual at a command's end.
	c1.run(`
C: a6 NOTIFY SET (personal (MailboxName))
S: a6 OK NOTIFY completed`)
	ts.deliver(t, "alice", "INBOX", msg1)
	c2.run(`
C: b6 CREATE other
S: * 3 EXISTS
S: * {*} RECENT
S: b6 OK CREATE completed`)
	c1.run(`
S: * LIST (\HasNoChildren) "/" other
C: a7 NOOP
S: * 3 EXISTS
S: a7 OK NOOP completed`)
	// QRESYNC: VANISHED.
	c1.run(`
C: a8 ENABLE QRESYNC
S: * OK [HIGHESTMODSEQ {*}] Highest
S: * ENABLED QRESYNC
S: a8 OK ENABLE completed
C: a9 NOTIFY SET (selected (MessageNew MessageExpunge))
S: a9 OK NOTIFY completed`)
	c2.run(`
C: b8 STORE 1:* +FLAGS.SILENT (\Deleted)
S: b8 OK STORE completed
C: b9 EXPUNGE
S: * 3 EXPUNGE
S: * 2 EXPUNGE
S: * 1 EXPUNGE
S: b9 OK EXPUNGE completed`)
	c1.run(`S: * VANISHED 3:5`)
}

// TestNotifyIdle: RFC 5465 4, IDLE tells what NOTIFY asked for: here the
// names of other mailboxes, not the selected mailbox's new messages.
func TestNotifyIdle(t *testing.T) {
	ts := startServer(t, nil)
	c1 := ts.selectInbox(t)
	c2 := ts.login(t)
	c1.run(`
C: a1 NOTIFY SET (mailboxes x (MailboxName))
S: a1 OK NOTIFY completed
C: a2 IDLE
S: + idling`)
	ts.deliver(t, "alice", "INBOX", msg1)
	c2.run(`
C: b1 CREATE x
S: b1 OK CREATE completed`)
	c1.run(`
S: * LIST (\HasNoChildren) "/" x
C: DONE
S: * 1 EXISTS
S: * 1 RECENT
S: a2 OK IDLE terminated`)
}

// TestNotifyErrors: RFC 5465 3.1 and 5, 6.1, 8: BAD for what the grammar
// and the rules refuse, NO [BADEVENT] for events the server cannot
// produce.
func TestNotifyErrors(t *testing.T) {
	ts := startServer(t, nil)
	c := ts.login(t)
	for _, bad := range []string{
		"NOTIFY", "NOTIFY SET", "NOTIFY BOGUS", "NOTIFY SET (personal)", "NOTIFY SET (personal ())",
		"NOTIFY SET (selected (MessageNew))", "NOTIFY SET (selected (MessageExpunge FlagChange))",
		"NOTIFY SET (selected (MessageNew MessageExpunge MailboxName))",
		"NOTIFY SET (selected NONE) (selected-delayed NONE)", "NOTIFY SET (bogus (MailboxName))",
		"NOTIFY SET (personal (MessageNew (UID) MessageExpunge))", "NOTIFY SET (subtree (MailboxName))",
		"NOTIFY SET (mailboxes (a b (MailboxName))", "NOTIFY SET (personal (MailboxName)) x",
	} {
		c.run(`
C: x1 ` + bad + `
S: x1 BAD {*}`)
	}
	c.run(`
C: x2 NOTIFY SET (personal (MailboxMetadataChange))
S: x2 NO [BADEVENT (MessageNew MessageExpunge FlagChange MailboxName SubscriptionChange)] {*}
C: x3 NOTIFY SET (personal (MailboxName Whatever))
S: x3 NO [BADEVENT (MessageNew MessageExpunge FlagChange MailboxName SubscriptionChange)] {*}
C: x4 NOTIFY SET (selected NONE) (personal NONE) (subtree (a "b c") NONE) (mailboxes "" NONE)
S: x4 OK NOTIFY completed`)
}

// TestNotifyNotOffered: a backend whose users cannot watch their
// mailboxes gets no NOTIFY in CAPABILITY, and the command is unknown.
func TestNotifyNotOffered(t *testing.T) {
	ts := startServer(t, wrapUsers(func(u imap.User) imap.User { return plainUser{u} }))
	c := ts.login(t)
	c.run(`
C: a1 CAPABILITY
S: * CAPABILITY {*} CONDSTORE SORT {*}
S: a1 OK CAPABILITY completed
C: a2 NOTIFY SET (personal (MailboxName))
S: a2 BAD {*}`)
}

// TestNotifyOverflow: RFC 5465 5.8, when the backend's watch lost
// events, the client is told NOTIFICATIONOVERFLOW at once and NOTIFY
// stops (the watch is closed).
func TestNotifyOverflow(t *testing.T) {
	w := &overflowWatch{ready: make(chan struct{}, 1)}
	ts := startServer(t, wrapUsers(func(u imap.User) imap.User { return watchUser{u, w} }))
	c := ts.login(t)
	c.run(`
C: a1 NOTIFY SET (personal (MailboxName))
S: a1 OK NOTIFY completed`)
	w.mu.Lock()
	w.overflow = true
	w.mu.Unlock()
	w.ready <- struct{}{}
	c.run(`
S: * OK [NOTIFICATIONOVERFLOW] {*}
C: a2 NOOP
S: a2 OK NOOP completed`)
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.closed {
		t.Error("the watch was not closed")
	}
}

// watchUser is a User whose mailbox watch is w.
type watchUser struct {
	imap.User
	w imap.MailboxWatch
}

func (u watchUser) WatchMailboxes(context.Context) (imap.MailboxWatch, error) { return u.w, nil }

// overflowWatch is a MailboxWatch that reports an overflow when told to.
type overflowWatch struct {
	ready    chan struct{}
	mu       sync.Mutex
	overflow bool
	closed   bool
}

func (w *overflowWatch) Ready() <-chan struct{} { return w.ready }

func (w *overflowWatch) Events() ([]imap.MailboxEvent, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	o := w.overflow
	w.overflow = false
	return nil, o
}

func (w *overflowWatch) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.closed = true
	return nil
}
