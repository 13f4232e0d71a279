package imap

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
)

// crlf turns the LF line ends of a sample written in Go source into CRLF,
// as messages are on the wire.
func crlf(s string) string { return strings.ReplaceAll(s, "\n", "\r\n") }

// rfc3501Message is built to give the ENVELOPE and BODY of the example in
// RFC 3501 8 (FETCH 12 FULL): a 3028-byte, 92-line text body.
func rfc3501Message() string {
	hdr := crlf(`Date: Wed, 17 Jul 1996 02:23:25 -0700 (PDT)
From: Terry Gray <gray@cac.washington.edu>
Subject: IMAP4rev1 WG mtg summary and minutes
To: imap@cac.washington.edu
cc: minutes@CNRI.Reston.VA.US, John Klensin <KLENSIN@MIT.EDU>
Message-Id: <B27397-0100000@cac.washington.edu>
MIME-Version: 1.0
Content-Type: TEXT/PLAIN; CHARSET=US-ASCII
Content-Transfer-Encoding: 7BIT

`)
	// 91 lines of 31 characters and one of 23, each ended by CRLF:
	// 91*33 + 25 = 3028 bytes, 92 lines.
	body := strings.Repeat(strings.Repeat("m", 31)+"\r\n", 91) + strings.Repeat("e", 23) + "\r\n"
	return hdr + body
}

const rfc3501Envelope = `("Wed, 17 Jul 1996 02:23:25 -0700 (PDT)" "IMAP4rev1 WG mtg summary and minutes" ` +
	`(("Terry Gray" NIL "gray" "cac.washington.edu")) (("Terry Gray" NIL "gray" "cac.washington.edu")) ` +
	`(("Terry Gray" NIL "gray" "cac.washington.edu")) ((NIL NIL "imap" "cac.washington.edu")) ` +
	`((NIL NIL "minutes" "CNRI.Reston.VA.US")("John Klensin" NIL "KLENSIN" "MIT.EDU")) NIL NIL ` +
	`"<B27397-0100000@cac.washington.edu>")`

// mixedSample is a message as mail clients send them: multipart/mixed
// holding a multipart/alternative (quoted-printable text and 8-bit HTML),
// a base64 attachment and a forwarded message; RFC 2047 words in a folded
// Subject and in a display name; a group, a comment as a name, an empty
// group; a raw 8-bit header.
var mixedSample = crlf(`From: =?UTF-8?Q?J=C3=B6rg_M=C3=BCller?= <joerg@example.de>
To: Team: alice@example.com, "Bob B." <bob@example.com>;, carol@example.org (Carol C)
Cc: undisclosed-recipients:;
Subject: =?ISO-8859-1?Q?Gr=FC=DFe?= aus
 =?UTF-8?B?TcO8bmNoZW4=?=
Date: Mon, 3 Jun 2024 10:00:00 +0200
Message-ID: <abc.123@example.de>
In-Reply-To: <prev@example.com>
X-Note: café raw 8-bit
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="outer"

This is a multi-part message in MIME format.
--outer
Content-Type: multipart/alternative; boundary=inner

--inner
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: quoted-printable

Gr=C3=BC=C3=9Fe aus M=C3=BCnchen!
Zweite Zeile.
--inner
Content-Type: text/html; charset=utf-8
Content-Transfer-Encoding: 8bit

<p>Grüße aus München!</p>
--inner--
--outer
Content-Type: application/pdf; name="report.pdf"
Content-Disposition: attachment; filename="report.pdf"
Content-Transfer-Encoding: base64
Content-Description: Quarterly report

JVBERi0xLjQKJcfsj6IKNSAwIG9iago8PC9MZW5ndGggNiAwIFI+PgpzdHJlYW0K
--outer
Content-Type: message/rfc822

From: Alice <alice@example.com>
To: joerg@example.de
Subject: Original
Date: Sun, 2 Jun 2024 09:00:00 +0000
Content-Type: text/plain

Original text.
--outer--
`)

// Sizes counted independently (body of each part, the line break before a
// delimiter excluded; lines are line feeds in the body): 1.1: 48 bytes, 1
// line; 1.2: 28, 0; 2: 64; 3: 154 bytes, 6 lines; 3.1: 14, 0.
const mixedEnvelope = `("Mon, 3 Jun 2024 10:00:00 +0200" "=?ISO-8859-1?Q?Gr=FC=DFe?= aus =?UTF-8?B?TcO8bmNoZW4=?=" ` +
	`(("=?UTF-8?Q?J=C3=B6rg_M=C3=BCller?=" NIL "joerg" "example.de")) ` +
	`(("=?UTF-8?Q?J=C3=B6rg_M=C3=BCller?=" NIL "joerg" "example.de")) ` +
	`(("=?UTF-8?Q?J=C3=B6rg_M=C3=BCller?=" NIL "joerg" "example.de")) ` +
	`((NIL NIL "Team" NIL)(NIL NIL "alice" "example.com")("Bob B." NIL "bob" "example.com")(NIL NIL NIL NIL)("Carol C" NIL "carol" "example.org")) ` +
	`((NIL NIL "undisclosed-recipients" NIL)(NIL NIL NIL NIL)) NIL "<prev@example.com>" "<abc.123@example.de>")`

