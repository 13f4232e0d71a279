package imap

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParseCommand feeds arbitrary bytes to the parser as a client
// stream: it must not panic, must make progress, must skip bad commands
// and keep going, and what it accepts must be consistent.
func FuzzParseCommand(f *testing.F) {
	for _, s := range []string{
		"a1 LOGIN {5}\r\nalice {6+}\r\nsecret\r\na2 SELECT INBOX (CONDSTORE)\r\n",
		"a FETCH 1:*,3 (FLAGS BODY.PEEK[1.2.HEADER.FIELDS (From To)]<0.100> BINARY.SIZE[1]) (CHANGEDSINCE 5)\r\n",
		"a UID SEARCH RETURN (MIN COUNT) CHARSET UTF-8 OR (FROM x SINCE 1-Feb-1994) NOT TEXT {3}\r\nabc UID $\r\n",
		"a APPEND INBOX (\\Seen) \" 1-Jan-2000 00:00:00 +0000\" {3}\r\nabc ~{2+}\r\nxy\r\n",
		"a LIST (SUBSCRIBED) \"\" (INBOX \"&APw-\") RETURN (STATUS (MESSAGES))\r\n",
		"a SEARCH RETURN (SAVE) CHARSET X-NONE FROM x\r\n", "a UID FETCH $ (UID)\r\n",
		"a LIST (REMOTE SUBSCRIBED RECURSIVEMATCH) \"\" % RETURN (SUBSCRIBED CHILDREN)\r\n",
		"a STORE 1 (UNCHANGEDSINCE 3) +FLAGS.SILENT (\\Deleted $x)\r\n",
		"a SELECT INBOX (QRESYNC (1 2 3:4 (1 2)))\r\na ID (\"k\" NIL)\r\n",
		"a EXAMINE INBOX (QRESYNC (67890007 20050715194045000 41,43:211 (1:15,19 12:15,20)) CONDSTORE)\r\na UID FETCH 300:* (FLAGS) (CHANGEDSINCE 12345 VANISHED)\r\n",
		"a UID SORT RETURN (MIN MAX COUNT ALL) (ARRIVAL) UTF-8 ALL\r\na SELECT x (QRESYNC (1 18446744073709551615))\r\n",
		"a SORT RETURN () (REVERSE DATE) UTF-8 HEADER X y\r\na THREAD REFERENCES US-ASCII ALL\r\n",
		"a AUTHENTICATE PLAIN =\r\nDONE\r\n\r\n* BAD\r\n",
		"a LOGIN {999999999+}\r\nxx", "a SEARCH ((((((ALL))))))\r\n",
		"a CREATE x (USE (\\Sent))\r\na RENAME a b\r\na STATUS x (UIDNEXT)\r\na ENABLE X\r\n",
		"a APPEND x UTF8 (~{3}\r\nabc) (\\Seen) UTF8 (~{0+}\r\n)\r\na APPEND x UTF8 (~{1+}\r\nz {1+}\r\ny\r\n",
		"a SELECT \"x\nb DELETE INBOX\nc NOOP\"\r\nd NOOP\n\r\n", "a LOGIN {3+}\r\nbob x\ry {2+}\r\nzz\r\na NOOP\r\n",
		"a UID SEARCH RETURN (UPDATE (FLAGS) PARTIAL -1:-5 CONTEXT) ALL\r\na CANCELUPDATE \"a\" \"b\"\r\na UID FETCH 1:* (UID) (PARTIAL 1:9)\r\n",
		"a NOTIFY SET STATUS (selected (MessageNew (UID FLAGS) MessageExpunge)) (subtree (Lists \"x y\") (MessageNew MailboxName))\r\na NOTIFY NONE\r\n",
		"a APPEND x (\\Seen) CATENATE (URL \"/INBOX/;UID=1\" TEXT {3+}\r\nabc URL {5+}\r\n;UID=2) CATENATE (TEXT ~{1+}\r\nz UTF8 (~{2+}\r\nhi)) {1+}\r\nx\r\n",
		"a GENURLAUTH \"imap://a@h/INBOX/;UID=1;URLAUTH=authuser\" INTERNAL\r\nb URLFETCH x (\"y\" BINARY BODYPARTSTRUCTURE)\r\nc RESETKEY INBOX INTERNAL\r\n",
	} {
		f.Add([]byte(s), false, false)
	}
	f.Fuzz(func(t *testing.T, data []byte, utf8Mode, literalMinus bool) {
		p := newParser(bufio.NewReaderSize(bytes.NewReader(data), 64))
		p.MaxLineLength = 512
		p.MaxLiteralSize = 256
		p.MaxAppendSize = 1024
		p.MaxDiscard = 4096
		p.MaxDepth = 8
		p.MaxSearchKeys = 50
		p.UTF8 = utf8Mode
		p.LiteralMinus = literalMinus
		p.Continue = func(l announcedLiteral) error {
			if l.Size < 0 || (!l.Append && l.Size > 256) || (l.Append && l.Size > 1024) {
				t.Fatalf("Continue called with %+v beyond the limits", l)
			}
			if l.Size == 7 {
				return errors.New("refused")
			}
			return nil
		}
		for i := 0; i < 100; i++ {
			cmd, err := p.ReadCommand()
			if err != nil {
				var pe *commandError
				if errors.As(err, &pe) {
					if pe.Status != "BAD" && pe.Status != "NO" || pe.Message == "" {
						t.Fatalf("bad ParseError %+v", pe)
					}
					if pe.Fatal {
						return
					}
					continue
				}
				return // end of input
			}
			checkCommand(t, cmd, utf8Mode)
			if cmd.Name == "APPEND" {
				for j := 0; j < 20; j++ {
					m, err := p.NextAppendMessage()
					if err != nil || m == nil {
						break
					}
					if m.Catenate {
						if m.Body != nil {
							t.Fatal("CATENATE message with a Body")
						}
						if !readCatenate(t, p, j%2 == 0) {
							break
						}
						continue
					}
					if j%2 == 0 {
						n, _ := io.Copy(io.Discard, m.Body)
						if n > m.Size {
							t.Fatalf("body gave %d bytes of %d", n, m.Size)
						}
					}
				}
			}
		}
	})
}

