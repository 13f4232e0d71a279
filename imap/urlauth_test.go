package imap_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mailwright/mailwright/imap"
	"github.com/mailwright/mailwright/mailbox"
)

// genURLAuth sends GENURLAUTH for one rump URL and returns the URL it
// gets back.
func (c *client) genURLAuth(tag, rump string) string {
	c.t.Helper()
	c.send(tag + ` GENURLAUTH "` + rump + `" INTERNAL`)
	line := c.readLine()
	m := regexp.MustCompile(`^\* GENURLAUTH "(.*)"$`).FindStringSubmatch(line)
	if m == nil {
		c.t.Fatalf("GENURLAUTH %s: %q", rump, line)
	}
	c.expect(tag + " OK GENURLAUTH completed")
	if !strings.HasPrefix(m[1], rump+":INTERNAL:") {
		c.t.Fatalf("GENURLAUTH gave %q for %q", m[1], rump)
	}
	return m[1]
}

// TestURLAuth covers RFC 4467: GENURLAUTH authorizes a URL of one's own
// message, URLFETCH gives its data to whoever the access identifier
// allows and NIL to anyone else, and RESETKEY voids every URL at once.
func TestURLAuth(t *testing.T) {
	ts := startServer(t, nil)
	ts.deliver(t, "alice", "INBOX", catMsg)
	alice := ts.login(t)
	bob := ts.dial(t)
	bob.run(`
C: L1 LOGIN bob hunter2
S: L1 OK [CAPABILITY {*} URLAUTH URLAUTH=BINARY] Logged in`)

	base := "imap://alice@localhost/INBOX/;UID=1"
	authuser := alice.genURLAuth("a1", base+";URLAUTH=authuser")
	forBob := alice.genURLAuth("a2", base+"/;SECTION=TEXT;URLAUTH=user+bob")
	forAlice := alice.genURLAuth("a3", base+"/;SECTION=HEADER;URLAUTH=user+alice")
	anon := alice.genURLAuth("a4", base+"/;PARTIAL=0.4;URLAUTH=anonymous")
	submit := alice.genURLAuth("a5", base+";URLAUTH=submit+alice")
	bob.run(`
C: b1 URLFETCH "` + authuser + `"
S: * URLFETCH "` + authuser + `" {64}
S: From: a@example.org
S: Subject: parts
S: 
S: first line
S: second line
S: 
S: b1 OK URLFETCH completed
C: b2 URLFETCH "` + forBob + `" "` + forAlice + `" "` + anon + `" "` + submit + `"
S: * URLFETCH "` + forBob + `" {25}
S: first line
S: second line
S: 
S: * URLFETCH "` + forAlice + `" NIL
S: * URLFETCH "` + anon + `" {4}
S: From
S: * URLFETCH "` + submit + `" NIL
S: b2 OK URLFETCH completed
`)
	// A token that does not verify, and one for another mailbox.
	tampered := authuser[:len(authuser)-1] + string("0123456789abcdef"[strings.IndexByte("0123456789abcdef", authuser[len(authuser)-1])^1])
	other := strings.Replace(authuser, "/INBOX/", "/Sent/", 1)
	bob.run(`
C: b3 URLFETCH "` + tampered + `" "` + other + `" "` + base + `"
S: * URLFETCH "` + tampered + `" NIL
S: * URLFETCH "` + other + `" NIL
S: * URLFETCH "` + base + `" NIL
S: b3 OK URLFETCH completed
`)
	// RFC 4469 5: CATENATE takes URLAUTH-authorized URLs of other users.
	bob.run(`
C: b7 APPEND INBOX CATENATE (TEXT {20}
S: + Ready for literal data
C: Subject: forwarded
C:  URL "` + forBob + `")
S: b7 OK [APPENDUID {*} 1] APPEND completed
C: b8 APPEND INBOX CATENATE (URL "` + forAlice + `")
S: b8 NO [BADURL ` + forAlice + `] Cannot resolve the URL
C: b9 STATUS INBOX (MESSAGES SIZE)
S: * STATUS INBOX (MESSAGES 1 SIZE 45)
S: b9 OK STATUS completed
`)
	alice.run(`
C: a6 URLFETCH "` + forAlice + `"
S: * URLFETCH "` + forAlice + `" {39}
S: From: a@example.org
S: Subject: parts
S: 
S: 
S: a6 OK URLFETCH completed
C: a7 RESETKEY INBOX INTERNAL
S: a7 OK [URLMECH INTERNAL] Key removed
C: a8 URLFETCH "` + forAlice + `"
S: * URLFETCH "` + forAlice + `" NIL
S: a8 OK URLFETCH completed
`)
	bob.run(`
C: b4 URLFETCH "` + authuser + `"
S: * URLFETCH "` + authuser + `" NIL
S: b4 OK URLFETCH completed
`)
	// A new key: new URLs work, the old ones stay void; RESETKEY without
	// a mailbox voids them all.
	fresh := alice.genURLAuth("a9", base+";URLAUTH=authuser")
	if fresh == authuser {
		t.Fatal("the same URL after RESETKEY")
	}
	bob.run(`
C: b5 URLFETCH "` + fresh + `" "` + authuser + `"
S: * URLFETCH "` + fresh + `" {64}
S: From: a@example.org
S: Subject: parts
S: 
S: first line
S: second line
S: 
S: * URLFETCH "` + authuser + `" NIL
S: b5 OK URLFETCH completed
`)
	alice.run(`
C: a10 RESETKEY
S: a10 OK All keys removed
`)
	bob.run(`
C: b6 URLFETCH "` + fresh + `"
S: * URLFETCH "` + fresh + `" NIL
S: b6 OK URLFETCH completed
`)
}

