package imap_test

import (
	"fmt"
	"testing"
)

// TestThreadReferences checks RFC 5256 2.2's REFERENCES
// algorithm on a mailbox built so that each step shows:
//
//	seq uid  Message-ID  References / In-Reply-To  Subject     Date (March)
//	1   2    a                                     Plan        01 10:00
//	2   3    b           In-Reply-To a             Re: Plan    02 09:00
//	3   4    c           a b                       Re: Plan    03
//	4   5    d           a                         Re: Plan    02 12:00
//	5   6    e           missing                   Other       Feb 28
//	6   7    f           gone                      Re: Other   05
//	7   8    (none)                                Lonely      04
//	8   9    h           lost                      Topic       06
//	9   10   i           lost                      Topic       07
//	10  11   a (again)                             Dup         08
//	11  12   k                                     Lonely      09
//	12  13   n           o                         Loop        10
//	13  14   o           n                         Loop        11
//
// Worked out by hand: 1 has the children 2 (with 3) and 4 (step 1); the
// dummies "missing" and "gone" have one child each and give way to 5 and
// 6 (step 4B); "lost" has two and stays as a dummy at the top (4B); the
// duplicate Message-ID of 10 gets a container of its own; 13 refers to
// 12, which refers to 13: the loop is not closed, 13 stays 12's parent;
// 6 is a reply with 5's base subject and goes under it, 7 and 11 are both
// non-replies named "Lonely" and share a new dummy (step 6); top-level
// order is by date, dummies dated by their first child (steps 5, 7).
func TestThreadReferences(t *testing.T) {
	ts := startServer(t, nil)
	ts.deliver(t, "alice", "INBOX", msg1, `\Deleted`)
	msgs := []struct{ id, refs, subj, date string }{
		{"Message-ID: <a@x>", "", "Plan", "01 Mar 2024 10:00"},
		{"Message-ID: <b@x>", "In-Reply-To: <a@x>", "Re: Plan", "02 Mar 2024 09:00"},
		{"Message-ID: <c@x>", "References: <a@x>\r\n <b@x>", "Re: Plan", "03 Mar 2024 09:00"},
		{"Message-ID: <d@x>", "References: <a@x>", "Re: Plan", "02 Mar 2024 12:00"},
		{"Message-ID: <e@x>", "References: <missing@x>", "Other", "28 Feb 2024 12:00"},
		{"Message-ID: <f@x>", "References: <gone@x>", "Re: Other", "05 Mar 2024 12:00"},
		{"", "", "Lonely", "04 Mar 2024 12:00"},
		{"Message-ID: <h@x>", "References: <lost@x>", "Topic", "06 Mar 2024 12:00"},
		{"Message-ID: <i@x>", "References: <lost@x>", "Topic", "07 Mar 2024 12:00"},
		{"Message-ID: <a@x>", "", "Dup", "08 Mar 2024 12:00"},
		{"Message-ID: <k@x>", "", "Lonely", "09 Mar 2024 12:00"},
		{"Message-ID: <n@x>", "References: <o@x>", "Loop", "10 Mar 2024 12:00"},
		{"Message-ID: <o@x>", "References: <n@x>", "Loop", "11 Mar 2024 12:00"},
	}
	for _, m := range msgs {
		h := "From: a@x\r\n"
		if m.id != "" {
			h += m.id + "\r\n"
		}
		if m.refs != "" {
			h += m.refs + "\r\n"
		}
		ts.deliver(t, "alice", "INBOX", fmt.Sprintf("%sSubject: %s\r\nDate: %s +0000\r\n\r\nbody\r\n", h, m.subj, m.date))
	}
	c := ts.selectInbox(t)
	c.run(`
C: e1 EXPUNGE
S: * 1 EXPUNGE
S: e1 OK EXPUNGE completed
C: a1 THREAD REFERENCES UTF-8 ALL
S: * THREAD (5 6)(1 (2 3)(4))((7)(11))((8)(9))(10)(13 12)
S: a1 OK THREAD completed
C: a2 UID THREAD REFERENCES UTF-8 ALL
S: * THREAD (6 7)(2 (3 4)(5))((8)(12))((9)(10))(11)(14 13)
S: a2 OK THREAD completed
# Only the messages found take part: without 2, 3 hangs under the dummy
# b, which gives way to its one child.
C: a3 THREAD REFERENCES UTF-8 SUBJECT plan NOT 2
S: * THREAD (1 (4)(3))
S: a3 OK THREAD completed
C: a4 THREAD REFERENCES US-ASCII FROM nobody
S: * THREAD
S: a4 OK THREAD completed`)
}
