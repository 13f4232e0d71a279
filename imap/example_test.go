package imap_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"time"

	"github.com/mailwright/mailwright/imap"
	"github.com/mailwright/mailwright/mailbox"
)

// A server reads commands with a Parser; Continue is where it checks a
// literal before inviting the client to send it.
func ExampleParser() {
	client := "a1 LOGIN {5}\r\nalice secret\r\na2 UID FETCH 1:* (FLAGS BODY.PEEK[HEADER.FIELDS (Subject)])\r\na3 FROB\r\na4 LOGOUT\r\n"
	out := bufio.NewWriter(os.Stdout)
	p := imap.NewParser(bufio.NewReader(strings.NewReader(client)))
	p.Continue = func(l imap.Literal) error {
		if !l.NonSync {
			out.WriteString("+ Ready\n") // CRLF on the wire
			return out.Flush()
		}
		return nil
	}
	for {
		cmd, err := p.ReadCommand()
		if err == io.EOF {
			break
		}
		if pe, ok := err.(*imap.ParseError); ok {
			fmt.Fprintf(out, "%s %s %s\n", pe.Tag, pe.Status, pe.Message)
			continue
		}
		switch args := cmd.Args.(type) {
		case *imap.LoginArgs:
			fmt.Fprintf(out, "%s LOGIN user=%s\n", cmd.Tag, args.Username)
		case *imap.FetchArgs:
			fmt.Fprintf(out, "%s FETCH uid=%v set=%s items:", cmd.Tag, cmd.UID, args.Set)
			for _, it := range args.Items {
				fmt.Fprintf(out, " %s", it.ResponseName())
			}
			fmt.Fprintln(out)
		default:
			fmt.Fprintf(out, "%s %s\n", cmd.Tag, cmd.Name)
		}
	}
	out.Flush()
	// Output:
	// + Ready
	// a1 LOGIN user=alice
	// a2 FETCH uid=true set=1:* items: FLAGS BODY[HEADER.FIELDS (Subject)]
	// a3 BAD Unknown command FROB
	// a4 LOGOUT
}

// APPEND data is streamed: the parser hands each message over as a reader.
func ExampleParser_NextAppendMessage() {
	client := "a APPEND Drafts (\\Draft) {24}\r\nSubject: hi\r\n\r\nhello\r\n\r\n"
	p := imap.NewParser(bufio.NewReader(strings.NewReader(client)))
	p.Continue = func(imap.Literal) error { return nil } // a server writes "+ Ready" here
	cmd, _ := p.ReadCommand()
	fmt.Println(cmd.Name, cmd.Args.(*imap.AppendArgs).Mailbox)
	for {
		m, err := p.NextAppendMessage()
		if err != nil || m == nil {
			break
		}
		body, _ := io.ReadAll(m.Body) // a backend would stream this to disk
		fmt.Printf("flags %v, %d bytes, %q\n", m.Flags, m.Size, body[:11])
	}
	// Output:
	// APPEND Drafts
	// flags [\Draft], 24 bytes, "Subject: hi"
}

// ENVELOPE, BODYSTRUCTURE and body sections come from the raw message.
func ExampleMessage() {
	raw := "From: Alice <alice@example.com>\r\nSubject: Lunch\r\n" +
		"Content-Type: multipart/alternative; boundary=b\r\n\r\n" +
		"--b\r\nContent-Type: text/plain\r\n\r\nNoon?\r\n" +
		"--b\r\nContent-Type: text/html\r\n\r\n<p>Noon?</p>\r\n--b--\r\n"
	m := imap.NewMessage(strings.NewReader(raw), int64(len(raw)))

	w := imap.NewWriter(os.Stdout)
	env, _ := m.Envelope()
	w.Envelope(env)
	w.Raw("\n")
	root, _ := m.Structure()
	w.BodyStructure(root, true)
	w.Raw("\n")
	w.Flush()

	r, n, _ := m.FetchSection(imap.FetchItem{Kind: imap.FetchBodySection, Section: imap.Section{Part: []int{2}}})
	b, _ := io.ReadAll(r)
	fmt.Printf("BODY[2] {%d} %s\n", n, b)
	// Output:
	// (NIL "Lunch" (("Alice" NIL "alice" "example.com")) (("Alice" NIL "alice" "example.com")) (("Alice" NIL "alice" "example.com")) NIL NIL NIL NIL NIL)
	// (("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 5 0 NIL NIL NIL NIL)("text" "html" ("charset" "us-ascii") NIL NIL "7bit" 12 0 NIL NIL NIL NIL) "alternative" ("boundary" "b") NIL NIL NIL)
	// BODY[2] {12} <p>Noon?</p>
}

