package mailbox_test

import (
	"context"
	"errors"
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/mailwright/mailwright/internal/interop"
	"github.com/mailwright/mailwright/mailbox"
	"github.com/mailwright/mailwright/pop3"
)

// TestPOP3InteropOnMaildir serves a Maildir store over POP3 and drives it
// with independent clients: Python's poplib lists, retrieves and deletes;
// a second session (curl) sees the deletion, and the files are gone.
func TestPOP3InteropOnMaildir(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 is not installed; skipping the POP3 interop test")
	}
	store, err := mailbox.NewMaildirStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	accounts := mailbox.NewMemoryAccounts()
	accounts.Cost = 4
	accounts.Add("bob", "s3cret")
	ctx := context.Background()
	for _, m := range []string{"Subject: one\r\n\r\nfirst\r\n.dotted\r\n", "Subject: two\n\nsecond, with LF endings\n"} {
		if _, err := store.Append(ctx, "bob", mailbox.Inbox, strings.NewReader(m), nil); err != nil {
			t.Fatal(err)
		}
	}

	srv := &pop3.Server{Backend: mailbox.NewPOP3Backend(store, accounts), AllowInsecureAuth: true}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(l)
	defer srv.Close()
	host, port, _ := net.SplitHostPort(l.Addr().String())

	script := `
import poplib, sys
p = poplib.POP3(sys.argv[1], int(sys.argv[2]), timeout=20)
p.user("bob"); p.pass_("s3cret")
count, size = p.stat()
assert count == 2, count
listing = [l.split() for l in p.list()[1]]
assert [int(n) for _, n in listing] == [len(b"Subject: one\r\n\r\nfirst\r\n.dotted\r\n"), len(b"Subject: two\r\n\r\nsecond, with LF endings\r\n")], listing
assert p.retr(1)[1] == [b"Subject: one", b"", b"first", b".dotted"], p.retr(1)[1]
assert p.retr(2)[1] == [b"Subject: two", b"", b"second, with LF endings"]
uid1 = p.uidl(1).split()[2]
p.dele(1)
p.quit()
print(uid1.decode())
`
	out, err := exec.Command(python, "-c", script, host, port).CombinedOutput()
	if err != nil {
		t.Fatalf("poplib: %v\n%s", err, out)
	}

	if curl, missing := interop.FindCurl("pop3"); missing == "" {
		// curl's pop3:// URL without a message lists what is left.
		out, err := runWithTimeout(curl, "--silent", "--show-error", "--max-time", "20", "--user", "bob:s3cret", "pop3://"+l.Addr().String()+"/")
		if err != nil {
			t.Fatalf("curl: %v\n%s", err, out)
		}
		if lines := strings.Fields(strings.TrimSpace(string(out))); len(lines) != 2 || lines[0] != "1" {
			t.Fatalf("after DELE, curl lists %q; want one message", out)
		}
	} else {
		t.Log(missing + "; second session checked with the store only")
	}
	f, err := store.OpenFolder(ctx, "bob", mailbox.Inbox)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if n := len(f.Messages()); n != 1 {
		t.Fatalf("INBOX has %d messages after DELE+QUIT, want 1", n)
	}
}

func runWithTimeout(name string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	if ctx.Err() != nil {
		return out, errors.New("timed out")
	}
	return out, err
}
