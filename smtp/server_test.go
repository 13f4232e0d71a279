package smtp

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/mailwright/mailwright/internal/logtest"
)

const ehloReply = `
	S: 250-mx.test Hello client.test
	S: 250-PIPELINING
	S: 250-8BITMIME
	S: 250-ENHANCEDSTATUSCODES
	S: 250-SIZE 33554432
	S: 250-CHUNKING
	S: 250-BINARYMIME
	S: 250 SMTPUTF8`

func TestGreetingEHLOHELOQuit(t *testing.T) {
	b := &testBackend{}
	addr := startServer(t, &Server{Backend: b})
	conn := dial(t, addr)
	transcript(t, conn, `
		S: 220 mx.test ESMTP mailwright
		C: EHLO client.test`+ehloReply+`
		C: HELO other.test
		S: 250 mx.test Hello other.test
		C: NOOP
		S: 250 2.0.0 OK
		C: noop with argument
		S: 250 2.0.0 OK
		C: HELP
		S: 214 2.0.0 Commands: HELO EHLO MAIL RCPT DATA BDAT RSET NOOP QUIT HELP VRFY EXPN VERB STARTTLS AUTH
		C: VERB
		S: 250 2.0.0 VERB accepted; this server has no verbose mode
		C: QUIT
		S: 221 2.0.0 Bye`)
	expectClosed(t, conn)
}

func TestTransaction(t *testing.T) {
	b := &testBackend{}
	addr := startServer(t, &Server{Backend: b})
	conn := dial(t, addr)
	transcript(t, conn, `
		S: 220 *
		C: EHLO client.test`+ehloReply+`
		C: MAIL FROM:<alice@example.org>
		S: 250 2.1.0 Sender OK
		C: RCPT TO:<bob@example.net>
		S: 250 2.1.5 Recipient OK
		C: RCPT TO: <carol@[192.0.2.1]>
		S: 250 2.1.5 Recipient OK
		C: DATA
		S: 354 End data with <CR><LF>.<CR><LF>
		C: Subject: test
		C:
		C: ..leading dot
		C: .
		S: 250 2.0.0 Message accepted
		C: QUIT
		S: 221 2.0.0 Bye`)
	expectClosed(t, conn)
	msgs := b.Messages()
	if len(msgs) != 1 {
		t.Fatalf("got %d messages, want 1", len(msgs))
	}
	m := msgs[0]
	if m.From != "alice@example.org" || strings.Join(m.Rcpts, ",") != "bob@example.net,carol@[192.0.2.1]" || m.Helo != "client.test" {
		t.Errorf("envelope = %q %q %q", m.From, m.Rcpts, m.Helo)
	}
	if want := "Subject: test\r\n\r\n.leading dot\r\n"; string(m.Body) != want {
		t.Errorf("body = %q, want %q", m.Body, want)
	}
}

func TestBadSequence(t *testing.T) {
	b := &testBackend{rejectRcpt: map[string]error{
		"nobody@example.org": &Error{Code: 550, EnhancedCode: EnhancedCode{5, 1, 1}, Message: "No such user"},
	}}
	addr := startServer(t, &Server{Backend: b})
	conn := dial(t, addr)
	transcript(t, conn, `
		S: 220 *
		C: MAIL FROM:<a@example.org>
		S: 503 5.5.1 Send EHLO/HELO first
		C: EHLO client.test`+ehloReply+`
		C: RCPT TO:<b@example.org>
		S: 503 5.5.1 Need MAIL before RCPT
		C: DATA
		S: 503 5.5.1 Need MAIL command
		C: MAIL FROM:<a@example.org>
		S: 250 2.1.0 Sender OK
		C: MAIL FROM:<a@example.org>
		S: 503 5.5.1 Sender already specified
		C: RCPT TO:<nobody@example.org>
		S: 550 5.1.1 No such user
		C: DATA
		S: 554 5.5.1 No valid recipients
		C: RSET
		S: 250 2.0.0 Reset state
		C: RCPT TO:<b@example.org>
		S: 503 5.5.1 Need MAIL before RCPT
		C: FOO bar
		S: 500 5.5.1 Command not recognized
		C: MAIL TO:<a@example.org>
		S: 501 5.5.4 Syntax: MAIL FROM:<address>
		C: MAIL FROM:a@example.org
		S: 501 5.5.4 Address must be enclosed in <>
		C: MAIL FROM:<a@example.org> FROBNICATE=1
		S: 555 5.5.4 Parameter not recognized or not implemented
		C: MAIL FROM:<a@@example.org>
		S: 553 5.1.3 Invalid address syntax
		C: MAIL FROM:<.a@example.org>
		S: 553 5.1.3 Invalid address syntax
		C: MAIL FROM:<a@-example.org>
		S: 553 5.1.3 Invalid address syntax
		C: MAIL FROM:<a@example.org> SIZE=abc
		S: 501 5.5.4 Invalid parameter value
		C: MAIL FROM:<a@example.org> SIZE=1 SIZE=2
		S: 501 5.5.4 Duplicate parameter SIZE
		C: RSET extra
		S: 501 5.5.4 This command takes no parameters
		C: HELO
		S: 501 5.5.4 Hostname required
		C: QUIT
		S: 221 2.0.0 Bye`)
	if n := len(b.Messages()); n != 0 {
		t.Errorf("%d messages stored", n)
	}
}

