package imap

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"
)

// repeatReader yields s over and over.
type repeatReader struct {
	s   string
	off int
}

func (r *repeatReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		c := copy(p[n:], r.s[r.off:])
		n += c
		r.off = (r.off + c) % len(r.s)
	}
	return n, nil
}

func benchmarkParse(b *testing.B, cmd string) {
	p := newParser(bufio.NewReader(&repeatReader{s: cmd}))
	p.Continue = func(announcedLiteral) error { return nil }
	b.ReportAllocs()
	b.SetBytes(int64(len(cmd)))
	for b.Loop() {
		if _, err := p.ReadCommand(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseFetch parses what a client sends when it opens a mailbox:
// a UID FETCH of flags and a few header fields.
func BenchmarkParseFetch(b *testing.B) {
	benchmarkParse(b, "a42 UID FETCH 1:* (UID FLAGS INTERNALDATE RFC822.SIZE BODY.PEEK[HEADER.FIELDS (From To Cc Subject Date Message-ID)])\r\n")
}

func BenchmarkParseFetchSimple(b *testing.B) {
	benchmarkParse(b, "a42 FETCH 1:200 (FLAGS UID)\r\n")
}

func BenchmarkParseSearch(b *testing.B) {
	benchmarkParse(b, "a42 UID SEARCH RETURN (ALL) OR (FROM \"alice\" SINCE 1-Feb-2024) NOT (SEEN DELETED) TEXT \"quarterly report\"\r\n")
}

// fiveParts is a typical message with five body parts: text and HTML
// alternatives, two attachments and a forwarded message.
var fiveParts = crlf(`From: "Alice Example" <alice@example.com>
To: Bob <bob@example.org>, carol@example.net
Cc: team@example.com
Subject: =?UTF-8?Q?Quarterly_report_=E2=80=93_Q2?=
Date: Tue, 2 Jul 2024 14:03:11 +0200
Message-ID: <20240702120311.ABC123@mail.example.com>
In-Reply-To: <prev.456@example.org>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="----=_Part_1"

------=_Part_1
Content-Type: multipart/alternative; boundary="----=_Part_2"

------=_Part_2
Content-Type: text/plain; charset=UTF-8
Content-Transfer-Encoding: quoted-printable

Hi Bob,

please find the quarterly report attached.
` + strings.Repeat("Some more text in the message body, line after line.\n", 20) + `
------=_Part_2
Content-Type: text/html; charset=UTF-8
Content-Transfer-Encoding: quoted-printable

<html><body><p>Hi Bob,</p><p>please find the quarterly report attached.</p>
` + strings.Repeat("<p>Some more text in the message body, line after line.</p>\n", 20) + `</body></html>
------=_Part_2--

------=_Part_1
Content-Type: application/pdf; name="report.pdf"
Content-Disposition: attachment; filename="report.pdf"
Content-Transfer-Encoding: base64

` + strings.Repeat("JVBERi0xLjQKJcfsj6IKNSAwIG9iago8PC9MZW5ndGggNiAwIFI+PgpzdHJlYW0KeJwr\n", 300) + `
------=_Part_1
Content-Type: image/png; name="chart.png"
Content-Disposition: inline; filename="chart.png"
Content-ID: <chart@example.com>
Content-Transfer-Encoding: base64

` + strings.Repeat("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA\n", 100) + `
------=_Part_1
Content-Type: message/rfc822

From: Carol <carol@example.net>
To: Alice <alice@example.com>
Subject: numbers
Date: Mon, 1 Jul 2024 09:00:00 +0000

The numbers are in.
------=_Part_1--
`)

// BenchmarkEnvelopeBodyStructure computes and writes ENVELOPE and
// BODYSTRUCTURE of a 5-part message of 30 KB, as FETCH ALL + BODYSTRUCTURE
// does for each message of a mailbox.
func BenchmarkEnvelopeBodyStructure(b *testing.B) {
	r := strings.NewReader(fiveParts)
	w := newWriter(io.Discard)
	b.ReportAllocs()
	b.SetBytes(int64(len(fiveParts)))
	for b.Loop() {
		m := newMessage(r, int64(len(fiveParts)))
		root, err := m.Structure()
		if err != nil {
			b.Fatal(err)
		}
		w.Envelope(root.envelope())
		w.BodyStructure(root, true)
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkEnvelope is ENVELOPE alone, which reads only the header.
func BenchmarkEnvelope(b *testing.B) {
	r := strings.NewReader(fiveParts)
	w := newWriter(io.Discard)
	b.ReportAllocs()
	for b.Loop() {
		env, err := newMessage(r, int64(len(fiveParts))).Envelope()
		if err != nil {
			b.Fatal(err)
		}
		w.Envelope(env)
	}
}

// BenchmarkSearchText runs SEARCH TEXT over 1,000 small messages (one
// operation is the whole mailbox). The word is in none of them, so every
// header and body is read and decoded.
func BenchmarkSearchText(b *testing.B) {
	views := make([]*testView, 1000)
	for i := range views {
		msg := crlf(fmt.Sprintf(`From: Sender %d <sender%d@example.com>
To: rcpt@example.org
Subject: Message number %d about =?UTF-8?Q?caf=C3=A9?= things
Date: Mon, 1 Jul 2024 09:%02d:00 +0000
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: quoted-printable

Hello,
this is message %d, with a few lines of text so that there is
something to search through. Caf=C3=A9 au lait, s'il vous pla=C3=AEt.
Regards,
Sender %d
`, i, i, i, i%60, i, i))
		views[i] = &testView{message: newMsg(msg), seq: uint32(i + 1), uid: uint32(i + 1), date: time.Now()}
	}
	key := &searchKey{Op: searchText, Value: "Quarterly"}
	b.ReportAllocs()
	for b.Loop() {
		m := newMatcher(key)
		m.MaxSeq, m.MaxUID = 1000, 1000
		n := 0
		for _, v := range views {
			// A fresh message each time: nothing cached from the last run.
			v.message = newMessage(v.message.r, v.message.size)
			ok, err := m.Match(v)
			if err != nil {
				b.Fatal(err)
			}
			if ok {
				n++
			}
		}
		if n != 0 {
			b.Fatal("matched")
		}
	}
}

func BenchmarkSearchFlags(b *testing.B) {
	views := make([]*testView, 1000)
	for i := range views {
		views[i] = &testView{message: newMsg("Subject: x\r\n\r\ny"), seq: uint32(i + 1), uid: uint32(i + 1), flags: []string{FlagSeen}}
	}
	m := newMatcher(&searchKey{Op: searchAnd, Children: []searchKey{{Op: searchUnseen}, {Op: searchText, Value: "x"}}})
	b.ReportAllocs()
	for b.Loop() {
		for _, v := range views {
			if ok, _ := m.Match(v); ok {
				b.Fatal("matched")
			}
		}
	}
}

func BenchmarkWriteFetchResponse(b *testing.B) {
	w := newWriter(io.Discard)
	flags := []string{FlagSeen, "$Forwarded"}
	date := time.Date(2024, 7, 2, 14, 3, 11, 0, time.UTC)
	b.ReportAllocs()
	for b.Loop() {
		w.Raw("* ")
		w.Number(12345)
		w.Raw(" FETCH (UID ")
		w.Number(67890)
		w.Raw(" FLAGS ")
		w.Flags(flags)
		w.Raw(" INTERNALDATE ")
		w.DateTime(date)
		w.Raw(" RFC822.SIZE ")
		w.Number64(31234)
		w.Raw(" BODY[HEADER.FIELDS (SUBJECT)] ")
		w.String("Subject: hello\r\n\r\n")
		w.Raw(")")
		w.CRLF()
	}
}
