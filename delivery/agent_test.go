package delivery

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mailwright/mailwright/mailbox"
	"github.com/mailwright/mailwright/queue"
	"github.com/mailwright/mailwright/smtp"
)

// TestRcptRouting: without authentication, local users and postmaster are
// accepted, unknown users get 550 5.1.1 and other domains 550 5.7.1.
func TestRcptRouting(t *testing.T) {
	a := testAgent(t)
	a.Queue = &recordingQueue{}
	a.RelayNetworks = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")} // not us
	addr := serve(t, a)
	conn := dial(t, addr)
	transcript(t, conn, bufio.NewReader(conn), ehlo+`
		C: MAIL FROM:<someone@elsewhere.test>
		S: 250 2.1.0 Sender OK
		C: RCPT TO:<alice@example.org>
		S: 250 2.1.5 Recipient OK
		C: RCPT TO:<ALICE@Example.NET>
		S: 250 2.1.5 Recipient OK
		C: RCPT TO:<nobody@example.org>
		S: 550 5.1.1 No such user here
		C: RCPT TO:<bob@elsewhere.test>
		S: 550 5.7.1 Relaying denied
		C: RCPT TO:<Postmaster>
		S: 250 2.1.5 Recipient OK
		C: RCPT TO:<postmaster@example.net>
		S: 250 2.1.5 Recipient OK
		C: QUIT
		S: 221 2.0.0 Bye
	`)
}

// TestRelayNeedsQueue: even an authenticated client cannot relay when
// the Agent has no queue.
func TestRelayNeedsQueue(t *testing.T) {
	a := testAgent(t)
	conn := dial(t, serve(t, a))
	transcript(t, conn, bufio.NewReader(conn), ehlo+authPlain+`
		C: MAIL FROM:<alice@example.org>
		S: 250 2.1.0 Sender OK
		C: RCPT TO:<bob@elsewhere.test>
		S: 550 5.7.1 Relaying denied
	`)
}

// TestAuthenticatedRelay: an authenticated session relays; the message
// goes to the queue with its DSN parameters and a Received field saying
// ESMTPA, and is acknowledged only then.
func TestAuthenticatedRelay(t *testing.T) {
	a := testAgent(t)
	q := &recordingQueue{}
	a.Queue = q
	conn := dial(t, serve(t, a))
	br := bufio.NewReader(conn)
	transcript(t, conn, br, ehlo+`
		C: MAIL FROM:<alice@example.org>
		S: 250 2.1.0 Sender OK
		C: RCPT TO:<carol@elsewhere.test>
		S: 550 5.7.1 Relaying denied
		C: RSET
		S: 250 2.0.0 Reset state
	`+authPlain+`
		C: MAIL FROM:<alice@example.org> RET=HDRS ENVID=env+2B42 BODY=8BITMIME
		S: 250 2.1.0 Sender OK
		C: RCPT TO:<carol@elsewhere.test> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;Carol@elsewhere.test
		S: 250 2.1.5 Recipient OK
		C: RCPT TO:<dave@other.test>
		S: 250 2.1.5 Recipient OK
		C: DATA
		S: 354 *
		C: Subject: relayed
		C:
		C: Hello.
		C: .
		S: 250 2.0.0 Message accepted
	`)
	envs, msgs := q.get()
	if len(envs) != 1 {
		t.Fatalf("%d messages queued, want 1", len(envs))
	}
	want := queue.Envelope{
		From:       "alice@example.org",
		Return:     queue.ReturnHeaders,
		EnvelopeID: "env+42",
		BodyType:   "8BITMIME",
		Recipients: []queue.Recipient{
			{Address: "carol@elsewhere.test", Notify: []queue.DSNNotify{queue.NotifySuccess, queue.NotifyFailure},
				OriginalRecipientType: "rfc822", OriginalRecipient: "Carol@elsewhere.test"},
			{Address: "dave@other.test"},
		},
	}
	if !reflect.DeepEqual(envs[0], want) {
		t.Errorf("envelope:\n got %+v\nwant %+v", envs[0], want)
	}
	fields := headerFields(msgs[0])
	if len(fields) != 2 || !strings.HasPrefix(fields[0], "Received: from client.test ([127.0.0.1]) by mx.example.org (mailwright) with ESMTPA id ") {
		t.Fatalf("queued header: %q", fields)
	}
	if strings.Contains(fields[0], " for <") {
		t.Errorf("Received names a recipient of a message with two: %q", fields[0])
	}
	if strings.Contains(msgs[0], "Return-Path") {
		t.Error("Return-Path added before final delivery")
	}
	if !strings.HasSuffix(msgs[0], "\r\nSubject: relayed\r\n\r\nHello.\r\n") {
		t.Errorf("queued message: %q", msgs[0])
	}
}

