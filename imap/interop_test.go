package imap_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	goimap "github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/mailwright/mailwright/internal/interop"
)

func TestInteropGoIMAPClient(t *testing.T) {
	ts := startServer(t, nil)
	ts.deliver(t, "alice", "INBOX", msg1)
	ts.deliver(t, "alice", "INBOX", msg2)
	exists := make(chan uint32, 16)
	c, err := imapclient.DialInsecure(ts.addr, &imapclient.Options{
		UnilateralDataHandler: &imapclient.UnilateralDataHandler{
			Mailbox: func(d *imapclient.UnilateralDataMailbox) {
				if d.NumMessages != nil {
					exists <- *d.NumMessages
				}
			},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login("alice", "secret").Wait(); err != nil {
		t.Fatal(err)
	}
	list, err := c.List("", "*", nil).Collect()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, l := range list {
		names = append(names, l.Mailbox)
	}
	if got := strings.Join(names, ","); got != "INBOX,Sent,Trash" {
		t.Errorf("LIST = %s", got)
	}
	sel, err := c.Select("INBOX", nil).Wait()
	if err != nil {
		t.Fatal(err)
	}
	if sel.NumMessages != 2 {
		t.Errorf("SELECT: %d messages", sel.NumMessages)
	}
	msgs, err := c.Fetch(goimap.SeqSetNum(1, 2), &goimap.FetchOptions{
		Envelope: true, Flags: true, UID: true,
		BodyStructure: &goimap.FetchItemBodyStructure{Extended: true},
		BodySection:   []*goimap.FetchItemBodySection{{Part: []int{1}, Peek: true}},
	}).Collect()
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 2 || msgs[0].Envelope.Subject != "Hello" || msgs[1].Envelope.Subject != "Lunch" {
		t.Fatalf("FETCH: %+v", msgs)
	}
	if mp, ok := msgs[1].BodyStructure.(*goimap.BodyStructureMultiPart); !ok || mp.Subtype != "mixed" || len(mp.Children) != 2 {
		t.Errorf("BODYSTRUCTURE: %#v", msgs[1].BodyStructure)
	}
	if got := string(msgs[1].BodySection[0].Bytes); got != "Noon at the usual place?" {
		t.Errorf("BODY[1] = %q", got)
	}
	sd, err := c.UIDSearch(&goimap.SearchCriteria{Body: []string{"usual"}}, nil).Wait()
	if err != nil {
		t.Fatal(err)
	}
	if uids := sd.AllUIDs(); len(uids) != 1 || uids[0] != 2 {
		t.Errorf("SEARCH: %v", uids)
	}
	if err := c.Store(goimap.SeqSetNum(1), &goimap.StoreFlags{Op: goimap.StoreFlagsAdd, Flags: []goimap.Flag{goimap.FlagFlagged}, Silent: true}, nil).Close(); err != nil {
		t.Fatal(err)
	}
	cd, err := c.Copy(goimap.SeqSetNum(1), "Trash").Wait()
	if err != nil || cd.DestUIDs.String() != "1" {
		t.Fatalf("COPY: %v %+v", err, cd)
	}
	md, err := c.Move(goimap.SeqSetNum(2), "Sent").Wait()
	if err != nil || md.DestUIDs.String() != "1" {
		t.Fatalf("MOVE: %v %+v", err, md)
	}
	body := "Subject: appended\r\n\r\nbody\r\n"
	ac := c.Append("INBOX", int64(len(body)), &goimap.AppendOptions{Flags: []goimap.Flag{goimap.FlagSeen}})
	ac.Write([]byte(body))
	ac.Close()
	ad, err := ac.Wait()
	if err != nil || ad.UID != 3 {
		t.Fatalf("APPEND: %v %+v", err, ad)
	}
	if err := c.Store(goimap.SeqSetNum(1), &goimap.StoreFlags{Op: goimap.StoreFlagsAdd, Flags: []goimap.Flag{goimap.FlagDeleted}, Silent: true}, nil).Close(); err != nil {
		t.Fatal(err)
	}
	if seqs, err := c.Expunge().Collect(); err != nil || len(seqs) != 1 || seqs[0] != 1 {
		t.Fatalf("EXPUNGE: %v %v", err, seqs)
	}
	for len(exists) > 0 {
		<-exists
	}
	// IDLE receives a message delivered through the store.
	idle, err := c.Idle()
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	ts.deliver(t, "alice", "INBOX", msg1)
	select {
	case n := <-exists:
		if n != 2 {
			t.Errorf("IDLE: EXISTS %d, want 2", n)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("IDLE: no EXISTS after delivery")
	}
	if err := idle.Close(); err != nil {
		t.Fatal(err)
	}
	if err := idle.Wait(); err != nil {
		t.Fatal(err)
	}
	if err := c.Logout().Wait(); err != nil {
		t.Fatal(err)
	}
}

func TestInteropPythonImaplib(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not installed: skipping the imaplib interop test")
	}
	ts := startServer(t, nil)
	ts.deliver(t, "alice", "INBOX", msg1)
	ts.deliver(t, "alice", "INBOX", msg2)
	host, port, _ := strings.Cut(ts.addr, ":")
	script := `
import imaplib, sys
m = imaplib.IMAP4(sys.argv[1], int(sys.argv[2]))
m.login("alice", "secret")
typ, data = m.list()
assert typ == "OK" and len(data) == 3, data
typ, data = m.select("INBOX")
assert data == [b"2"], data
typ, data = m.search(None, "FROM", "carol")
assert data == [b"2"], data
typ, data = m.fetch("1:2", "(ENVELOPE BODYSTRUCTURE)")
assert typ == "OK" and b"Hello" in data[0] and b"mixed" in data[1], data
typ, data = m.fetch("2", "(BODY.PEEK[1])")
assert data[0][1] == b"Noon at the usual place?", data
typ, data = m.store("1", "+FLAGS", "(\\Flagged)")
assert typ == "OK" and b"\\Flagged" in data[0], data
typ, data = m.copy("1", "Trash")
assert typ == "OK", data
typ, data = m.append("INBOX", "(\\Seen)", None, b"Subject: py\r\n\r\nfrom python\r\n")
assert typ == "OK" and b"APPENDUID" in data[0], data
m.store("1", "+FLAGS", "(\\Deleted)")
typ, data = m.expunge()
assert data == [b"1"], data
typ, data = m.uid("SEARCH", None, "ALL")
assert data == [b"2 3"], data
m.close()
m.logout()
print("ok")
`
	out, err := exec.Command(py, "-c", script, host, port).CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "ok" {
		t.Fatalf("python imaplib: %v\n%s", err, out)
	}
}

func TestInteropCurl(t *testing.T) {
	curl := interop.NeedCurl(t, "imap")
	ts := startServer(t, nil)
	ts.deliver(t, "alice", "INBOX", msg1)
	run := func(args ...string) string {
		t.Helper()
		out, err := exec.Command(curl, append([]string{"-s", "-S", "--max-time", "10", "-u", "alice:secret"}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("curl %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	if out := run("imap://" + ts.addr + "/"); !strings.Contains(out, `"/" INBOX`) || !strings.Contains(out, "Trash") {
		t.Errorf("curl list: %q", out)
	}
	if out := run("imap://" + ts.addr + "/INBOX;UID=1"); out != msg1 {
		t.Errorf("curl fetch: %q", out)
	}
	if out := run("imap://"+ts.addr+"/INBOX", "-X", "SEARCH SUBJECT Hello"); !strings.Contains(out, "SEARCH 1") {
		t.Errorf("curl search: %q", out)
	}
	f := filepath.Join(t.TempDir(), "m.eml")
	os.WriteFile(f, []byte("Subject: curl\r\n\r\nuploaded\r\n"), 0o600)
	run("imap://"+ts.addr+"/Trash", "-T", f)
	if out := run("imap://"+ts.addr+"/Trash", "-X", "STATUS Trash (MESSAGES)"); !strings.Contains(out, "MESSAGES 1") {
		t.Errorf("curl append/status: %q", out)
	}
}

func TestInteropMbsync(t *testing.T) {
	mbsync, err := exec.LookPath("mbsync")
	if err != nil {
		t.Skip("mbsync not installed (Debian package isync): skipping the mbsync interop test")
	}
	ts := startServer(t, nil)
	ts.deliver(t, "alice", "INBOX", msg1)
	ts.deliver(t, "alice", "INBOX", msg2, `\Seen`)
	dir := t.TempDir()
	local := filepath.Join(dir, "mail") + "/"
	host, port, _ := strings.Cut(ts.addr, ":")
	conf := `IMAPAccount test
Host ` + host + `
Port ` + port + `
User alice
Pass secret
SSLType None
AuthMechs LOGIN

IMAPStore remote
Account test

MaildirStore local
Path ` + local + `
Inbox ` + local + `INBOX
SubFolders Verbatim

Channel sync
Far :remote:
Near :local:
Patterns *
Create Both
Expunge Both
SyncState *
`
	os.MkdirAll(local, 0o700)
	cfg := filepath.Join(dir, "mbsyncrc")
	os.WriteFile(cfg, []byte(conf), 0o600)
	sync := func() {
		t.Helper()
		out, err := exec.Command(mbsync, "-c", cfg, "-a").CombinedOutput()
		if err != nil {
			t.Fatalf("mbsync: %v\n%s", err, out)
		}
	}
	sync()
	files := func(sub string) []string {
		var out []string
		for _, d := range []string{"cur", "new"} {
			ents, _ := os.ReadDir(filepath.Join(local, sub, d))
			for _, e := range ents {
				out = append(out, filepath.Join(local, sub, d, e.Name()))
			}
		}
		return out
	}
	inbox := files("INBOX")
	if len(inbox) != 2 {
		t.Fatalf("after sync: %d messages in the local INBOX, want 2", len(inbox))
	}
	var seen int
	for _, f := range inbox {
		if strings.HasSuffix(f, ",S") {
			seen++
		}
	}
	if seen != 1 {
		t.Errorf("after sync: %d seen, want 1 (%v)", seen, inbox)
	}
	if len(files("Trash")) != 0 {
		t.Errorf("Trash not synced empty")
	}
	// A local change goes back: a new message in the local Trash and
	// every INBOX message flagged \Flagged.
	os.WriteFile(filepath.Join(local, "Trash", "new", "1.local"), []byte("Subject: from mbsync\n\nlocal\n"), 0o600)
	for _, f := range inbox {
		if !strings.Contains(f, ":2,") {
			os.Rename(f, filepath.Join(filepath.Dir(filepath.Dir(f)), "cur", filepath.Base(f)+":2,F"))
		} else {
			os.Rename(f, f+"F")
		}
	}
	sync()
	st, err := ts.store.Status(t.Context(), "alice", "Trash")
	if err != nil || st.Messages != 1 {
		t.Errorf("server Trash after sync back: %+v %v", st, err)
	}
	c := ts.selectInbox(t)
	c.run(`
C: a1 SEARCH FLAGGED
S: * SEARCH 1 2
S: a1 OK SEARCH completed`)
}
