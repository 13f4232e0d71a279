package imap_test

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/mailwright/mailwright/imap"
	"github.com/mailwright/mailwright/mailbox"
)

const fwdMsg = "From: Alice <alice@example.org>\r\n" +
	"Subject: Outer\r\n" +
	"MIME-Version: 1.0\r\n" +
	"Content-Type: multipart/mixed; boundary=b1\r\n" +
	"\r\n" +
	"--b1\r\n" +
	"Content-Type: text/plain\r\n" +
	"\r\n" +
	"Hello\r\n" +
	"--b1\r\n" +
	"Content-Type: message/rfc822\r\n" +
	"\r\n" +
	"From: Bob <bob@example.org>\r\n" +
	"Subject: Inner\r\n" +
	"\r\n" +
	"Forwarded\r\n" +
	"--b1--\r\n"

// TestFetchStructureCache fetches BODYSTRUCTURE, ENVELOPE and a section
// of a message with an encapsulated message from two sessions, with the
// backend's structure cache (imap.StructureCache) on and off: the answers
// are the same, whether the structure was parsed by the server, parsed by
// the cache or taken from it.
func TestFetchStructureCache(t *testing.T) {
	for _, size := range []int{0, -1} {
		ts := startServer(t, func(s *imap.Server) {
			s.Backend.(*mailbox.IMAPBackend).StructureCacheSize = size
		})
		ts.deliver(t, "alice", "INBOX", fwdMsg)
		for range 2 {
			c := ts.selectInbox(t)
			c.run(`
C: a1 FETCH 1 (BODYSTRUCTURE ENVELOPE)
S: * 1 FETCH (BODYSTRUCTURE (("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 5 0 NIL NIL NIL NIL)("message" "rfc822" NIL NIL NIL "7bit" 56 (NIL "Inner" (("Bob" NIL "bob" "example.org")) (("Bob" NIL "bob" "example.org")) (("Bob" NIL "bob" "example.org")) NIL NIL NIL NIL NIL) ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 9 0 NIL NIL NIL NIL) 3 NIL NIL NIL NIL) "mixed" ("boundary" "b1") NIL NIL NIL) ENVELOPE (NIL "Outer" (("Alice" NIL "alice" "example.org")) (("Alice" NIL "alice" "example.org")) (("Alice" NIL "alice" "example.org")) NIL NIL NIL NIL NIL))
S: a1 OK FETCH completed
C: a2 FETCH 1 (BODY.PEEK[2.HEADER.FIELDS (Subject)] BODY.PEEK[1])
S: * 1 FETCH (BODY[2.HEADER.FIELDS (Subject)] {18}
S: Subject: Inner
S:
S:  BODY[1] {5}
S: Hello)
S: a2 OK FETCH completed
C: a3 LOGOUT
S: * BYE {*}
S: a3 OK LOGOUT completed`)
		}
	}
}

// countingBackend counts the messages the server opens (Mailbox.Open),
// passing StructureCache through.
type countingBackend struct {
	imap.Backend
	opens *atomic.Int64
}

func (b countingBackend) Login(ctx context.Context, conn imap.ConnInfo, user, pass string) (imap.User, error) {
	u, err := b.Backend.Login(ctx, conn, user, pass)
	if err != nil {
		return nil, err
	}
	return countingUser{u, b.opens}, nil
}

type countingUser struct {
	imap.User
	opens *atomic.Int64
}

func (u countingUser) Open(ctx context.Context, name string, readOnly bool) (imap.Mailbox, error) {
	mb, err := u.User.Open(ctx, name, readOnly)
	if err != nil {
		return nil, err
	}
	return countingMailbox{mb, u.opens}, nil
}

type countingMailbox struct {
	imap.Mailbox
	opens *atomic.Int64
}

func (m countingMailbox) Open(ctx context.Context, uid uint32) (imap.MessageReader, error) {
	m.opens.Add(1)
	return m.Mailbox.Open(ctx, uid)
}