// TestPipelining sends each group of commands in one write, as RFC 2920
// allows, with a failing command inside the group.
func TestPipelining(t *testing.T) {
	b := &testBackend{rejectRcpt: map[string]error{
		"bad@example.org": &Error{Code: 550, EnhancedCode: EnhancedCode{5, 1, 1}, Message: "No such user"},
	}}
	addr := startServer(t, &Server{Backend: b})
	conn := dial(t, addr)
	transcript(t, conn, `
		S: 220 *
		C: EHLO client.test
		C: MAIL FROM:<a@example.org> BODY=8BITMIME SIZE=100
		C: RCPT TO:<one@example.org>
		C: RCPT TO:<bad@example.org>
		C: RCPT TO:<two@example.org>
		C: DATA`+ehloReply+`
		S: 250 2.1.0 Sender OK
		S: 250 2.1.5 Recipient OK
		S: 550 5.1.1 No such user
		S: 250 2.1.5 Recipient OK
		S: 354 *
		C: Hi
		C: .
		C: MAIL FROM:<>
		C: RCPT TO:<one@example.org>
		C: DATA
		S: 250 2.0.0 Message accepted
		S: 250 2.1.0 Sender OK
		S: 250 2.1.5 Recipient OK
		S: 354 *
		C: bounce
		C: .
		C: QUIT
		S: 250 2.0.0 Message accepted
		S: 221 2.0.0 Bye`)
	msgs := b.Messages()
	if len(msgs) != 2 {
		t.Fatalf("got %d messages", len(msgs))
	}
	if got := strings.Join(msgs[0].Rcpts, ","); got != "one@example.org,two@example.org" {
		t.Errorf("recipients %q", got)
	}
	if msgs[0].MailOpts.Body != Body8BitMIME || msgs[0].MailOpts.Size != 100 {
		t.Errorf("options %+v", msgs[0].MailOpts)
	}
	if msgs[1].From != "" || string(msgs[1].Body) != "bounce\r\n" {
		t.Errorf("null sender message %+v", msgs[1])
	}
}

func TestSizeLimit(t *testing.T) {
	b := &testBackend{}
	addr := startServer(t, &Server{Backend: b, MaxMessageBytes: 20})
	conn := dial(t, addr)
	// "0123456789012345678\r\n" is 21 bytes; "012345678901234567\r\n" is 20.
	transcript(t, conn, `
		S: 220 *
		C: EHLO client.test
		S: 250-*
		S: 250-PIPELINING
		S: 250-8BITMIME
		S: 250-ENHANCEDSTATUSCODES
		S: 250-SIZE 20
		S: 250-*
		S: 250-*
		S: 250 SMTPUTF8
		C: MAIL FROM:<a@example.org> SIZE=21
		S: 552 5.3.4 Declared message size exceeds the limit
		C: MAIL FROM:<a@example.org> SIZE=20
		S: 250 2.1.0 Sender OK
		C: RCPT TO:<b@example.org>
		S: 250 2.1.5 Recipient OK
		C: DATA
		S: 354 *
		C: 012345678901234567
		C: .
		S: 250 2.0.0 Message accepted
		C: MAIL FROM:<a@example.org>
		S: 250 2.1.0 Sender OK
		C: RCPT TO:<b@example.org>
		S: 250 2.1.5 Recipient OK
		C: DATA
		S: 354 *
		C: 0123456789012345678
		C: and more lines after the limit
		C: .
		S: 552 5.3.4 Message exceeds maximum size
		C: NOOP
		S: 250 2.0.0 OK`)
	msgs := b.Messages()
	if len(msgs) != 1 || len(msgs[0].Body) != 20 {
		t.Fatalf("messages %+v", msgs)
	}
}

func TestMaxRecipients(t *testing.T) {
	addr := startServer(t, &Server{Backend: &testBackend{}, MaxRecipients: 2})
	transcript(t, dial(t, addr), `
		S: 220 *
		C: HELO client.test
		S: 250 *
		C: MAIL FROM:<a@example.org>
		S: 250 2.1.0 Sender OK
		C: RCPT TO:<b1@example.org>
		S: 250 2.1.5 Recipient OK
		C: RCPT TO:<b2@example.org>
		S: 250 2.1.5 Recipient OK
		C: RCPT TO:<b3@example.org>
		S: 452 4.5.3 Too many recipients`)
}

func TestMinimalEHLO(t *testing.T) {
	addr := startServer(t, &Server{Backend: &testBackend{}, DisableChunking: true, DisableSMTPUTF8: true})
	transcript(t, dial(t, addr), `
		S: 220 *
		C: EHLO client.test
		S: 250-mx.test Hello client.test
		S: 250-PIPELINING
		S: 250-8BITMIME
		S: 250-ENHANCEDSTATUSCODES
		S: 250 SIZE 33554432
		C: MAIL FROM:<a@example.org> BODY=BINARYMIME
		S: 501 5.5.4 Invalid parameter value
		C: BDAT 3 LAST
		C: xyzNOOP
		S: 500 5.5.1 Command not recognized
		S: 250 2.0.0 OK`)
}

