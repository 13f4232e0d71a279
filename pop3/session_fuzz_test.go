package pop3_test

import (
	"bufio"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mailwright/mailwright/internal/fuzzlog"
	"github.com/mailwright/mailwright/pop3"
	"github.com/mailwright/mailwright/pop3/backendtest"
)

// FuzzSession sends arbitrary bytes to a real server on loopback, after a
// login to a maildrop of its own holding messages that need
// byte-stuffing, and checks that the server never panics, ends the
// session, and writes only well-formed lines: CRLF-terminated, no bare CR
// or LF inside, and every line that starts with "." either the
// terminator of a multi-line response or byte-stuffed.
//
//	go test -run='^$' -fuzz=FuzzSession -fuzztime=60s ./pop3
func FuzzSession(f *testing.F) {
	for _, s := range []string{
		"STAT\r\nLIST\r\nUIDL\r\nRETR 1\r\nTOP 2 1\r\nQUIT\r\n",
		"LIST 1\r\nUIDL 2\r\nDELE 1\r\nRSET\r\nDELE 2\r\nRETR 2\r\nQUIT\r\n",
		"CAPA\r\nNOOP\r\nTOP 1 0\r\nLIST 99\r\nRETR 0\r\nDELE 1\r\nDELE 1\r\n",
		"STAT\nLIST\nRETR 1\nQUIT\n",
		"RETR 1\r\nRETR 2\r\nRETR 3\r\nTOP 3 99999999999999999999\r\n",
		"\x00\xff" + strings.Repeat("A", 300) + "\r\nUSER x\r\nPASS y\r\n",
		"AUTH PLAIN\r\n*\r\nSTLS\r\nUTF8\r\n",
	} {
		f.Add([]byte(s))
	}
	rec := &fuzzlog.Recorder{}
	mem := backendtest.NewMemory()
	srv := &pop3.Server{
		Backend: mem, AllowInsecureAuth: true, Logger: slog.New(rec),
		IdleTimeout: 2 * time.Second, MaxConnectionsPerIP: -1,
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		f.Fatal(err)
	}
	go srv.Serve(l)
	f.Cleanup(func() { srv.Close() })
	var users atomic.Int64
	f.Fuzz(func(t *testing.T, in []byte) {
		defer rec.LogIfFailed(t)
		user := fmt.Sprintf("user%d", users.Add(1))
		mem.AddUser(user, "secret")
		for _, m := range []string{
			"Subject: one\n\nhello\n.dotted\n..two\n.\n",
			"Subject: two\r\n\r\nno final newline",
			"Subject: three\r\n\r\n" + strings.Repeat("line\r\n", 100),
		} {
			if _, err := mem.Deliver(user, []byte(m)); err != nil {
				t.Fatal(err)
			}
		}
		login := fmt.Sprintf("USER %s\r\nPASS secret\r\n", user)
		checkPOP3Lines(t, fuzzlog.Converse(t, l.Addr().String(), append([]byte(login), in...)))
		rec.FailOnPanics(t)
	})
}

// checkPOP3Lines reads the server's output to the end and checks each line.
func checkPOP3Lines(t *testing.T, r *bufio.Reader) {
	for line, ok := fuzzlog.ReadLine(t, r); ok; line, ok = fuzzlog.ReadLine(t, r) {
		body := strings.TrimSuffix(line, "\r\n")
		if strings.ContainsAny(body, "\r\n") {
			t.Fatalf("line with a bare CR or LF: %q", line)
		}
		if strings.HasPrefix(body, ".") && body != "." && !strings.HasPrefix(body, "..") {
			t.Fatalf("line starting with a dot, not byte-stuffed: %q", line)
		}
	}
}
