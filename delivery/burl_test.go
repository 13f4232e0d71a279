package delivery

import (
	"bufio"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"runtime"
	"strings"
	"testing"

	"github.com/mailwright/mailwright/imap"
	"github.com/mailwright/mailwright/mailbox"
	"github.com/mailwright/mailwright/smtp"
)

// signURL authorizes a rump URL as the IMAP server's GENURLAUTH does (RFC
// 4467 7: HMAC-SHA256 under the mailbox access key, which it makes).
func signURL(t *testing.T, b imap.URLAuthBackend, user, mbox, rump string) string {
	t.Helper()
	ctx := context.Background()
	u, err := b.URLUser(ctx, user)
	if err != nil {
		t.Fatal(err)
	}
	defer u.Logout()
	key, err := u.(imap.AccessKeyUser).AccessKey(ctx, mbox, true)
	if err != nil {
		t.Fatal(err)
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(rump))
	return rump + ":INTERNAL:" + hex.EncodeToString(mac.Sum(nil))
}

// TestAgentBURL: with Agent.BURL, sessions offer "BURL imap" (RFC 4468)
// and deliver what an authorized URL names, for an authenticated client
// whom the URL's access identifier allows; anyone else gets 530 or 554.
func TestAgentBURL(t *testing.T) {
	a := testAgent(t)
	backend := mailbox.NewIMAPBackend(a.Store, a.Accounts)
	a.BURL = IMAPURLs{Backend: backend}
	a.VerifyExpand = true
	draft := "Subject: by reference\r\n\r\nsaved draft\r\n"
	if _, err := a.Store.Append(context.Background(), "alice", mailbox.Inbox, strings.NewReader(draft), nil); err != nil {
		t.Fatal(err)
	}
	url := signURL(t, backend, "alice", "INBOX", "imap://alice@example.org/INBOX/;UID=1;URLAUTH=submit+alice")
	conn := dial(t, serve(t, a))
	transcript(t, conn, bufio.NewReader(conn), `
		S: 220 *
		C: EHLO client.test
		S: 250-mx.example.org*
		S: 250-PIPELINING
		S: 250-8BITMIME
		S: 250-ENHANCEDSTATUSCODES
		S: 250-SIZE 33554432
		S: 250-CHUNKING
		S: 250-BINARYMIME
		S: 250-SMTPUTF8
		S: 250-DSN
		S: 250-AUTH PLAIN LOGIN SCRAM-SHA-256
		S: 250-VRFY
		S: 250 BURL imap
		C: MAIL FROM:<alice@example.org>
		S: 250 *
		C: RCPT TO:<bob@example.org>
		S: 250 *
		C: BURL `+url+` LAST
		S: 530 5.7.0 Authentication required for BURL
		C: AUTH PLAIN YWxpY2UAYWxpY2UAc2VjcmV0
		S: 235 2.7.0 *
		C: MAIL FROM:<alice@example.org>
		S: 250 *
		C: RCPT TO:<bob@example.org>
		S: 250 *
		C: BURL `+strings.Replace(url, "UID=1", "UID=2", 1)+` LAST
		S: 554 5.6.6 IMAP URL resolution failed
		C: MAIL FROM:<alice@example.org>
		S: 250 *
		C: RCPT TO:<bob@example.org>
		S: 250 *
		C: BURL `+url+` LAST
		S: 250 2.0.0 Message accepted
	`)
	msgs := waitInbox(t, a.Store, "bob", 1)
	if !strings.HasSuffix(msgs[0], "\r\n"+draft) || !strings.HasPrefix(msgs[0], "Return-Path: <alice@example.org>\r\nReceived: ") {
		t.Errorf("bob got %q", msgs[0])
	}

	// Bob is not "submit+alice".
	conn = dial(t, serve(t, a))
	transcript(t, conn, bufio.NewReader(conn), `
		S: 220 *
		C: EHLO client.test
		C: AUTH PLAIN AGJvYgBzZWNyZXQ=
		C: MAIL FROM:<bob@example.org>
		C: RCPT TO:<alice@example.org>
		C: BURL `+url+` LAST
		S: 250-*
		S: 250-*
		S: 250-*
		S: 250-*
		S: 250-*
		S: 250-*
		S: 250-*
		S: 250-*
		S: 250-*
		S: 250-*
		S: 250-*
		S: 250 BURL imap
		S: 235 2.7.0 *
		S: 250 *
		S: 250 *
		S: 554 5.6.6 IMAP URL resolution failed
	`)
}

// TestBURLStreams: a 16 MB message sent with BURL goes from alice's
// Maildir through the SMTP server into bob's with memory bounded by
// buffers, far below its size.
func TestBURLStreams(t *testing.T) {
	if testing.Short() {
		t.Skip("moves 32 MB")
	}
	const size = 16 << 20
	a := testAgent(t)
	store, err := mailbox.NewMaildirStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	a.Store = store
	backend := mailbox.NewIMAPBackend(store, a.Accounts)
	a.BURL = IMAPURLs{Backend: backend}
	draft := "Subject: big\r\n\r\n" + strings.Repeat("a line of a big draft, sent by reference\r\n", size/42)
	if _, err := store.Append(context.Background(), "alice", mailbox.Inbox, strings.NewReader(draft), nil); err != nil {
		t.Fatal(err)
	}
	url := signURL(t, backend, "alice", "INBOX", "imap://alice@example.org/INBOX/;UID=1;URLAUTH=submit+alice")
	conn := dial(t, serve(t, a, func(s *smtp.Server) { s.MaxMessageBytes = 64 << 20 }))
	br := bufio.NewReader(conn)
	transcript(t, conn, br, `
		S: 220 *
		C: EHLO client.test
		C: AUTH PLAIN YWxpY2UAYWxpY2UAc2VjcmV0
		C: MAIL FROM:<alice@example.org>
		C: RCPT TO:<bob@example.org>`)
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(line, "250 2.1.5") {
			break
		}
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	transcript(t, conn, br, `
		C: BURL `+url+` LAST
		S: 250 2.0.0 Message accepted`)
	runtime.ReadMemStats(&after)
	t.Logf("allocated %d KB", (after.TotalAlloc-before.TotalAlloc)>>10)
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 4<<20 {
		t.Errorf("allocated %d MB for a %d MB BURL", grew>>20, size>>20)
	}
	f, err := store.OpenFolder(context.Background(), "bob", mailbox.Inbox)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if msgs := f.Messages(); len(msgs) != 1 || msgs[0].Size < int64(len(draft)) {
		t.Fatalf("bob's INBOX: %+v", msgs)
	}
}
