package smtp

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-sasl"

	"github.com/mailwright/mailwright/internal/testcert"
)

// The scripted fake server. A script is one directive per line (leading
// blanks ignored):
//
//	S: text   the server sends text+CRLF (consecutive S: lines in one write)
//	C: text   the server reads one line and requires it to be text+CRLF
//	B: "go"   the server reads exactly the bytes of the Go-quoted string
//	TLS       the server starts TLS with the test certificate
//	CLOSE     the server closes the connection
//	DRAIN     the server reads until the client closes and requires that
//	          the data never ended (no "." line): an aborted message
//	BADTLS    the server starts TLS and requires the handshake to fail
//	STALL     the server stops answering and reading (see clientServeStall);
//	          when the test resumes it, the server requires that the client
//	          has closed the connection
//
// Before sending, the server checks that the client has not already sent
// more than the script read: a client must wait for replies unless it
// pipelines, and then the script reads every pipelined command first.
// After the last directive the client must close without sending more.

const clientFakeTimeout = 10 * time.Second

// clientServeConn accepts one connection on a loopback listener and hands it to
// handle; errors are reported on t. Cleanup waits for handle to return.
func clientServeConn(t testing.TB, handle func(net.Conn) error) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(clientFakeTimeout))
		if err := handle(conn); err != nil {
			t.Errorf("fake server: %v", err)
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
	})
	return ln.Addr().String()
}

// clientServeScript runs script on the first connection to the returned address.
func clientServeScript(t testing.TB, script string) string {
	t.Helper()
	ran := false
	// Registered first, so it runs after clientServeConn's cleanup has waited
	// for the server goroutine.
	t.Cleanup(func() {
		if !ran {
			t.Errorf("fake server: the client never connected")
		}
	})
	return clientServeConn(t, func(conn net.Conn) error {
		ran = true
		return clientRunScript(conn, script, nil)
	})
}

// clientStall is the test's side of a STALL directive: stalled is closed
// when the server reaches it (or fails before), and the server goes on
// after resume (called at the latest when the test ends).
type clientStall struct {
	stalled         chan struct{}
	resumed         chan struct{}
	stallOnce, once sync.Once
}

func (s *clientStall) stall()  { s.stallOnce.Do(func() { close(s.stalled) }) }
func (s *clientStall) resume() { s.once.Do(func() { close(s.resumed) }) }

// clientServeStall is clientServeScript for a script with a STALL.
func clientServeStall(t testing.TB, script string) (string, *clientStall) {
	t.Helper()
	st := &clientStall{stalled: make(chan struct{}), resumed: make(chan struct{})}
	addr := clientServeConn(t, func(conn net.Conn) error {
		defer st.stall() // a script that failed earlier does not hold the test up
		return clientRunScript(conn, script, st)
	})
	t.Cleanup(st.resume) // runs before clientServeConn's cleanup waits for the server
	return addr, st
}

// clientWaitCall returns the error of a client call made in another
// goroutine, or fails the test if the call does not return: the bound is
// a guard against a hang, far below the Client's default timeouts (5
// minutes) that would end the call otherwise, not a measure of speed.
func clientWaitCall(t *testing.T, done <-chan error) error {
	t.Helper()
	select {
	case err := <-done:
		return err
	case <-time.After(time.Minute):
		t.Fatal("the call did not return after its context ended")
		return nil
	}
}

func clientRunScript(conn net.Conn, script string, stall *clientStall) error {
	br := bufio.NewReader(conn)
	var out bytes.Buffer
	flush := func() error {
		if out.Len() == 0 {
			return nil
		}
		if n := br.Buffered(); n > 0 {
			ahead, _ := br.Peek(n)
			return fmt.Errorf("client sent %q without waiting for the reply", ahead)
		}
		_, err := conn.Write(out.Bytes())
		out.Reset()
		return err
	}
	for n, raw := range strings.Split(script, "\n") {
		line := strings.TrimLeft(raw, " \t")
		if line == "" {
			continue
		}
		dir, text, _ := strings.Cut(line, ":")
		text = strings.TrimPrefix(text, " ")
		switch dir {
		case "S":
			out.WriteString(text + "\r\n")
			continue
		case "TLS", "CLOSE", "DRAIN", "BADTLS", "STALL":
		case "C", "B":
		default:
			return fmt.Errorf("script line %d: bad directive %q", n+1, line)
		}
		if err := flush(); err != nil {
			return err
		}
		switch dir {
		case "C":
			got, err := br.ReadString('\n')
			if err != nil {
				return fmt.Errorf("script line %d: want %q, read error %v", n+1, text, err)
			}
			if got != text+"\r\n" {
				return fmt.Errorf("script line %d:\n got %q\nwant %q", n+1, got, text+"\r\n")
			}
		case "B":
			want, err := strconv.Unquote(text)
			if err != nil {
				return fmt.Errorf("script line %d: %v", n+1, err)
			}
			got := make([]byte, len(want))
			if _, err := io.ReadFull(br, got); err != nil {
				return fmt.Errorf("script line %d: reading %d bytes: %v", n+1, len(want), err)
			}
			if string(got) != want {
				return fmt.Errorf("script line %d: got %q, want %q", n+1, got, want)
			}
		case "TLS":
			if br.Buffered() > 0 {
				return errors.New("client sent data before the TLS handshake")
			}
			cert, _ := clientTestCert(nil)
			tc := tls.Server(conn, &tls.Config{Certificates: []tls.Certificate{cert}})
			if err := tc.Handshake(); err != nil {
				return fmt.Errorf("script line %d: TLS handshake: %v", n+1, err)
			}
			conn, br = tc, bufio.NewReader(tc)
		case "BADTLS":
			cert, _ := clientTestCert(nil)
			tc := tls.Server(conn, &tls.Config{Certificates: []tls.Certificate{cert}})
			if err := tc.Handshake(); err == nil {
				return errors.New("the client accepted the untrusted certificate")
			}
			return nil
		case "DRAIN":
			rest, _ := io.ReadAll(br)
			if bytes.HasPrefix(rest, []byte(".\r\n")) || bytes.Contains(rest, []byte("\n.\r\n")) {
				return fmt.Errorf("client ended the data: %q", rest)
			}
			return nil
		case "CLOSE":
			return nil
		case "STALL":
			if stall == nil {
				return fmt.Errorf("script line %d: STALL needs clientServeStall", n+1)
			}
			stall.stall()
			<-stall.resumed
			// A reset is a close with data still in flight.
			if _, err := io.Copy(io.Discard, br); err != nil && !errors.Is(err, syscall.ECONNRESET) {
				return fmt.Errorf("after STALL: the client did not close the connection: %v", err)
			}
			return nil
		}
	}
	if err := flush(); err != nil {
		return err
	}
	if extra, err := br.ReadString('\n'); err == nil || extra != "" {
		return fmt.Errorf("client sent %q after the end of the script", extra)
	}
	return nil
}

// clientDialScript starts a fake server with script and connects a Client to it.
func clientDialScript(t *testing.T, script string) *Client {
	t.Helper()
	c, err := Dial(clientServeScript(t, script))
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	c.CommandTimeout = clientFakeTimeout
	c.SubmissionTimeout = clientFakeTimeout
	t.Cleanup(func() { c.Close() })
	return c
}

// clientTestCert returns the static test certificate and a pool that
// trusts it.
func clientTestCert(t testing.TB) (tls.Certificate, *x509.CertPool) {
	return testcert.Static(), testcert.Pool()
}

// clientWantError checks that err is an *Error with the given code and enhanced code.
func clientWantError(t *testing.T, err error, code int, ec EnhancedCode) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T), want *Error %d", err, err, code)
	}
	if e.Code != code || e.EnhancedCode != ec {
		t.Fatalf("error %d %v, want %d %v", e.Code, e.EnhancedCode, code, ec)
	}
	return e
}

const clientEhloBasic = `
	S: 220 mx.example.org ESMTP ready
	C: EHLO client.example.com
	S: 250-mx.example.org greets you
	S: 250-PIPELINING
	S: 250-ENHANCEDSTATUSCODES
	S: 250 8BITMIME
`