const forwardedEnvelope = `("Sun, 2 Jun 2024 09:00:00 +0000" "Original" (("Alice" NIL "alice" "example.com")) ` +
	`(("Alice" NIL "alice" "example.com")) (("Alice" NIL "alice" "example.com")) ((NIL NIL "joerg" "example.de")) NIL NIL NIL NIL)`

const mixedBodyStructure = `((("text" "plain" ("charset" "utf-8") NIL NIL "quoted-printable" 48 1 NIL NIL NIL NIL)` +
	`("text" "html" ("charset" "utf-8") NIL NIL "8bit" 28 0 NIL NIL NIL NIL) "alternative" ("boundary" "inner") NIL NIL NIL)` +
	`("application" "pdf" ("name" "report.pdf") NIL "Quarterly report" "base64" 64 NIL ("attachment" ("filename" "report.pdf")) NIL NIL)` +
	`("message" "rfc822" NIL NIL NIL "7bit" 154 ` + forwardedEnvelope +
	` ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 14 0 NIL NIL NIL NIL) 6 NIL NIL NIL NIL)` +
	` "mixed" ("boundary" "outer") NIL NIL NIL)`

const mixedBody = `((("text" "plain" ("charset" "utf-8") NIL NIL "quoted-printable" 48 1)` +
	`("text" "html" ("charset" "utf-8") NIL NIL "8bit" 28 0) "alternative")` +
	`("application" "pdf" ("name" "report.pdf") NIL "Quarterly report" "base64" 64)` +
	`("message" "rfc822" NIL NIL NIL "7bit" 154 ` + forwardedEnvelope +
	` ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 14 0) 6) "mixed")`

func newMsg(s string) *message { return newMessage(strings.NewReader(s), int64(len(s))) }

func structureString(t *testing.T, m *message, extended bool) string {
	t.Helper()
	root, err := m.Structure()
	if err != nil {
		t.Fatal(err)
	}
	return render(false, func(w *writer) { w.BodyStructure(root, extended) })
}

func envelopeString(t *testing.T, m *message, utf8 bool) string {
	t.Helper()
	env, err := m.Envelope()
	if err != nil {
		t.Fatal(err)
	}
	return render(utf8, func(w *writer) { w.Envelope(env) })
}

func TestRFC3501Example(t *testing.T) {
	m := newMsg(rfc3501Message())
	if got := envelopeString(t, m, false); got != rfc3501Envelope {
		t.Errorf("ENVELOPE\n got %s\nwant %s", got, rfc3501Envelope)
	}
	if got, want := structureString(t, m, false), `("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 3028 92)`; got != want {
		t.Errorf("BODY\n got %s\nwant %s", got, want)
	}
	if got, want := structureString(t, m, true), `("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 3028 92 NIL NIL NIL NIL)`; got != want {
		t.Errorf("BODYSTRUCTURE\n got %s\nwant %s", got, want)
	}
	// The envelope of the structure pass equals the header-only one.
	root, _ := m.Structure()
	if got := render(false, func(w *writer) { w.Envelope(root.envelope()) }); got != rfc3501Envelope {
		t.Errorf("structure envelope %s", got)
	}
}

func TestMixedStructure(t *testing.T) {
	m := newMsg(mixedSample)
	if got := structureString(t, m, true); got != mixedBodyStructure {
		t.Errorf("BODYSTRUCTURE\n got %s\nwant %s", got, mixedBodyStructure)
	}
	if got := structureString(t, m, false); got != mixedBody {
		t.Errorf("BODY\n got %s\nwant %s", got, mixedBody)
	}
	if got := envelopeString(t, m, false); got != mixedEnvelope {
		t.Errorf("ENVELOPE\n got %s\nwant %s", got, mixedEnvelope)
	}
	root, _ := m.Structure()
	checkOffsets(t, root, int64(len(mixedSample)))
}

// checkOffsets checks that every part lies within its parent and the
// message, in order.
func checkOffsets(t *testing.T, p *Part, size int64) {
	t.Helper()
	var walk func(p *Part, lo, hi int64, depth int)
	walk = func(p *Part, lo, hi int64, depth int) {
		if depth > 200 {
			t.Fatal("structure deeper than 200")
		}
		if !(lo <= p.HeaderStart && p.HeaderStart <= p.BodyStart && p.BodyStart <= p.End && p.End <= hi) {
			t.Fatalf("part %d..%d..%d outside %d..%d", p.HeaderStart, p.BodyStart, p.End, lo, hi)
		}
		if p.Lines < 0 || p.Lines > p.End-p.BodyStart {
			t.Fatalf("part lines %d for %d bytes", p.Lines, p.End-p.BodyStart)
		}
		prev := p.BodyStart
		for _, c := range p.Children {
			if c.HeaderStart < prev {
				t.Fatalf("children overlap: %d < %d", c.HeaderStart, prev)
			}
			walk(c, p.BodyStart, p.End, depth+1)
			prev = c.End
		}
		if p.Message != nil {
			if p.Message.HeaderStart != p.BodyStart || p.Message.End != p.End {
				t.Fatalf("encapsulated message %d..%d, part body %d..%d", p.Message.HeaderStart, p.Message.End, p.BodyStart, p.End)
			}
			walk(p.Message, p.BodyStart, p.End, depth+1)
		}
	}
	walk(p, 0, size, 0)
}

