package mailbox_test

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mailwright/mailwright/mailbox"
	"github.com/mailwright/mailwright/pop3"
)

// startMboxPOP3 serves file over POP3 on a loopback port for user alice.
func startMboxPOP3(t *testing.T, file *mailbox.MboxFile) string {
	t.Helper()
	login := func(ctx context.Context, _ pop3.ConnInfo, user, pass string) (pop3.Maildrop, error) {
		if user != "alice" || pass != "secret" {
			return nil, pop3.ErrAuthFailed
		}
		lock, err := file.Lock(ctx)
		if err != nil {
			return nil, err
		}
		return lock.POP3Maildrop(), nil
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &pop3.Server{Backend: pop3.BackendFunc(login), AllowInsecureAuth: true}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

// pop3Transcript runs "C: line" / "S: line" pairs against addr; an S:
// line ending in "*" matches any rest of the line.
func pop3Transcript(t *testing.T, addr, script string) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(c)
	for _, line := range strings.Split(strings.TrimSpace(script), "\n") {
		line = strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(line, "C: "):
			if _, err := c.Write([]byte(line[3:] + "\r\n")); err != nil {
				t.Fatal(err)
			}
		case strings.HasPrefix(line, "S:"):
			want := strings.TrimPrefix(strings.TrimPrefix(line, "S:"), " ")
			got, err := r.ReadString('\n')
			if err != nil {
				t.Fatalf("reading for %q: %v", want, err)
			}
			got = strings.TrimSuffix(got, "\r\n")
			if prefix, ok := strings.CutSuffix(want, "*"); ok && strings.HasPrefix(got, prefix) || got == want {
				continue
			}
			t.Fatalf("S: %q, want %q", got, want)
		}
	}
}

// TestMboxPOP3Maildrop serves an mbox file over POP3: CRLF sizes, LF
// content sent as CRLF with byte-stuffing, content-hash UIDs that stay the
// same across sessions (identical messages told apart), and DELE + QUIT
// erasing only the deleted message from the file.
func TestMboxPOP3Maildrop(t *testing.T) {
	file := &mailbox.MboxFile{Path: filepath.Join(t.TempDir(), "alice.mbox")}
	for _, m := range []string{
		"Subject: one\n\nFrom here\n.dot\n",
		"Subject: two\n\nsame\n",
		"Subject: two\n\nsame\n",
	} {
		if err := file.Append(context.Background(), "bob@example.org", time.Unix(1e9, 0), strings.NewReader(m)); err != nil {
			t.Fatal(err)
		}
	}
	uid := func(crlf string) string {
		sum := sha256.Sum256([]byte(crlf))
		return hex.EncodeToString(sum[:16])
	}
	one, two := uid("Subject: one\r\n\r\nFrom here\r\n.dot\r\n"), uid("Subject: two\r\n\r\nsame\r\n")
	addr := startMboxPOP3(t, file)
	pop3Transcript(t, addr, `
S: +OK*
C: USER alice
S: +OK*
C: PASS secret
S: +OK*
C: LIST
S: +OK*
S: 1 33
S: 2 22
S: 3 22
S: .
C: UIDL
S: +OK*
S: 1 `+one+`
S: 2 `+two+`
S: 3 `+two+`-2
S: .
C: RETR 1
S: +OK*
S: Subject: one
S:
S: From here
S: ..dot
S: .
C: DELE 2
S: +OK*
C: QUIT
S: +OK*`)
	data, err := os.ReadFile(file.Path)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(data), "Subject: two"); n != 1 || !strings.Contains(string(data), "Subject: one") {
		t.Fatalf("after DELE 2 the file holds:\n%s", data)
	}
	// The next session: the same UIDs for the messages left, the copy that
	// stayed now without a suffix.
	pop3Transcript(t, addr, `
S: +OK*
C: USER alice
S: +OK*
C: PASS secret
S: +OK*
C: UIDL
S: +OK*
S: 1 `+one+`
S: 2 `+two+`
S: .
C: QUIT
S: +OK*`)
}