func TestClientHelloExtensions(t *testing.T) {
	c := clientDialScript(t, `
		S: 220-mx.example.org ESMTP
		S: 220 second greeting line
		C: EHLO client.example.com
		S: 250-mx.example.org
		S: 250-SIZE 35882577
		S: 250-8bitmime
		S: 250-AUTH PLAIN LOGIN
		S: 250-AUTH=XOAUTH2
		S: 250-DSN
		S: 250 STARTTLS
		C: QUIT
		S: 221 2.0.0 bye
	`)
	c.LocalName = "client.example.com"
	if ok, _ := c.Extension("8BITMIME"); !ok {
		t.Error("8BITMIME (advertised in lower case) not found")
	}
	if ok, v := c.Extension("size"); !ok || v != "35882577" {
		t.Errorf("Extension(size) = %v %q", ok, v)
	}
	if n, ok := c.MaxMessageSize(); !ok || n != 35882577 {
		t.Errorf("MaxMessageSize = %d %v", n, ok)
	}
	if ok, _ := c.Extension("PIPELINING"); ok {
		t.Error("PIPELINING reported but not advertised")
	}
	for mech, want := range map[string]bool{"PLAIN": true, "login": true, "XOAUTH2": true, "CRAM-MD5": false} {
		if got := c.SupportsAuth(mech); got != want {
			t.Errorf("SupportsAuth(%s) = %v, want %v", mech, got, want)
		}
	}
	if _, ok := c.TLSConnectionState(); ok {
		t.Error("TLSConnectionState ok on a plain connection")
	}
	if err := c.Quit(t.Context()); err != nil {
		t.Fatal(err)
	}
}

func TestClientHelloFallback(t *testing.T) {
	for _, code := range []string{"500", "502"} {
		t.Run(code, func(t *testing.T) {
			c := clientDialScript(t, `
				S: 220 old.example.org SMTP
				C: EHLO localhost
				S: `+code+` command not recognized
				C: HELO localhost
				S: 250 old.example.org
				C: MAIL FROM:<a@example.org>
				S: 250 ok
			`)
			if err := c.Mail(t.Context(), "a@example.org", &MailOptions{Size: 100, Body: Body7Bit}); err != nil {
				t.Fatal(err)
			}
			if ok, _ := c.Extension("SIZE"); ok {
				t.Error("extension reported after HELO")
			}
			if _, ok := c.MaxMessageSize(); ok {
				t.Error("MaxMessageSize ok after HELO")
			}
		})
	}
}

func TestClientHelloRefused(t *testing.T) {
	c := clientDialScript(t, `
		S: 220 mx.example.org
		C: EHLO localhost
		S: 421 4.7.0 too busy, try later
	`)
	err := c.Mail(t.Context(), "a@example.org", nil)
	e := clientWantError(t, err, 421, EnhancedCode{})
	if !e.Temporary() || e.Message != "4.7.0 too busy, try later" {
		t.Errorf("got %+v", e)
	}
	// 421 closes the session: nothing more goes out.
	if err := c.Noop(t.Context()); err == nil {
		t.Error("Noop after 421 succeeded")
	}
	if err := c.Quit(t.Context()); err != nil {
		t.Errorf("Quit after 421: %v", err)
	}
}

func TestClientGreeting(t *testing.T) {
	t.Run("554", func(t *testing.T) {
		addr := clientServeScript(t, `
			S: 554-5.7.1 no service for you
			S: 554 5.7.1 go away
			C: QUIT
		`)
		_, err := Dial(addr)
		e := clientWantError(t, err, 554, EnhancedCode{})
		if e.Message != "5.7.1 no service for you 5.7.1 go away" {
			t.Errorf("message %q", e.Message)
		}
	})
	t.Run("garbage", func(t *testing.T) {
		addr := clientServeScript(t, `
			S: hello there
		`)
		if _, err := Dial(addr); !errors.Is(err, ErrBadReply) {
			t.Errorf("got %v, want ErrBadReply", err)
		}
	})
	t.Run("closed", func(t *testing.T) {
		addr := clientServeScript(t, `CLOSE`)
		if _, err := Dial(addr); !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("got %v, want io.ErrUnexpectedEOF", err)
		}
	})
}

func TestClientMailParams(t *testing.T) {
	const ehloAll = `
		S: 220 mx.example.org
		C: EHLO localhost
		S: 250-mx.example.org
		S: 250-SIZE 1000000
		S: 250-8BITMIME
		S: 250-SMTPUTF8
		S: 250-DSN
		S: 250-AUTH PLAIN
		S: 250-CHUNKING
		S: 250 BINARYMIME
	`
	const ehloNone = `
		S: 220 mx.example.org
		C: EHLO localhost
		S: 250 mx.example.org
	`
	tests := []struct {
		name  string
		ehlo  string
		from  string
		opts  *MailOptions
		want  string // MAIL line, or "" when Mail must fail before sending
		errIs error
	}{
		{"plain", ehloAll, "a@example.org", nil, "MAIL FROM:<a@example.org>", nil},
		{"null sender", ehloAll, "", nil, "MAIL FROM:<>", nil},
		{"all params", ehloAll, "a@example.org",
			&MailOptions{Size: 12345, Body: Body8BitMIME, Return: DSNReturnHeaders, EnvelopeID: "id+1 x", Auth: "bob@example.org"},
			"MAIL FROM:<a@example.org> BODY=8BITMIME SIZE=12345 RET=HDRS ENVID=id+2B1+20x AUTH=bob@example.org", nil},
		{"auth unknown", ehloAll, "a@example.org", &MailOptions{Auth: "<>"}, "MAIL FROM:<a@example.org> AUTH=<>", nil},
		{"utf8 address", ehloAll, "jörg@example.org", nil, "MAIL FROM:<jörg@example.org> SMTPUTF8", nil},
		{"utf8 flag", ehloAll, "a@example.org", &MailOptions{UTF8: true}, "MAIL FROM:<a@example.org> SMTPUTF8", nil},
		{"binarymime", ehloAll, "a@example.org", &MailOptions{Body: BodyBinaryMIME}, "MAIL FROM:<a@example.org> BODY=BINARYMIME", nil},
		{"advisory params dropped", ehloNone, "a@example.org",
			&MailOptions{Size: 5, Body: Body7Bit, Return: DSNReturnFull, EnvelopeID: "x", Auth: "bob"},
			"MAIL FROM:<a@example.org>", nil},
		{"no smtputf8", ehloNone, "jörg@example.org", nil, "", errors.ErrUnsupported},
		{"no 8bitmime", ehloNone, "a@example.org", &MailOptions{Body: Body8BitMIME}, "", errors.ErrUnsupported},
		{"no binarymime", ehloNone, "a@example.org", &MailOptions{Body: BodyBinaryMIME}, "", errors.ErrUnsupported},
		{"bad body", ehloAll, "a@example.org", &MailOptions{Body: "9BIT"}, "", nil},
		{"bad ret", ehloAll, "a@example.org", &MailOptions{Return: "ALL"}, "", nil},
		{"negative size", ehloAll, "a@example.org", &MailOptions{Size: -1}, "", nil},
		{"CRLF injection", ehloAll, "a@example.org>\r\nRCPT TO:<b@example.org", nil, "", nil},
		{"LF", ehloAll, "a@exa\nmple.org", nil, "", nil},
		{"NUL", ehloAll, "a@exa\x00mple.org", nil, "", nil},
		{"param injection", ehloAll, "a@example.org> SIZE=1", nil, "", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			script := tc.ehlo
			if tc.want != "" {
				script += "C: " + tc.want + "\nS: 250 2.1.0 ok\n"
			}
			c := clientDialScript(t, script)
			err := c.Mail(t.Context(), tc.from, tc.opts)
			if tc.want != "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil {
				t.Fatal("Mail succeeded")
			}
			if tc.errIs != nil && !errors.Is(err, tc.errIs) {
				t.Errorf("error %v, want %v", err, tc.errIs)
			}
		})
	}
}

func TestClientMissingExtensionError(t *testing.T) {
	c := clientDialScript(t, `
		S: 220 mx.example.org
		C: EHLO localhost
		S: 250 mx.example.org
	`)
	err := c.Mail(t.Context(), "a@example.org", &MailOptions{UTF8: true})
	var me *MissingExtensionError
	if !errors.As(err, &me) || me.Extension != "SMTPUTF8" {
		t.Fatalf("got %v, want MissingExtensionError SMTPUTF8", err)
	}
	if err.Error() != "smtp: server does not support SMTPUTF8" {
		t.Errorf("message %q", err)
	}
	if _, err := c.Bdat(t.Context()); !errors.As(err, &me) || me.Extension != "CHUNKING" {
		t.Fatalf("Bdat: got %v, want MissingExtensionError CHUNKING", err)
	}
}