func fetchString(t *testing.T, m *message, it fetchItem) (string, error) {
	t.Helper()
	r, n, err := m.FetchSection(it)
	if err != nil {
		return "", err
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(b)) != n {
		t.Errorf("%s: announced %d bytes, read %d", it.ResponseName(), n, len(b))
	}
	return string(b), nil
}

func body(sec string) fetchItem {
	p, _ := testParser("x FETCH 1 " + sec + "\r\n")
	cmd, err := p.ReadCommand()
	if err != nil {
		panic(sec + ": " + err.Error())
	}
	return cmd.Args.(*fetchArgs).Items[0]
}

func TestMixedSections(t *testing.T) {
	m := newMsg(mixedSample)
	s := mixedSample
	hdrEnd := strings.Index(s, "\r\n\r\n") + 4
	pdf, _ := base64.StdEncoding.DecodeString("JVBERi0xLjQKJcfsj6IKNSAwIG9iago8PC9MZW5ndGggNiAwIFI+PgpzdHJlYW0K")
	fwd := crlf("From: Alice <alice@example.com>\nTo: joerg@example.de\nSubject: Original\nDate: Sun, 2 Jun 2024 09:00:00 +0000\nContent-Type: text/plain\n\nOriginal text.")
	tests := []struct {
		item string
		want string
	}{
		{"BODY[]", s},
		{"RFC822", s},
		{"BODY[HEADER]", s[:hdrEnd]},
		{"RFC822.HEADER", s[:hdrEnd]},
		{"BODY[TEXT]", s[hdrEnd:]},
		{"RFC822.TEXT", s[hdrEnd:]},
		{"BODY[]<0.4>", "From"},
		{"BODY[TEXT]<5.2>", "is"},
		{"BODY[]<5000.10>", ""},
		{"BODY[1.1]", "Gr=C3=BC=C3=9Fe aus M=C3=BCnchen!\r\nZweite Zeile."},
		{"BODY[1.1.MIME]", "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"},
		{"BODY[1.2]", "<p>Grüße aus München!</p>"},
		{"BINARY[1.1]", "Grüße aus München!\r\nZweite Zeile."},
		{"BINARY[1.1]<7.6>", " aus M"},
		{"BINARY[1.1]<3.2>", "\xbc\xc3"},
		{"BINARY[2]", string(pdf)},
		{"BINARY[1.2]", "<p>Grüße aus München!</p>"},
		{"BODY[3]", fwd},
		{"BODY[3.HEADER]", fwd[:strings.Index(fwd, "\r\n\r\n")+4]},
		{"BODY[3.TEXT]", "Original text."},
		{"BODY[3.1]", "Original text."},
		{"BODY[3.1.MIME]", fwd[:strings.Index(fwd, "\r\n\r\n")+4]},
		{"BODY[3.HEADER.FIELDS (subject FROM)]", "From: Alice <alice@example.com>\r\nSubject: Original\r\n\r\n"},
		{"BODY[3.HEADER.FIELDS.NOT (From Date Content-Type)]", "To: joerg@example.de\r\nSubject: Original\r\n\r\n"},
		{"BODY[HEADER.FIELDS (Subject X-Missing)]", "Subject: =?ISO-8859-1?Q?Gr=FC=DFe?= aus\r\n =?UTF-8?B?TcO8bmNoZW4=?=\r\n\r\n"},
		{"BODY.PEEK[HEADER.FIELDS (Subject)]<9.5>", "=?ISO"},
		{"BODY[HEADER.FIELDS (X-Missing)]", "\r\n"},
	}
	for _, tt := range tests {
		got, err := fetchString(t, m, body(tt.item))
		if err != nil || got != tt.want {
			t.Errorf("%s = %q, %v\nwant %q", tt.item, got, err, tt.want)
		}
	}
	// BODY[1]: the multipart/alternative's body, raw.
	got, _ := fetchString(t, m, body("BODY[1]"))
	if !strings.HasPrefix(got, "--inner\r\n") || !strings.HasSuffix(got, "--inner--") {
		t.Errorf("BODY[1] = %q", got)
	}
	for _, sec := range []string{"BODY[4]", "BODY[1.HEADER]", "BODY[2.1]", "BODY[1.3]", "BODY[2.TEXT]", "BINARY[4]"} {
		if _, err := fetchString(t, m, body(sec)); !errors.Is(err, errNoSection) {
			t.Errorf("%s: err = %v, want ErrNoSection", sec, err)
		}
	}
	for sec, want := range map[string]int64{"1.1": int64(len("Grüße aus München!\r\nZweite Zeile.")), "2": int64(len(pdf)), "3": int64(len(fwd))} {
		var path []int
		for _, c := range strings.Split(sec, ".") {
			path = append(path, int(c[0]-'0'))
		}
		if n, err := m.BinarySize(path); err != nil || n != want {
			t.Errorf("BINARY.SIZE[%s] = %d, %v; want %d", sec, n, err, want)
		}
	}
}

