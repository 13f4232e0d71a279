package smtp

import (
	"bytes"
	"crypto/tls"
	"errors"
	"strings"
	"testing"

	"github.com/emersion/go-sasl"
)

// TestClientAgainstServer runs our Client against our Server: each side is
// tested against independent peers elsewhere; here they must agree.
func TestClientAgainstServer(t *testing.T) {
	cert, pool, _ := testCertificate(t)
	b := &testBackend{users: map[string]string{"alice": "pw"}, rejectRcpt: map[string]error{
		"nobody@example.org": &Error{Code: 550, EnhancedCode: EnhancedCode{5, 1, 1}, Message: "No such user"},
		"later@example.org":  &Error{Code: 450, EnhancedCode: EnhancedCode{4, 2, 1}, Message: "Try later"},
	}}
	addr := startServer(t, &Server{Backend: b, EnableDSN: true, MaxMessageBytes: 1 << 20,
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}}})

	c, err := Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.StartTLS(t.Context(), &tls.Config{RootCAs: pool, ServerName: "localhost"}); err != nil {
		t.Fatal(err)
	}
	if err := c.Auth(t.Context(), sasl.NewPlainClient("", "alice", "pw")); err != nil {
		t.Fatal(err)
	}
	for _, ext := range []string{"PIPELINING", "DSN", "CHUNKING", "SMTPUTF8", "8BITMIME"} {
		if ok, _ := c.Extension(ext); !ok {
			t.Errorf("extension %s not seen by the client", ext)
		}
	}
	if size, ok := c.MaxMessageSize(); !ok || size != 1<<20 {
		t.Errorf("MaxMessageSize = %d, %v", size, ok)
	}

	// Dot-stuffing both ways: lines that start with dots, a lone ".", bare
	// LF endings (the client turns them into CRLF) and no final newline.
	body := "Subject: dots\n\n.\n..two\n.three\nlast line without newline"
	want := "Subject: dots\r\n\r\n.\r\n..two\r\n.three\r\nlast line without newline\r\n"
	results, err := c.Send(t.Context(), "alice@example.org", &MailOptions{Return: DSNReturnHeaders, EnvelopeID: "env 1"}, []Recipient{
		{Address: "bob@example.org", Options: &RcptOptions{Notify: []DSNNotify{DSNNotifyFailure}, OriginalRecipientType: "rfc822", OriginalRecipient: "bob@example.org"}},
		{Address: "nobody@example.org"},
		{Address: "later@example.org"},
		{Address: "carol@example.org"},
	}, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	codes := []int{0, 550, 450, 0}
	for i, r := range results {
		var e *Error
		switch {
		case codes[i] == 0 && r.Err != nil:
			t.Errorf("%s: %v", r.Address, r.Err)
		case codes[i] != 0 && (!errors.As(r.Err, &e) || e.Code != codes[i]):
			t.Errorf("%s: got %v, want %d", r.Address, r.Err, codes[i])
		}
	}

	// BINARYMIME goes with BDAT.
	binary := "Content-Type: application/octet-stream\r\n\r\n\x00\x01\r\n.\r\n\xff"
	if _, err := c.Send(t.Context(), "alice@example.org", &MailOptions{Body: BodyBinaryMIME}, []Recipient{{Address: "bob@example.org"}}, strings.NewReader(binary)); err != nil {
		t.Fatalf("BDAT: %v", err)
	}
	// SMTPUTF8 is switched on for a non-ASCII address.
	if err := c.SendMail(t.Context(), "jörg@bücher.example", []string{"bob@example.org"}, strings.NewReader("Subject: ü\r\n\r\nä\r\n")); err != nil {
		t.Fatalf("SMTPUTF8: %v", err)
	}
	// Over SIZE: refused after the data, and the connection goes on.
	big := bytes.Repeat([]byte("x"), 2<<20)
	err = c.SendMail(t.Context(), "alice@example.org", []string{"bob@example.org"}, bytes.NewReader(big))
	var e *Error
	if !errors.As(err, &e) || e.Code != 552 {
		t.Fatalf("oversized message: %v", err)
	}
	if err := c.Noop(t.Context()); err != nil {
		t.Fatalf("connection unusable after 552: %v", err)
	}
	if err := c.Verify(t.Context(), "alice@example.org"); err != nil {
		t.Fatalf("VRFY (252 counts as success): %v", err)
	}
	if err := c.Quit(t.Context()); err != nil {
		t.Fatal(err)
	}

	msgs := b.Messages()
	if len(msgs) != 3 {
		t.Fatalf("stored %d messages, want 3", len(msgs))
	}
	m := msgs[0]
	if string(m.Body) != want {
		t.Errorf("body %q\nwant %q", m.Body, want)
	}
	if strings.Join(m.Rcpts, ",") != "bob@example.org,carol@example.org" || m.Auth != "alice" {
		t.Errorf("envelope %+v", m)
	}
	if m.MailOpts.Return != DSNReturnHeaders || m.MailOpts.EnvelopeID != "env 1" {
		t.Errorf("DSN mail options %+v", m.MailOpts)
	}
	if ro := m.RcptOpts[0]; len(ro.Notify) != 1 || ro.Notify[0] != DSNNotifyFailure || ro.OriginalRecipient != "bob@example.org" {
		t.Errorf("DSN rcpt options %+v", ro)
	}
	if string(msgs[1].Body) != binary || msgs[1].MailOpts.Body != BodyBinaryMIME {
		t.Errorf("binary body %q (%q)", msgs[1].Body, msgs[1].MailOpts.Body)
	}
	if msgs[2].From != "jörg@bücher.example" || !msgs[2].MailOpts.UTF8 {
		t.Errorf("UTF-8 message %+v", msgs[2])
	}
}

func TestLMTPClientAgainstServer(t *testing.T) {
	addr := startServer(t, &Server{Backend: &lmtpBackend{}, LMTP: true})
	conn := dial(t, addr)
	c, err := NewLMTPClient(t.Context(), conn)
	if err != nil {
		t.Fatal(err)
	}
	results, err := c.Send(t.Context(), "a@example.org", nil, []Recipient{
		{Address: "full@example.org"}, {Address: "unknown@example.org"}, {Address: "ok@example.org"},
	}, strings.NewReader("Subject: lmtp\r\n\r\nhi\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	var e *Error
	if !errors.As(results[0].Err, &e) || e.Code != 452 {
		t.Errorf("full: %v", results[0].Err)
	}
	if !errors.As(results[1].Err, &e) || e.Code != 550 {
		t.Errorf("unknown: %v", results[1].Err)
	}
	if results[2].Err != nil {
		t.Errorf("ok: %v", results[2].Err)
	}
}