// view is a message of a mailbox as SEARCH sees it: the raw message plus
// the metadata a backend keeps.
type view struct {
	*imap.Message
	seq, uid uint32
	flags    []string
}

func (v view) SeqNum() uint32          { return v.seq }
func (v view) UID() uint32             { return v.uid }
func (v view) Flags() []string         { return v.flags }
func (v view) InternalDate() time.Time { return time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC) }
func (v view) ModSeq() uint64          { return 1 }

func ExampleMatcher() {
	raws := []string{
		"Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=\r\n\r\nsee you in M\xc3\xbcnchen\r\n",
		"Subject: invoice\r\n\r\nplease pay\r\n",
	}
	p := imap.NewParser(bufio.NewReader(strings.NewReader("s SEARCH UNSEEN OR SUBJECT \"GRÜSSE\" TEXT \"münchen\"\r\n")))
	cmd, _ := p.ReadCommand()
	m := &imap.Matcher{Key: cmd.Args.(*imap.SearchArgs).Key, MaxSeq: 2, MaxUID: 11, Location: time.UTC}
	for i, raw := range raws {
		v := view{imap.NewMessage(strings.NewReader(raw), int64(len(raw))), uint32(i + 1), uint32(i + 10), nil}
		ok, _ := m.Match(v)
		fmt.Println(v.uid, ok)
	}
	// Output:
	// 10 true
	// 11 false
}

func ExampleParseSeqSet() {
	s, _ := imap.ParseSeqSet("7,1:3,5:*")
	fmt.Println(s.Contains(4, 10), s.Contains(9, 10), s.Resolve(10))
	fmt.Println(imap.SeqSetFromNumbers([]uint32{1, 2, 3, 7, 9, 10}))
	// Output:
	// false true 1:3,5:10
	// 1:3,7,9:10
}

func ExampleEncodeMailboxName() {
	enc := imap.EncodeMailboxName("Entwürfe & Notizen")
	dec, _ := imap.DecodeMailboxName(enc)
	fmt.Println(enc)
	fmt.Println(dec)
	// Output:
	// Entw&APw-rfe &- Notizen
	// Entwürfe & Notizen
}

func ExampleServer() {
	store := mailbox.NewMemoryStore()
	defer store.Close()
	accounts := mailbox.NewMemoryAccounts()
	accounts.Add("alice", "secret")
	store.Append(context.Background(), "alice", "INBOX", strings.NewReader("Subject: hi\r\n\r\nHello\r\n"), nil)

	srv := &imap.Server{
		Backend:           mailbox.NewIMAPBackend(store, accounts),
		AllowInsecureAuth: true, // loopback only; set TLSConfig in production
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	go srv.Serve(l)
	defer srv.Close()

	c, _ := net.Dial("tcp", l.Addr().String())
	defer c.Close()
	r := bufio.NewReader(c)
	r.ReadString('\n') // greeting
	fmt.Fprint(c, "a LOGIN alice secret\r\nb EXAMINE INBOX\r\nc FETCH 1 BODY[HEADER.FIELDS (Subject)]\r\nd LOGOUT\r\n")
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			break
		}
		if strings.HasPrefix(line, "* 1 FETCH") || strings.HasPrefix(line, "Subject") {
			fmt.Println(strings.TrimRight(line, "\r\n"))
		}
	}
	// Output:
	// * 1 FETCH (BODY[HEADER.FIELDS (Subject)] {15}
	// Subject: hi
}

func ExampleBaseSubject() {
	// RFC 5256 section 2.1: the subject SORT and THREAD compare.
	fmt.Println(imap.BaseSubject("Re: [list] Fwd: Quarterly   budget (fwd)"))
	fmt.Println(imap.BaseSubject("[Fwd: Re: Lunch]"))
	// Output:
	// Quarterly budget
	// Lunch
}