func TestParametersNeedEHLO(t *testing.T) {
	addr := startServer(t, &Server{Backend: &testBackend{}})
	transcript(t, dial(t, addr), `
		S: 220 *
		C: HELO client.test
		S: 250 *
		C: MAIL FROM:<a@example.org> BODY=8BITMIME
		S: 555 5.5.4 Parameter not recognized or not implemented`)
}

func TestTooManyBadCommands(t *testing.T) {
	addr := startServer(t, &Server{Backend: &testBackend{}, MaxBadCommands: 3})
	conn := dial(t, addr)
	transcript(t, conn, `
		S: 220 *
		C: BOGUS
		S: 500 5.5.1 Command not recognized
		C: BOGUS
		S: 500 5.5.1 Command not recognized
		C: BOGUS
		S: 500 5.5.1 Command not recognized
		S: 421 4.7.0 Too many errors, closing connection`)
	expectClosed(t, conn)
}

func TestLineTooLong(t *testing.T) {
	addr := startServer(t, &Server{Backend: &testBackend{}, MaxLineLength: 100})
	conn := dial(t, addr)
	transcript(t, conn, `
		S: 220 *
		C: NOOP `+strings.Repeat("x", 10000)+`
		S: 500 5.5.2 Line too long
		C: NOOP
		S: 250 2.0.0 OK
		C: NOOP a`+"\x00"+`b
		S: 500 5.5.2 NUL, bare CR or bare LF not allowed in commands`)
}

// TestDataSmuggling checks that only CRLF.CRLF ends the data: the bare LF
// and bare CR variants that some servers take for an end stay in the message.
func TestDataSmuggling(t *testing.T) {
	b := &testBackend{}
	addr := startServer(t, &Server{Backend: b})
	conn := dial(t, addr)
	transcript(t, conn, `
		S: 220 *
		C: HELO client.test
		S: 250 *
		C: MAIL FROM:<a@example.org>
		S: 250 *
		C: RCPT TO:<b@example.org>
		S: 250 *
		C: DATA
		S: 354 *`)
	body := "line1\n.\nMAIL FROM:<evil@example.org>\r\n" +
		"line2\r\n.\nRCPT TO:<x@example.org>\r\n" +
		"line3\n.\r\nDATA\r\n" +
		"line4\r.\r\nbare CR\r\n" +
		".\r\n"
	io.WriteString(conn, body)
	transcript(t, conn, `
		S: 250 2.0.0 Message accepted
		C: QUIT
		S: 221 *`)
	msgs := b.Messages()
	if len(msgs) != 1 {
		t.Fatalf("got %d messages, want exactly 1", len(msgs))
	}
	want := "line1\n.\nMAIL FROM:<evil@example.org>\r\n" +
		"line2\r\n\nRCPT TO:<x@example.org>\r\n" + // ".\n" at a line start is a stuffed "\n"
		"line3\n.\r\nDATA\r\n" +
		"line4\r.\r\nbare CR\r\n"
	if string(msgs[0].Body) != want {
		t.Errorf("body = %q\nwant   %q", msgs[0].Body, want)
	}
}

func TestSMTPUTF8(t *testing.T) {
	b := &testBackend{}
	addr := startServer(t, &Server{Backend: b})
	transcript(t, dial(t, addr), `
		S: 220 *
		C: EHLO client.test`+ehloReply+`
		C: MAIL FROM:<jörg@bücher.example>
		S: 553 5.6.7 Non-ASCII address requires SMTPUTF8
		C: MAIL FROM:<jörg@bücher.example> SMTPUTF8 BODY=8BITMIME
		S: 250 2.1.0 Sender OK
		C: RCPT TO:<用户@例子.广告>
		S: 250 2.1.5 Recipient OK
		C: RCPT TO:<"quoted user"@example.org>
		S: 250 2.1.5 Recipient OK
		C: DATA
		S: 354 *
		C: Subject: Grüße
		C:
		C: 8-bit body: äöü
		C: .
		S: 250 2.0.0 Message accepted`)
	msgs := b.Messages()
	if len(msgs) != 1 || msgs[0].From != "jörg@bücher.example" || !msgs[0].MailOpts.UTF8 ||
		msgs[0].Rcpts[0] != "用户@例子.广告" || msgs[0].Rcpts[1] != `"quoted user"@example.org` {
		t.Fatalf("messages %+v", msgs)
	}
	if !bytes.Contains(msgs[0].Body, []byte("äöü")) {
		t.Errorf("8-bit body lost: %q", msgs[0].Body)
	}

	addr2 := startServer(t, &Server{Backend: &testBackend{}, DisableSMTPUTF8: true})
	transcript(t, dial(t, addr2), `
		S: 220 *
		C: EHLO client.test
		S: 250-*
		S: 250-PIPELINING
		S: 250-8BITMIME
		S: 250-ENHANCEDSTATUSCODES
		S: 250-SIZE 33554432
		S: 250-CHUNKING
		S: 250 BINARYMIME
		C: MAIL FROM:<a@example.org> SMTPUTF8
		S: 555 5.5.4 Parameter not recognized or not implemented`)
}

