package imap_test

import (
	"testing"
)

// until sends a command and skips the responses up to its tagged OK.
func (c *client) until(tag, command string) {
	c.t.Helper()
	c.send(tag + " " + command)
	for {
		l := c.readLine()
		if match(tag+" OK {*}", l) {
			return
		}
		if match(tag+" {*}", l) {
			c.t.Fatalf("%s failed: %s", command, l)
		}
	}
}

// TestSearchResSave covers RFC 5182: SEARCH RETURN (SAVE) and "$" in
// FETCH, STORE, SEARCH, COPY, MOVE and their UID forms, the MIN/MAX
// combinations of RFC 5182 2.4, and "$" losing expunged messages.
func TestSearchResSave(t *testing.T) {
	ts := startServer(t, nil)
	ts.deliver(t, "alice", "INBOX", msg1, `\Seen`)
	ts.deliver(t, "alice", "INBOX", msg2)
	ts.deliver(t, "alice", "INBOX", msg1, `\Flagged`)
	ts.deliver(t, "alice", "INBOX", msg2, `\Seen`)
	c := ts.selectInbox(t)
	c.run(`
C: c1 CAPABILITY
S: * CAPABILITY {*} ESEARCH SEARCHRES{*}
S: c1 OK CAPABILITY completed
# Before any SAVE, "$" is the empty set: nothing happens, and OK.
C: a0 FETCH $ FLAGS
S: a0 OK FETCH completed
C: a1 STORE $ +FLAGS (\Answered)
S: a1 OK STORE completed
C: a2 COPY $ Trash
S: a2 OK COPY completed
# SAVE alone: no ESEARCH response.
C: b1 SEARCH RETURN (SAVE) SEEN
S: b1 OK SEARCH completed
C: b2 FETCH $ (UID)
S: * 1 FETCH (UID 1)
S: * 4 FETCH (UID 4)
S: b2 OK FETCH completed
C: b3 UID FETCH $ (FLAGS)
S: * 1 FETCH (UID 1 FLAGS (\Seen \Recent))
S: * 4 FETCH (UID 4 FLAGS (\Seen \Recent))
S: b3 OK FETCH completed
C: b4 SEARCH $
S: * SEARCH 1 4
S: b4 OK SEARCH completed
C: b5 UID SEARCH UID $ NOT 1
S: * SEARCH 4
S: b5 OK SEARCH completed
C: b6 STORE $ +FLAGS.SILENT (\Deleted)
S: b6 OK STORE completed
C: b7 SEARCH DELETED
S: * SEARCH 1 4
S: b7 OK SEARCH completed
# "$" in the key is the result before this command; the new result
# replaces it.
C: b8 SEARCH RETURN (SAVE) OR $ FLAGGED
S: b8 OK SEARCH completed
C: b9 UID SEARCH RETURN (ALL) $
S: * ESEARCH (TAG "b9") UID ALL 1,3:4
S: b9 OK SEARCH completed
# RFC 5182 2.4: SAVE with MIN keeps only the minimum.
C: d1 SEARCH RETURN (SAVE MIN) 2:4
S: * ESEARCH (TAG "d1") MIN 2
S: d1 OK SEARCH completed
C: d2 FETCH $ UID
S: * 2 FETCH (UID 2)
S: d2 OK FETCH completed
C: d3 UID SEARCH RETURN (MAX SAVE) ALL
S: * ESEARCH (TAG "d3") UID MAX 4
S: d3 OK SEARCH completed
C: d4 FETCH $ UID
S: * 4 FETCH (UID 4)
S: d4 OK FETCH completed
C: d5 SEARCH RETURN (SAVE MIN MAX) ALL
S: * ESEARCH (TAG "d5") MIN 1 MAX 4
S: d5 OK SEARCH completed
C: d6 FETCH $ UID
S: * 1 FETCH (UID 1)
S: * 4 FETCH (UID 4)
S: d6 OK FETCH completed
# With COUNT (or ALL) the whole result is kept.
C: d7 SEARCH RETURN (SAVE MAX COUNT) UNSEEN
S: * ESEARCH (TAG "d7") MAX 3 COUNT 2
S: d7 OK SEARCH completed
C: d8 FETCH $ UID
S: * 2 FETCH (UID 2)
S: * 3 FETCH (UID 3)
S: d8 OK FETCH completed
C: d9 SEARCH RETURN (SAVE MIN ALL) UNSEEN
S: * ESEARCH (TAG "d9") MIN 2 ALL 2:3
S: d9 OK SEARCH completed
C: e1 UID COPY $ Trash
S: e1 OK [COPYUID {*} 2:3 1:2] COPY completed
# Expunged messages leave "$" (RFC 5182 2.1).
C: e2 SEARCH RETURN (SAVE) ALL
S: e2 OK SEARCH completed
C: e3 EXPUNGE
S: * 4 EXPUNGE
S: * 1 EXPUNGE
S: e3 OK EXPUNGE completed
C: e4 FETCH $ UID
S: * 1 FETCH (UID 2)
S: * 2 FETCH (UID 3)
S: e4 OK FETCH completed
C: e5 SEARCH RETURN (SAVE) UID 3
S: e5 OK SEARCH completed
C: e6 MOVE $ Trash
S: * OK [COPYUID {*} 3 3] Moved
S: * 2 EXPUNGE
S: e6 OK MOVE completed
C: e7 FETCH $ UID
S: e7 OK FETCH completed
C: e8 UID MOVE $ Trash
S: e8 OK MOVE completed
C: e9 FETCH 1:* UID
S: * 1 FETCH (UID 2)
S: e9 OK FETCH completed
# UID EXPUNGE (RFC 4315) takes "$" too.
C: f1 UID SEARCH RETURN (SAVE) ALL
S: f1 OK SEARCH completed
C: f2 STORE $ +FLAGS.SILENT (\Deleted)
S: f2 OK STORE completed
C: f3 UID EXPUNGE $
S: * 1 EXPUNGE
S: f3 OK EXPUNGE completed
C: f4 UID EXPUNGE $
S: f4 OK EXPUNGE completed`)
}