// readCatenate reads the parts of a CATENATE message, the TEXT ones to
// their end when readBodies is set; it reports whether the command goes on.
func readCatenate(t *testing.T, p *parser, readBodies bool) bool {
	var used int64
	for k := 0; k < 20; k++ {
		part, err := p.NextCatenatePart(used)
		if err != nil {
			return false
		}
		if part == nil {
			return true
		}
		if part.URL != "" {
			if part.Body != nil {
				t.Fatal("URL part with a Body")
			}
			continue
		}
		if part.Size > p.maxAppend()-used {
			t.Fatalf("TEXT part of %d bytes past the limit (%d used)", part.Size, used)
		}
		used += part.Size
		if readBodies {
			n, _ := io.Copy(io.Discard, part.Body)
			if n > part.Size {
				t.Fatalf("TEXT part gave %d bytes of %d", n, part.Size)
			}
		}
	}
	return false
}

// FuzzCatenate feeds arbitrary CATENATE part lists (RFC 4469 5) to the
// parser: it must not panic, must keep TEXT parts within MaxAppendSize,
// and must leave the stream at the next command.
func FuzzCatenate(f *testing.F) {
	for _, s := range []string{
		`URL "/INBOX/;UID=1/;SECTION=HEADER" TEXT {5}` + "\r\nhello)",
		`TEXT {3+}` + "\r\nabc" + ` URL {4+}` + "\r\n;U=1" + ` TEXT ~{2}` + "\r\n\x00\x01)",
		`UTF8 (~{2}` + "\r\nhi" + `) URL x)`, `)`, `URL`, `TEXT {99999999}`, `URL "x" URL "y") CATENATE (TEXT {0}` + "\r\n)",
	} {
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, parts string, readBodies bool) {
		in := "a APPEND x CATENATE (" + parts + "\r\nz NOOP\r\n"
		p := newParser(bufio.NewReaderSize(strings.NewReader(in), 64))
		p.MaxLineLength = 512
		p.MaxLiteralSize = 256
		p.MaxAppendSize = 1024
		p.MaxDiscard = 4096
		p.Continue = func(l announcedLiteral) error {
			if l.Size == 7 {
				return errors.New("refused")
			}
			return nil
		}
		cmd, err := p.ReadCommand()
		var pe *commandError
		if errors.As(err, &pe) {
			return // a line over MaxLineLength
		}
		if err != nil || cmd.Name != "APPEND" {
			t.Fatalf("APPEND: %v", err)
		}
		for j := 0; j < 5; j++ {
			m, err := p.NextAppendMessage()
			if err != nil || m == nil {
				break
			}
			if !m.Catenate || !readCatenate(t, p, readBodies) {
				break
			}
		}
		// Whatever the parts were, the parser finds the end of the
		// command (unless a literal swallowed the next line).
		for i := 0; i < 10; i++ {
			cmd, err := p.ReadCommand()
			var pe *commandError
			if errors.As(err, &pe) && !pe.Fatal {
				continue
			}
			if err != nil || cmd.Tag == "z" {
				return
			}
		}
	})
}