func TestClientRcptParams(t *testing.T) {
	c := clientDialScript(t, `
		S: 220 mx.example.org
		C: EHLO localhost
		S: 250-mx.example.org
		S: 250-DSN
		S: 250 SMTPUTF8
		C: MAIL FROM:<a@example.org>
		S: 250 ok
		C: RCPT TO:<b@example.org> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;b+2Bx@example.org
		S: 250 ok
		C: RCPT TO:<c@example.org> NOTIFY=NEVER ORCPT=x-local;c+3D20
		S: 250 ok
		C: RCPT TO:<d@example.org>
		S: 550 5.1.1 no such user
		C: RSET
		S: 250 ok
		C: MAIL FROM:<a@example.org> SMTPUTF8
		S: 250 ok
		C: RCPT TO:<δ@example.org>
		S: 250 ok
	`)
	if err := c.Mail(t.Context(), "a@example.org", nil); err != nil {
		t.Fatal(err)
	}
	if err := c.Rcpt(t.Context(), "b@example.org", &RcptOptions{
		Notify:            []DSNNotify{DSNNotifySuccess, DSNNotifyFailure},
		OriginalRecipient: "b+x@example.org",
	}); err != nil {
		t.Fatal(err)
	}
	if err := c.Rcpt(t.Context(), "c@example.org", &RcptOptions{
		Notify:                []DSNNotify{DSNNotifyNever},
		OriginalRecipientType: "x-local",
		OriginalRecipient:     "c=20",
	}); err != nil {
		t.Fatal(err)
	}
	// Invalid parameters fail before anything is sent.
	for _, bad := range []struct {
		to   string
		opts *RcptOptions
	}{
		{"x@example.org", &RcptOptions{Notify: []DSNNotify{DSNNotifyNever, DSNNotifyDelay}}},
		{"x@example.org", &RcptOptions{Notify: []DSNNotify{"SOMETIMES"}}},
		{"x@example.org", &RcptOptions{OriginalRecipientType: "rfc 822", OriginalRecipient: "x"}},
		{"", nil},
		{"x@example.org>\r\nDATA", nil},
		{"ü@example.org", nil}, // transaction without SMTPUTF8
	} {
		if err := c.Rcpt(t.Context(), bad.to, bad.opts); err == nil {
			t.Errorf("Rcpt(%q, %+v) succeeded", bad.to, bad.opts)
		}
	}
	clientWantError(t, c.Rcpt(t.Context(), "d@example.org", nil), 550, EnhancedCode{})
	if err := c.Reset(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := c.Mail(t.Context(), "a@example.org", &MailOptions{UTF8: true}); err != nil {
		t.Fatal(err)
	}
	if err := c.Rcpt(t.Context(), "δ@example.org", nil); err != nil {
		t.Fatal(err)
	}
}

func TestClientDataDotStuffing(t *testing.T) {
	c := clientDialScript(t, clientEhloBasic+`
		C: MAIL FROM:<a@example.org>
		S: 250 2.1.0 ok
		C: RCPT TO:<b@example.org>
		S: 250 2.1.5 ok
		C: DATA
		S: 354 go ahead
		C: Subject: dots
		C:
		C: ..leading dot
		C: ....
		C: ..
		C: middle . dot
		C: bare LF
		C: bare CR
		C: ..after bare CR
		C: no final newline
		C: .
		S: 250 2.0.0 queued as 42
		C: QUIT
		S: 221 2.0.0 bye
	`)
	c.LocalName = "client.example.com"
	if err := c.Mail(t.Context(), "a@example.org", nil); err != nil {
		t.Fatal(err)
	}
	if err := c.Rcpt(t.Context(), "b@example.org", nil); err != nil {
		t.Fatal(err)
	}
	w, err := c.Data(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	// Split across writes at awkward places: inside CRLF, before dots.
	for _, part := range []string{
		"Subject: dots\r", "\n\r\n", ".leading dot\r\n", "..", ".\n.", "\r\nmiddle . dot\r\n",
		"bare LF\nbare CR\r", ".after bare CR\r\n", "no final newline",
	} {
		if _, err := io.WriteString(w, part); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err == nil {
		t.Error("second Close succeeded")
	}
	if _, err := w.Write([]byte("x")); err == nil {
		t.Error("Write after Close succeeded")
	}
	if err := c.Quit(t.Context()); err != nil {
		t.Fatal(err)
	}
}

// clientEncodeData runs the DATA writer over parts into memory and returns the
// bytes it would send, terminator included.
func clientEncodeData(parts ...[]byte) string {
	var buf bytes.Buffer
	c := &Client{bw: bufio.NewWriter(&buf)}
	w := &clientDataWriter{c: c, lineStart: true}
	for _, p := range parts {
		w.Write(p)
	}
	w.writeEnd()
	c.bw.Flush()
	return buf.String()
}

func TestClientDataEncoding(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ".\r\n"},
		{"a", "a\r\n.\r\n"},
		{"a\r\n", "a\r\n.\r\n"},
		{"a\n", "a\r\n.\r\n"},
		{"a\r", "a\r\n.\r\n"},
		{".", "..\r\n.\r\n"},
		{".\r\n", "..\r\n.\r\n"},
		{"a\r\n.\r\nb", "a\r\n..\r\nb\r\n.\r\n"},
		{"a\n.\nb\n", "a\r\n..\r\nb\r\n.\r\n"},
		{"a\r.b", "a\r\n..b\r\n.\r\n"},
		{"\r\r\n", "\r\n\r\n.\r\n"},
		{"\n\n", "\r\n\r\n.\r\n"},
		{"x.y\r\n", "x.y\r\n.\r\n"},
		{"\x00binary\xff", "\x00binary\xff\r\n.\r\n"},
	}
	for _, tc := range tests {
		if got := clientEncodeData([]byte(tc.in)); got != tc.want {
			t.Errorf("encode(%q) = %q, want %q", tc.in, got, tc.want)
		}
		// Every split into two writes gives the same bytes.
		for i := 0; i <= len(tc.in); i++ {
			if got := clientEncodeData([]byte(tc.in[:i]), []byte(tc.in[i:])); got != tc.want {
				t.Errorf("encode(%q | %q) = %q, want %q", tc.in[:i], tc.in[i:], got, tc.want)
			}
		}
	}
}

func TestClientSendPipelined(t *testing.T) {
	c := clientDialScript(t, clientEhloBasic+`
		C: MAIL FROM:<a@example.org> BODY=8BITMIME
		C: RCPT TO:<ok1@example.org>
		C: RCPT TO:<perm@example.org>
		C: RCPT TO:<temp@example.org>
		C: RCPT TO:<ok2@example.org>
		C: DATA
		S: 250 2.1.0 sender ok
		S: 250 2.1.5 ok1
		S: 550-5.1.1 no such user
		S: 550 5.1.1 really not
		S: 451 4.3.0 try again later
		S: 250 2.1.5 ok2
		S: 354 go ahead
		C: Subject: hi
		C:
		C: body
		C: .
		S: 250 2.0.0 queued as ABC
		C: MAIL FROM:<a@example.org>
		C: RCPT TO:<ok1@example.org>
		C: DATA
		S: 250 2.1.0 sender ok
		S: 250 2.1.5 ok1
		S: 354 go ahead
		C: second
		C: .
		S: 250 2.0.0 queued as DEF
		C: QUIT
		S: 221 2.0.0 bye
	`)
	c.LocalName = "client.example.com"
	res, err := c.Send(t.Context(), "a@example.org", &MailOptions{Body: Body8BitMIME}, []Recipient{
		{Address: "ok1@example.org"}, {Address: "perm@example.org"},
		{Address: "temp@example.org"}, {Address: "ok2@example.org"},
	}, strings.NewReader("Subject: hi\n\nbody\n"))
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	if len(res) != 4 {
		t.Fatalf("%d results", len(res))
	}
	for _, i := range []int{0, 3} {
		if res[i].Err != nil || res[i].Reply != "250 2.0.0 queued as ABC" {
			t.Errorf("result %d: %+v", i, res[i])
		}
	}
	e := clientWantError(t, res[1].Err, 550, EnhancedCode{5, 1, 1})
	if e.Message != "no such user really not" || e.Temporary() {
		t.Errorf("perm: %+v", e)
	}
	if !res[2].Err.(*Error).Temporary() || res[2].Address != "temp@example.org" {
		t.Errorf("temp: %+v", res[2])
	}
	// The connection is reused for a second message.
	if err := c.SendMail(t.Context(), "a@example.org", []string{"ok1@example.org"}, strings.NewReader("second")); err != nil {
		t.Fatalf("second SendMail: %v", err)
	}
	if err := c.Quit(t.Context()); err != nil {
		t.Fatal(err)
	}
}

func TestClientSendManyRecipientsBatched(t *testing.T) {
	// 150 RCPTs + MAIL + DATA: two pipelined groups of at most 100.
	var script strings.Builder
	script.WriteString(clientEhloBasic)
	to := make([]string, 150)
	script.WriteString("C: MAIL FROM:<a@example.org>\n")
	for i := range to {
		to[i] = fmt.Sprintf("r%d@example.org", i)
		if i == 99 {
			script.WriteString("S: 250 ok\n" + strings.Repeat("S: 250 ok\n", 99))
		}
		script.WriteString("C: RCPT TO:<" + to[i] + ">\n")
	}
	script.WriteString("C: DATA\n" + strings.Repeat("S: 250 ok\n", 51) + "S: 354 go\nC: x\nC: .\nS: 250 done\n")
	c := clientDialScript(t, script.String())
	c.LocalName = "client.example.com"
	if err := c.SendMail(t.Context(), "a@example.org", to, strings.NewReader("x")); err != nil {
		t.Fatal(err)
	}
}

func TestClientSendLockStep(t *testing.T) {
	// No PIPELINING: every command waits for its reply (the fake server
	// fails if the client sends ahead), and DATA is never sent once every
	// recipient was refused.
	c := clientDialScript(t, `
		S: 220 mx.example.org
		C: EHLO localhost
		S: 250-mx.example.org
		S: 250 ENHANCEDSTATUSCODES
		C: MAIL FROM:<a@example.org>
		S: 250 2.1.0 ok
		C: RCPT TO:<x@example.org>
		S: 550 5.1.1 unknown
		C: RCPT TO:<y@example.org>
		S: 450 4.2.0 mailbox busy
		C: RSET
		S: 250 2.0.0 ok
		C: MAIL FROM:<a@example.org>
		S: 250 2.1.0 ok
		C: RCPT TO:<x@example.org>
		S: 250 2.1.5 ok
		C: DATA
		S: 354 go
		C: hello
		C: .
		S: 554 5.6.0 content rejected
	`)
	res, err := c.Send(t.Context(), "a@example.org", nil, []Recipient{{Address: "x@example.org"}, {Address: "y@example.org"}}, strings.NewReader("never read"))
	clientWantError(t, err, 550, EnhancedCode{5, 1, 1})
	clientWantError(t, res[0].Err, 550, EnhancedCode{5, 1, 1})
	clientWantError(t, res[1].Err, 450, EnhancedCode{4, 2, 0})

	err = c.SendMail(t.Context(), "a@example.org", []string{"x@example.org"}, strings.NewReader("hello\r\n"))
	e := clientWantError(t, err, 554, EnhancedCode{5, 6, 0})
	if e.Message != "content rejected" {
		t.Errorf("message %q", e.Message)
	}
}

func TestClientSendMailRejected(t *testing.T) {
	c := clientDialScript(t, clientEhloBasic+`
		C: MAIL FROM:<spam@example.org>
		C: RCPT TO:<x@example.org>
		C: RCPT TO:<y@example.org>
		C: DATA
		S: 550 5.7.1 sender blocked
		S: 503 5.5.1 need MAIL first
		S: 503 5.5.1 need MAIL first
		S: 503 5.5.1 need MAIL first
		C: NOOP
		S: 250 2.0.0 ok
	`)
	c.LocalName = "client.example.com"
	res, err := c.Send(t.Context(), "spam@example.org", nil, []Recipient{{Address: "x@example.org"}, {Address: "y@example.org"}}, strings.NewReader("x"))
	clientWantError(t, err, 550, EnhancedCode{5, 7, 1})
	for _, r := range res {
		clientWantError(t, r.Err, 550, EnhancedCode{5, 7, 1})
		if r.Reply != "550 5.7.1 sender blocked" {
			t.Errorf("reply %q", r.Reply)
		}
	}
	// The session goes on.
	if err := c.Noop(t.Context()); err != nil {
		t.Fatal(err)
	}
}

func TestClientSendNoValidRecipients(t *testing.T) {
	// Pipelined: DATA went out with the RCPTs. A server that wrongly
	// accepts it gets an empty message, then RSET.
	c := clientDialScript(t, clientEhloBasic+`
		C: MAIL FROM:<a@example.org>
		C: RCPT TO:<x@example.org>
		C: DATA
		S: 250 2.1.0 ok
		S: 550 5.1.1 unknown
		S: 354 go ahead anyway
		C: .
		S: 554 5.5.1 no valid recipients
		C: RSET
		S: 250 2.0.0 ok
		C: MAIL FROM:<a@example.org>
		C: RCPT TO:<x@example.org>
		C: DATA
		S: 250 2.1.0 ok
		S: 550 5.1.1 unknown
		S: 554 5.5.1 no valid recipients
		C: RSET
		S: 250 2.0.0 ok
	`)
	c.LocalName = "client.example.com"
	for range 2 {
		err := c.SendMail(t.Context(), "a@example.org", []string{"x@example.org"}, strings.NewReader("x"))
		clientWantError(t, err, 550, EnhancedCode{5, 1, 1})
	}
}

func TestClientSendDataRefused(t *testing.T) {
	c := clientDialScript(t, clientEhloBasic+`
		C: MAIL FROM:<a@example.org>
		C: RCPT TO:<x@example.org>
		C: RCPT TO:<y@example.org>
		C: DATA
		S: 250 2.1.0 ok
		S: 250 2.1.5 ok
		S: 550 5.1.1 unknown
		S: 451 4.3.2 not now
		C: RSET
		S: 250 2.0.0 ok
	`)
	c.LocalName = "client.example.com"
	res, err := c.Send(t.Context(), "a@example.org", nil, []Recipient{{Address: "x@example.org"}, {Address: "y@example.org"}}, strings.NewReader("x"))
	clientWantError(t, err, 451, EnhancedCode{4, 3, 2})
	clientWantError(t, res[0].Err, 451, EnhancedCode{4, 3, 2})
	clientWantError(t, res[1].Err, 550, EnhancedCode{5, 1, 1})
}

func TestClientSendMailPartialError(t *testing.T) {
	c := clientDialScript(t, clientEhloBasic+`
		C: MAIL FROM:<a@example.org>
		C: RCPT TO:<x@example.org>
		C: RCPT TO:<y@example.org>
		C: DATA
		S: 250 2.1.0 ok
		S: 250 2.1.5 ok
		S: 452 4.5.3 too many recipients
		S: 354 go
		C: x
		C: .
		S: 250 2.0.0 ok
	`)
	c.LocalName = "client.example.com"
	err := c.SendMail(t.Context(), "a@example.org", []string{"x@example.org", "y@example.org"}, strings.NewReader("x"))
	if err == nil || !strings.Contains(err.Error(), "<y@example.org>") || strings.Contains(err.Error(), "<x@example.org>") {
		t.Fatalf("got %v", err)
	}
	clientWantError(t, err, 452, EnhancedCode{4, 5, 3})
}

type clientFailingReader struct {
	data string
	err  error
}

func (r *clientFailingReader) Read(p []byte) (int, error) {
	if r.data == "" {
		return 0, r.err
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

func TestClientSendBodyReadError(t *testing.T) {
	// With DATA the only way to abort is to drop the connection: the
	// server must see the partial line and then EOF, never the final dot.
	errDisk := errors.New("disk on fire")
	c := clientDialScript(t, clientEhloBasic+`
		C: MAIL FROM:<a@example.org>
		C: RCPT TO:<x@example.org>
		C: DATA
		S: 250 2.1.0 ok
		S: 250 2.1.5 ok
		S: 354 go
		DRAIN
	`)
	c.LocalName = "client.example.com"
	res, err := c.Send(t.Context(), "a@example.org", nil, []Recipient{{Address: "x@example.org"}}, &clientFailingReader{"first line\r\nsecond", errDisk})
	if !errors.Is(err, errDisk) || !errors.Is(res[0].Err, errDisk) {
		t.Fatalf("got %v / %v", err, res[0].Err)
	}
	if err := c.Noop(t.Context()); err == nil {
		t.Error("Noop after aborted DATA succeeded")
	}
}

func TestClientBdat(t *testing.T) {
	// 70000 bytes: one full 64 KiB chunk, then the rest with LAST.
	body := make([]byte, 70000)
	for i := range body {
		body[i] = byte(i % 251) // binary, including CR, LF and NUL
	}
	script := `
		S: 220 mx.example.org
		C: EHLO localhost
		S: 250-mx.example.org
		S: 250-PIPELINING
		S: 250-CHUNKING
		S: 250-ENHANCEDSTATUSCODES
		S: 250 BINARYMIME
		C: MAIL FROM:<a@example.org> BODY=BINARYMIME
		C: RCPT TO:<x@example.org>
		S: 250 ok
		S: 250 ok
		C: BDAT 65536
		B: ` + strconv.Quote(string(body[:65536])) + `
		S: 250 2.0.0 65536 octets received
		C: BDAT 4464 LAST
		B: ` + strconv.Quote(string(body[65536:])) + `
		S: 250 2.0.0 message accepted
		C: MAIL FROM:<a@example.org>
		S: 250 ok
		C: RCPT TO:<x@example.org>
		S: 250 ok
		C: BDAT 5 LAST
		B: "hello"
		S: 250 2.0.0 ok
		C: MAIL FROM:<a@example.org> BODY=BINARYMIME
		S: 250 ok
		C: RSET
		S: 250 ok
		C: MAIL FROM:<a@example.org> BODY=BINARYMIME
		C: RCPT TO:<x@example.org>
		S: 250 ok
		S: 250 ok
		C: BDAT 65536
		B: ` + strconv.Quote(string(body[:65536])) + `
		S: 552 5.3.4 message too big
		C: RSET
		S: 250 ok
	`
	c := clientDialScript(t, script)
	res, err := c.Send(t.Context(), "a@example.org", &MailOptions{Body: BodyBinaryMIME}, []Recipient{{Address: "x@example.org"}}, bytes.NewReader(body))
	if err != nil || res[0].Err != nil || res[0].Reply != "250 2.0.0 message accepted" {
		t.Fatalf("Send: %v %+v", err, res)
	}

	// Step by step.
	if err := c.Mail(t.Context(), "a@example.org", nil); err != nil {
		t.Fatal(err)
	}
	if err := c.Rcpt(t.Context(), "x@example.org", nil); err != nil {
		t.Fatal(err)
	}
	w, err := c.Bdat(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(w, "hel")
	io.WriteString(w, "lo")
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}

	// BINARYMIME cannot go with DATA: refused before sending.
	if err := c.Mail(t.Context(), "a@example.org", &MailOptions{Body: BodyBinaryMIME}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Data(t.Context()); err == nil {
		t.Fatal("Data accepted after BODY=BINARYMIME")
	}
	if err := c.Reset(t.Context()); err != nil {
		t.Fatal(err)
	}

	// A refused chunk ends the transaction: no more chunks, then RSET.
	res, err = c.Send(t.Context(), "a@example.org", &MailOptions{Body: BodyBinaryMIME}, []Recipient{{Address: "x@example.org"}}, bytes.NewReader(body))
	clientWantError(t, err, 552, EnhancedCode{5, 3, 4})
	clientWantError(t, res[0].Err, 552, EnhancedCode{5, 3, 4})
}

func TestClientAuth(t *testing.T) {
	c := clientDialScript(t, `
		S: 220 mx.example.org
		C: EHLO localhost
		S: 250-mx.example.org
		S: 250-ENHANCEDSTATUSCODES
		S: 250 AUTH PLAIN LOGIN
		C: AUTH PLAIN AGJvYgBwYXNz
		S: 535 5.7.8 authentication failed
		C: AUTH LOGIN Ym9i
		S: 334 UGFzc3dvcmQ6
		C: cGFzcw==
		S: 235 2.7.0 ok
	`)
	e := clientWantError(t, c.Auth(t.Context(), sasl.NewPlainClient("", "bob", "pass")), 535, EnhancedCode{5, 7, 8})
	if e.Temporary() {
		t.Error("535 is temporary")
	}
	// LOGIN: initial response, then a base64 challenge "Password:".
	if err := c.Auth(t.Context(), sasl.NewLoginClient("bob", "pass")); err != nil {
		t.Fatal(err)
	}
}

// clientSASL is a SASL client from two functions.
type clientSASL struct {
	mech string
	ir   []byte
	next func([]byte) ([]byte, error)
}

func (s clientSASL) Start() (string, []byte, error)   { return s.mech, s.ir, nil }
func (s clientSASL) Next(ch []byte) ([]byte, error)   { return s.next(ch) }
func clientEchoChallenge(ch []byte) ([]byte, error)   { return append([]byte("re:"), ch...), nil }
func clientRefuseChallenge(ch []byte) ([]byte, error) { return nil, errors.New("mechanism says no") }

func TestClientAuthChallenges(t *testing.T) {
	c := clientDialScript(t, `
		S: 220 mx.example.org
		C: EHLO localhost
		S: 250-mx.example.org
		S: 250 AUTH X-TEST
		C: AUTH X-TEST =
		S: 334 Zmlyc3Q=
		C: cmU6Zmlyc3Q=
		S: 334
		C: cmU6
		S: 235 ok
		C: AUTH X-TEST
		S: 334 not base64!
		C: *
		S: 501 cancelled
		C: AUTH X-TEST
		S: 334 Zmlyc3Q=
		C: *
		S: 501 cancelled
		C: AUTH X-TEST
		S: 334 Zmlyc3Q=
		C: cmU6Zmlyc3Q=
		S: 454 4.7.0 temporary failure
	`)
	// Empty initial response is "=" (RFC 4954 section 4); an empty
	// challenge decodes to nothing.
	if err := c.Auth(t.Context(), clientSASL{mech: "X-TEST", ir: []byte{}, next: clientEchoChallenge}); err != nil {
		t.Fatal(err)
	}
	if err := c.Auth(t.Context(), clientSASL{mech: "X-TEST", next: clientEchoChallenge}); !errors.Is(err, ErrBadReply) {
		t.Fatalf("bad base64: got %v", err)
	}
	if err := c.Auth(t.Context(), clientSASL{mech: "X-TEST", next: clientRefuseChallenge}); err == nil || err.Error() != "mechanism says no" {
		t.Fatalf("refusing mechanism: got %v", err)
	}
	clientWantError(t, c.Auth(t.Context(), clientSASL{mech: "X-TEST", next: clientEchoChallenge}), 454, EnhancedCode{})
	if err := c.Auth(t.Context(), clientSASL{mech: "X TEST"}); err == nil {
		t.Error("mechanism name with a space accepted")
	}
}

func TestClientStartTLS(t *testing.T) {
	_, pool := clientTestCert(t)
	c := clientDialScript(t, `
		S: 220 mx.example.org
		C: EHLO localhost
		S: 250-mx.example.org
		S: 250-STARTTLS
		S: 250 X-BEFORE-TLS
		C: STARTTLS
		S: 220 2.0.0 go ahead
		TLS
		C: EHLO localhost
		S: 250-mx.example.org
		S: 250 AUTH PLAIN
		C: AUTH PLAIN AGJvYgBwYXNz
		S: 235 ok
		C: QUIT
		S: 221 bye
	`)
	if ok, _ := c.Extension("STARTTLS"); !ok {
		t.Fatal("no STARTTLS")
	}
	if err := c.StartTLS(t.Context(), &tls.Config{RootCAs: pool}); err != nil {
		t.Fatal(err)
	}
	state, ok := c.TLSConnectionState()
	if !ok || !state.HandshakeComplete {
		t.Fatal("no TLS state after StartTLS")
	}
	// RFC 3207 4.2: what the server said before TLS is forgotten.
	if ok, _ := c.Extension("X-BEFORE-TLS"); ok {
		t.Error("extension from before TLS still known")
	}
	if !c.SupportsAuth("PLAIN") {
		t.Error("AUTH from after TLS not known")
	}
	if err := c.StartTLS(t.Context(), nil); err == nil {
		t.Error("second StartTLS succeeded")
	}
	if err := c.Auth(t.Context(), sasl.NewPlainClient("", "bob", "pass")); err != nil {
		t.Fatal(err)
	}
	if err := c.Quit(t.Context()); err != nil {
		t.Fatal(err)
	}
}

func TestClientStartTLSUntrusted(t *testing.T) {
	c := clientDialScript(t, `
		S: 220 mx.example.org
		C: EHLO localhost
		S: 250 STARTTLS
		C: STARTTLS
		S: 220 go ahead
		BADTLS
	`)
	// The system roots do not trust the test certificate.
	err := c.StartTLS(t.Context(), nil)
	var uerr x509.UnknownAuthorityError
	if !errors.As(err, &uerr) {
		t.Fatalf("got %v, want x509.UnknownAuthorityError", err)
	}
	if err := c.Noop(t.Context()); err == nil {
		t.Error("Noop after a failed handshake succeeded")
	}
}

func TestClientStartTLSInjection(t *testing.T) {
	// CVE-2011-0411: a reply injected in plain text after "220" must not be
	// taken as the first reply inside TLS.
	c := clientDialScript(t, `
		S: 220 mx.example.org
		C: EHLO localhost
		S: 250 STARTTLS
		C: STARTTLS
		S: 220 go ahead
		S: 250 injected
	`)
	if err := c.StartTLS(t.Context(), nil); !errors.Is(err, ErrBadReply) {
		t.Fatalf("got %v, want ErrBadReply", err)
	}
	if _, ok := c.TLSConnectionState(); ok {
		t.Error("TLS state after refused STARTTLS")
	}
}

func TestClientStartTLSRefused(t *testing.T) {
	c := clientDialScript(t, `
		S: 220 mx.example.org
		C: EHLO localhost
		S: 250-mx.example.org
		S: 250 STARTTLS
		C: STARTTLS
		S: 454 4.7.0 TLS not available
		C: NOOP
		S: 250 ok
	`)
	clientWantError(t, c.StartTLS(t.Context(), nil), 454, EnhancedCode{})
	if err := c.Noop(t.Context()); err != nil {
		t.Fatalf("session did not go on after 454: %v", err)
	}
}

func TestClientDialTLS(t *testing.T) {
	cert, pool := clientTestCert(t)
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			done <- err
			return
		}
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(clientFakeTimeout))
		done <- clientRunScript(conn, `
			S: 220 mx.example.org
			C: EHLO localhost
			S: 250 mx.example.org
			C: NOOP
			S: 250 ok
			C: QUIT
			S: 221 bye
		`, nil)
	}()
	defer ln.Close()
	c, err := DialTLS(ln.Addr().String(), &tls.Config{RootCAs: pool})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := c.TLSConnectionState(); !ok {
		t.Error("no TLS state")
	}
	if err := c.Noop(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := c.Quit(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestClientLMTP(t *testing.T) {
	addr := clientServeScript(t, `
		S: 220 lmtp.example.org LMTP
		C: LHLO localhost
		S: 250-lmtp.example.org
		S: 250-PIPELINING
		S: 250 ENHANCEDSTATUSCODES
		C: MAIL FROM:<a@example.org>
		C: RCPT TO:<one@example.org>
		C: RCPT TO:<gone@example.org>
		C: RCPT TO:<full@example.org>
		C: RCPT TO:<two@example.org>
		C: DATA
		S: 250 2.1.0 ok
		S: 250 2.1.5 ok
		S: 550 5.1.1 gone
		S: 250 2.1.5 ok
		S: 250 2.1.5 ok
		S: 354 go
		C: hi
		C: .
		S: 250 2.0.0 one delivered
		S: 452 4.2.2 mailbox full
		S: 250 2.0.0 two delivered
		C: MAIL FROM:<a@example.org>
		S: 250 ok
		C: RCPT TO:<one@example.org>
		S: 250 ok
		C: RCPT TO:<full@example.org>
		S: 250 ok
		C: DATA
		S: 354 go
		C: low level
		C: .
		S: 250 2.0.0 ok
		S: 452 4.2.2 mailbox full
		C: MAIL FROM:<a@example.org>
		S: 250 ok
		C: RCPT TO:<full@example.org>
		S: 250 ok
		C: DATA
		S: 354 go
		C: joined
		C: .
		S: 452 4.2.2 mailbox full
		C: QUIT
		S: 221 bye
	`)
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewLMTPClient(t.Context(), conn)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.CommandTimeout = clientFakeTimeout
	res, err := c.Send(t.Context(), "a@example.org", nil, []Recipient{
		{Address: "one@example.org"}, {Address: "gone@example.org"},
		{Address: "full@example.org"}, {Address: "two@example.org"},
	}, strings.NewReader("hi"))
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Err != nil || res[0].Reply != "250 2.0.0 one delivered" {
		t.Errorf("one: %+v", res[0])
	}
	clientWantError(t, res[1].Err, 550, EnhancedCode{5, 1, 1})
	clientWantError(t, res[2].Err, 452, EnhancedCode{4, 2, 2})
	if res[3].Err != nil || res[3].Reply != "250 2.0.0 two delivered" {
		t.Errorf("two: %+v", res[3])
	}

	// Low level, with a callback per recipient.
	if err := c.Mail(t.Context(), "a@example.org", nil); err != nil {
		t.Fatal(err)
	}
	for _, to := range []string{"one@example.org", "full@example.org"} {
		if err := c.Rcpt(t.Context(), to, nil); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	w, err := c.LMTPData(t.Context(), func(rcpt string, err error) {
		got = append(got, fmt.Sprintf("%s: %v", rcpt, err))
	})
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(w, "low level\r\n")
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	want := []string{"one@example.org: <nil>", "full@example.org: 452 4.2.2 mailbox full"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("statuses %q, want %q", got, want)
	}

	// Data in LMTP mode joins the failures.
	if err := c.Mail(t.Context(), "a@example.org", nil); err != nil {
		t.Fatal(err)
	}
	if err := c.Rcpt(t.Context(), "full@example.org", nil); err != nil {
		t.Fatal(err)
	}
	w, err = c.Data(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(w, "joined")
	err = w.Close()
	clientWantError(t, err, 452, EnhancedCode{4, 2, 2})
	if !strings.Contains(err.Error(), "<full@example.org>") {
		t.Errorf("error %q does not name the recipient", err)
	}
	if err := c.Quit(t.Context()); err != nil {
		t.Fatal(err)
	}
}

func TestClientLMTPDataOnSMTP(t *testing.T) {
	c := clientDialScript(t, `S: 220 mx.example.org`)
	if _, err := c.LMTPData(t.Context(), nil); err == nil {
		t.Error("LMTPData on an SMTP client succeeded")
	}
}

// clientHeapGrowth runs f and returns how many bytes were allocated meanwhile.
func clientHeapGrowth(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// clientServeFlood greets, then sends prefix and repeats unit until the client
// hangs up or 64 MiB went out.
func clientServeFlood(t *testing.T, prefix, unit string) string {
	return clientServeConn(t, func(conn net.Conn) error {
		if _, err := io.WriteString(conn, "220 mx.example.org\r\n"); err != nil {
			return err
		}
		br := bufio.NewReader(conn)
		if _, err := br.ReadString('\n'); err != nil { // EHLO
			return err
		}
		io.WriteString(conn, prefix)
		block := []byte(strings.Repeat(unit, 32<<10/len(unit)))
		for sent := 0; sent < 64<<20; sent += len(block) {
			if _, err := conn.Write(block); err != nil {
				return nil // the client hung up: expected
			}
		}
		return errors.New("the client read 64 MiB of one reply")
	})
}

func TestClientHostileEndlessReply(t *testing.T) {
	c, err := Dial(clientServeFlood(t, "", "250-endless\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	c.CommandTimeout = clientFakeTimeout
	var herr error
	grew := clientHeapGrowth(func() { herr = c.Hello(t.Context(), "") })
	c.Close()
	if !errors.Is(herr, ErrBadReply) || !strings.Contains(herr.Error(), "lines") {
		t.Fatalf("got %v, want ErrBadReply about lines", herr)
	}
	if grew > 4<<20 {
		t.Errorf("reading the reply allocated %d bytes", grew)
	}
	if err := c.Noop(t.Context()); err == nil {
		t.Error("Noop after a bad reply succeeded")
	}
}

func TestClientHostileLongLine(t *testing.T) {
	c, err := Dial(clientServeFlood(t, "250 ", "a"))
	if err != nil {
		t.Fatal(err)
	}
	c.CommandTimeout = clientFakeTimeout
	var herr error
	grew := clientHeapGrowth(func() { herr = c.Hello(t.Context(), "") })
	c.Close()
	if !errors.Is(herr, ErrBadReply) || !strings.Contains(herr.Error(), "longer") {
		t.Fatalf("got %v, want ErrBadReply about the line length", herr)
	}
	if grew > 4<<20 {
		t.Errorf("reading the line allocated %d bytes", grew)
	}
}

func TestClientReplyLimits(t *testing.T) {
	long := strings.Repeat("x", 96)
	c := clientDialScript(t, `
		S: 220 mx.example.org
		C: EHLO localhost
		S: 250-mx.example.org
		S: 250-A
		S: 250 B
		C: NOOP
		S: 250 `+long+`
		C: NOOP
		S: 250-1
		S: 250-2
		S: 250-3
		S: 250 4
	`)
	c.MaxReplyLines = 3
	c.MaxLineLength = 100
	if err := c.Hello(t.Context(), ""); err != nil {
		t.Fatalf("3 lines with MaxReplyLines 3: %v", err)
	}
	if err := c.Noop(t.Context()); err != nil {
		t.Fatalf("100-byte line with MaxLineLength 100: %v", err)
	}
	if err := c.Noop(t.Context()); !errors.Is(err, ErrBadReply) {
		t.Fatalf("4 lines with MaxReplyLines 3: %v", err)
	}
}

func TestClientErrorMapping(t *testing.T) {
	// Without ENHANCEDSTATUSCODES, "5.1.1" is just text.
	c := clientDialScript(t, `
		S: 220 mx.example.org
		C: EHLO localhost
		S: 250 mx.example.org
		C: VRFY bob
		S: 550 5.1.1 unknown
		C: VRFY alice
		S: 252 2.0.0 cannot verify, will try
		C: VRFY <carol@example.org>
		S: 251 2.1.5 will forward
		C: NOOP
		S: 250 ok
		C: RSET
		S: 421-4.3.2 shutting down
		S: 421 4.3.2 bye
	`)
	e := clientWantError(t, c.Verify(t.Context(), "bob"), 550, EnhancedCode{})
	if e.Message != "5.1.1 unknown" || e.Error() != "550 5.1.1 unknown" {
		t.Errorf("got %q / %q", e.Message, e.Error())
	}
	if err := c.Verify(t.Context(), "alice"); err != nil {
		t.Fatal(err)
	}
	if err := c.Verify(t.Context(), "<carol@example.org>"); err != nil {
		t.Fatal(err)
	}
	if err := c.Verify(t.Context(), "a\r\nb"); err == nil {
		t.Error("VRFY with CRLF accepted")
	}
	if err := c.Verify(t.Context(), "ü"); !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("non-ASCII VRFY without SMTPUTF8: %v", err)
	}
	if err := c.Noop(t.Context()); err != nil {
		t.Fatal(err)
	}
	e = clientWantError(t, c.Reset(t.Context()), 421, EnhancedCode{})
	if !e.Temporary() {
		t.Error("421 not temporary")
	}
	if err := c.Noop(t.Context()); err == nil {
		t.Error("command after 421 succeeded")
	}
}

func TestClientUnexpectedReplyCode(t *testing.T) {
	c := clientDialScript(t, `
		S: 220 mx.example.org
		C: EHLO localhost
		S: 250 mx.example.org
		C: NOOP
		S: 354 what?
	`)
	if err := c.Noop(t.Context()); !errors.Is(err, ErrBadReply) {
		t.Fatalf("got %v", err)
	}
	if err := c.Noop(t.Context()); err == nil || !errors.Is(err, ErrBadReply) {
		t.Fatalf("after a bad reply: %v", err)
	}
}

func TestClientTimeout(t *testing.T) {
	c := clientDialScript(t, `
		S: 220 mx.example.org
		C: EHLO localhost
		S: 250 mx.example.org
		C: NOOP
	`)
	c.CommandTimeout = 100 * time.Millisecond
	err := c.Noop(t.Context()) // never answered
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("got %v, want a timeout", err)
	}
	// Quit on a broken connection just closes it.
	if err := c.Quit(t.Context()); err != nil {
		t.Fatal(err)
	}
}

func TestClientCloseAborts(t *testing.T) {
	c := clientDialScript(t, `
		S: 220 mx.example.org
		C: EHLO localhost
		S: 250 mx.example.org
		C: NOOP
	`)
	if err := c.Hello(t.Context(), ""); err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() { errc <- c.Noop(t.Context()) }()
	time.Sleep(50 * time.Millisecond) // let Noop block; if not yet, it fails anyway
	c.Close()
	select {
	case err := <-errc:
		if err == nil {
			t.Fatal("Noop succeeded on a closed connection")
		}
	case <-time.After(clientFakeTimeout):
		t.Fatal("Close did not abort the blocked command")
	}
}

func TestClientPackageSendMail(t *testing.T) {
	addr := clientServeScript(t, `
		S: 220 mx.example.org
		C: EHLO localhost
		S: 250-mx.example.org
		S: 250-PIPELINING
		S: 250 AUTH PLAIN
		C: AUTH PLAIN AGJvYgBwYXNz
		S: 235 2.7.0 ok
		C: MAIL FROM:<a@example.org>
		C: RCPT TO:<b@example.org>
		C: DATA
		S: 250 ok
		S: 250 ok
		S: 354 go
		C: Subject: x
		C:
		C: body
		C: .
		S: 250 2.0.0 queued
		C: QUIT
		S: 221 bye
	`)
	// Plain text is fine towards 127.0.0.1.
	err := SendMail(t.Context(), addr, sasl.NewPlainClient("", "bob", "pass"), "a@example.org", []string{"b@example.org"}, strings.NewReader("Subject: x\n\nbody\n"))
	if err != nil {
		t.Fatal(err)
	}
}

func TestClientPackageSendMailSTARTTLS(t *testing.T) {
	// STARTTLS offered: SendMail uses it and verifies the certificate, which
	// the system roots do not trust, so nothing is sent.
	addr := clientServeScript(t, `
		S: 220 mx.example.org
		C: EHLO localhost
		S: 250-mx.example.org
		S: 250 STARTTLS
		C: STARTTLS
		S: 220 go ahead
		BADTLS
	`)
	err := SendMail(t.Context(), addr, nil, "a@example.org", []string{"b@example.org"}, strings.NewReader("x"))
	var uerr x509.UnknownAuthorityError
	if !errors.As(err, &uerr) {
		t.Fatalf("got %v (%T), want x509.UnknownAuthorityError", err, err)
	}
}

func TestClientPackageSendMailNoAuth(t *testing.T) {
	addr := clientServeScript(t, `
		S: 220 mx.example.org
		C: EHLO localhost
		S: 250 mx.example.org
	`)
	err := SendMail(t.Context(), addr, sasl.NewPlainClient("", "bob", "pass"), "a@example.org", []string{"b@example.org"}, strings.NewReader("x"))
	var me *MissingExtensionError
	if !errors.As(err, &me) || me.Extension != "AUTH" {
		t.Fatalf("got %v", err)
	}
}

func TestClientIsLocalHost(t *testing.T) {
	for host, want := range map[string]bool{
		"localhost": true, "127.0.0.1": true, "127.1.2.3": true, "::1": true,
		"": false, "example.org": false, "192.0.2.1": false, "localhost.example.org": false,
	} {
		if got := clientIsLocalHost(host); got != want {
			t.Errorf("clientIsLocalHost(%q) = %v", host, got)
		}
	}
}

func TestClientHelloName(t *testing.T) {
	c := clientDialScript(t, `
		S: 220 mx.example.org
		C: EHLO [192.0.2.1]
		S: 250 mx.example.org
		C: EHLO mail.example.com
		S: 250 mx.example.org
	`)
	if err := c.Hello(t.Context(), "bad name"); err == nil {
		t.Error("name with a space accepted")
	}
	if err := c.Hello(t.Context(), "[192.0.2.1]"); err != nil {
		t.Fatal(err)
	}
	c.LocalName = "mail.example.com"
	if err := c.Hello(t.Context(), ""); err != nil {
		t.Fatal(err)
	}
}

func TestParseClientReply(t *testing.T) {
	tests := []struct {
		lines    []string
		enhanced bool
		code     int
		ec       EnhancedCode
		msg      string
		bad      bool
	}{
		{lines: []string{"250 ok"}, code: 250, msg: "ok"},
		{lines: []string{"250"}, code: 250, msg: ""},
		{lines: []string{"250-a", "250-", "250 b"}, code: 250, msg: "a b"},
		{lines: []string{"550 5.1.1 no"}, enhanced: true, code: 550, ec: EnhancedCode{5, 1, 1}, msg: "no"},
		{lines: []string{"550 5.1.1"}, enhanced: true, code: 550, ec: EnhancedCode{5, 1, 1}, msg: ""},
		{lines: []string{"550-5.1.1 a", "550 5.1.1 b"}, enhanced: true, code: 550, ec: EnhancedCode{5, 1, 1}, msg: "a b"},
		{lines: []string{"550 5.123.456 x"}, enhanced: true, code: 550, ec: EnhancedCode{5, 123, 456}, msg: "x"},
		{lines: []string{"550 5.1234.1 x"}, enhanced: true, code: 550, msg: "5.1234.1 x"},
		{lines: []string{"550 4.1.1 class differs"}, enhanced: true, code: 550, msg: "4.1.1 class differs"},
		{lines: []string{"550 5.1.1x"}, enhanced: true, code: 550, msg: "5.1.1x"},
		{lines: []string{"550 5..1 x"}, enhanced: true, code: 550, msg: "5..1 x"},
		{lines: []string{"334 NS4xLjE="}, enhanced: true, code: 334, msg: "NS4xLjE="},
		{lines: []string{"250\tx"}, bad: true},
		{lines: []string{"25 ok"}, bad: true},
		{lines: []string{"ok"}, bad: true},
		{lines: []string{"650 ok"}, bad: true},
		{lines: []string{"150 ok"}, bad: true},
		{lines: []string{"2x0 ok"}, bad: true},
		{lines: []string{"250-a", "251 b"}, bad: true},
		{lines: []string{"250-a"}, bad: true},
		{lines: []string{"250 a", "250 b"}, bad: true},
		{lines: []string{"250", "250 b"}, bad: true},
		{lines: []string{"250 a\rb"}, bad: true},
		{lines: []string{"250 a\x00"}, bad: true},
		{lines: nil, bad: true},
	}
	for _, tc := range tests {
		r, err := parseClientReply(tc.lines, tc.enhanced)
		if tc.bad {
			if !errors.Is(err, ErrBadReply) {
				t.Errorf("%q: got %v, want ErrBadReply", tc.lines, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tc.lines, err)
			continue
		}
		if r.code != tc.code || r.enhanced != tc.ec || r.message() != tc.msg {
			t.Errorf("%q: got %d %v %q, want %d %v %q", tc.lines, r.code, r.enhanced, r.message(), tc.code, tc.ec, tc.msg)
		}
	}
}

func TestReadClientReplyLineEndings(t *testing.T) {
	br := bufio.NewReaderSize(strings.NewReader("250-a\n250 b\r\n220 c"), 16)
	r, err := readClientReply(br, 10, 100, false)
	if err != nil || r.message() != "a b" {
		t.Fatalf("got %+v, %v", r, err)
	}
	// A reply cut off by EOF is an error.
	if _, err := readClientReply(br, 10, 100, false); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("got %v", err)
	}
	// Lines longer than the reader's buffer are assembled.
	long := strings.Repeat("y", 50)
	br = bufio.NewReaderSize(strings.NewReader("250 "+long+"\r\n"), 16)
	if r, err := readClientReply(br, 10, 100, false); err != nil || r.message() != long {
		t.Fatalf("got %+v, %v", r, err)
	}
}

// clientBenchServer is a minimal fast SMTP server for benchmarks: it answers
// every command at once and discards message data.
func clientBenchServer(b *testing.B) string {
	return clientServeConn(b, func(conn net.Conn) error {
		conn.SetDeadline(time.Time{})
		br := bufio.NewReaderSize(conn, 64<<10)
		bw := bufio.NewWriter(conn)
		bw.WriteString("220 bench\r\n")
		bw.Flush()
		for {
			line, err := br.ReadSlice('\n')
			if err != nil {
				return nil
			}
			switch {
			case bytes.HasPrefix(line, []byte("EHLO")):
				bw.WriteString("250-bench\r\n250-PIPELINING\r\n250 8BITMIME\r\n")
			case bytes.HasPrefix(line, []byte("DATA")):
				bw.WriteString("354 go\r\n")
				bw.Flush()
				for {
					l, err := br.ReadSlice('\n')
					if err != nil && err != bufio.ErrBufferFull {
						return nil
					}
					if string(l) == ".\r\n" {
						break
					}
				}
				bw.WriteString("250 queued\r\n")
			case bytes.HasPrefix(line, []byte("QUIT")):
				bw.WriteString("221 bye\r\n")
				bw.Flush()
				return nil
			default:
				bw.WriteString("250 ok\r\n")
			}
			if br.Buffered() == 0 {
				bw.Flush()
			}
		}
	})
}

func BenchmarkClientSend(b *testing.B) {
	for _, size := range []int{1 << 10, 100 << 10} {
		b.Run(fmt.Sprintf("%dKB", size>>10), func(b *testing.B) {
			line := "The quick brown fox jumps over the lazy dog. 0123456789 abcdefghij\r\n"
			msg := []byte(strings.Repeat(line, size/len(line)+1)[:size])
			c, err := Dial(clientBenchServer(b))
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			rcpts := []Recipient{{Address: "b@example.org"}}
			r := bytes.NewReader(msg)
			b.SetBytes(int64(size))
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				r.Reset(msg)
				res, err := c.Send(b.Context(), "a@example.org", nil, rcpts, r)
				if err != nil || res[0].Err != nil {
					b.Fatal(err, res)
				}
			}
			b.StopTimer()
			if err := c.Quit(b.Context()); err != nil {
				b.Fatal(err)
			}
		})
	}
}

func TestClientSendConnectionLost(t *testing.T) {
	// The server vanishes while the client waits for the final replies:
	// recipients refused at RCPT keep their *Error, the others get the
	// transport error, and so does Send.
	c := clientDialScript(t, clientEhloBasic+`
		C: MAIL FROM:<a@example.org>
		C: RCPT TO:<x@example.org>
		C: RCPT TO:<y@example.org>
		C: DATA
		S: 250 ok
		S: 550 5.1.1 unknown
		S: 250 ok
		S: 354 go
		C: x
		C: .
		CLOSE
	`)
	c.LocalName = "client.example.com"
	res, err := c.Send(t.Context(), "a@example.org", nil, []Recipient{{Address: "x@example.org"}, {Address: "y@example.org"}}, strings.NewReader("x"))
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("got %v", err)
	}
	clientWantError(t, res[0].Err, 550, EnhancedCode{5, 1, 1})
	if !errors.Is(res[1].Err, io.ErrUnexpectedEOF) {
		t.Errorf("y: %v", res[1].Err)
	}
}

func TestClientLMTPConnectionLost(t *testing.T) {
	addr := clientServeScript(t, `
		S: 220 lmtp.example.org
		C: LHLO localhost
		S: 250-lmtp.example.org
		S: 250 PIPELINING
		C: MAIL FROM:<a@example.org>
		C: RCPT TO:<x@example.org>
		C: RCPT TO:<y@example.org>
		C: DATA
		S: 250 ok
		S: 250 ok
		S: 250 ok
		S: 354 go
		C: x
		C: .
		S: 250 x delivered
		CLOSE
	`)
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewLMTPClient(t.Context(), conn)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	res, err := c.Send(t.Context(), "a@example.org", nil, []Recipient{{Address: "x@example.org"}, {Address: "y@example.org"}}, strings.NewReader("x"))
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("got %v", err)
	}
	// x was delivered before the connection broke; y's fate is unknown.
	if res[0].Err != nil || res[0].Reply != "250 x delivered" {
		t.Errorf("x: %+v", res[0])
	}
	if !errors.Is(res[1].Err, io.ErrUnexpectedEOF) {
		t.Errorf("y: %v", res[1].Err)
	}
}