func TestEnvelopeCases(t *testing.T) {
	tests := []struct {
		name string
		msg  string
		utf8 bool
		want string
	}{
		{"missing date and subject", "From: a@b.c\r\n\r\nx",
			false, `(NIL NIL ((NIL NIL "a" "b.c")) ((NIL NIL "a" "b.c")) ((NIL NIL "a" "b.c")) NIL NIL NIL NIL NIL)`},
		{"empty header", "\r\nbody", false, `(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)`},
		{"no header at all", "", false, `(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)`},
		{"sender and reply-to kept", "From: a@b\r\nSender: s@b\r\nReply-To: r@b\r\n\r\n",
			false, `(NIL NIL ((NIL NIL "a" "b")) ((NIL NIL "s" "b")) ((NIL NIL "r" "b")) NIL NIL NIL NIL NIL)`},
		{"empty reply-to takes from", "From: a@b\r\nReply-To:   \r\n\r\n",
			false, `(NIL NIL ((NIL NIL "a" "b")) ((NIL NIL "a" "b")) ((NIL NIL "a" "b")) NIL NIL NIL NIL NIL)`},
		{"8-bit subject as literal", "Subject: Grüße\r\n\r\n", false, "(NIL {7}\r\nGrüße NIL NIL NIL NIL NIL NIL NIL NIL)"},
		{"8-bit subject quoted in UTF-8 mode", "Subject: Grüße\r\n\r\n", true, `(NIL "Grüße" NIL NIL NIL NIL NIL NIL NIL NIL)`},
		{"quotes in subject", "Subject: say \"hi\" \\o/\r\n\r\n", false, `(NIL "say \"hi\" \\o/" NIL NIL NIL NIL NIL NIL NIL NIL)`},
		{"route, quoted local part, missing parts", "To: <@r1,@r2:u@h>, \"john doe\"@x, bare, <>, @nolocal.org\r\n\r\n",
			false, `(NIL NIL NIL NIL NIL ((NIL "@r1,@r2" "u" "h")(NIL NIL "john doe" "x")(NIL NIL "bare" "MISSING_DOMAIN")` +
				`(NIL NIL "MISSING_MAILBOX" "MISSING_DOMAIN")(NIL NIL "MISSING_MAILBOX" "nolocal.org")) NIL NIL NIL NIL)`},
		{"phrase words and comments", "From: John (middle) Q. Public <jqp@x.org> (comment), (only comment) nn@y.org\r\n\r\n",
			false, `(NIL NIL (("John Q. Public" NIL "jqp" "x.org")("only comment" NIL "nn" "y.org")) (("John Q. Public" NIL "jqp" "x.org")("only comment" NIL "nn" "y.org")) (("John Q. Public" NIL "jqp" "x.org")("only comment" NIL "nn" "y.org")) NIL NIL NIL NIL NIL)`},
		{"unterminated group", "Cc: grp: a@b\r\n\r\n",
			false, `(NIL NIL NIL NIL NIL NIL ((NIL NIL "grp" NIL)(NIL NIL "a" "b")(NIL NIL NIL NIL)) NIL NIL NIL)`},
		{"folded fields, first wins", "Subject: one\r\n two\r\nSubject: second\r\nMessage-ID:\r\n <id@x>\r\n\r\n",
			false, `(NIL "one two" NIL NIL NIL NIL NIL NIL NIL "<id@x>")`},
		{"domain literal", "To: u@[192.0.2.1]\r\n\r\n", false, `(NIL NIL NIL NIL NIL ((NIL NIL "u" "[192.0.2.1]")) NIL NIL NIL NIL)`},
		{"LF line ends", "Subject: lf\nFrom: a@b\n\nbody\n", false, `(NIL "lf" ((NIL NIL "a" "b")) ((NIL NIL "a" "b")) ((NIL NIL "a" "b")) NIL NIL NIL NIL NIL)`},
	}
	for _, tt := range tests {
		m := newMsg(tt.msg)
		if got := envelopeString(t, m, tt.utf8); got != tt.want {
			t.Errorf("%s:\n got %s\nwant %s", tt.name, got, tt.want)
		}
		// The structure pass computes the same envelope.
		root, err := m.Structure()
		if err != nil {
			t.Fatal(err)
		}
		if got := render(tt.utf8, func(w *writer) { w.Envelope(root.envelope()) }); got != tt.want {
			t.Errorf("%s (structure):\n got %s\nwant %s", tt.name, got, tt.want)
		}
	}
}

