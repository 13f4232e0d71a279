package imap_test

import "testing"

// The address cases of imaptest's search-addresses, sort-addresses and
// sort-display-to scripts.
func TestSearchAddressAsInEnvelope(t *testing.T) {
	ts := startServer(t, nil)
	ts.deliverHeaders(t,
		"From: user-from@domain.org\r\nTo: user-to@domain.org\r\n",
		"From: RealFrom <user-from@domain.org>\r\nTo: RealTo <user-to@domain.org>\r\n",
		"From: <user-from (comment)@ (comment) domain.org>\r\nTo: <user-to@domain.org>\r\n",
		"From: user-from@domain.org (RealFrom)\r\nTo: user-to@domain.org (RealTo)\r\n",
		"From: RealFrom <user-from@domain.org>\r\nTo: groupname: groupuser1@domain.org, groupuser2@domain.org;,\r\n  groupname2: groupuser3@domain.org;\r\n",
		"From: =?utf-8?q?J=C3=BCrgen?= <j@domain.org>\r\nTo: groupname:;\r\n",
	)
	c := ts.selectInbox(t)
	// RFC 3501 6.4.4: FROM matches the envelope's From: the comments
	// inside message 3's addr-spec are not part of the address; RFC 5322
	// 3.4.1 makes them white space. Display names (and the legacy
	// "addr (Name)" comment, as Dovecot reads it) are decoded and
	// matched, groups by name and members.
	c.run(`
C: a1 SEARCH FROM user-from@domain.org
S: * SEARCH 1 2 3 4 5
S: a1 OK SEARCH completed
C: a2 SEARCH FROM realfrom
S: * SEARCH 2 4 5
S: a2 OK SEARCH completed
C: a3 SEARCH FROM comment
S: * SEARCH
S: a3 OK SEARCH completed
C: a4 SEARCH TO groupname
S: * SEARCH 5 6
S: a4 OK SEARCH completed
C: a5 SEARCH TO groupuser3
S: * SEARCH 5
S: a5 OK SEARCH completed
C: a6 SEARCH CHARSET UTF-8 FROM "jürgen <j@"
S: * SEARCH 6
S: a6 OK SEARCH completed`)
}

// RFC 5322 3.4: the display name is the phrase before "<"; a comment
// inside the angle brackets is not one (Dovecot gives NIL too), while the
// legacy trailing comment of "addr (Name)" still gives the name.
func TestEnvelopeCommentInsideAngleAddr(t *testing.T) {
	ts := startServer(t, nil)
	ts.deliverHeaders(t, "From: <user-from (comment)@ (comment) domain.org>\r\n", "From: user-from@domain.org (RealFrom)\r\n")
	c := ts.selectInbox(t)
	c.run(`
C: a1 FETCH 1:2 ENVELOPE
S: * 1 FETCH (ENVELOPE (NIL "x" ((NIL NIL "user-from" "domain.org")) ((NIL NIL "user-from" "domain.org")) ((NIL NIL "user-from" "domain.org")) NIL NIL NIL NIL NIL))
S: * 2 FETCH (ENVELOPE (NIL "x" (("RealFrom" NIL "user-from" "domain.org")) (("RealFrom" NIL "user-from" "domain.org")) (("RealFrom" NIL "user-from" "domain.org")) NIL NIL NIL NIL NIL))
S: a1 OK FETCH completed`)
}

// RFC 5256 3 (SORT CC, TO, FROM: the addr-mailbox of the first address)
// and RFC 5957 3 (DISPLAYTO: its decoded name, else mailbox@host, else
// the mailbox): for a group the first address is the group's start
// marker, whose mailbox is the group name (RFC 3501 7.4.2).
func TestSortByGroupAddress(t *testing.T) {
	ts := startServer(t, nil)
	ts.deliverHeaders(t,
		"Cc: user2@domain2.org (foo bar)\r\nTo: foo bar <a@b.c>\r\n",
		"Cc: user2: blah@domain1.org;\r\nTo: z: aa@aa.org, bb@bb.org;\r\n",
		"Cc: user1@domain1.org\r\nTo: a: xx@xx.org, yy@yy.org;\r\n",
		"Cc: zz@domain1.org\r\nTo: empty:;\r\n",
	)
	c := ts.selectInbox(t)
	c.run(`
C: a1 SORT (CC) US-ASCII ALL
S: * SORT 3 1 2 4
S: a1 OK SORT completed
C: a2 SORT (REVERSE CC) US-ASCII ALL
S: * SORT 4 1 2 3
S: a2 OK SORT completed
C: a3 SORT (TO) US-ASCII ALL
S: * SORT 1 3 4 2
S: a3 OK SORT completed
C: a4 SORT (DISPLAYTO) US-ASCII ALL
S: * SORT 3 4 1 2
S: a4 OK SORT completed`)
}

// deliverHeaders delivers to alice's INBOX one message for each of the
// header fields given, with "Subject: x" and a one-line body.
func (ts *testServer) deliverHeaders(t *testing.T, fields ...string) {
	t.Helper()
	for _, h := range fields {
		ts.deliver(t, "alice", "INBOX", h+"Subject: x\r\n\r\nbody\r\n")
	}
}