func TestDSNParameters(t *testing.T) {
	b := &testBackend{}
	addr := startServer(t, &Server{Backend: b, EnableDSN: true})
	transcript(t, dial(t, addr), `
		S: 220 *
		C: EHLO client.test
		S: 250-*
		S: 250-*
		S: 250-*
		S: 250-*
		S: 250-*
		S: 250-*
		S: 250-*
		S: 250-SMTPUTF8
		S: 250 DSN
		C: MAIL FROM:<a@example.org> RET=HDRS ENVID=QQ314159+2Bx
		S: 250 2.1.0 Sender OK
		C: RCPT TO:<b@example.org> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;b+2Bold@example.org
		S: 250 2.1.5 Recipient OK
		C: RCPT TO:<c@example.org> NOTIFY=NEVER,SUCCESS
		S: 501 5.5.4 Invalid parameter value
		C: RCPT TO:<c@example.org> NOTIFY=SOMETIMES
		S: 501 5.5.4 Invalid parameter value
		C: RCPT TO:<c@example.org> ORCPT=rfc822;bad+zz
		S: 501 5.5.4 Invalid parameter value
		C: RCPT TO:<c@example.org> NOTIFY=NEVER
		S: 250 2.1.5 Recipient OK
		C: DATA
		S: 354 *
		C: x
		C: .
		S: 250 2.0.0 Message accepted
		C: MAIL FROM:<a@example.org> RET=SOME
		S: 501 5.5.4 Invalid parameter value`)
	msgs := b.Messages()
	if len(msgs) != 1 {
		t.Fatalf("messages %+v", msgs)
	}
	m := msgs[0]
	if m.MailOpts.Return != DSNReturnHeaders || m.MailOpts.EnvelopeID != "QQ314159+x" {
		t.Errorf("mail options %+v", m.MailOpts)
	}
	ro := m.RcptOpts[0]
	if len(ro.Notify) != 2 || ro.Notify[0] != DSNNotifySuccess || ro.Notify[1] != DSNNotifyFailure ||
		ro.OriginalRecipientType != "rfc822" || ro.OriginalRecipient != "b+old@example.org" {
		t.Errorf("rcpt options %+v", ro)
	}
	if n := m.RcptOpts[1].Notify; len(n) != 1 || n[0] != DSNNotifyNever {
		t.Errorf("second rcpt notify %v", n)
	}

	// Without EnableDSN the parameters are not accepted.
	addr2 := startServer(t, &Server{Backend: &testBackend{}})
	transcript(t, dial(t, addr2), `
		S: 220 *
		C: EHLO client.test`+ehloReply+`
		C: MAIL FROM:<a@example.org> RET=FULL
		S: 555 5.5.4 Parameter not recognized or not implemented
		C: MAIL FROM:<a@example.org>
		S: 250 *
		C: RCPT TO:<b@example.org> NOTIFY=NEVER
		S: 555 5.5.4 Parameter not recognized or not implemented`)
}

func TestBDAT(t *testing.T) {
	b := &testBackend{}
	addr := startServer(t, &Server{Backend: b, MaxMessageBytes: 30})
	conn := dial(t, addr)
	transcript(t, conn, `
		S: 220 *
		C: EHLO client.test
		S: 250-*
		S: 250-*
		S: 250-*
		S: 250-*
		S: 250-SIZE 30
		S: 250-CHUNKING
		S: 250-BINARYMIME
		S: 250 SMTPUTF8
		C: BDAT 0
		S: 503 5.5.1 Need MAIL command
		C: MAIL FROM:<a@example.org> BODY=BINARYMIME
		S: 250 2.1.0 Sender OK
		C: RCPT TO:<b@example.org>
		S: 250 2.1.5 Recipient OK
		C: DATA
		S: 503 5.6.1 BODY=BINARYMIME requires BDAT`)
	// Chunks, pipelined: their octets may look like commands or terminators.
	io.WriteString(conn, "BDAT 6\r\nab\r\n.\rBDAT 4\r\nNOOPBDAT 0 LAST\r\n")
	transcript(t, conn, `
		S: 250 2.0.0 6 octets received
		S: 250 2.0.0 10 octets received
		S: 250 2.0.0 Message accepted
		C: MAIL FROM:<a@example.org>
		S: 250 *
		C: RCPT TO:<b@example.org>
		S: 250 *`)
	// Over the limit: 20 + 20 > 30.
	io.WriteString(conn, "BDAT 20\r\n01234567890123456789BDAT 20 LAST\r\n01234567890123456789")
	transcript(t, conn, `
		S: 250 2.0.0 20 octets received
		S: 552 5.3.4 Message exceeds maximum size
		C: MAIL FROM:<a@example.org>
		S: 250 *
		C: RCPT TO:<b@example.org>
		S: 250 *`)
	// RSET in the middle of a transfer abandons it.
	io.WriteString(conn, "BDAT 3\r\nxyzRSET\r\n")
	transcript(t, conn, `
		S: 250 2.0.0 3 octets received
		S: 250 2.0.0 Reset state
		C: MAIL FROM:<a@example.org>
		S: 250 *`)
	// No recipient: the chunk is still read and discarded, then 554.
	io.WriteString(conn, "BDAT 4 LAST\r\nQUITNOOP\r\n")
	transcript(t, conn, `
		S: 554 5.5.1 No valid recipients
		S: 250 2.0.0 OK
		C: BDAT x
		S: 501 5.5.4 Syntax: BDAT chunk-size [LAST]; closing connection`)
	expectClosed(t, conn)

	msgs := b.Messages()
	if len(msgs) != 1 {
		t.Fatalf("got %d messages, want 1", len(msgs))
	}
	if want := "ab\r\n.\rNOOP"; string(msgs[0].Body) != want {
		t.Errorf("body %q, want %q", msgs[0].Body, want)
	}
	if msgs[0].MailOpts.Body != BodyBinaryMIME {
		t.Errorf("body type %q", msgs[0].MailOpts.Body)
	}
}