func TestBodyStructureCases(t *testing.T) {
	tests := []struct {
		name, msg, want string
	}{
		{"no content-type", "Subject: x\r\n\r\nhello\r\nworld\r\n",
			`("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 14 2 NIL NIL NIL NIL)`},
		{"no trailing line break", "\r\nabc", `("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 3 0 NIL NIL NIL NIL)`},
		{"header only, no blank line", "Subject: x", `("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 0 0 NIL NIL NIL NIL)`},
		{"invalid content-type and encoding", "Content-Type: text\r\nContent-Transfer-Encoding: ?bad\r\n\r\nx",
			`("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 1 0 NIL NIL NIL NIL)`},
		{"comments and odd spacing", "Content-Type: text/plain (plain text) ; charset = \"iso-8859-1\" (latin)\r\nContent-Language: en (English), de\r\nContent-Location: http://e.x/a\r\nContent-MD5: Q2hlY2sgSW50ZWdyaXR5IQ==\r\nContent-ID: <id@x>\r\nContent-Disposition: inline\r\n\r\nx",
			`("text" "plain" ("charset" "iso-8859-1") "<id@x>" NIL "7bit" 1 0 "Q2hlY2sgSW50ZWdyaXR5IQ==" ("inline" NIL) ("en" "de") "http://e.x/a")`},
		{"RFC 2231 continuations", "Content-Type: application/octet-stream\r\nContent-Disposition: attachment;\r\n filename*0*=utf-8''%E2%82%AC; filename*1*=%20rates.txt; size=10\r\n\r\nx",
			`("application" "octet-stream" NIL NIL NIL "7bit" 1 NIL ("attachment" ("filename*" "utf-8''%E2%82%AC%20rates.txt" "size" "10")) NIL NIL)`},
		{"RFC 2231 plain continuations", "Content-Type: text/plain; name*1=\"b.txt\"; name*0=\"a\"\r\n\r\n",
			`("text" "plain" ("charset" "us-ascii" "name" "ab.txt") NIL NIL "7bit" 0 0 NIL NIL NIL NIL)`},
		{"multipart without boundary", "Content-Type: multipart/mixed\r\n\r\n--x\r\nhi\r\n--x--\r\n",
			`(("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 0 0 NIL NIL NIL NIL) "mixed" NIL NIL NIL NIL)`},
		{"multipart with no parts", "Content-Type: multipart/mixed; boundary=x\r\n\r\nno parts here\r\n",
			`(("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 0 0 NIL NIL NIL NIL) "mixed" ("boundary" "x") NIL NIL NIL)`},
		{"unterminated multipart", "Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\n\r\none\r\n--x\r\n\r\ntwo\r\nlast line",
			`(("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 3 0 NIL NIL NIL NIL)("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 14 1 NIL NIL NIL NIL) "mixed" ("boundary" "x") NIL NIL NIL)`},
		{"delimiter with padding, close with trailer", "Content-Type: multipart/mixed; boundary=x\r\n\r\n--x  \t\r\n\r\none\r\n--x-- trailing junk\r\nepilogue\r\n",
			`(("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 3 0 NIL NIL NIL NIL) "mixed" ("boundary" "x") NIL NIL NIL)`},
		{"boundary prefix is not a delimiter", "Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\n\r\n--xy is text\r\n--x--\r\n",
			`(("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 12 0 NIL NIL NIL NIL) "mixed" ("boundary" "x") NIL NIL NIL)`},
		{"part header ended by delimiter", "Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\nContent-Type: text/html\r\n--x--\r\n",
			`(("text" "html" ("charset" "us-ascii") NIL NIL "7bit" 0 0 NIL NIL NIL NIL) "mixed" ("boundary" "x") NIL NIL NIL)`},
		{"digest defaults to message/rfc822", "Content-Type: multipart/digest; boundary=d\r\n\r\n--d\r\n\r\nSubject: in digest\r\n\r\nhi\r\n--d--\r\n",
			`(("message" "rfc822" NIL NIL NIL "7bit" 24 (NIL "in digest" NIL NIL NIL NIL NIL NIL NIL NIL) ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 2 0 NIL NIL NIL NIL) 2 NIL NIL NIL NIL) "digest" ("boundary" "d") NIL NIL NIL)`},
		{"encoded message/rfc822 is opaque", "Content-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\nU3ViamVjdDogeA0KDQp5\r\n",
			`("application" "octet-stream" NIL NIL NIL "base64" 22 NIL NIL NIL NIL)`},
		{"inner boundary ends at outer delimiter", "Content-Type: multipart/mixed; boundary=o\r\n\r\n--o\r\nContent-Type: multipart/alternative; boundary=i\r\n\r\n--i\r\n\r\na\r\n--o\r\n\r\nb\r\n--o--\r\n",
			`((("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 1 0 NIL NIL NIL NIL) "alternative" ("boundary" "i") NIL NIL NIL)("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 1 0 NIL NIL NIL NIL) "mixed" ("boundary" "o") NIL NIL NIL)`},
		{"LF only", "Content-Type: multipart/mixed; boundary=b\n\n--b\n\nhello\n\n--b--\n",
			`(("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 6 1 NIL NIL NIL NIL) "mixed" ("boundary" "b") NIL NIL NIL)`},
		{"8-bit parameter as literal", "Content-Type: text/plain; name=\"ä.txt\"\r\n\r\n",
			"(\"text\" \"plain\" (\"charset\" \"us-ascii\" \"name\" {6}\r\nä.txt) NIL NIL \"7bit\" 0 0 NIL NIL NIL NIL)"},
	}
	for _, tt := range tests {
		m := newMsg(tt.msg)
		if got := structureString(t, m, true); got != tt.want {
			t.Errorf("%s:\n got %s\nwant %s", tt.name, got, tt.want)
		}
		root, _ := m.Structure()
		checkOffsets(t, root, int64(len(tt.msg)))
	}
}

// nested builds a message of depth multiparts, each holding the next.
func nested(depth int) string {
	var b strings.Builder
	for i := 0; i < depth; i++ {
		fmt.Fprintf(&b, "Content-Type: multipart/mixed; boundary=b%d\r\n\r\n--b%d\r\n", i, i)
	}
	b.WriteString("Content-Type: text/plain\r\n\r\ndeep\r\n")
	for i := depth - 1; i >= 0; i-- {
		fmt.Fprintf(&b, "--b%d--\r\n", i)
	}
	return b.String()
}

