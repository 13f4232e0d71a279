package mailbox

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestPythonMaildirInterop checks the tree with an independent Maildir
// implementation, Python's mailbox.Maildir: it must see our folders,
// messages and flags, and what it adds must be picked up with a UID.
func TestPythonMaildirInterop(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not installed: interop with Python's mailbox.Maildir not tested")
	}
	root := t.TempDir()
	s, err := NewMaildirStore(root)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	e := &env{t: t, s: s, fs: s.fs}
	e.append("alice", Inbox, "Subject: one\n\nfirst\n", nil)
	e.append("alice", Inbox, "Subject: two\n\nsecond\n", &AppendOptions{Flags: []string{FlagSeen, FlagFlagged}})
	if err := s.CreateFolder(bg, "alice", "Lists/Go"); err != nil {
		t.Fatal(err)
	}
	e.append("alice", "Lists/Go", "Subject: go\n\ngophers\n", &AppendOptions{Flags: []string{FlagAnswered}})

	script := `
import mailbox, sys
md = mailbox.Maildir(sys.argv[1], factory=None, create=False)
out = []
for key in sorted(md.keys(), key=lambda k: md.get_message(k)['Subject']):
    m = md.get_message(key)
    out.append("INBOX %s flags=%s body=%r" % (m['Subject'], m.get_flags(), m.get_payload()))
for name in sorted(md.list_folders()):
    f = md.get_folder(name)
    for key in f.keys():
        m = f.get_message(key)
        out.append("%s %s flags=%s" % (name, m['Subject'], m.get_flags()))
msg = mailbox.MaildirMessage(b"Subject: from python\r\n\r\nhello\r\n")
md.add(msg)
print("\n".join(out))
`
	out, err := exec.Command(py, "-c", script, filepath.Join(root, "alice")).CombinedOutput()
	if err != nil {
		t.Fatalf("python: %v\n%s", err, out)
	}
	// Python's parser may turn CRLF into LF in payloads; the bodies and
	// flags are what matter.
	got := string(out)
	for _, w := range []string{`INBOX one flags= body='first\r`, `INBOX two flags=FS body='second\r`} {
		if !strings.Contains(got, w) && !strings.Contains(got, strings.TrimSuffix(w, `\r`)) {
			t.Fatalf("python sees:\n%s\nmissing %q", got, w)
		}
	}
	if !strings.Contains(got, "Lists.Go go flags=R") {
		t.Fatalf("python sees:\n%s\nmissing the Lists/Go folder as Lists.Go", got)
	}
	f := e.open("alice", Inbox)
	u := e.poll(f)
	if len(u.Added) != 0 {
		t.Fatalf("unexpected: %+v", u)
	}
	ms := f.Messages()
	if len(ms) != 3 || ms[2].UID != 3 || !strings.Contains(e.read(f, 3), "from python") {
		t.Fatalf("message added by python: %+v", ms)
	}
}