// TestTrustedNetworkRelays: a client in RelayNetworks relays without
// authenticating.
func TestTrustedNetworkRelays(t *testing.T) {
	a := testAgent(t)
	q := &recordingQueue{}
	a.Queue = q
	a.RelayNetworks = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
	conn := dial(t, serve(t, a))
	transcript(t, conn, bufio.NewReader(conn), ehlo+`
		C: MAIL FROM:<app@example.org>
		C: RCPT TO:<carol@elsewhere.test>
		C: DATA
		S: 250 2.1.0 Sender OK
		S: 250 2.1.5 Recipient OK
		S: 354 *
		C: Subject: from a trusted host
		C:
		C: Hi.
		C: .
		S: 250 2.0.0 Message accepted
	`)
	envs, msgs := q.get()
	if len(envs) != 1 || envs[0].Recipients[0].Address != "carol@elsewhere.test" {
		t.Fatalf("queued: %+v", envs)
	}
	if !strings.Contains(headerFields(msgs[0])[0], " with ESMTP id ") {
		t.Errorf("Received: %q", headerFields(msgs[0])[0])
	}
}

// receivedRE is the Received field the Agent writes for one recipient
// (RFC 5321 4.4), unfolded.
var receivedRE = regexp.MustCompile(`^Received: from client\.test \(\[127\.0\.0\.1\]\) by mx\.example\.org \(mailwright\) with (ESMTPA?) id [0-9a-z]+ for <([^>]+)>; (.+)$`)

// TestLocalDeliveryHeaders: a stored message starts with Return-Path and
// our Received field, then the message as sent.
func TestLocalDeliveryHeaders(t *testing.T) {
	a := testAgent(t)
	conn := dial(t, serve(t, a))
	before := time.Now().Add(-time.Second)
	transcript(t, conn, bufio.NewReader(conn), ehlo+`
		C: MAIL FROM:<someone@elsewhere.test>
		C: RCPT TO:<Alice@example.org>
		C: DATA
		S: 250 2.1.0 Sender OK
		S: 250 2.1.5 Recipient OK
		S: 354 *
		C: Received: from elsewhere by relay.elsewhere.test; Mon, 1 Jan 2024 00:00:00 +0000
		C: Subject: hi
		C:
		C: Hello Alice.
		C: .
		S: 250 2.0.0 Message accepted
	`)
	msgs := inbox(t, a.Store, "alice")
	if len(msgs) != 1 {
		t.Fatalf("alice has %d messages", len(msgs))
	}
	fields := headerFields(msgs[0])
	if fields[0] != "Return-Path: <someone@elsewhere.test>" {
		t.Errorf("first field %q", fields[0])
	}
	m := receivedRE.FindStringSubmatch(fields[1])
	if m == nil {
		t.Fatalf("second field %q", fields[1])
	}
	if m[1] != "ESMTP" || m[2] != "Alice@example.org" {
		t.Errorf("protocol %q, for %q", m[1], m[2])
	}
	date, err := time.Parse("Mon, 2 Jan 2006 15:04:05 -0700", m[3])
	if err != nil || date.Before(before) || date.After(time.Now().Add(time.Second)) {
		t.Errorf("date %q: %v", m[3], err)
	}
	if !strings.HasPrefix(fields[2], "Received: from elsewhere") || fields[3] != "Subject: hi" {
		t.Errorf("original header after ours: %q", fields[2:])
	}
	if !strings.HasSuffix(msgs[0], "\r\n\r\nHello Alice.\r\n") {
		t.Errorf("body: %q", msgs[0])
	}
}