func TestBackendErrors(t *testing.T) {
	b := &testBackend{
		dataErr: errors.New("disk on fire at /var/secret"),
		rejectRcpt: map[string]error{
			"temp@example.org": &Error{Code: 450, EnhancedCode: EnhancedCode{4, 2, 1}, Message: "Mailbox busy"},
			"oops@example.org": errors.New("internal detail"),
		},
	}
	addr := startServer(t, &Server{Backend: b, Logger: discardLogger()})
	transcript(t, dial(t, addr), `
		S: 220 *
		C: HELO client.test
		S: 250 *
		C: MAIL FROM:<a@example.org>
		S: 250 *
		C: RCPT TO:<temp@example.org>
		S: 450 4.2.1 Mailbox busy
		C: RCPT TO:<oops@example.org>
		S: 451 4.3.0 Requested action aborted: local error in processing
		C: RCPT TO:<ok@example.org>
		S: 250 *
		C: DATA
		S: 354 *
		C: hello
		C: .
		S: 451 4.3.0 Requested action aborted: local error in processing
		C: NOOP
		S: 250 2.0.0 OK`)
}

// A panic in a session ends that session only, and is logged: in a
// command, or in Session.Logout as the connection ends (which used to
// take the process down).
func TestPanicRecovered(t *testing.T) {
	for _, tc := range []struct{ panicOn, script string }{
		{"MAIL", `
			S: 220 *
			C: HELO client.test
			S: 250 *
			C: MAIL FROM:<a@example.org>`},
		{"LOGOUT", `
			S: 220 *
			C: QUIT
			S: 221 *`},
	} {
		t.Run(tc.panicOn, func(t *testing.T) {
			logger, logs := logtest.New()
			addr := startServer(t, &Server{Backend: &testBackend{panicOn: tc.panicOn}, Logger: logger})
			conn := dial(t, addr)
			transcript(t, conn, tc.script)
			expectClosed(t, conn)
			// The server goes on serving.
			transcript(t, dial(t, addr), `
				S: 220 *
				C: NOOP
				S: 250 2.0.0 OK`)
			if logs.Count(`msg="smtp: panic in session"`) != 1 {
				t.Errorf("panic not logged once:\n%s", logs)
			}
		})
	}
}

func TestRefusedSession(t *testing.T) {
	backend := BackendFunc(func(ctx context.Context, c *Conn) (Session, error) {
		return nil, &Error{Code: 554, EnhancedCode: EnhancedCode{5, 7, 1}, Message: "No service for you"}
	})
	addr := startServer(t, &Server{Backend: backend})
	conn := dial(t, addr)
	transcript(t, conn, `
		S: 554 No service for you
		C: EHLO client.test
		S: 503 5.5.1 Connection refused, send QUIT
		C: QUIT
		S: 221 2.0.0 Bye`)
	expectClosed(t, conn)
}

func TestVRFYEXPN(t *testing.T) {
	addr := startServer(t, &Server{Backend: &testBackend{}})
	transcript(t, dial(t, addr), `
		S: 220 *
		C: VRFY alice
		S: 252 2.5.0 Cannot VRFY user, but will accept message and attempt delivery
		C: EXPN team
		S: 502 5.5.1 EXPN not available
		C: VRFY
		S: 501 5.5.4 Syntax: VRFY <name>`)

	addr2 := startServer(t, &Server{Backend: &testBackend{verify: true}})
	transcript(t, dial(t, addr2), `
		S: 220 *
		C: EHLO client.test
		S: 250-*
		S: 250-*
		S: 250-*
		S: 250-*
		S: 250-*
		S: 250-*
		S: 250-*
		S: 250-SMTPUTF8
		S: 250 VRFY
		C: VRFY alice
		S: 250 2.1.5 <alice@example.org>
		C: VRFY mallory
		S: 550 5.1.1 No such user
		C: EXPN team
		S: 250-2.1.5 <alice@example.org>
		S: 250 2.1.5 <bob@example.org>
		C: EXPN nobody
		S: 550 5.1.1 No such list`)
}

