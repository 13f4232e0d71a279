package smtp

import (
	"bufio"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"
)

// burlSession resolves URLs from testBackend.urls (RFC 4468): "slow:"
// URLs fail after their first bytes.
type burlSession struct{ *testSession }

func (s *burlSession) FetchURL(ctx context.Context, url string) (io.ReadCloser, error) {
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	content, ok := s.b.urls[url]
	if !ok {
		return nil, &Error{Code: 554, EnhancedCode: EnhancedCode{5, 6, 6}, Message: "IMAP URL resolution failed"}
	}
	s.b.open++
	var r io.Reader = strings.NewReader(content)
	if strings.HasPrefix(url, "slow:") {
		r = io.MultiReader(r, errReader{})
	}
	return &countedReader{Reader: r, b: s.b}, nil
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("store failed") }

// countedReader tells the backend when it is closed.
type countedReader struct {
	io.Reader
	b      *testBackend
	closed bool
}

func (r *countedReader) Close() error {
	r.b.mu.Lock()
	defer r.b.mu.Unlock()
	if r.closed {
		panic("URL reader closed twice")
	}
	r.closed = true
	r.b.open--
	return nil
}

// TestBURL covers RFC 4468: EHLO offers "BURL imap", BURL chunks and BDAT
// chunks make one message, LAST ends it, and a URL that cannot be
// resolved or read fails the transaction, whose pipelined chunks are then
// skipped.
func TestBURL(t *testing.T) {
	b := &testBackend{urls: map[string]string{
		"imap://a/INBOX/;UID=1;URLAUTH=x": "Subject: one\r\n\r\n",
		"imap://a/INBOX/;UID=2;URLAUTH=x": "body\r\n",
		"slow:x":                          "partial",
	}}
	addr := startServer(t, &Server{Backend: b, MaxMessageBytes: 40})
	conn := dial(t, addr)
	transcript(t, conn, `
		S: 220 *
		C: EHLO client.test
		S: 250-*
		S: 250-*
		S: 250-*
		S: 250-*
		S: 250-SIZE 40
		S: 250-CHUNKING
		S: 250-BINARYMIME
		S: 250-SMTPUTF8
		S: 250 BURL imap
		C: BURL imap://a/INBOX/;UID=1;URLAUTH=x LAST
		S: 503 5.5.1 Need MAIL command
		C: MAIL FROM:<a@example.org>
		S: 250 2.1.0 Sender OK
		C: RCPT TO:<b@example.org>
		S: 250 2.1.5 Recipient OK
		C: BURL imap://a/INBOX/;UID=1;URLAUTH=x
		S: 250 2.5.0 Waiting for additional BURL or BDAT commands
		C: BDAT 3
		C: hi BURL imap://a/INBOX/;UID=2;URLAUTH=x LAST
		S: 250 2.0.0 19 octets received
		S: 250 2.0.0 Message accepted
		C: MAIL FROM:<a@example.org>
		S: 250 2.1.0 Sender OK
		C: RCPT TO:<b@example.org>
		S: 250 2.1.5 Recipient OK
		C: BURL imap://a/INBOX/;UID=2;URLAUTH=x last
		S: 250 2.0.0 Message accepted`)
	// A URL that does not resolve: 554, the transaction is over, and the
	// pipelined BDAT chunk is read and refused, not taken for commands.
	transcript(t, conn, `
		C: MAIL FROM:<a@example.org>
		S: 250 2.1.0 Sender OK
		C: RCPT TO:<b@example.org>
		S: 250 2.1.5 Recipient OK
		C: BDAT 2
		C: xxBURL imap://a/INBOX/;UID=9;URLAUTH=x
		C: BDAT 6 LAST
		C: QUIT
		S: 250 2.0.0 2 octets received
		S: 554 5.6.6 IMAP URL resolution failed
		S: 503 5.5.1 Need MAIL command
		C: MAIL FROM:<a@example.org>
		S: 250 2.1.0 Sender OK
		C: RCPT TO:<b@example.org>
		S: 250 2.1.5 Recipient OK
		C: BURL imap://a/INBOX/;UID=9;URLAUTH=x LAST
		S: 554 5.6.6 IMAP URL resolution failed
		C: RCPT TO:<b@example.org>
		S: 503 5.5.1 Need MAIL before RCPT`)
	// Content that cannot be read to its end, and content over the limit.
	transcript(t, conn, `
		C: MAIL FROM:<a@example.org>
		S: 250 2.1.0 Sender OK
		C: RCPT TO:<b@example.org>
		S: 250 2.1.5 Recipient OK
		C: BURL slow:x LAST
		S: 451 4.6.6 Message content not available
		C: MAIL FROM:<a@example.org>
		S: 250 2.1.0 Sender OK
		C: RCPT TO:<b@example.org>
		S: 250 2.1.5 Recipient OK
		C: BURL imap://a/INBOX/;UID=1;URLAUTH=x
		S: 250 2.5.0 *
		C: BURL imap://a/INBOX/;UID=1;URLAUTH=x
		S: 250 2.5.0 *
		C: BURL imap://a/INBOX/;UID=1;URLAUTH=x LAST
		S: 552 5.3.4 Message exceeds maximum size
		C: MAIL FROM:<a@example.org>
		S: 250 2.1.0 Sender OK
		C: RCPT TO:<b@example.org>
		S: 250 2.1.5 Recipient OK
		C: BURL imap://a/INBOX/;UID=1;URLAUTH=x
		S: 250 2.5.0 *
		C: RSET
		S: 250 2.0.0 Reset state
		C: BURL
		S: 501 5.5.4 Syntax: BURL absolute-URI [LAST]
		C: BURL imap://a/ FIRST
		S: 501 5.5.4 Syntax: BURL absolute-URI [LAST]
		C: QUIT
		S: 221 *`)
	expectClosed(t, conn)

	msgs := b.Messages()
	if len(msgs) != 2 {
		t.Fatalf("got %d messages, want 2", len(msgs))
	}
	if want := "Subject: one\r\n\r\nhi body\r\n"; string(msgs[0].Body) != want {
		t.Errorf("body %q, want %q", msgs[0].Body, want)
	}
	if want := "body\r\n"; string(msgs[1].Body) != want {
		t.Errorf("body %q, want %q", msgs[1].Body, want)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.open != 0 {
		t.Errorf("%d URL readers left open", b.open)
	}
}

// TestBURLNotOffered: without a BURLSession, or with CHUNKING off, BURL is
// neither advertised nor accepted.
func TestBURLNotOffered(t *testing.T) {
	for _, s := range []*Server{
		{Backend: &testBackend{}},
		{Backend: &testBackend{urls: map[string]string{}}, DisableChunking: true},
	} {
		conn := dial(t, startServer(t, s))
		br := bufio.NewReader(conn)
		io.WriteString(conn, "EHLO client.test\r\n")
		for {
			conn.SetReadDeadline(time.Now().Add(10 * time.Second))
			line, err := br.ReadString('\n')
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(line, "BURL") {
				t.Errorf("EHLO offers %q", line)
			}
			if strings.HasPrefix(line, "250 ") {
				break
			}
		}
		io.WriteString(conn, "MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.org>\r\nBURL imap://a/INBOX/;UID=1 LAST\r\n")
		for _, want := range []string{"250 2.1.0", "250 2.1.5", "500 5.5.1 Command not recognized"} {
			line, err := br.ReadString('\n')
			if err != nil || !strings.HasPrefix(line, want) {
				t.Fatalf("got %q, %v; want %s", line, err, want)
			}
		}
	}
}

// FuzzParseBURL: the BURL argument parser never panics, and what it
// accepts is one word of printable ASCII, with LAST recognized.
func FuzzParseBURL(f *testing.F) {
	for _, s := range []string{
		"imap://alice@example.org/INBOX/;UID=1;URLAUTH=submit+alice:INTERNAL:0123 LAST",
		"imap://x/ last", "imap://x/", "", " LAST", "x LAST", "imap://x/ LAST LAST", "a:b\x00 LAST",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, arg string) {
		url, last, ok := parseBURL(arg)
		if !ok {
			return
		}
		if url == "" || strings.ContainsAny(url, " \r\n\x00") || !strings.Contains(url, ":") {
			t.Fatalf("accepted URL %q", url)
		}
		if last != strings.HasSuffix(strings.ToUpper(arg), " LAST") {
			t.Fatalf("%q: last = %v", arg, last)
		}
	})
}