func checkCommand(t *testing.T, cmd *command, utf8Mode bool) {
	if cmd.Tag == "" || strings.ContainsAny(cmd.Tag, " \r\n(){%*\"\\+") {
		t.Fatalf("bad tag %q", cmd.Tag)
	}
	if cmd.Name != strings.ToUpper(cmd.Name) || commands[cmd.Name] == nil {
		t.Fatalf("bad name %q", cmd.Name)
	}
	mailboxes := []string{}
	switch a := cmd.Args.(type) {
	case *selectArgs:
		mailboxes = append(mailboxes, a.Mailbox)
	case *copyArgs:
		mailboxes = append(mailboxes, a.Mailbox)
	case *renameArgs:
		mailboxes = append(mailboxes, a.From, a.To)
	case *listArgs:
		mailboxes = append(mailboxes, a.Reference)
		mailboxes = append(mailboxes, a.Patterns...)
	case *fetchArgs:
		for _, it := range a.Items {
			_ = it.ResponseName()
			if it.Partial.Count < 0 || it.Partial.Offset < 0 {
				t.Fatalf("negative partial %+v", it.Partial)
			}
		}
	case *searchArgs:
		checkSearchRoundTrip(t, a.Key)
	case *sortArgs:
		checkSearchRoundTrip(t, a.Key)
	case *urlFetchArgs:
		for _, u := range a.URLs {
			if u.Body && u.Binary || !u.Extended && (u.Body || u.Binary || u.BodyPartStructure) {
				t.Fatalf("URLFETCH parameters %+v", u)
			}
		}
	case *genURLAuthArgs:
		if len(a.Rumps) == 0 || len(a.Rumps) != len(a.Mechanisms) {
			t.Fatalf("GENURLAUTH %+v", a)
		}
	case *resetKeyArgs:
		if a.Mailbox == "" && len(a.Mechanisms) > 0 {
			t.Fatalf("RESETKEY %+v", a)
		}
		mailboxes = append(mailboxes, a.Mailbox)
	}
	for _, m := range mailboxes {
		if !utf8.ValidString(m) {
			t.Fatalf("mailbox %q is not UTF-8", m)
		}
		if !utf8Mode && encodeMailboxName(m) != "" {
			if d, err := decodeMailboxName(encodeMailboxName(m)); err != nil || d != m {
				t.Fatalf("mailbox %q does not round-trip: %q %v", m, d, err)
			}
		}
	}
}

// checkSearchRoundTrip: a key written out by String parses back to a key
// that writes out the same.
func checkSearchRoundTrip(t *testing.T, k *searchKey) {
	s1 := k.String()
	p := newParser(bufio.NewReader(strings.NewReader("t SEARCH " + s1 + "\r\n")))
	p.Continue = func(announcedLiteral) error { return nil }
	p.MaxLineLength = 1 << 20
	p.MaxLiteralSize = 1 << 20
	cmd, err := p.ReadCommand()
	if err != nil {
		t.Fatalf("String() %q does not parse: %v", s1, err)
	}
	if s2 := cmd.Args.(*searchArgs).Key.String(); s2 != s1 {
		t.Fatalf("search key round trip: %q -> %q", s1, s2)
	}
}

// FuzzSeqSet checks parsing, the compact form and the set operations
// against each other.
func FuzzSeqSet(f *testing.F) {
	for _, s := range []string{"1", "1:5", "*", "5:*", "2,4:7,9,12:*", "$", "4294967295:1", "3,2,1", "1:3,2:5,9"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		set, err := parseSeqSetString(s)
		if err != nil {
			return
		}
		str := set.String()
		again, err := parseSeqSetString(str)
		if err != nil || !reflect.DeepEqual(again, set) {
			t.Fatalf("%q -> %q -> %+v, %v", s, str, again, err)
		}
		if len(str) > len(s) {
			t.Fatalf("compact form %q longer than %q", str, s)
		}
		for _, max := range []uint32{0, 1, 7, 100} {
			res := set.Resolve(max)
			for i := 1; i < len(res.Ranges); i++ {
				if res.Ranges[i].Start <= res.Ranges[i-1].Stop+1 {
					t.Fatalf("Resolve(%d) of %q not merged: %s", max, s, res)
				}
			}
			for n := uint32(1); n <= max+3; n++ {
				in := set.Contains(n, max)
				inAll := false
				for lo, hi := range set.All(max) {
					if lo <= n && n <= hi {
						inAll = true
					}
				}
				if in != inAll || in != res.Contains(n, max) {
					t.Fatalf("%q max %d: Contains(%d) = %v, All %v, Resolve %v", s, max, n, in, inAll, res.Contains(n, max))
				}
			}
		}
		var b SeqSetBuilder
		for lo, hi := range set.Resolve(50).All(50) {
			b.AddRange(lo, hi)
		}
		if got, want := b.Set().String(), set.Resolve(50).String(); got != want {
			t.Fatalf("builder %q, resolve %q", got, want)
		}
	})
}

