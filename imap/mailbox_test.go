package imap_test

import (
	"testing"
)

func TestListCreateDeleteRename(t *testing.T) {
	ts := startServer(t, nil)
	c := ts.login(t)
	c.run(`
C: a1 LIST "" ""
S: * LIST (\Noselect) "/" ""
S: a1 OK LIST completed
C: a2 LIST "" *
S: * LIST (\HasNoChildren) "/" INBOX
S: * LIST (\HasNoChildren \Sent) "/" Sent
S: * LIST (\HasNoChildren \Trash) "/" Trash
S: a2 OK LIST completed
C: a3 CREATE Work/Projects/
S: a3 OK CREATE completed
C: a4 CREATE work/projects
S: a4 OK CREATE completed
C: a5 CREATE Work/Projects
S: a5 NO [ALREADYEXISTS] Mailbox already exists
C: a6 CREATE inbox
S: a6 NO [ALREADYEXISTS] INBOX always exists
C: a7 LIST "" %
S: * LIST (\HasNoChildren) "/" INBOX
S: * LIST (\HasNoChildren \Sent) "/" Sent
S: * LIST (\HasNoChildren \Trash) "/" Trash
S: * LIST (\HasChildren) "/" Work
S: * LIST (\HasChildren) "/" work
S: a7 OK LIST completed
C: a8 LIST Work/ %
S: * LIST (\HasNoChildren) "/" Work/Projects
S: a8 OK LIST completed
C: a9 LIST "" "*roj*"
S: * LIST (\HasNoChildren) "/" Work/Projects
S: * LIST (\HasNoChildren) "/" work/projects
S: a9 OK LIST completed
C: b1 RENAME Work Play
S: b1 OK RENAME completed
C: b2 LIST "" "Play*"
S: * LIST (\HasChildren) "/" Play
S: * LIST (\HasNoChildren) "/" Play/Projects
S: b2 OK LIST completed
C: b3 DELETE Play/Projects
S: b3 OK DELETE completed
C: b4 DELETE Play/Projects
S: b4 NO [NONEXISTENT] No such mailbox
C: b5 DELETE INBOX
S: b5 NO [CANNOT] INBOX cannot be deleted
C: b6 RENAME Play INBOX
S: b6 NO [ALREADYEXISTS] INBOX always exists
C: b7 CREATE "a%b"
S: b7 NO [CANNOT] Mailbox name contains a character that is not allowed
C: b8 CREATE "a//b"
S: b8 NO [CANNOT] Mailbox name has an empty component
C: b9 CREATE "&AOk-t&AOk-"
S: b9 OK CREATE completed
C: c1 LIST "" "&AOk-*"
S: * LIST (\HasNoChildren) "/" &AOk-t&AOk-
S: c1 OK LIST completed
C: c2 CREATE "&Jjo"
S: c2 NO [CANNOT] Mailbox name is not valid modified UTF-7
C: c3 CREATE Drafts (USE (\Drafts))
S: c3 OK CREATE completed
C: c4 LIST "" Drafts
S: * LIST (\HasNoChildren \Drafts) "/" Drafts
S: c4 OK LIST completed
C: c5 CREATE Other (USE (\Important))
S: c5 NO [USEATTR] Unknown special-use attribute`)
}

func TestRenameInbox(t *testing.T) {
	ts := startServer(t, nil)
	ts.deliver(t, "alice", "INBOX", msg1)
	c := ts.login(t)
	// RFC 3501 6.3.5: renaming INBOX moves its messages and
	// leaves it empty.
	c.run(`
C: a1 RENAME INBOX Old
S: a1 OK RENAME completed
C: a2 STATUS INBOX (MESSAGES)
S: * STATUS INBOX (MESSAGES 0)
S: a2 OK STATUS completed
C: a3 STATUS Old (MESSAGES UIDNEXT)
S: * STATUS Old (MESSAGES 1 UIDNEXT 2)
S: a3 OK STATUS completed`)
}