func TestPathologicalMIME(t *testing.T) {
	// Depth: at the limit the multipart becomes an opaque leaf.
	m := newMsg(nested(80))
	root, err := m.Structure()
	if err != nil {
		t.Fatal(err)
	}
	depth := 0
	p := root
	for p.IsMultipart() {
		if len(p.Children) != 1 {
			t.Fatalf("depth %d: %d children", depth, len(p.Children))
		}
		p = p.Children[0]
		depth++
	}
	if depth != defaultMaxMIMEDepth || p.Type != "application" || p.Subtype != "octet-stream" {
		t.Errorf("stopped at depth %d with %s/%s", depth, p.Type, p.Subtype)
	}
	checkOffsets(t, root, m.Size())
	structureString(t, m, true)

	// Message/rfc822 nesting counts too.
	var b strings.Builder
	for i := 0; i < 70; i++ {
		b.WriteString("Content-Type: message/rfc822\r\n\r\n")
	}
	b.WriteString("Subject: bottom\r\n\r\nx")
	m = newMsg(b.String())
	root, _ = m.Structure()
	depth = 0
	for p = root; p.Message != nil; p = p.Message {
		depth++
	}
	if depth != defaultMaxMIMEDepth {
		t.Errorf("message nesting stopped at %d", depth)
	}

	// Part count.
	b.Reset()
	b.WriteString("Content-Type: multipart/mixed; boundary=p\r\n\r\n")
	for i := 0; i < 500; i++ {
		b.WriteString("--p\r\n\r\nx\r\n")
	}
	b.WriteString("--p--\r\n")
	m = newMsg(b.String())
	m.Limits.MaxParts = 100
	root, _ = m.Structure()
	if len(root.Children) != 99 {
		t.Errorf("%d children with MaxParts 100", len(root.Children))
	}
	checkOffsets(t, root, m.Size())

	// A header line of 2 MB: kept up to MaxFieldLength, the part still
	// found.
	big := strings.Repeat("s", 2<<20)
	m = newMsg("Subject: " + big + "\r\nContent-Type: text/html\r\n\r\nbody")
	env, _ := m.Envelope()
	if len(env.Subject) != defaultMaxFieldLength-len("Subject:")-1 {
		t.Errorf("subject kept %d bytes", len(env.Subject))
	}
	root, _ = m.Structure()
	if root.Subtype != "html" || root.Size() != 4 {
		t.Errorf("after a long header line: %s size %d", root.Subtype, root.Size())
	}

	// A long line inside a multipart body that starts with the boundary.
	m = newMsg("Content-Type: multipart/mixed; boundary=q\r\n\r\n--q\r\n\r\n--q" + strings.Repeat("x", 20000) + "\r\n--q--\r\n")
	root, _ = m.Structure()
	if len(root.Children) != 1 || root.Children[0].Size() != 20003 {
		t.Errorf("long line with boundary prefix: %d children", len(root.Children))
	}
	checkOffsets(t, root, m.Size())
}

type errReaderAt struct{}

func (errReaderAt) ReadAt([]byte, int64) (int, error) { return 0, errors.New("disk on fire") }

func TestMessageReadError(t *testing.T) {
	m := newMessage(errReaderAt{}, 100)
	if _, err := m.Structure(); err == nil {
		t.Error("Structure: no error")
	}
	if _, err := m.Header(); err == nil {
		t.Error("Header: no error")
	}
	if _, _, err := m.FetchSection(body("BODY[HEADER]")); err == nil {
		t.Error("FetchSection: no error")
	}
}

func TestBinaryDecoding(t *testing.T) {
	msg := crlf(`Content-Type: multipart/mixed; boundary=z

--z
Content-Transfer-Encoding: BASE64

aGVs
bG8g!!d29y
bGQ=
--z
Content-Transfer-Encoding: quoted-printable

soft=
break, hex=3D=3d, bad=ZZ, trailing   
end=
--z
Content-Transfer-Encoding: x-uuencode

begin
--z--
`)
	m := newMsg(msg)
	for sec, want := range map[string]string{
		"BINARY[1]": "hello world",
		"BINARY[2]": "softbreak, hex==, bad=ZZ, trailing\r\nend",
	} {
		got, err := fetchString(t, m, body(sec))
		if err != nil || got != want {
			t.Errorf("%s = %q, %v; want %q", sec, got, err, want)
		}
	}
	if _, err := fetchString(t, m, body("BINARY[3]")); !errors.Is(err, errUnknownCTE) {
		t.Errorf("unknown encoding: %v", err)
	}
	// BINARY[] is the message as is.
	if got, _ := fetchString(t, m, body("BINARY[]")); got != msg {
		t.Error("BINARY[] differs from the message")
	}
}