// TestMaxReceived: a message with more Received fields than MaxReceived is
// refused as a loop (554 5.4.6), whether it is streamed to one mailbox or
// spooled for several; one at the limit passes.
func TestMaxReceived(t *testing.T) {
	a := testAgent(t)
	a.MaxReceived = 5
	a.Queue = &recordingQueue{}
	conn := dial(t, serve(t, a))
	br := bufio.NewReader(conn)
	transcript(t, conn, br, ehlo+authPlain)
	hops := func(n int) string {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, "C: Received: from hop%d by hop%d; Mon, 1 Jan 2024 00:00:00 +0000\n", i, i+1)
		}
		return b.String()
	}
	for _, tc := range []struct {
		rcpts string
		hops  int
		reply string
	}{
		{"C: RCPT TO:<alice@example.org>", 6, "S: 554 5.4.6 Too many hops: mail loop detected"},
		{"C: RCPT TO:<alice@example.org>\nC: RCPT TO:<bob@example.org>\nC: RCPT TO:<x@elsewhere.test>", 6, "S: 554 5.4.6 Too many hops: mail loop detected"},
		{"C: RCPT TO:<alice@example.org>", 4, "S: 250 2.0.0 Message accepted"},
	} {
		n := strings.Count(tc.rcpts, "RCPT")
		transcript(t, conn, br, "C: MAIL FROM:<alice@example.org>\n"+tc.rcpts+`
			C: DATA
			S: 250 2.1.0 Sender OK
			`+strings.Repeat("S: 250 2.1.5 Recipient OK\n", n)+`
			S: 354 *
			`+hops(tc.hops)+`
			C: rEcEiVeD : folded
			C:  Received: continuation lines are not fields
			C: Subject: loop
			C:
			C: Received: in the body is not a field
			C: .
			`+tc.reply)
	}
	// The obsolete "rEcEiVeD :" field counts, the continuation line and
	// the body do not: 4 + 1 = 5 fields is at the limit, and the message
	// was stored.
	if got := len(inbox(t, a.Store, "alice")); got != 1 {
		t.Errorf("alice has %d messages, want 1", got)
	}
	if envs, _ := a.Queue.(*recordingQueue).get(); len(envs) != 0 {
		t.Errorf("looping message queued: %+v", envs)
	}
}

// TestMaxReceivedDefault: 50 Received fields pass, 51 do not.
func TestMaxReceivedDefault(t *testing.T) {
	a := testAgent(t)
	conn := dial(t, serve(t, a))
	br := bufio.NewReader(conn)
	transcript(t, conn, br, ehlo)
	for _, n := range []int{51, 50} {
		reply := "S: 250 2.0.0 Message accepted"
		if n > DefaultMaxReceived {
			reply = "S: 554 5.4.6 Too many hops: mail loop detected"
		}
		transcript(t, conn, br, `
			C: MAIL FROM:<x@elsewhere.test>
			C: RCPT TO:<bob@example.org>
			C: DATA
			S: 250 2.1.0 Sender OK
			S: 250 2.1.5 Recipient OK
			S: 354 *
			`+strings.Repeat("C: Received: from a by b; Mon, 1 Jan 2024 00:00:00 +0000\n", n)+`
			C:
			C: body
			C: .
			`+reply)
	}
	if got := len(inbox(t, a.Store, "bob")); got != 1 {
		t.Errorf("bob has %d messages, want 1", got)
	}
}