func (m countingMailbox) Structure(ctx context.Context, uid uint32) (*imap.Part, error) {
	return m.Mailbox.(imap.StructureCache).Structure(ctx, uid)
}

// TestFetchStructureCacheNoOpen checks that with a StructureCache, FETCH
// of ENVELOPE, BODY and BODYSTRUCTURE does not open the message, while
// BODY[...] does, and that without the cache the message is opened.
func TestFetchStructureCacheNoOpen(t *testing.T) {
	for _, size := range []int{0, -1} {
		var opens atomic.Int64
		ts := startServer(t, func(s *imap.Server) {
			s.Backend.(*mailbox.IMAPBackend).StructureCacheSize = size
			s.Backend = countingBackend{s.Backend, &opens}
		})
		ts.deliver(t, "alice", "INBOX", fwdMsg)
		c := ts.selectInbox(t)
		c.run(`
C: a1 FETCH 1 (ENVELOPE BODY BODYSTRUCTURE UID)
S: * 1 FETCH (ENVELOPE (NIL "Outer" {*}) BODY (("text" {*}) BODYSTRUCTURE (("text" {*}) UID 1)
S: a1 OK FETCH completed`)
		want := int64(0)
		if size < 0 {
			want = 1
		}
		if n := opens.Load(); n != want {
			t.Errorf("cache size %d: FETCH ENVELOPE BODY BODYSTRUCTURE opened the message %d times, want %d", size, n, want)
		}
		c.run(`
C: a2 FETCH 1 (BODYSTRUCTURE BODY.PEEK[1])
S: * 1 FETCH (BODYSTRUCTURE (("text" {*}) BODY[1] {5}
S: Hello)
S: a2 OK FETCH completed`)
		if n := opens.Load(); n != want+1 {
			t.Errorf("cache size %d: FETCH BODY[1] made %d opens in all, want %d", size, n, want+1)
		}
	}
}

func (m countingMailbox) Header(ctx context.Context, uid uint32) (*imap.Header, error) {
	return m.Mailbox.(imap.HeaderCache).Header(ctx, uid)
}

// TestSearchHeaderCache searches header keys with the backend's header
// cache (imap.HeaderCache) on and off: the answers are the same, and with
// the cache the server opens no message, whether the header was read by
// the cache or taken from it.
func TestSearchHeaderCache(t *testing.T) {
	for _, size := range []int64{0, -1} {
		var opens atomic.Int64
		ts := startServer(t, func(s *imap.Server) {
			s.Backend.(*mailbox.IMAPBackend).HeaderCacheBytes = size
			s.Backend = countingBackend{s.Backend, &opens}
		})
		ts.deliver(t, "alice", "INBOX", fwdMsg)
		ts.deliver(t, "alice", "INBOX", "From: Carol <carol@example.org>\r\nSubject: =?utf-8?q?Caf=C3=A9?=\r\n\r\nInner\r\n")
		ts.deliver(t, "alice", "INBOX", "From: Dave <dave@example.org>\r\nSubject: other\r\n\r\nbody\r\n")
		for range 2 {
			c := ts.selectInbox(t)
			c.run(`
C: a1 SEARCH SUBJECT inner
S: * SEARCH
S: a1 OK SEARCH completed
C: a2 UID SEARCH OR FROM carol HEADER Subject outer
S: * SEARCH 1 2
S: a2 OK SEARCH completed
C: a3 SEARCH CHARSET UTF-8 SUBJECT "CAFÉ"
S: * SEARCH 2
S: a3 OK SEARCH completed
C: a4 LOGOUT
S: * BYE {*}
S: a4 OK LOGOUT completed`)
		}
		want := int64(0)
		if size < 0 {
			want = 2 * 3 * 3 // two sessions, three searches, three messages
		}
		if n := opens.Load(); n != want {
			t.Errorf("header cache %d: the searches opened messages %d times, want %d", size, n, want)
		}
	}
}