func TestLMTP(t *testing.T) {
	b := &lmtpBackend{}
	addr := startServer(t, &Server{Backend: b, LMTP: true})
	transcript(t, dial(t, addr), `
		S: 220 mx.test LMTP mailwright
		C: EHLO client.test
		S: 500 5.5.1 This is an LMTP server: use LHLO
		C: MAIL FROM:<a@example.org>
		S: 503 5.5.1 Send LHLO first
		C: LHLO client.test
		S: 250-mx.test Hello client.test
		S: 250-*
		S: 250-*
		S: 250-*
		S: 250-*
		S: 250-*
		S: 250-*
		S: 250 SMTPUTF8
		C: MAIL FROM:<a@example.org>
		C: RCPT TO:<full@example.org>
		C: RCPT TO:<ok@example.org>
		C: RCPT TO:<unknown@example.org>
		C: RCPT TO:<ok2@example.org>
		C: DATA
		S: 250 2.1.0 Sender OK
		S: 250 2.1.5 Recipient OK
		S: 250 2.1.5 Recipient OK
		S: 550 5.1.1 unknown
		S: 250 2.1.5 Recipient OK
		S: 354 *
		C: Subject: lmtp
		C: .
		S: 452 4.2.2 Mailbox full
		S: 250 2.0.0 Message accepted
		S: 250 2.0.0 Message accepted`)

	// A plain Session in LMTP mode: Data's result applies to every recipient.
	addr2 := startServer(t, &Server{Backend: &testBackend{}, LMTP: true})
	transcript(t, dial(t, addr2), `
		S: 220 *
		C: HELO x
		S: 500 5.5.1 This is an LMTP server: use LHLO
		C: LHLO client.test
		S: 250-*
		S: 250-*
		S: 250-*
		S: 250-*
		S: 250-*
		S: 250-*
		S: 250-*
		S: 250 SMTPUTF8
		C: MAIL FROM:<a@example.org>
		C: RCPT TO:<x@example.org>
		C: RCPT TO:<y@example.org>
		C: DATA
		S: 250 *
		S: 250 *
		S: 250 *
		S: 354 *
		C: hi
		C: .
		S: 250 2.0.0 Message accepted
		S: 250 2.0.0 Message accepted`)

	// EHLO on an SMTP server does not accept LHLO.
	addr3 := startServer(t, &Server{Backend: &testBackend{}})
	transcript(t, dial(t, addr3), `
		S: 220 *
		C: LHLO client.test
		S: 500 5.5.1 LHLO is for LMTP; use EHLO`)
}

// lmtpBackend fails one recipient with a temporary error.
type lmtpBackend struct{ testBackend }

func (b *lmtpBackend) NewSession(ctx context.Context, c *Conn) (Session, error) {
	return &lmtpSession{testSession{b: &b.testBackend, c: c}}, nil
}

type lmtpSession struct{ testSession }

func (s *lmtpSession) Rcpt(ctx context.Context, to string, opts *RcptOptions) error {
	if strings.HasPrefix(to, "unknown@") {
		return &Error{Code: 550, EnhancedCode: EnhancedCode{5, 1, 1}, Message: "unknown"}
	}
	return s.testSession.Rcpt(ctx, to, opts)
}

func (s *lmtpSession) LMTPData(ctx context.Context, r io.Reader, status StatusCollector) error {
	if _, err := io.Copy(io.Discard, r); err != nil {
		return err
	}
	status.SetStatus("full@example.org", &Error{Code: 452, EnhancedCode: EnhancedCode{4, 2, 2}, Message: "Mailbox full"})
	return nil
}