func TestDecoders(t *testing.T) {
	b64 := []struct{ in, want string }{
		{"aGVsbG8=", "hello"},
		{"aGVsbG8", "hello"},          // missing padding
		{"aGVs\r\nbG8=\r\n", "hello"}, // line breaks
		{"aGk=aGk=", "hihi"},          // concatenated blocks
		{"a", ""},
		{"", ""},
	}
	for _, tt := range b64 {
		got, err := io.ReadAll(newBase64Decoder(strings.NewReader(tt.in), int64(len(tt.in))))
		if err != nil || string(got) != tt.want {
			t.Errorf("base64(%q) = %q, %v", tt.in, got, err)
		}
	}
	qp := []struct{ in, want string }{
		{"a=3Db", "a=b"},
		{"a=\r\nb", "ab"},
		{"a=\nb", "ab"},
		{"a= \t\r\nb", "ab"},
		{"a  \r\nb \t\nc", "a\r\nb\nc"},
		{"x=", "x"}, // a soft break at the end: the line break went to a delimiter
		{"x=4", "x=4"},
		{"x=4g", "x=4g"},
		{"= x", "= x"},
		{"tail  ", "tail"},
		{strings.Repeat(" ", 3000) + "x", strings.Repeat(" ", 3000) + "x"},
	}
	for _, tt := range qp {
		got, err := io.ReadAll(newQPDecoder(strings.NewReader(tt.in), int64(len(tt.in))))
		if err != nil || string(got) != tt.want {
			t.Errorf("qp(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
		// One byte at a time gives the same result.
		got, _ = io.ReadAll(newQPDecoder(&oneByteReader{r: strings.NewReader(tt.in)}, int64(len(tt.in))))
		if string(got) != tt.want {
			t.Errorf("qp(%q) byte by byte = %q", tt.in, got)
		}
	}
}

type oneByteReader struct{ r io.Reader }

func (o *oneByteReader) Read(p []byte) (int, error) {
	if len(p) > 1 {
		p = p[:1]
	}
	return o.r.Read(p)
}

func TestMessageHeader(t *testing.T) {
	m := newMsg(mixedSample)
	h, err := m.Header()
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Fields) != 10 {
		t.Errorf("%d fields", len(h.Fields))
	}
	v, ok := h.Get("subject")
	if !ok || v != " =?ISO-8859-1?Q?Gr=FC=DFe?= aus\r\n =?UTF-8?B?TcO8bmNoZW4=?=" {
		t.Errorf("Subject raw = %q", v)
	}
	if d := decodeHeaderValue(v); d != "Grüße aus München" {
		t.Errorf("decoded Subject = %q", d)
	}
	if vs := h.Values("X-NOTE"); len(vs) != 1 || vs[0] != " café raw 8-bit" {
		t.Errorf("X-Note = %q", vs)
	}
	if _, ok := h.Get("X-Absent"); ok {
		t.Error("absent field found")
	}
	// Only the header is read: a reader that fails past its first block
	// is enough.
	big := "From: a@b\r\nSubject: big\r\n\r\n" + strings.Repeat("text line\r\n", 10000)
	lim := &limitedReaderAt{r: strings.NewReader(big), max: 2 * scanBufferSize}
	m = newMessage(lim, int64(len(big)))
	if _, err := m.Envelope(); err != nil {
		t.Errorf("Envelope read past the header: %v", err)
	}
	if _, _, err := m.FetchSection(body("BODY[HEADER.FIELDS (From)]")); err != nil {
		t.Errorf("HEADER.FIELDS read past the header: %v", err)
	}
	if _, err := m.Structure(); err == nil {
		t.Error("the limited reader does not limit")
	}
}

// limitedReaderAt fails reads beyond max.
type limitedReaderAt struct {
	r   io.ReaderAt
	max int64
}

func (l *limitedReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if off >= l.max {
		return 0, errors.New("read beyond the header")
	}
	return l.r.ReadAt(p, off)
}

func TestBodyText(t *testing.T) {
	m := newMsg(mixedSample)
	var b bytes.Buffer
	if err := m.BodyText(func(p []byte) error { b.Write(p); return nil }); err != nil {
		t.Fatal(err)
	}
	got := b.String()
	for _, want := range []string{"Grüße aus München!\r\nZweite Zeile.", "<p>Grüße aus München!</p>", "Subject: Original\n", "Original text."} {
		if !strings.Contains(got, want) {
			t.Errorf("body text lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "JVBER") || strings.Contains(got, "%PDF") {
		t.Error("body text includes the PDF attachment")
	}
	// Charset conversion.
	m = newMsg("Content-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nna=EFve caf=E9")
	b.Reset()
	m.BodyText(func(p []byte) error { b.Write(p); return nil })
	if !strings.Contains(b.String(), "naïve café") {
		t.Errorf("converted text %q", b.String())
	}
}

// appleSample is shaped like what Apple Mail sends with inline images: a
// multipart/alternative whose rich alternative is a multipart/mixed, and
// parameters folded with tabs.
var appleSample = crlf(`From: Dana <dana@example.com>
To: eve@example.org
Subject: Photos
Date: Fri, 5 Jul 2024 18:22:03 -0700
Message-Id: <ABCD-1234@example.com>
Mime-Version: 1.0 (Mac OS X Mail 16.0 \(3774.600.62\))
Content-Type: multipart/alternative;
	boundary="Apple-Mail=_A1"

--Apple-Mail=_A1
Content-Transfer-Encoding: 7bit
Content-Type: text/plain;
	charset=us-ascii

Here are the photos.

--Apple-Mail=_A1
Content-Type: multipart/mixed;
	boundary="Apple-Mail=_B2"

--Apple-Mail=_B2
Content-Transfer-Encoding: 7bit
Content-Type: text/html;
	charset=us-ascii

<html><body>Here are the photos.</body></html>
--Apple-Mail=_B2
Content-Disposition: inline;
	filename=IMG_0001.jpg
Content-Type: image/jpeg;
	x-unix-mode=0644;
	name="IMG_0001.jpg"
Content-Transfer-Encoding: base64

/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAgGBgcGBQgHBwcJCQgKDBQNDAsLDBkSEw8U
--Apple-Mail=_B2
Content-Transfer-Encoding: 7bit
Content-Type: text/html;
	charset=us-ascii

<html><body></body></html>
--Apple-Mail=_B2--

--Apple-Mail=_A1--
`)

func TestAlternativeWithNestedMixed(t *testing.T) {
	m := newMsg(appleSample)
	// Sizes counted independently: 1: 22 bytes, 1 line; 2: 540 bytes;
	// 2.1: 46, 0; 2.2: 68; 2.3: 26, 0.
	want := `(("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 22 1 NIL NIL NIL NIL)` +
		`(("text" "html" ("charset" "us-ascii") NIL NIL "7bit" 46 0 NIL NIL NIL NIL)` +
		`("image" "jpeg" ("x-unix-mode" "0644" "name" "IMG_0001.jpg") NIL NIL "base64" 68 NIL ("inline" ("filename" "IMG_0001.jpg")) NIL NIL)` +
		`("text" "html" ("charset" "us-ascii") NIL NIL "7bit" 26 0 NIL NIL NIL NIL) "mixed" ("boundary" "Apple-Mail=_B2") NIL NIL NIL)` +
		` "alternative" ("boundary" "Apple-Mail=_A1") NIL NIL NIL)`
	if got := structureString(t, m, true); got != want {
		t.Errorf("BODYSTRUCTURE\n got %s\nwant %s", got, want)
	}
	root, _ := m.Structure()
	if n := root.Children[1].Size(); n != 540 {
		t.Errorf("part 2 size %d", n)
	}
	wantEnv := `("Fri, 5 Jul 2024 18:22:03 -0700" "Photos" (("Dana" NIL "dana" "example.com")) (("Dana" NIL "dana" "example.com")) ` +
		`(("Dana" NIL "dana" "example.com")) ((NIL NIL "eve" "example.org")) NIL NIL NIL "<ABCD-1234@example.com>")`
	if got := envelopeString(t, m, false); got != wantEnv {
		t.Errorf("ENVELOPE\n got %s\nwant %s", got, wantEnv)
	}
	if got, _ := fetchString(t, m, body("BODY[2.3]")); got != "<html><body></body></html>" {
		t.Errorf("BODY[2.3] = %q", got)
	}
	if n, err := m.BinarySize([]int{2, 2}); err != nil || n != 51 {
		t.Errorf("BINARY.SIZE[2.2] = %d, %v", n, err)
	}
	if got, _ := fetchString(t, m, body("BINARY[2.2]<0.3>")); got != "\xff\xd8\xff" {
		t.Errorf("BINARY[2.2]<0.3> = %q (JPEG magic expected)", got)
	}
	checkOffsets(t, root, m.Size())
}

// TestMessageEnvelopeStructureSection: ENVELOPE, BODYSTRUCTURE and a body
// section of one multipart message, as FETCH writes them.
func TestMessageEnvelopeStructureSection(t *testing.T) {
	raw := "From: Alice <alice@example.com>\r\nSubject: Lunch\r\n" +
		"Content-Type: multipart/alternative; boundary=b\r\n\r\n" +
		"--b\r\nContent-Type: text/plain\r\n\r\nNoon?\r\n" +
		"--b\r\nContent-Type: text/html\r\n\r\n<p>Noon?</p>\r\n--b--\r\n"
	m := newMessage(strings.NewReader(raw), int64(len(raw)))
	var out bytes.Buffer
	w := newWriter(&out)
	env, err := m.Envelope()
	if err != nil {
		t.Fatal(err)
	}
	w.Envelope(env)
	w.Raw("\n")
	root, err := m.Structure()
	if err != nil {
		t.Fatal(err)
	}
	w.BodyStructure(root, true)
	w.Raw("\n")
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	r, n, err := m.FetchSection(fetchItem{Kind: fetchBodySection, Section: section{Part: []int{2}}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(r)
	fmt.Fprintf(&out, "BODY[2] {%d} %s\n", n, b)
	want := `(NIL "Lunch" (("Alice" NIL "alice" "example.com")) (("Alice" NIL "alice" "example.com")) (("Alice" NIL "alice" "example.com")) NIL NIL NIL NIL NIL)` + "\n" +
		`(("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 5 0 NIL NIL NIL NIL)("text" "html" ("charset" "us-ascii") NIL NIL "7bit" 12 0 NIL NIL NIL NIL) "alternative" ("boundary" "b") NIL NIL NIL)` + "\n" +
		"BODY[2] {12} <p>Noon?</p>\n"
	if out.String() != want {
		t.Errorf("got\n%s\nwant\n%s", out.String(), want)
	}
}