// TestSearchResReset checks that "$" becomes empty on SELECT, EXAMINE,
// UNSELECT and CLOSE, and after a failed SEARCH ... SAVE (RFC 5182
// 2.1).
func TestSearchResReset(t *testing.T) {
	ts := startServer(t, nil)
	ts.deliver(t, "alice", "INBOX", msg1)
	ts.deliver(t, "alice", "INBOX", msg2)
	c := ts.selectInbox(t)
	c.run(`
C: a1 SEARCH RETURN (SAVE) ALL
S: a1 OK SEARCH completed
C: a2 SEARCH $
S: * SEARCH 1 2
S: a2 OK SEARCH completed
C: a3 SEARCH RETURN (SAVE) CHARSET X-UNKNOWN FROM carol
S: a3 NO [BADCHARSET (US-ASCII UTF-8)] Unsupported charset
C: a4 SEARCH $
S: * SEARCH
S: a4 OK SEARCH completed
C: a5 SEARCH RETURN (SAVE) ALL
S: a5 OK SEARCH completed
C: a6 SEARCH RETURN (SAVE) NOSUCHKEY
S: a6 BAD {*}
C: a7 FETCH $ UID
S: a7 OK FETCH completed
# A failed SEARCH without SAVE keeps the result.
C: a8 SEARCH RETURN (SAVE) ALL
S: a8 OK SEARCH completed
C: a9 SEARCH NOSUCHKEY
S: a9 BAD {*}
C: b1 FETCH $ UID
S: * 1 FETCH (UID 1)
S: * 2 FETCH (UID 2)
S: b1 OK FETCH completed
C: b2 SEARCH RETURN (SAVE) ALL
S: b2 OK SEARCH completed`)
	c.until("b3", "SELECT INBOX")
	c.run(`
C: b4 FETCH $ UID
S: b4 OK FETCH completed
C: b5 SEARCH RETURN (SAVE) ALL
S: b5 OK SEARCH completed`)
	c.until("b6", "EXAMINE INBOX")
	c.run(`
C: b7 FETCH $ UID
S: b7 OK FETCH completed
C: b8 SEARCH RETURN (SAVE) ALL
S: b8 OK SEARCH completed
C: b9 UNSELECT
S: b9 OK UNSELECT completed`)
	c.until("c1", "SELECT INBOX")
	c.run(`
C: c2 FETCH $ UID
S: c2 OK FETCH completed
C: c3 SEARCH RETURN (SAVE) ALL
S: c3 OK SEARCH completed
C: c4 CLOSE
S: c4 OK CLOSE completed`)
	c.until("c5", "SELECT INBOX")
	c.run(`
C: c6 UID FETCH $ UID
S: c6 OK FETCH completed
C: c7 FETCH $ BODY[
S: c7 BAD {*}`)
}

// TestSearchResRev2 checks SAVE in IMAP4rev2 mode, where SEARCH always
// answers with ESEARCH (RFC 9051 6.4.4).
func TestSearchResRev2(t *testing.T) {
	ts := startServer(t, nil)
	ts.deliver(t, "alice", "INBOX", msg1)
	ts.deliver(t, "alice", "INBOX", msg2, `\Flagged`)
	ts.deliver(t, "alice", "INBOX", msg1, `\Flagged`)
	c := ts.login(t)
	c.run(`
C: a1 ENABLE IMAP4rev2
S: * ENABLED IMAP4rev2
S: a1 OK ENABLE completed`)
	c.until("a2", "SELECT INBOX")
	c.run(`
C: a3 UID SEARCH RETURN (SAVE) FLAGGED
S: a3 OK SEARCH completed
C: a4 SEARCH $
S: * ESEARCH (TAG "a4") ALL 2:3
S: a4 OK SEARCH completed
C: a5 UID STORE $ +FLAGS (\Seen)
S: * 2 FETCH (UID 2 FLAGS (\Flagged \Seen))
S: * 3 FETCH (UID 3 FLAGS (\Flagged \Seen))
S: a5 OK STORE completed
C: a6 SEARCH RETURN (COUNT SAVE) NOT $
S: * ESEARCH (TAG "a6") COUNT 1
S: a6 OK SEARCH completed
C: a7 UID SEARCH $
S: * ESEARCH (TAG "a7") UID ALL 1
S: a7 OK SEARCH completed`)
}
