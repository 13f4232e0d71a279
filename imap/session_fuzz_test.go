package imap_test

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mailwright/mailwright/imap"
	"github.com/mailwright/mailwright/internal/fuzzlog"
	"github.com/mailwright/mailwright/mailbox"
)

// FuzzSession sends arbitrary bytes to a real server on loopback, after a
// login, and checks that the server never panics and that every line it
// writes is well-formed (a status, untagged or continuation response, and
// literals of the announced size).
func FuzzSession(f *testing.F) {
	for _, s := range []string{
		"a SELECT INBOX\r\nb FETCH 1:* (BODY[] BODYSTRUCTURE ENVELOPE)\r\nc LOGOUT\r\n",
		"a SELECT INBOX\r\nb UID SEARCH TEXT hello OR FROM x NOT 1:3\r\nc STORE 1 +FLAGS (\\Deleted $X)\r\nd EXPUNGE\r\n",
		"a APPEND INBOX {5+}\r\nhello\r\nb APPEND INBOX (\\Seen) {3}\r\nabc\r\n",
		"a LIST \"\" *\r\nb CREATE x/y\r\nc RENAME x z\r\nd LSUB \"\" %\r\ne STATUS z/y (MESSAGES UIDNEXT)\r\n",
		"a SELECT INBOX\r\nb IDLE\r\nDONE\r\nc MOVE 1 Trash\r\nd COPY 1:* Trash\r\n",
		"a EXAMINE INBOX\r\nb FETCH 1 (BINARY[1] BINARY.SIZE[2] BODY[1.MIME] BODY[HEADER.FIELDS (Subject)]<1.5>)\r\n",
		"a ENABLE IMAP4rev2\r\nb SELECT INBOX\r\nc SEARCH RETURN (MIN MAX COUNT) ALL\r\n",
		"a SELECT INBOX\r\nb SEARCH RETURN (SAVE MIN) ALL\r\nc FETCH $ FLAGS\r\nd UID STORE $ +FLAGS (\\Deleted)\r\ne EXPUNGE\r\nf UID MOVE $ Trash\r\ng SEARCH OR $ 1 NOT $\r\n",
		"a SUBSCRIBE x/y\r\nb LIST (SUBSCRIBED RECURSIVEMATCH) \"\" (% \"x/*\") RETURN (CHILDREN STATUS (MESSAGES))\r\n",
		"\x00\xff{999999999}\r\n* * *\r\n",
		"a ENABLE QRESYNC\r\nb SELECT INBOX (QRESYNC (1 1 1:9 (1:2 1,2)))\r\nc UID FETCH 1:* FLAGS (CHANGEDSINCE 1 VANISHED)\r\nd STORE 1 +FLAGS (\\Deleted)\r\ne EXPUNGE\r\n",
		"a SELECT INBOX\r\nb SORT RETURN (MIN MAX ALL COUNT) (REVERSE SUBJECT) UTF-8 ALL\r\nc UID SORT RETURN () (DATE) US-ASCII 1:*\r\n",
		"a APPEND INBOX CATENATE (URL \"/INBOX/;UID=1/;SECTION=HEADER\" TEXT {4+}\r\nbody URL \"/INBOX/;UID=2/;PARTIAL=0.9\")\r\nb SELECT INBOX\r\nc APPEND INBOX CATENATE (URL \";UID=1\" URL \"/INBOX/;UID=9\" TEXT {1+}\r\nx)\r\n",
		"a GENURLAUTH \"imap://alice@h/INBOX/;UID=2/;SECTION=1;URLAUTH=authuser\" INTERNAL\r\nb URLFETCH (\"imap://alice@h/INBOX/;UID=2;URLAUTH=anonymous:INTERNAL:00000000000000000000000000000000\" BINARY BODYPARTSTRUCTURE)\r\nc RESETKEY\r\n",
	} {
		f.Add([]byte(s))
	}
	rec := &fuzzlog.Recorder{}
	// Each input gets a store of its own, with alice's INBOX holding two
	// messages: failures reproduce from the input alone, and the store
	// does not grow across inputs (a COPY 1:* into the selected folder
	// doubles it).
	var backend atomic.Pointer[mailbox.IMAPBackend]
	srv := &imap.Server{
		Backend:             swappedBackend{&backend},
		AllowInsecureAuth:   true,
		Logger:              slog.New(rec),
		CommandTimeout:      2 * time.Second,
		IdleTimeout:         2 * time.Second,
		MaxConnectionsPerIP: -1,
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		f.Fatal(err)
	}
	go srv.Serve(l)
	f.Cleanup(func() { srv.Close() })
	f.Fuzz(func(t *testing.T, in []byte) {
		defer rec.LogIfFailed(t)
		store := mailbox.NewMemoryStore()
		defer store.Close() // after the server ended the session (EOF below)
		accts := mailbox.NewMemoryAccounts()
		accts.Add("alice", "secret")
		for _, m := range []string{msg1, msg2} {
			if _, err := store.Append(context.Background(), "alice", "INBOX", strings.NewReader(m), nil); err != nil {
				t.Fatal(err)
			}
		}
		backend.Store(mailbox.NewIMAPBackend(store, accts))
		checkWellFormed(t, fuzzlog.Converse(t, l.Addr().String(), append([]byte("L0 LOGIN alice secret\r\n"), in...)))
		rec.FailOnPanics(t)
	})
}

// swappedBackend serves the backend of the current fuzz input, URLAUTH
// included.
type swappedBackend struct {
	p *atomic.Pointer[mailbox.IMAPBackend]
}

func (b swappedBackend) Login(ctx context.Context, conn imap.ConnInfo, username, password string) (imap.User, error) {
	return b.p.Load().Login(ctx, conn, username, password)
}

func (b swappedBackend) URLUser(ctx context.Context, name string) (imap.User, error) {
	return b.p.Load().URLUser(ctx, name)
}

// checkWellFormed reads responses to the end and checks their framing.
func checkWellFormed(t *testing.T, r *bufio.Reader) {
	for line, ok := fuzzlog.ReadLine(t, r); ok; line, ok = fuzzlog.ReadLine(t, r) {
		for {
			if !strings.HasPrefix(line, "* ") && !strings.HasPrefix(line, "+ ") && !strings.HasPrefix(line, "+\r") {
				tag, rest, ok := strings.Cut(line, " ")
				if !ok || tag == "" || !(strings.HasPrefix(rest, "OK") || strings.HasPrefix(rest, "NO") || strings.HasPrefix(rest, "BAD")) {
					t.Fatalf("malformed response line %q", line)
				}
			}
			// A line ending in {n} is followed by n bytes of literal and
			// the rest of the response.
			body := strings.TrimSuffix(line, "\r\n")
			if !strings.HasSuffix(body, "}") {
				break
			}
			i := strings.LastIndexByte(body, '{')
			n, err := strconv.Atoi(strings.TrimSuffix(body[i+1:len(body)-1], "+"))
			if i < 0 || err != nil {
				break
			}
			if _, err := io.CopyN(io.Discard, r, int64(n)); err != nil {
				t.Fatalf("literal of %d bytes cut short: %v", n, err)
			}
			rest, err := r.ReadString('\n')
			if err != nil || !strings.HasSuffix(rest, "\r\n") {
				t.Fatalf("response after a literal not ended by CRLF: %q %v", rest, err)
			}
			line = "* " + rest
		}
	}
}