// TestGenURLAuthErrors: GENURLAUTH only signs rump URLs of the user's own
// existing messages, with a known mechanism and an expiry in the future;
// one bad URL fails the whole command.
func TestGenURLAuthErrors(t *testing.T) {
	ts := startServer(t, nil)
	ts.deliver(t, "alice", "INBOX", catMsg)
	ts.deliver(t, "bob", "INBOX", catMsg)
	c := ts.login(t)
	good := `"imap://alice@localhost/INBOX/;UID=1;URLAUTH=authuser"`
	c.run(`
C: a1 GENURLAUTH "imap://bob@localhost/INBOX/;UID=1;URLAUTH=authuser" INTERNAL
S: a1 NO [NOPERM] Cannot authorize URLs of another user
C: a2 GENURLAUTH "imap://alice@localhost/INBOX/;UID=9;URLAUTH=authuser" INTERNAL
S: a2 NO No such message
C: a3 GENURLAUTH "imap://alice@localhost/INBOX;UIDVALIDITY=1/;UID=1;URLAUTH=authuser" INTERNAL
S: a3 NO No such message
C: a4 GENURLAUTH ` + good + ` XSAMPLE
S: a4 NO Unsupported URLAUTH mechanism
C: a5 GENURLAUTH "imap://alice@localhost/INBOX/;UID=1" INTERNAL
S: a5 BAD Not a URLAUTH rump URL
C: a6 GENURLAUTH "imap://alice@localhost/INBOX/;UID=1;URLAUTH=authuser:INTERNAL:00000000000000000000000000000000" INTERNAL
S: a6 BAD Not a URLAUTH rump URL
C: a7 GENURLAUTH "imap://alice@localhost/INBOX/;UID=1;EXPIRE=2000-01-01T00:00:00Z;URLAUTH=authuser" INTERNAL
S: a7 NO The URL has expired already
C: a8 GENURLAUTH "/INBOX/;UID=1;URLAUTH=authuser" INTERNAL
S: a8 BAD Not a URLAUTH rump URL
C: a9 GENURLAUTH "imap://alice@localhost/INBOX/;UID=1;URLAUTH=nobody" INTERNAL
S: a9 BAD Invalid URL
C: a10 GENURLAUTH ` + good + ` INTERNAL "imap://alice@localhost/INBOX/;UID=9;URLAUTH=authuser" INTERNAL
S: a10 NO No such message
C: a11 GENURLAUTH ` + good + `
S: a11 BAD Missing space
C: a12 RESETKEY Nonexistent
S: a12 NO [NONEXISTENT] No such mailbox
C: a13 RESETKEY INBOX XSAMPLE
S: a13 NO Unsupported URLAUTH mechanism
C: a14 URLFETCH ("imap://x@y/INBOX/;UID=1" BODY BINARY)
S: a14 BAD URLFETCH cannot have both BODY and BINARY
C: a15 URLFETCH
S: a15 BAD Missing space
`)
	d := ts.dial(t)
	d.run(`
C: n1 URLFETCH "imap://alice@localhost/INBOX/;UID=1"
S: n1 BAD URLFETCH is not valid before login
`)
}