func TestSubscribeLsub(t *testing.T) {
	ts := startServer(t, nil)
	c := ts.login(t)
	c.run(`
C: a1 CREATE Lists/Go
S: a1 OK CREATE completed
C: a2 UNSUBSCRIBE Sent
S: a2 OK UNSUBSCRIBE completed
C: a3 UNSUBSCRIBE Trash
S: a3 OK UNSUBSCRIBE completed
C: a4 SUBSCRIBE Lists/Go
S: a4 OK SUBSCRIBE completed
C: a5 SUBSCRIBE Gone
S: a5 OK SUBSCRIBE completed
C: a6 LSUB "" *
S: * LSUB () "/" Gone
S: * LSUB () "/" INBOX
S: * LSUB () "/" Lists/Go
S: a6 OK LSUB completed
# RFC 3501 6.3.9: "Lists" is not subscribed but has a subscribed
# child, so "%" lists it with \Noselect.
C: a7 LSUB "" %
S: * LSUB () "/" Gone
S: * LSUB () "/" INBOX
S: * LSUB (\Noselect) "/" Lists
S: a7 OK LSUB completed
C: a8 LIST (SUBSCRIBED) "" *
S: * LIST (\HasNoChildren \Subscribed) "/" INBOX
S: * LIST (\HasNoChildren \Subscribed) "/" Lists/Go
S: * LIST (\NonExistent \Subscribed) "/" Gone
S: a8 OK LIST completed
C: a9 LIST "" * RETURN (SUBSCRIBED)
S: * LIST (\HasNoChildren \Subscribed) "/" INBOX
S: * LIST (\HasChildren) "/" Lists
S: * LIST (\HasNoChildren \Subscribed) "/" Lists/Go
S: * LIST (\HasNoChildren \Sent) "/" Sent
S: * LIST (\HasNoChildren \Trash) "/" Trash
S: a9 OK LIST completed`)
}

func TestStatusSelectExamine(t *testing.T) {
	ts := startServer(t, nil)
	ts.deliver(t, "alice", "INBOX", msg1, `\Seen`)
	ts.deliver(t, "alice", "INBOX", msg2)
	c := ts.login(t)
	c.run(`
C: a1 STATUS INBOX (MESSAGES RECENT UIDNEXT UIDVALIDITY UNSEEN SIZE)
S: * STATUS INBOX (MESSAGES 2 RECENT 2 UIDNEXT 3 UIDVALIDITY {*} UNSEEN 1 SIZE {*})
S: a1 OK STATUS completed
C: a2 STATUS Nope (MESSAGES)
S: a2 NO [NONEXISTENT] No such mailbox
C: a3 EXAMINE INBOX
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S: * OK [PERMANENTFLAGS ()] Flags permitted
S: * 2 EXISTS
S: * 2 RECENT
S: * OK [UNSEEN 2] First unseen
S: * OK [UIDVALIDITY {*}] UIDs valid
S: * OK [UIDNEXT 3] Predicted next UID
S: a3 OK [READ-ONLY] EXAMINE completed
C: a4 SELECT INBOX
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S: * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft \*)] Flags permitted
S: * 2 EXISTS
S: * 2 RECENT
S: * OK [UNSEEN 2] First unseen
S: * OK [UIDVALIDITY {*}] UIDs valid
S: * OK [UIDNEXT 3] Predicted next UID
S: a4 OK [READ-WRITE] SELECT completed
C: a5 STATUS INBOX (RECENT)
S: * STATUS INBOX (RECENT 2)
S: a5 OK [CLIENTBUG] STATUS on the selected mailbox
C: a6 SELECT Nope
S: a6 NO [NONEXISTENT] No such mailbox
C: a7 FETCH 1 FLAGS
S: a7 BAD FETCH needs a selected mailbox`)
	// A second session does not get \Recent for the same messages.
	c2 := ts.login(t)
	c2.run(`
C: b1 SELECT INBOX
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S: * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft \*)] Flags permitted
S: * 2 EXISTS
S: * 0 RECENT
S: * OK [UNSEEN 2] First unseen
S: * OK [UIDVALIDITY {*}] UIDs valid
S: * OK [UIDNEXT 3] Predicted next UID
S: b1 OK [READ-WRITE] SELECT completed
C: b2 ENABLE IMAP4rev2
S: * ENABLED IMAP4rev2
S: b2 OK ENABLE completed
C: b3 EXAMINE INBOX
S: * OK [CLOSED] Previous mailbox closed
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S: * OK [PERMANENTFLAGS ()] Flags permitted
S: * 2 EXISTS
S: * OK [UIDVALIDITY {*}] UIDs valid
S: * OK [UIDNEXT 3] Predicted next UID
S: * LIST () "/" INBOX
S: b3 OK [READ-ONLY] EXAMINE completed
C: b4 UNSELECT
S: b4 OK UNSELECT completed
C: b5 UNSELECT
S: b5 BAD UNSELECT needs a selected mailbox`)
}
