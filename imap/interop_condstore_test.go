package imap_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestInteropPythonCondStore drives CONDSTORE (RFC 7162) and MULTIAPPEND
// (RFC 3502) from Python's imaplib, an independent client: ENABLE
// CONDSTORE, FETCH (MODSEQ), STORE UNCHANGEDSINCE with a conflict, FETCH
// CHANGEDSINCE and SEARCH MODSEQ.
func TestInteropPythonCondStore(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not installed: skipping the imaplib CONDSTORE interop test")
	}
	ts := startServer(t, nil)
	ts.deliver(t, "alice", "INBOX", msg1)
	ts.deliver(t, "alice", "INBOX", msg2)
	host, port, _ := strings.Cut(ts.addr, ":")
	script := `
import imaplib, re, sys
m = imaplib.IMAP4(sys.argv[1], int(sys.argv[2]))
assert "CONDSTORE" in m.capabilities, m.capabilities
m.login("alice", "secret")
assert "CONDSTORE" in m.capabilities, m.capabilities
typ, data = m.enable("CONDSTORE")
assert typ == "OK", (typ, data)
typ, data = m.response("ENABLED")
assert data == [b"CONDSTORE"], data
typ, data = m.select("INBOX")
assert typ == "OK", data
typ, data = m.response("HIGHESTMODSEQ")
assert data == [b"2"], data
typ, data = m.fetch("1:2", "(MODSEQ)")
assert typ == "OK" and data == [b"1 (MODSEQ (1))", b"2 (MODSEQ (2))"], data
typ, data = m.store("1", "(UNCHANGEDSINCE 1) +FLAGS", "(\\Flagged)")
assert typ == "OK" and re.search(rb"MODSEQ \(3\)", data[0]), data
# A stale mod-sequence: the STORE is refused for message 1 only.
typ, data = m._simple_command("STORE", "1:2", "(UNCHANGEDSINCE 2)", "+FLAGS", "(\\Seen)")
assert typ == "OK", (typ, data)
typ, data = m.response("MODIFIED")
assert data == [b"1"], data
typ, data = m.response("FETCH")
assert data == [b"2 (UID 2 FLAGS (\\Seen \\Recent) MODSEQ (4))"], data
typ, data = m.fetch("1:*", "(FLAGS) (CHANGEDSINCE 3)")
assert typ == "OK" and len(data) == 1 and data[0].startswith(b"2 ") and b"MODSEQ (4)" in data[0], data
typ, data = m.uid("SEARCH", "MODSEQ", "3")
assert typ == "OK" and data == [b"1 2 (MODSEQ 4)"], data
typ, data = m.status("INBOX", "(HIGHESTMODSEQ)")
assert typ == "OK" and b"HIGHESTMODSEQ 4" in data[0], data
m.close()
m.logout()
print("ok")
`
	out, err := exec.Command(py, "-c", script, host, port).CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "ok" {
		t.Fatalf("python imaplib: %v\n%s", err, out)
	}
}
