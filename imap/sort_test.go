package imap_test

import (
	"os/exec"
	"strings"
	"testing"
)

// sortMsg builds a message whose body is n bytes long.
func sortMsg(headers string, n int) string {
	return strings.ReplaceAll(headers, "\n", "\r\n") + "\r\n" + strings.Repeat("x", n-2) + "\r\n"
}

// sortFixture delivers, after one expunged message (so that UIDs are
// sequence numbers plus one), six messages. Their keys (dates in UTC; the
// base subjects of RFC 5256 2.1):
//
//	seq uid from        to          cc    date              base subject  body
//	1   2   carol       dave                03-05 09:00       LUNCH PLANS   1200
//	2   3   alice       bob         zack  03-04 12:00       LUNCH PLANS   1000
//	3   4   "Zed" bob   "Aaron" zoe       03-06 08:00       BUDGET         800
//	4   5   dan         alice             (internal 03-05 10:00) BUDGET    600
//	5   6   Eve eve     carol             03-04 12:00 (+0100) LUNCH PLANS  400
//	6   7   bob         carol       ann   03-03 10:00       AGENDA         200
func sortFixture(t *testing.T) *client {
	ts := startServer(t, nil)
	ts.deliver(t, "alice", "INBOX", msg1, `\Deleted`)
	ts.deliver(t, "alice", "INBOX", sortMsg(`From: Carol <carol@example.org>
To: dave@example.org
Subject: Re: Lunch plans
Date: Tue, 05 Mar 2024 09:00:00 +0000
`, 1200))
	ts.deliver(t, "alice", "INBOX", sortMsg(`From: alice@example.org
To: bob@example.org
Cc: zack@example.org
Subject: Lunch plans
Date: Mon, 04 Mar 2024 12:00:00 +0000
`, 1000))
	ts.deliver(t, "alice", "INBOX", sortMsg(`From: "Zed" <bob@example.org>
To: "Aaron" <zoe@example.org>
Subject: [list] Fwd: Budget (fwd)
Date: Wed, 06 Mar 2024 08:00:00 +0000
`, 800))
	ts.deliver(t, "alice", "INBOX", sortMsg(`From: dan@example.org
To: alice@example.org
Subject: Budget
`, 600))
	ts.deliver(t, "alice", "INBOX", sortMsg(`From: Eve <eve@example.org>
To: carol@example.org
Subject: RE: [list] re: lunch PLANS
Date: Mon, 04 Mar 2024 13:00:00 +0100
`, 400))
	ts.deliver(t, "alice", "INBOX", sortMsg(`From: bob@example.org
To: carol@example.org
Cc: ann@example.org
Subject: Agenda
Date: Sun, 03 Mar 2024 10:00:00 +0000
`, 200))
	c := ts.selectInbox(t)
	c.run(`
C: e1 EXPUNGE
S: * 1 EXPUNGE
S: e1 OK EXPUNGE completed`)
	return c
}

func TestSort(t *testing.T) {
	c := sortFixture(t)
	c.run(`
C: a1 CAPABILITY
S: * CAPABILITY {*} SORT SORT=DISPLAY ESORT THREAD=ORDEREDSUBJECT THREAD=REFERENCES{*}
S: a1 OK CAPABILITY completed
# Date ties (2 and 5 are both 12:00 UTC) go by sequence number; 4 has no
# Date header and sorts by its internal date.
C: a2 SORT (DATE) UTF-8 ALL
S: * SORT 6 2 5 1 4 3
S: a2 OK SORT completed
C: a3 SORT (REVERSE DATE) UTF-8 ALL
S: * SORT 3 4 1 2 5 6
S: a3 OK SORT completed
C: a4 SORT (SUBJECT) US-ASCII ALL
S: * SORT 6 3 4 1 2 5
S: a4 OK SORT completed
C: a5 SORT (SUBJECT DATE) UTF-8 ALL
S: * SORT 6 4 3 2 5 1
S: a5 OK SORT completed
C: a6 SORT (REVERSE SUBJECT DATE) UTF-8 ALL
S: * SORT 2 5 1 4 3 6
S: a6 OK SORT completed
C: a7 SORT (FROM) UTF-8 ALL
S: * SORT 2 3 6 1 4 5
S: a7 OK SORT completed
C: a8 SORT (REVERSE FROM) UTF-8 ALL
S: * SORT 5 4 1 3 6 2
S: a8 OK SORT completed
C: a9 SORT (TO) UTF-8 ALL
S: * SORT 4 2 5 6 1 3
S: a9 OK SORT completed
C: b1 SORT (CC) UTF-8 ALL
S: * SORT 1 3 4 5 6 2
S: b1 OK SORT completed
C: b2 SORT (SIZE) UTF-8 ALL
S: * SORT 6 5 4 3 2 1
S: b2 OK SORT completed
C: b3 SORT (REVERSE ARRIVAL) UTF-8 ALL
S: * SORT 1 2 3 4 5 6
S: b3 OK SORT completed
C: b4 SORT (DISPLAYFROM) UTF-8 ALL
S: * SORT 2 6 1 4 5 3
S: b4 OK SORT completed
C: b5 SORT (DISPLAYTO) UTF-8 ALL
S: * SORT 3 4 2 5 6 1
S: b5 OK SORT completed
C: b6 SORT (DATE) UTF-8 FROM bob
S: * SORT 6 3
S: b6 OK SORT completed
C: b7 UID SORT (DATE) UTF-8 ALL
S: * SORT 7 3 6 2 5 4
S: b7 OK SORT completed
C: b8 UID SORT (SIZE) UTF-8 UID 3:5
S: * SORT 5 4 3
S: b8 OK SORT completed
C: b9 SORT (DATE) UTF-8 SUBJECT nowhere
S: * SORT
S: b9 OK SORT completed
C: c1 SORT (DATE) X-UNKNOWN-CHARSET ALL
S: c1 NO [BADCHARSET (US-ASCII UTF-8)] {*}
C: c2 SORT () UTF-8 ALL
S: c2 BAD {*}
C: c3 SORT (DATE) UTF-8 ALL
S: * SORT 6 2 5 1 4 3
S: c3 OK SORT completed`)
}