// TestAliasesExpand: an alias reaches local users (once each, however
// often they are named) and an external address through the queue, even
// for an unauthenticated client: forwarding is the local admin's choice.
func TestAliasesExpand(t *testing.T) {
	a := testAgent(t)
	q := &recordingQueue{}
	a.Queue = q
	var err error
	a.Aliases, err = ParseAliases(strings.NewReader(`
# test aliases
postmaster: root
root:       alice
team:       alice, bob,
            Carol@Partner.test, root
sales@example.net: bob
loop1: loop2
loop2: loop1, alice
stale: ghost, bob
`))
	if err != nil {
		t.Fatal(err)
	}
	conn := dial(t, serve(t, a))
	br := bufio.NewReader(conn)
	transcript(t, conn, br, ehlo+`
		C: MAIL FROM:<x@elsewhere.test>
		C: RCPT TO:<team@example.org>
		C: RCPT TO:<sales@example.org>
		C: RCPT TO:<ghost@example.org>
		C: DATA
		S: 250 2.1.0 Sender OK
		S: 250 2.1.5 Recipient OK
		S: 550 5.1.1 No such user here
		S: 550 5.1.1 No such user here
		S: 354 *
		C: Subject: to the team
		C:
		C: Hi all.
		C: .
		S: 250 2.0.0 Message accepted
		C: MAIL FROM:<x@elsewhere.test>
		C: RCPT TO:<sales@example.net>
		C: RCPT TO:<POSTMASTER@example.org>
		C: RCPT TO:<loop1@example.org>
		C: RCPT TO:<stale@example.org>
		C: DATA
		S: 250 2.1.0 Sender OK
		S: 250 2.1.5 Recipient OK
		S: 250 2.1.5 Recipient OK
		S: 250 2.1.5 Recipient OK
		S: 250 2.1.5 Recipient OK
		S: 354 *
		C: Subject: second
		C:
		C: .
		S: 250 2.0.0 Message accepted
	`)
	alice := inbox(t, a.Store, "alice")
	bob := inbox(t, a.Store, "bob")
	if len(alice) != 2 || len(bob) != 2 {
		t.Fatalf("alice has %d messages, bob %d; want 2 each", len(alice), len(bob))
	}
	for _, m := range []string{alice[0], bob[0]} {
		if !strings.Contains(m, "Subject: to the team") || !strings.HasPrefix(m, "Return-Path: <x@elsewhere.test>\r\n") {
			t.Errorf("stored: %q", m)
		}
	}
	envs, msgs := q.get()
	if len(envs) != 1 {
		t.Fatalf("queued %d messages, want 1", len(envs))
	}
	want := []queue.Recipient{{Address: "Carol@Partner.test", OriginalRecipientType: "rfc822", OriginalRecipient: "team@example.org"}}
	if !reflect.DeepEqual(envs[0].Recipients, want) || envs[0].From != "x@elsewhere.test" {
		t.Errorf("queued envelope %+v", envs[0])
	}
	if !strings.Contains(msgs[0], "Subject: to the team") {
		t.Errorf("queued %q", msgs[0])
	}
}

