package imap_test

import (
	"testing"
)

// TestListExtended covers RFC 5258 (selection options SUBSCRIBED, REMOTE,
// RECURSIVEMATCH with CHILDINFO, return options SUBSCRIBED and CHILDREN,
// \NonExistent, pattern lists) and RFC 5819 (RETURN (STATUS ...)).
func TestListExtended(t *testing.T) {
	ts := startServer(t, nil)
	ts.deliver(t, "alice", "INBOX", msg1, `\Seen`)
	ts.deliver(t, "alice", "INBOX", msg2)
	ts.deliver(t, "alice", "Trash", msg2)
	c := ts.login(t)
	c.run(`
C: c1 CAPABILITY
S: * CAPABILITY {*} LIST-EXTENDED LIST-STATUS{*}
S: c1 OK CAPABILITY completed
C: a1 CREATE Lists/Go
S: a1 OK CREATE completed
C: a2 CREATE Lists/Rust
S: a2 OK CREATE completed
C: a3 CREATE Archive
S: a3 OK CREATE completed
C: a4 UNSUBSCRIBE Sent
S: a4 OK UNSUBSCRIBE completed
C: a5 UNSUBSCRIBE Trash
S: a5 OK UNSUBSCRIBE completed
C: a6 SUBSCRIBE Lists/Go
S: a6 OK SUBSCRIBE completed
C: a7 SUBSCRIBE Gone
S: a7 OK SUBSCRIBE completed
C: a8 SUBSCRIBE Old/2020
S: a8 OK SUBSCRIBE completed
# RECURSIVEMATCH: "Lists" is not subscribed but has a subscribed child;
# "Old" does not exist and has one.
C: b1 LIST (SUBSCRIBED RECURSIVEMATCH) "" %
S: * LIST (\HasNoChildren \Subscribed) "/" INBOX
S: * LIST (\HasChildren) "/" Lists ("CHILDINFO" ("SUBSCRIBED"))
S: * LIST (\NonExistent \Subscribed) "/" Gone
S: * LIST (\NonExistent) "/" Old ("CHILDINFO" ("SUBSCRIBED"))
S: b1 OK LIST completed
# RFC 5258 3.5: no CHILDINFO for a parent whose subscribed children
# are returned themselves (with "*", Lists/Go and Old/2020 are).
C: b2 LIST (RECURSIVEMATCH SUBSCRIBED) "" *
S: * LIST (\HasNoChildren \Subscribed) "/" INBOX
S: * LIST (\HasNoChildren \Subscribed) "/" Lists/Go
S: * LIST (\NonExistent \Subscribed) "/" Gone
S: * LIST (\NonExistent \Subscribed) "/" Old/2020
S: b2 OK LIST completed
C: b2a LIST (SUBSCRIBED RECURSIVEMATCH) "" (Lists Lists/Go)
S: * LIST (\HasNoChildren \Subscribed) "/" Lists/Go
S: b2a OK LIST completed
C: b2b LIST (SUBSCRIBED RECURSIVEMATCH) "" (Lists)
S: * LIST (\HasChildren) "/" Lists ("CHILDINFO" ("SUBSCRIBED"))
S: b2b OK LIST completed
# Without RECURSIVEMATCH, only what is subscribed.
C: b3 LIST (SUBSCRIBED) "" %
S: * LIST (\HasNoChildren \Subscribed) "/" INBOX
S: * LIST (\NonExistent \Subscribed) "/" Gone
S: b3 OK LIST completed
# REMOTE: there are no remote mailboxes, so it changes nothing.
C: b4 LIST (REMOTE SUBSCRIBED) "" "Lists/*"
S: * LIST (\HasNoChildren \Subscribed) "/" Lists/Go
S: b4 OK LIST completed
C: b5 LIST (REMOTE) "" %
S: * LIST (\HasNoChildren) "/" INBOX
S: * LIST (\HasNoChildren) "/" Archive
S: * LIST (\HasChildren) "/" Lists
S: * LIST (\HasNoChildren \Sent) "/" Sent
S: * LIST (\HasNoChildren \Trash) "/" Trash
S: b5 OK LIST completed
# RFC 5258 3: RECURSIVEMATCH alone (or with REMOTE) is BAD.
C: b6 LIST (RECURSIVEMATCH) "" %
S: b6 BAD {*}
C: b7 LIST (REMOTE RECURSIVEMATCH) "" %
S: b7 BAD {*}
C: b8 LIST (NOSUCHOPTION) "" %
S: b8 BAD {*}
C: b9 LIST "" % RETURN (NOSUCHOPTION)
S: b9 BAD {*}
# Several patterns; a mailbox matched by two is listed once.
C: d1 LIST "" ("INBOX" "Lists/%")
S: * LIST (\HasNoChildren) "/" INBOX
S: * LIST (\HasNoChildren) "/" Lists/Go
S: * LIST (\HasNoChildren) "/" Lists/Rust
S: d1 OK LIST completed
C: d2 LIST "" (INBOX Arch* inbox)
S: * LIST (\HasNoChildren) "/" INBOX
S: * LIST (\HasNoChildren) "/" Archive
S: d2 OK LIST completed
C: d3 LIST (SUBSCRIBED) "" (Gone "Lists/*" Nope)
S: * LIST (\HasNoChildren \Subscribed) "/" Lists/Go
S: * LIST (\NonExistent \Subscribed) "/" Gone
S: d3 OK LIST completed
C: d4 LIST "" ()
S: d4 BAD {*}
# Return options SUBSCRIBED and CHILDREN.
C: e1 LIST () "" % RETURN (CHILDREN SUBSCRIBED)
S: * LIST (\HasNoChildren \Subscribed) "/" INBOX
S: * LIST (\HasNoChildren) "/" Archive
S: * LIST (\HasChildren) "/" Lists
S: * LIST (\HasNoChildren \Sent) "/" Sent
S: * LIST (\HasNoChildren \Trash) "/" Trash
S: e1 OK LIST completed
# LIST-STATUS (RFC 5819): a STATUS after each selectable mailbox listed,
# none for names that do not exist.
C: f1 LIST (SPECIAL-USE) "" * RETURN (STATUS (MESSAGES UNSEEN))
S: * LIST (\HasNoChildren \Sent) "/" Sent
S: * STATUS Sent (MESSAGES 0 UNSEEN 0)
S: * LIST (\HasNoChildren \Trash) "/" Trash
S: * STATUS Trash (MESSAGES 1 UNSEEN 1)
S: f1 OK LIST completed
C: f2 LIST "" (INBOX Lists/Go) RETURN (STATUS (MESSAGES UIDNEXT) SUBSCRIBED)
S: * LIST (\HasNoChildren \Subscribed) "/" INBOX
S: * STATUS INBOX (MESSAGES 2 UIDNEXT 3)
S: * LIST (\HasNoChildren \Subscribed) "/" Lists/Go
S: * STATUS Lists/Go (MESSAGES 0 UIDNEXT 1)
S: f2 OK LIST completed
C: f3 LIST (SUBSCRIBED) "" G% RETURN (STATUS (MESSAGES))
S: * LIST (\NonExistent \Subscribed) "/" Gone
S: f3 OK LIST completed`)
}