func TestThreadOrderedSubject(t *testing.T) {
	c := sortFixture(t)
	c.run(`
# RFC 5256 2.2: threads by base subject (AGENDA: 6; BUDGET: 4
# 3 by date; LUNCH PLANS: 2 5 1, 2 and 5 tie on date), ordered by the
# date of their first message; several children are siblings.
C: a1 THREAD ORDEREDSUBJECT UTF-8 ALL
S: * THREAD (6)(2 (5)(1))(4 3)
S: a1 OK THREAD completed
C: a2 UID THREAD ORDEREDSUBJECT UTF-8 ALL
S: * THREAD (7)(3 (6)(2))(5 4)
S: a2 OK THREAD completed
C: a3 THREAD ORDEREDSUBJECT US-ASCII NOT FROM carol
S: * THREAD (6)(2 5)(4 3)
S: a3 OK THREAD completed
C: a4 THREAD ORDEREDSUBJECT UTF-8 SUBJECT nowhere
S: * THREAD
S: a4 OK THREAD completed
C: a5 THREAD NOSUCHALG UTF-8 ALL
S: a5 BAD {*}
C: a6 THREAD ORDEREDSUBJECT UTF-8 ALL
S: * THREAD (6)(2 (5)(1))(4 3)
S: a6 OK THREAD completed`)
}

func TestSortNeedsSelected(t *testing.T) {
	ts := startServer(t, nil)
	c := ts.login(t)
	c.run(`
C: a1 SORT (DATE) UTF-8 ALL
S: a1 BAD {*}
C: a2 THREAD ORDEREDSUBJECT UTF-8 ALL
S: a2 BAD {*}
C: a3 NOOP
S: a3 OK NOOP completed`)
}

// TestInteropPythonSortThread drives SORT and THREAD from Python's
// imaplib, an independent client.
func TestInteropPythonSortThread(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not installed: skipping the imaplib SORT/THREAD interop test")
	}
	ts := startServer(t, nil)
	ts.deliver(t, "alice", "INBOX", "Message-ID: <p@x>\r\nSubject: Plan\r\nDate: 02 Mar 2024 10:00 +0000\r\n\r\nx\r\n")
	ts.deliver(t, "alice", "INBOX", "Message-ID: <q@x>\r\nIn-Reply-To: <p@x>\r\nSubject: Re: Plan\r\nDate: 03 Mar 2024 10:00 +0000\r\n\r\nx\r\n")
	ts.deliver(t, "alice", "INBOX", "Subject: Agenda\r\nDate: 01 Mar 2024 10:00 +0000\r\n\r\nx\r\n")
	host, port, _ := strings.Cut(ts.addr, ":")
	// Expected: by date 3 1 2, reversed 2 1 3; both algorithms thread 2
	// under 1 (a reply to it, by reference and by base subject).
	script := `
import imaplib, sys
m = imaplib.IMAP4(sys.argv[1], int(sys.argv[2]))
m.login("alice", "secret")
m.select("INBOX")
typ, data = m.sort("(DATE)", "UTF-8", "ALL")
assert typ == "OK" and data == [b"3 1 2"], data
typ, data = m.sort("(REVERSE DATE)", "UTF-8", "ALL")
assert typ == "OK" and data == [b"2 1 3"], data
typ, data = m.uid("SORT", "(SUBJECT)", "UTF-8", "ALL")
assert typ == "OK" and data == [b"3 1 2"], data
typ, data = m.thread("REFERENCES", "UTF-8", "ALL")
assert typ == "OK" and data == [b"(3)(1 2)"], data
typ, data = m.thread("ORDEREDSUBJECT", "UTF-8", "ALL")
assert typ == "OK" and data == [b"(3)(1 2)"], data
m.logout()
print("ok")
`
	out, err := exec.Command(py, "-c", script, host, port).CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "ok" {
		t.Fatalf("python imaplib: %v\n%s", err, out)
	}
}
