package imap_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestInteropPythonQResync drives QRESYNC (RFC 7162 3.2) from
// Python's imaplib, an independent client, with raw commands: ENABLE
// QRESYNC, SELECT (QRESYNC ...) after expunges made in another session,
// UID FETCH (CHANGEDSINCE n VANISHED), EXPUNGE answered with VANISHED,
// and ESORT.
func TestInteropPythonQResync(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not installed: skipping the imaplib QRESYNC interop test")
	}
	ts := startServer(t, nil)
	qresyncFixture(t, ts)
	host, port, _ := strings.Cut(ts.addr, ":")
	script := `
import imaplib, re, sys
m = imaplib.IMAP4(sys.argv[1], int(sys.argv[2]))
m.login("alice", "secret")
typ, data = m.capability()
assert typ == "OK" and b"QRESYNC" in data[0].split() and b"ESORT" in data[0].split(), data
typ, data = m.status("INBOX", "(UIDVALIDITY)")
uv = re.search(rb"UIDVALIDITY (\d+)", data[0]).group(1).decode()
typ, data = m.enable("QRESYNC")
assert typ == "OK", (typ, data)
typ, data = m.response("ENABLED")
assert data == [b"QRESYNC"], data
typ, data = m._simple_command("SELECT", "INBOX", "(QRESYNC (%s 5))" % uv)
assert typ == "OK", (typ, data)
typ, data = m.response("VANISHED")
assert data == [b"(EARLIER) 2,4"], data
typ, data = m.response("FETCH")
assert data == [b"1 (UID 1 FLAGS (\\Flagged) MODSEQ (8))"], data
typ, data = m.response("HIGHESTMODSEQ")
assert data == [b"8"], data
m.state = "SELECTED"
typ, data = m._simple_command("UID", "FETCH", "1:*", "(FLAGS)", "(CHANGEDSINCE 5 VANISHED)")
assert typ == "OK", (typ, data)
typ, data = m.response("VANISHED")
assert data == [b"(EARLIER) 2,4"], data
typ, data = m.uid("STORE", "3", "+FLAGS.SILENT", "(\\Deleted)")
assert typ == "OK", (typ, data)
typ, data = m._simple_command("EXPUNGE")
assert typ == "OK", (typ, data)
typ, data = m.response("VANISHED")
assert data == [b"3"], data
typ, data = m._simple_command("UID", "SORT", "RETURN", "(MIN MAX COUNT)", "(ARRIVAL)", "UTF-8", "ALL")
assert typ == "OK", (typ, data)
typ, data = m.response("ESEARCH")
assert re.fullmatch(rb'\(TAG "[A-Z0-9]+"\) UID MIN 1 MAX 5 COUNT 2', data[0]), data
m.logout()
print("ok")
`
	out, err := exec.Command(py, "-c", script, host, port).CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "ok" {
		t.Fatalf("python imaplib: %v\n%s", err, out)
	}
}