// TestVerifyExpand: VRFY and EXPN answer from accounts and aliases when
// enabled, and say nothing otherwise.
func TestVerifyExpand(t *testing.T) {
	a := testAgent(t)
	a.Aliases, _ = ParseAliases(strings.NewReader("team: alice, bob, carol@partner.test\n"))
	a.Queue = &recordingQueue{}
	conn := dial(t, serve(t, a))
	transcript(t, conn, bufio.NewReader(conn), ehlo+`
		C: VRFY alice
		S: 252 2.5.0 *
		C: EXPN team
		S: 502 5.5.1 EXPN not available
	`)
	a2 := testAgent(t)
	a2.Aliases, a2.Queue, a2.VerifyExpand = a.Aliases, a.Queue, true
	conn = dial(t, serve(t, a2))
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
		S: 250 VRFY
		C: VRFY alice
		S: 250 2.1.5 <alice@example.org>
		C: VRFY Bob@Example.NET
		S: 250 2.1.5 <bob@example.net>
		C: VRFY nobody
		S: 550 5.1.1 No such user here
		C: VRFY someone@elsewhere.test
		S: 551 5.1.6 User not local
		C: VRFY team
		S: 250 2.1.5 <team@example.org>
		C: EXPN team
		S: 250-2.1.5 <alice@example.org>
		S: 250-2.1.5 <bob@example.org>
		S: 250 2.1.5 <carol@partner.test>
		C: EXPN alice
		S: 550 5.1.1 No such list
	`)
}

// brokenAccounts maps "broken" to a user name that the store refuses, so
// that one local delivery fails while others succeed.
type brokenAccounts struct{ mailbox.Accounts }

func (b brokenAccounts) Lookup(ctx context.Context, name string) (string, bool, error) {
	if strings.HasPrefix(name, "broken") {
		return "../broken", true, nil
	}
	if strings.HasPrefix(name, "dbdown") {
		return "", false, errors.New("accounts database unavailable")
	}
	return b.Accounts.Lookup(ctx, name)
}

// TestLMTPPerRecipient: on an LMTP server each recipient gets the result
// of its own delivery.
func TestLMTPPerRecipient(t *testing.T) {
	a := testAgent(t)
	a.Accounts = brokenAccounts{a.Accounts}
	addr := serve(t, a, func(s *smtp.Server) { s.LMTP = true })
	conn := dial(t, addr)
	transcript(t, conn, bufio.NewReader(conn), `
		S: 220 *
		C: LHLO client.test
		S: 250-mx.example.org*
		S: 250-PIPELINING
		S: 250-8BITMIME
		S: 250-ENHANCEDSTATUSCODES
		S: 250-SIZE 33554432
		S: 250-CHUNKING
		S: 250-BINARYMIME
		S: 250-SMTPUTF8
		S: 250-DSN
		S: 250 AUTH PLAIN LOGIN
		C: MAIL FROM:<x@elsewhere.test>
		C: RCPT TO:<alice@example.org>
		C: RCPT TO:<broken@example.org>
		C: RCPT TO:<dbdown@example.org>
		C: RCPT TO:<bob@example.org>
		C: DATA
		S: 250 2.1.0 Sender OK
		S: 250 2.1.5 Recipient OK
		S: 250 2.1.5 Recipient OK
		S: 451 4.3.0 Requested action aborted: local error in processing
		S: 250 2.1.5 Recipient OK
		S: 354 *
		C: Subject: lmtp
		C:
		C: .
		S: 250 2.0.0 Message accepted
		S: 451 4.3.0 Requested action aborted: local error in processing
		S: 250 2.0.0 Message accepted
	`)
	for _, u := range []string{"alice", "bob"} {
		msgs := inbox(t, a.Store, u)
		if len(msgs) != 1 {
			t.Fatalf("%s has %d messages", u, len(msgs))
		}
		if m := receivedRE.FindStringSubmatch(headerFields(msgs[0])[1]); m != nil {
			t.Errorf("Received with one recipient's name in a message for several: %q", headerFields(msgs[0])[1])
		}
		if !strings.Contains(headerFields(msgs[0])[1], " with LMTP id ") {
			t.Errorf("Received: %q", headerFields(msgs[0])[1])
		}
	}
}

// TestSpoolToFile: a message larger than SpoolMemory for several
// destinations goes through a temporary file, which is gone afterwards,
// and every copy is intact.
func TestSpoolToFile(t *testing.T) {
	a := testAgent(t)
	q := &recordingQueue{}
	a.Queue = q
	a.SpoolMemory = 1024
	a.SpoolDir = t.TempDir()
	c, err := smtp.Dial(serve(t, a))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	body := message("big", 200<<10)
	if err := c.Auth(t.Context(), plainAuth("alice", testPassword)); err != nil {
		t.Fatal(err)
	}
	if err := c.SendMail(t.Context(), "alice@example.org", []string{"alice@example.org", "bob@example.org", "carol@elsewhere.test"}, strings.NewReader(body)); err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"alice", "bob"} {
		msgs := inbox(t, a.Store, u)
		if len(msgs) != 1 || !strings.HasSuffix(msgs[0], body) {
			t.Fatalf("%s's copy is not the message (%d messages)", u, len(msgs))
		}
	}
	if _, msgs := q.get(); len(msgs) != 1 || !strings.HasSuffix(msgs[0], body) {
		t.Fatal("queued copy is not the message")
	}
	if left, _ := os.ReadDir(a.SpoolDir); len(left) != 0 {
		t.Errorf("spool files left: %v", left)
	}
}

// TestQueueFailure: when the queue cannot take the message, the client
// gets a temporary failure and nothing of the internal error.
func TestQueueFailure(t *testing.T) {
	a := testAgent(t)
	a.Queue = &recordingQueue{err: errors.New("disk full: /var/spool/secret")}
	conn := dial(t, serve(t, a))
	transcript(t, conn, bufio.NewReader(conn), ehlo+authPlain+`
		C: MAIL FROM:<alice@example.org>
		C: RCPT TO:<carol@elsewhere.test>
		C: DATA
		S: 250 2.1.0 Sender OK
		S: 250 2.1.5 Recipient OK
		S: 354 *
		C: Subject: x
		C:
		C: .
		S: 451 4.3.0 Requested action aborted: local error in processing
	`)
}

// TestAuth: AUTH checks Accounts; a wrong password and an attempt to act
// for someone else both fail.
func TestAuth(t *testing.T) {
	a := testAgent(t)
	conn := dial(t, serve(t, a))
	transcript(t, conn, bufio.NewReader(conn), ehlo+`
		C: AUTH PLAIN AGFsaWNlAHdyb25n
		S: 535 5.7.8 Authentication credentials invalid
		C: AUTH PLAIN Ym9iAGFsaWNlAHNlY3JldA==
		S: 535 5.7.8 Authentication credentials invalid
		C: AUTH PLAIN YWxpY2UAYWxpY2UAc2VjcmV0
		S: 235 2.7.0 Authentication successful
	`)
}

// TestSendDSN: a DSN to a local sender lands in the sender's INBOX with
// the null Return-Path; to a remote sender it is queued; to an unknown
// local user it is dropped without an error.
func TestSendDSN(t *testing.T) {
	a := testAgent(t)
	q := &recordingQueue{}
	a.Queue = q
	ctx := context.Background()
	dsn := "From: MAILER-DAEMON@mx.example.org\r\nSubject: Undelivered Mail\r\n\r\nSorry.\r\n"
	for _, to := range []string{"alice@example.org", "carol@elsewhere.test", "ghost@example.org"} {
		env := queue.Envelope{Recipients: []queue.Recipient{{Address: to}}}
		if _, err := a.SendDSN(ctx, env, strings.NewReader(dsn)); err != nil {
			t.Fatalf("SendDSN to %s: %v", to, err)
		}
	}
	msgs := inbox(t, a.Store, "alice")
	if len(msgs) != 1 || msgs[0] != "Return-Path: <>\r\n"+dsn {
		t.Errorf("alice's INBOX: %q", msgs)
	}
	envs, qmsgs := q.get()
	if len(envs) != 1 || envs[0].From != "" || envs[0].Recipients[0].Address != "carol@elsewhere.test" || qmsgs[0] != dsn {
		t.Errorf("queued %+v %q", envs, qmsgs)
	}
}

// TestReceivedUTF8: a transaction with SMTPUTF8 is recorded as UTF8SMTP
// (RFC 6531 3.7.3), and the UTF-8 reverse-path goes into Return-Path.
func TestReceivedUTF8(t *testing.T) {
	a := testAgent(t)
	conn := dial(t, serve(t, a))
	transcript(t, conn, bufio.NewReader(conn), ehlo+`
		C: MAIL FROM:<jörg@elsewhere.test> SMTPUTF8
		C: RCPT TO:<bob@example.org>
		C: DATA
		S: 250 2.1.0 Sender OK
		S: 250 2.1.5 Recipient OK
		S: 354 *
		C: Subject: grüße
		C:
		C: .
		S: 250 2.0.0 Message accepted
	`)
	f := headerFields(inbox(t, a.Store, "bob")[0])
	if f[0] != "Return-Path: <jörg@elsewhere.test>" || !strings.Contains(f[1], " with UTF8SMTP id ") {
		t.Errorf("header %q", f)
	}
}