func TestAuth(t *testing.T) {
	b := &testBackend{users: map[string]string{"alice": "secret"}}
	addr := startServer(t, &Server{Backend: b, AllowInsecureAuth: true, MaxAuthFailures: 3, Logger: discardLogger()})
	conn := dial(t, addr)
	transcript(t, conn, `
		S: 220 *
		C: AUTH PLAIN AGFsaWNlAHNlY3JldA==
		S: 503 5.5.1 Send EHLO/HELO first
		C: EHLO client.test
		S: 250-*
		S: 250-*
		S: 250-*
		S: 250-*
		S: 250-*
		S: 250-*
		S: 250-*
		S: 250-SMTPUTF8
		S: 250 AUTH PLAIN LOGIN
		C: AUTH CRAM-MD5
		S: 504 5.5.4 Unrecognized authentication mechanism
		C: AUTH PLAIN AGFsaWNlAHdyb25n
		S: 535 5.7.8 Authentication credentials invalid
		C: AUTH PLAIN
		S: 334 
		C: *
		S: 501 5.0.0 Authentication cancelled
		C: AUTH PLAIN !!!
		S: 501 5.5.2 Invalid base64 data
		C: AUTH PLAIN AGJyb2tlbgB4
		S: 454 4.7.0 Temporary authentication failure
		C: AUTH LOGIN
		S: 334 VXNlcm5hbWU6
		C: YWxpY2U=
		S: 334 UGFzc3dvcmQ6
		C: c2VjcmV0
		S: 235 2.7.0 Authentication successful
		C: AUTH PLAIN AGFsaWNlAHNlY3JldA==
		S: 503 5.5.1 Already authenticated
		C: MAIL FROM:<alice@example.org> AUTH=alice+40example.org
		S: 250 *
		C: RCPT TO:<b@example.org>
		S: 250 *
		C: DATA
		S: 354 *
		C: x
		C: .
		S: 250 *`)
	msgs := b.Messages()
	if len(msgs) != 1 || msgs[0].Auth != "alice" || msgs[0].MailOpts.Auth != "alice@example.org" {
		t.Fatalf("messages %+v", msgs)
	}

	// Too many failures end the session.
	conn2 := dial(t, addr)
	transcript(t, conn2, `
		S: 220 *
		C: EHLO client.test
		S: 250-*
		S: 250-*
		S: 250-*
		S: 250-*
		S: 250-*
		S: 250-*
		S: 250-*
		S: 250-*
		S: 250 AUTH PLAIN LOGIN
		C: AUTH PLAIN AGFsaWNlAHdyb25n
		S: 535 5.7.8 Authentication credentials invalid
		C: AUTH PLAIN AGFsaWNlAHdyb25n
		S: 535 5.7.8 Authentication credentials invalid
		C: AUTH PLAIN AGFsaWNlAHdyb25n
		S: 535 5.7.8 Authentication credentials invalid
		S: 421 4.7.0 Too many authentication failures, closing connection`)
	expectClosed(t, conn2)
}

func TestAuthNeedsTLS(t *testing.T) {
	cert, pool, _ := testCertificate(t)
	b := &testBackend{users: map[string]string{"alice": "secret"}}
	addr := startServer(t, &Server{Backend: b, TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}}})
	conn := dial(t, addr)
	// Before TLS: no AUTH advertised, AUTH refused; STARTTLS offered. The
	// MAIL pipelined behind STARTTLS is plaintext injection and is dropped.
	transcript(t, conn, `
		S: 220 *
		C: EHLO client.test
		S: 250-*
		S: 250-*
		S: 250-*
		S: 250-*
		S: 250-*
		S: 250-*
		S: 250-*
		S: 250-SMTPUTF8
		S: 250 STARTTLS
		C: AUTH PLAIN AGFsaWNlAHNlY3JldA==
		S: 538 5.7.11 Encryption required for authentication; use STARTTLS first
		C: STARTTLS
		C: MAIL FROM:<injected@example.org>
		S: 220 2.0.0 Ready to start TLS`)
	tc := tls.Client(conn, &tls.Config{RootCAs: pool, ServerName: "localhost"})
	if err := tc.Handshake(); err != nil {
		t.Fatal(err)
	}
	transcript(t, tc, `
		C: RCPT TO:<b@example.org>
		S: 503 5.5.1 Send EHLO/HELO first
		C: EHLO client.test
		S: 250-*
		S: 250-*
		S: 250-*
		S: 250-*
		S: 250-*
		S: 250-*
		S: 250-*
		S: 250-SMTPUTF8
		S: 250 AUTH PLAIN LOGIN
		C: STARTTLS
		S: 503 5.5.1 TLS already active
		C: AUTH PLAIN AGFsaWNlAHNlY3JldA==
		S: 235 2.7.0 Authentication successful
		C: MAIL FROM:<alice@example.org>
		S: 250 2.1.0 Sender OK`)
}

