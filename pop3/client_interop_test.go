package pop3_test

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"net"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-sasl"
	"github.com/mailwright/mailwright/pop3"
)

// The Client against Dovecot's POP3 server, the bench peer (see
// /work/shared/bench/dovecot/setup.sh): users testuser1..testuser100 with
// the password "pass", POP3 on 127.0.0.1:10110 and IMAP on 127.0.0.1:10143,
// which puts the test messages in the maildrop. The test skips when
// nothing listens there; it is not part of CI.
//
// Environment (all optional):
//
//	MAILWRIGHT_DOVECOT_POP3  POP3 address (127.0.0.1:10110)
//	MAILWRIGHT_DOVECOT_IMAP  IMAP address (127.0.0.1:10143)
//	MAILWRIGHT_DOVECOT_USER  user (testuser90; the password is "pass")
//	MAILWRIGHT_DOVECOT_CA    PEM file of the CA that signed the server's
//	                         certificate: the test then uses STLS when the
//	                         server offers it (the reference config has no TLS)
//
// The test touches only the messages it appends (found by a random token
// in their subject) and deletes them, so it can share a user's mailbox.

func dovecotEnv(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func TestClientInteropDovecot(t *testing.T) {
	ctx := context.Background()
	popAddr := dovecotEnv("MAILWRIGHT_DOVECOT_POP3", "127.0.0.1:10110")
	imapAddr := dovecotEnv("MAILWRIGHT_DOVECOT_IMAP", "127.0.0.1:10143")
	user := dovecotEnv("MAILWRIGHT_DOVECOT_USER", "testuser90")
	const pass = "pass"
	probe, err := net.DialTimeout("tcp", popAddr, 2*time.Second)
	if err != nil {
		t.Skipf("no Dovecot POP3 at %s (the bench peer: /work/shared/bench/dovecot/setup.sh): %v", popAddr, err)
	}
	probe.Close()

	var tlsConfig *tls.Config
	if caFile := os.Getenv("MAILWRIGHT_DOVECOT_CA"); caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			t.Fatal(err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			t.Fatalf("no certificate in %s", caFile)
		}
		tlsConfig = &tls.Config{RootCAs: pool, ServerName: "localhost"}
	}

	var tok [6]byte
	rand.Read(tok[:])
	token := "mailwright-" + hex.EncodeToString(tok[:])
	msgs := []string{
		"Subject: " + token + " dots\r\nFrom: a@example.org\r\n\r\n.\r\n..\r\n.leading\r\nmid.dle\r\n. \r\n\r\nend\r\n",
		"Subject: " + token + " top\r\n\r\nline 1\r\nline 2\r\nline 3\r\n",
		"Subject: " + token + " large\r\n\r\n" + strings.Repeat(".a line that begins with a dot, in a large message\r\n..two\r\n", 20000),
	}
	appendIMAP(t, imapAddr, user, pass, msgs)

	// One session with USER/PASS (after STLS when we can), one with AUTH
	// PLAIN, one with APOP if the server offers it.
	c := dialDovecot(t, popAddr, tlsConfig)
	if err := c.Login(ctx, user, "wrong"+pass); !errors.Is(err, pop3.ErrAuthFailed) {
		t.Fatalf("Login with a wrong password: %v, want ErrAuthFailed", err)
	}
	if err := c.Login(ctx, user, pass); err != nil {
		t.Fatal(err)
	}
	count, size, err := c.Stat(ctx)
	if err != nil {
		t.Fatal(err)
	}
	list, err := c.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	uidl, err := c.UIDL(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var total int64
	for _, l := range list {
		total += l.Size
	}
	if len(list) != count || len(uidl) != count || total != size {
		t.Fatalf("STAT %d %d, LIST %d messages of %d octets, UIDL %d", count, size, len(list), total, len(uidl))
	}
	t.Logf("%s: %d messages, %d octets", user, count, size)

	// Find ours by their subject, with TOP n 0.
	found := map[int]int{} // message number -> index in msgs
	for _, l := range list {
		rc, err := c.Top(ctx, l.Number, 0)
		head := readAll(t, rc, err)
		for i, m := range msgs {
			subject, _, _ := strings.Cut(m, "\r\n")
			if strings.Contains(head, subject+"\r\n") {
				found[l.Number] = i
				if header := m[:strings.Index(m, "\r\n\r\n")+4]; head != header {
					t.Errorf("TOP %d 0 = %q, want %q", l.Number, head, header)
				}
			}
		}
	}
	if len(found) != len(msgs) {
		t.Fatalf("found %d of our %d messages: %v", len(found), len(msgs), found)
	}
	var ours []int
	for n, i := range found {
		ours = append(ours, n)
		rc, err := c.Retrieve(ctx, n)
		got := readAll(t, rc, err)
		if got != msgs[i] {
			t.Errorf("RETR %d: %d octets differ from the %d appended", n, len(got), len(msgs[i]))
		}
		if l, err := c.ListMessage(ctx, n); err != nil || l.Size != int64(len(got)) {
			t.Errorf("LIST %d = %v, %v; RETR sent %d octets", n, l, err, len(got))
		}
		if u, err := c.UIDLMessage(ctx, n); err != nil || u != uidl[n-1] {
			t.Errorf("UIDL %d = %v, %v; the listing said %v", n, u, err, uidl[n-1])
		}
		if i == 1 {
			rc, err := c.Top(ctx, n, 2)
			if got := readAll(t, rc, err); !strings.HasSuffix(got, "\r\n\r\nline 1\r\nline 2\r\n") {
				t.Errorf("TOP %d 2 = %q", n, got)
			}
		}
	}
	slices.Sort(ours)
	if _, err := c.Retrieve(ctx, count+1); err == nil {
		t.Error("RETR of a message that does not exist succeeded")
	}

	// DELE, RSET, DELE, then check from another session (AUTH PLAIN).
	for _, n := range ours {
		if err := c.Delete(ctx, n); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Reset(ctx); err != nil {
		t.Fatal(err)
	}
	if n, _, err := c.Stat(ctx); err != nil || n != count {
		t.Fatalf("STAT after RSET = %d, %v; want %d", n, err, count)
	}
	for _, n := range ours {
		if err := c.Delete(ctx, n); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Noop(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.Quit(ctx); err != nil {
		t.Fatalf("Quit: %v", err)
	}

	c = dialDovecot(t, popAddr, tlsConfig)
	if err := c.Auth(ctx, sasl.NewPlainClient("", user, pass)); err != nil {
		t.Fatalf("AUTH PLAIN: %v", err)
	}
	after, err := c.UIDL(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range ours {
		for _, u := range after {
			if u.UID == uidl[n-1].UID {
				t.Errorf("message %s is still there after DELE and QUIT", u.UID)
			}
		}
	}
	if err := c.Quit(ctx); err != nil {
		t.Fatal(err)
	}

	c = dialDovecot(t, popAddr, tlsConfig)
	switch err := c.APOP(ctx, user, "wrong"+pass); {
	case errors.Is(err, errors.ErrUnsupported):
		t.Logf("APOP not tried: %v", err)
	case !errors.Is(err, pop3.ErrAuthFailed):
		t.Errorf("APOP with a wrong secret: %v, want ErrAuthFailed", err)
	default:
		if err := c.APOP(ctx, user, pass); err != nil {
			t.Fatalf("APOP: %v", err)
		}
		t.Log("APOP: logged in")
	}
	if err := c.Quit(ctx); err != nil {
		t.Fatal(err)
	}
}

// dialDovecot connects, asks for the capabilities and starts TLS when
// the server offers STLS and the test has its CA.
func dialDovecot(t *testing.T, addr string, tlsConfig *tls.Config) *pop3.Client {
	t.Helper()
	ctx := context.Background()
	c := dialClient(t, addr)
	caps, err := c.Capabilities(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, kw := range []string{"TOP", "UIDL", "RESP-CODES", "AUTH-RESP-CODE"} {
		if _, ok := caps[kw]; !ok {
			t.Errorf("Dovecot's CAPA lacks %s: %v", kw, caps)
		}
	}
	_, stls := caps["STLS"]
	switch {
	case stls && tlsConfig != nil:
		if err := c.StartTLS(ctx, tlsConfig); err != nil {
			t.Fatalf("STLS: %v", err)
		}
		t.Log("STLS: TLS started")
	case stls:
		t.Log("STLS offered, not tried: set MAILWRIGHT_DOVECOT_CA")
	default:
		t.Log("STLS not offered")
	}
	return c
}

// appendIMAP puts msgs into user's INBOX with IMAP APPEND.
func appendIMAP(t *testing.T, addr, user, pass string, msgs []string) {
	t.Helper()
	c, err := imapclient.DialInsecure(addr, nil)
	if err != nil {
		t.Fatalf("IMAP: %v", err)
	}
	defer c.Close()
	if err := c.Login(user, pass).Wait(); err != nil {
		t.Fatalf("IMAP LOGIN: %v", err)
	}
	for _, m := range msgs {
		cmd := c.Append("INBOX", int64(len(m)), nil)
		if _, err := cmd.Write([]byte(m)); err != nil {
			t.Fatal(err)
		}
		if err := cmd.Close(); err != nil {
			t.Fatal(err)
		}
		if _, err := cmd.Wait(); err != nil {
			t.Fatalf("IMAP APPEND: %v", err)
		}
	}
	if err := c.Logout().Wait(); err != nil {
		t.Fatalf("IMAP LOGOUT: %v", err)
	}
}