// TestURLFetchExpired: a URL whose ;EXPIRE= has passed gives NIL (RFC
// 4467 3), one that has not gives the data. The tokens are made here the
// way the server makes them, under the key the store keeps.
func TestURLFetchExpired(t *testing.T) {
	ts := startServer(t, nil)
	ts.deliver(t, "alice", "INBOX", catMsg)
	c := ts.login(t)
	// GENURLAUTH makes the key; its URL is not needed.
	c.genURLAuth("a1", "imap://alice@localhost/INBOX/;UID=1;URLAUTH=authuser")
	ctx := context.Background()
	u, err := ts.srv.Backend.(imap.URLAuthBackend).URLUser(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	defer u.Logout()
	key, err := u.(imap.AccessKeyUser).AccessKey(ctx, "INBOX", false)
	if err != nil || len(key) < 16 {
		t.Fatalf("AccessKey: %x, %v", key, err)
	}
	sign := func(rump string) string {
		mac := hmac.New(sha256.New, key)
		mac.Write([]byte(rump))
		return rump + ":INTERNAL:" + hex.EncodeToString(mac.Sum(nil))
	}
	at := func(d time.Duration) string { return time.Now().Add(d).UTC().Format(time.RFC3339) }
	past := sign("imap://alice@localhost/INBOX/;UID=1/;PARTIAL=0.4;EXPIRE=" + at(-time.Minute) + ";URLAUTH=authuser")
	future := sign("imap://alice@localhost/INBOX/;UID=1/;PARTIAL=0.4;EXPIRE=" + at(time.Hour) + ";URLAUTH=authuser")
	c.run(`
C: a2 URLFETCH "` + past + `" "` + future + `"
S: * URLFETCH "` + past + `" NIL
S: * URLFETCH "` + future + `" {4}
S: From
S: a2 OK URLFETCH completed
`)
}

// urlBinaryMsg has a message/rfc822 part whose two leaves are base64
// (imaptest's urlauth-binary message).
var urlBinaryMsg = strings.ReplaceAll(`From: user@domain.org
Mime-Version: 1.0
Content-Type: multipart/mixed; boundary="foo"

--foo
Content-Type: message/rfc822

From: sub@domain.org
Subject: submsg
Content-Type: multipart/alternative; boundary="sub1"

--sub1
Content-Type: text/plain
Content-Transfer-Encoding: base64

aGVs
bG8gd29y
bGQ=

--sub1
Content-Type: text/plain
Content-Transfer-Encoding: quoted-printable

caf=C3=A9=00
--sub1--

--foo--
`, "\n", "\r\n")

// TestURLFetchBinary covers RFC 5524: BINARY decodes the part (and the
// leaves of a message/rfc822 part, whose Content-Transfer-Encoding
// becomes binary), BODYPARTSTRUCTURE describes it, with the BINARY sizes
// when both are asked for, and data with NUL comes as a literal8.
func TestURLFetchBinary(t *testing.T) {
	ts := startServer(t, nil)
	ts.deliver(t, "alice", "INBOX", urlBinaryMsg)
	c := ts.login(t)
	base := "imap://alice@localhost/INBOX/;UID=1/;SECTION="
	leaf := c.genURLAuth("a1", base+"1.1;URLAUTH=authuser")
	qp := c.genURLAuth("a2", base+"1.2;URLAUTH=authuser")
	msg := c.genURLAuth("a3", base+"1;URLAUTH=authuser")
	c.run(`
C: a4 URLFETCH ("` + leaf + `" BINARY) ("` + leaf + `" BODYPARTSTRUCTURE BINARY) ("` + leaf + `") ("` + leaf + `" BODYPARTSTRUCTURE)
S: * URLFETCH "` + leaf + `" (BINARY {11}
S: hello world)
S: * URLFETCH "` + leaf + `" (BODYPARTSTRUCTURE ("text" "plain" ("charset" "us-ascii") NIL NIL "base64" 11 0 NIL NIL NIL NIL) BINARY {11}
S: hello world)
S: * URLFETCH "` + leaf + `" (BODY {22}
S: aGVs
S: bG8gd29y
S: bGQ=
S: )
S: * URLFETCH "` + leaf + `" (BODYPARTSTRUCTURE ("text" "plain" ("charset" "us-ascii") NIL NIL "base64" 22 3 NIL NIL NIL NIL))
S: a4 OK URLFETCH completed
C: a5 URLFETCH ("` + qp + `" BINARY)
S: * URLFETCH "` + qp + `" (BINARY ~{6}
`)
	if got := c.readLine(); got != "caf\xc3\xa9\x00)" {
		t.Fatalf("BINARY of the QP part: %q", got)
	}
	c.run(`
S: a5 OK URLFETCH completed
C: a6 URLFETCH ("` + msg + `" BINARY)
S: * URLFETCH "` + msg + `" (BINARY ~{{*}}
S: From: sub@domain.org
S: Subject: submsg
S: Content-Type: multipart/alternative; boundary="sub1"
S: 
S: --sub1
S: Content-Type: text/plain
S: Content-Transfer-Encoding: binary
S: 
S: hello world
S: --sub1
S: Content-Type: text/plain
S: Content-Transfer-Encoding: binary
S: 
`)
	if got := c.readLine(); got != "caf\xc3\xa9\x00" {
		t.Fatalf("BINARY of the QP leaf: %q", got)
	}
	c.run(`
S: --sub1--
S: )
S: a6 OK URLFETCH completed
`)
}

// TestURLAuthStoredKeys: the keys of a Maildir store survive a restart of
// the store (GENURLAUTH's URLs keep working), and a backend without
// access keys offers no URLAUTH.
func TestURLAuthStoredKeys(t *testing.T) {
	dir := t.TempDir()
	store, err := mailbox.NewMaildirStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	ts := startServerStore(t, store, nil)
	ts.deliver(t, "alice", "INBOX", catMsg)
	url := ts.login(t).genURLAuth("a1", "imap://alice@localhost/INBOX/;UID=1/;PARTIAL=0.4;URLAUTH=anonymous")
	store.Close()

	store2, err := mailbox.NewMaildirStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer store2.Close()
	ts2 := startServerStore(t, store2, nil)
	ts2.login(t).run(`
C: a1 URLFETCH "` + url + `"
S: * URLFETCH "` + url + `" {4}
S: From
S: a1 OK URLFETCH completed
`)

	ts3 := startServer(t, wrapUsers(func(u imap.User) imap.User { return struct{ imap.User }{u} }))
	ts3.login(t).run(`
C: a1 CAPABILITY
S: * CAPABILITY IMAP4rev1 {*} THREAD=REFERENCES CONTEXT=SEARCH CONTEXT=SORT PARTIAL
S: a1 OK CAPABILITY completed
C: a2 URLFETCH "` + url + `"
S: a2 BAD URLAUTH is not supported
`)
}