func TestImplicitTLS(t *testing.T) {
	cert, pool, _ := testCertificate(t)
	b := &testBackend{users: map[string]string{"alice": "secret"}}
	s := &Server{Backend: b, Domain: "mx.test", Logger: discardLogger()}
	l, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}})
	if err != nil {
		t.Fatal(err)
	}
	go s.Serve(l)
	t.Cleanup(func() { s.Close() })
	conn, err := tls.Dial("tcp", l.Addr().String(), &tls.Config{RootCAs: pool, ServerName: "localhost"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	transcript(t, conn, `
		S: 220 mx.test ESMTP mailwright
		C: EHLO client.test
		S: 250-*
		S: 250-*
		S: 250-*
		S: 250-*
		S: 250-*
		S: 250-*
		S: 250-*
		S: 250-SMTPUTF8
		S: 250 AUTH PLAIN LOGIN
		C: AUTH PLAIN AGFsaWNlAHNlY3JldA==
		S: 235 2.7.0 Authentication successful`)
}

func TestCommandTimeout(t *testing.T) {
	addr := startServer(t, &Server{Backend: &testBackend{}, CommandTimeout: 300 * time.Millisecond})
	conn := dial(t, addr)
	transcript(t, conn, `S: 220 *`)
	// A client dripping one byte at a time does not extend the deadline:
	// the timeout bounds the whole command.
	start := time.Now()
	for i := 0; i < 20; i++ {
		if _, err := conn.Write([]byte("N")); err != nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	transcript(t, conn, `S: 421 4.4.2 Timeout, closing connection`)
	expectClosed(t, conn)
	if time.Since(start) > 5*time.Second {
		t.Errorf("timeout took %v", time.Since(start))
	}
}

func TestDataTimeout(t *testing.T) {
	addr := startServer(t, &Server{Backend: &testBackend{}, DataTimeout: 200 * time.Millisecond})
	conn := dial(t, addr)
	transcript(t, conn, `
		S: 220 *
		C: HELO c
		S: 250 *
		C: MAIL FROM:<a@example.org>
		S: 250 *
		C: RCPT TO:<b@example.org>
		S: 250 *
		C: DATA
		S: 354 *
		C: partial message`)
	expectClosed(t, conn)
}

func TestConnectionLimits(t *testing.T) {
	addr := startServer(t, &Server{Backend: &testBackend{}, MaxConnections: 1})
	first := dial(t, addr)
	transcript(t, first, `S: 220 *`)
	second := dial(t, addr)
	transcript(t, second, `S: 421 4.7.0 Too many connections, try again later`)
	expectClosed(t, second)
	transcript(t, first, `
		C: QUIT
		S: 221 *`)
	expectClosed(t, first)
	// The slot is free again (release happens as the first session ends).
	deadline := time.Now().Add(5 * time.Second)
	for {
		c := dial(t, addr)
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		buf := make([]byte, 3)
		io.ReadFull(c, buf)
		if string(buf) == "220" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("slot not released: %q", buf)
		}
		time.Sleep(20 * time.Millisecond)
	}

	addr2 := startServer(t, &Server{Backend: &testBackend{}, MaxConnectionsPerIP: 1})
	transcript(t, dial(t, addr2), `S: 220 *`)
	transcript(t, dial(t, addr2), `S: 421 4.7.0 Too many connections from your address or network, try again later`)
}

func TestShutdown(t *testing.T) {
	before := runtime.NumGoroutine()
	b := &testBackend{}
	s := &Server{Backend: b, Domain: "mx.test", Logger: discardLogger()}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- s.Serve(l) }()
	addr := l.Addr().String()

	idle := dial(t, addr)
	transcript(t, idle, `
		S: 220 *
		C: HELO c
		S: 250 *`)
	busy := dial(t, addr)
	transcript(t, busy, `
		S: 220 *
		C: HELO c
		S: 250 *
		C: MAIL FROM:<a@example.org>
		S: 250 *`)

	shut := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		shut <- s.Shutdown(ctx)
	}()
	// The idle session is told and closed; the one in a transaction may finish.
	transcript(t, idle, `S: 421 4.3.2 Service shutting down`)
	expectClosed(t, idle)
	transcript(t, busy, `
		C: RCPT TO:<b@example.org>
		S: 250 *
		C: DATA
		S: 354 *
		C: finishing during shutdown
		C: .
		S: 250 2.0.0 Message accepted
		S: 421 4.3.2 Service shutting down`)
	expectClosed(t, busy)
	if err := <-shut; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if err := <-served; !errors.Is(err, ErrServerClosed) {
		t.Fatalf("Serve: %v", err)
	}
	if len(b.Messages()) != 1 {
		t.Fatalf("message in flight was lost")
	}
	if _, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		t.Error("listener still accepting after Shutdown")
	}
	checkNoLeak(t, before)
}

// checkNoLeak waits (bounded) for the goroutine count to return to before.
func checkNoLeak(t *testing.T, before int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("goroutines: %d before, %d after\n%s", before, runtime.NumGoroutine(), buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestLogoutCalled(t *testing.T) {
	b := &testBackend{}
	addr := startServer(t, &Server{Backend: b})
	conn := dial(t, addr)
	transcript(t, conn, `
		S: 220 *
		C: QUIT
		S: 221 *`)
	expectClosed(t, conn)
	deadline := time.Now().Add(5 * time.Second)
	for {
		b.mu.Lock()
		n := b.logouts
		b.mu.Unlock()
		if n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("logouts = %d", n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestHalfCloseGetsAnswers: a client that pipelines commands and then
// shuts down its sending side, its last command cut short, still gets
// the replies to the complete ones; the unfinished transaction delivers
// nothing.
func TestHalfCloseGetsAnswers(t *testing.T) {
	b := &testBackend{}
	addr := startServer(t, &Server{Backend: b})
	conn := dial(t, addr)
	io.WriteString(conn, "EHLO client.test\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<one@example.org>\r\nRCPT TO:<two@example.org>\r\nDAT")
	conn.(*net.TCPConn).CloseWrite()
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	got, err := io.ReadAll(conn)
	if err != nil {
		t.Fatal(err)
	}
	out := string(got)
	if !strings.HasPrefix(out, "220 ") || !strings.Contains(out, "\r\n250 2.1.0 Sender OK\r\n") ||
		!strings.HasSuffix(out, "\r\n250 2.1.5 Recipient OK\r\n250 2.1.5 Recipient OK\r\n") {
		t.Errorf("replies:\n%s", out)
	}
	if n := len(b.Messages()); n != 0 {
		t.Errorf("%d messages delivered from a cut transaction", n)
	}
}