// FuzzMailboxName checks that modified UTF-7 decoding is strict enough
// for every valid encoding to be the one Encode gives.
func FuzzMailboxName(f *testing.F) {
	for _, s := range []string{"INBOX", "&-", "Entw&APw-rfe", "~peter/mail/&U,BTFw-/&ZeVnLIqe-", "&2D3eAA-", "&AGE-", "a&", "日本", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if dec, err := decodeMailboxName(s); err == nil {
			if !utf8.ValidString(dec) {
				t.Fatalf("Decode(%q) = %q: invalid UTF-8", s, dec)
			}
			if enc := encodeMailboxName(dec); enc != s {
				t.Fatalf("Decode(%q) = %q, which encodes to %q", s, dec, enc)
			}
		}
		enc := encodeMailboxName(s)
		for i := 0; i < len(enc); i++ {
			if enc[i] < 0x20 || enc[i] > 0x7e {
				t.Fatalf("Encode(%q) = %q: not printable ASCII", s, enc)
			}
		}
		dec, err := decodeMailboxName(enc)
		clean := utf8.ValidString(s) && !strings.ContainsFunc(s, isControl)
		if clean && (err != nil || dec != s) {
			t.Fatalf("Encode(%q) = %q decodes to %q, %v", s, enc, dec, err)
		}
	})
}

// FuzzBodyStructure parses arbitrary bytes as a message: no panic, every
// offset within the message, every section sliceable with the size it
// announces.
func FuzzBodyStructure(f *testing.F) {
	f.Add([]byte(mixedSample))
	f.Add([]byte(rfc3501Message()))
	f.Add([]byte(nested(6)))
	f.Add([]byte("Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\nContent-Type: message/rfc822\r\n\r\nSubject: a\r\nContent-Type: multipart/alternative; boundary=y\r\n\r\n--y\r\n\r\nq\r\n--x--\r\n"))
	f.Add([]byte("Content-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nna=EFve=\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m := newMessage(bytes.NewReader(data), int64(len(data)))
		m.Limits = structureLimits{MaxDepth: 8, MaxParts: 50, MaxFieldLength: 512, MaxHeaderBytes: 4096}
		root, err := m.Structure()
		if err != nil {
			t.Fatal(err)
		}
		checkOffsets(t, root, int64(len(data)))
		for _, ext := range []bool{false, true} {
			var b bytes.Buffer
			w := newWriter(&b)
			w.BodyStructure(root, ext)
			w.Envelope(root.envelope())
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := m.Envelope(); err != nil {
			t.Fatal(err)
		}
		// Every section of every part.
		count := 0
		var walk func(p *Part, path []int)
		walk = func(p *Part, path []int) {
			count++
			if count > 200 {
				return
			}
			specs := []string{"", sectionMIME}
			if p.Message != nil {
				specs = append(specs, sectionHeader, sectionText, sectionHeaderFields, sectionHeaderFieldsNot)
			}
			for _, sp := range specs {
				sec := section{Part: path, Specifier: sp}
				if sp == sectionHeaderFields || sp == sectionHeaderFieldsNot {
					sec.Fields = []string{"Subject", "content-type"}
				}
				for _, pt := range []partial{{}, {Offset: 1, Count: 3}} {
					it := fetchItem{Kind: fetchBodySection, Section: sec, Partial: pt}
					r, n, err := m.FetchSection(it)
					if err != nil {
						t.Fatalf("BODY[%s]: %v", sec.AppendTo(nil), err)
					}
					got, _ := io.ReadAll(r)
					if int64(len(got)) != n {
						t.Fatalf("BODY[%s]: %d bytes, announced %d", sec.AppendTo(nil), len(got), n)
					}
				}
			}
			r, n, err := m.FetchSection(fetchItem{Kind: fetchBinarySection, Section: section{Part: path}})
			if err == nil {
				got, _ := io.ReadAll(r)
				if int64(len(got)) != n {
					t.Fatalf("BINARY[%v]: %d bytes, announced %d", path, len(got), n)
				}
			} else if !errors.Is(err, errUnknownCTE) {
				t.Fatalf("BINARY[%v]: %v", path, err)
			}
			ent := p
			if p.Message != nil {
				ent = p.Message
			}
			if ent.IsMultipart() {
				for i, c := range ent.Children {
					walk(c, append(append([]int(nil), path...), i+1))
				}
			} else if ent != p {
				walk(ent, append(append([]int(nil), path...), 1))
			}
		}
		if root.IsMultipart() {
			for i, c := range root.Children {
				walk(c, []int{i + 1})
			}
		} else {
			walk(root, []int{1})
		}
		for _, sp := range []string{"", sectionHeader, sectionText} {
			if _, _, err := m.FetchSection(fetchItem{Kind: fetchBodySection, Section: section{Specifier: sp}}); err != nil {
				t.Fatal(err)
			}
		}
		if err := m.BodyText(func([]byte) error { return nil }); err != nil {
			t.Fatal(err)
		}
	})
}
