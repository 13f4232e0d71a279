package smtp

import (
	"crypto/tls"
	"errors"
	"strings"
	"testing"
)

// TestRequireTLSServer: REQUIRETLS (RFC 8689) is advertised and accepted
// only on a TLS session, and reaches the backend.
func TestRequireTLSServer(t *testing.T) {
	cert, pool, _ := testCertificate(t)
	b := &testBackend{}
	addr := startServer(t, &Server{Backend: b, TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}}, EnableRequireTLS: true, DisableChunking: true})
	conn := dial(t, addr)
	transcript(t, conn, `
		S: 220 *
		C: EHLO client.test
		S: 250-*
		S: 250-PIPELINING
		S: 250-8BITMIME
		S: 250-ENHANCEDSTATUSCODES
		S: 250-SIZE 33554432
		S: 250-SMTPUTF8
		S: 250 STARTTLS
		C: MAIL FROM:<a@example.org> REQUIRETLS
		S: 555 5.5.4 Parameter not recognized or not implemented
		C: STARTTLS
		S: 220 2.0.0 Ready to start TLS`)
	tc := tls.Client(conn, &tls.Config{RootCAs: pool, ServerName: "localhost"})
	if err := tc.Handshake(); err != nil {
		t.Fatal(err)
	}
	transcript(t, tc, `
		C: EHLO client.test
		S: 250-*
		S: 250-PIPELINING
		S: 250-8BITMIME
		S: 250-ENHANCEDSTATUSCODES
		S: 250-SIZE 33554432
		S: 250-SMTPUTF8
		S: 250 REQUIRETLS
		C: MAIL FROM:<a@example.org> REQUIRETLS=YES
		S: 555 5.5.4 Parameter not recognized or not implemented
		C: MAIL FROM:<a@example.org> requiretls
		S: 250 2.1.0 Sender OK
		C: RCPT TO:<b@example.org>
		S: 250 2.1.5 Recipient OK
		C: DATA
		S: 354 *
		C: Subject: x
		C:
		C: body
		C: .
		S: 250 2.0.0 *`)
	msgs := b.Messages()
	if len(msgs) != 1 || !msgs[0].MailOpts.RequireTLS {
		t.Fatalf("backend got %+v, want one message with RequireTLS", msgs)
	}
}

// TestRequireTLSServerDisabled: without EnableRequireTLS, not even TLS
// sessions offer it.
func TestRequireTLSServerDisabled(t *testing.T) {
	cert, pool, _ := testCertificate(t)
	addr := startServer(t, &Server{Backend: &testBackend{}, TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}}})
	c, err := Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.StartTLS(t.Context(), &tls.Config{RootCAs: pool, ServerName: "localhost"}); err != nil {
		t.Fatal(err)
	}
	if ok, _ := c.Extension("REQUIRETLS"); ok {
		t.Error("REQUIRETLS advertised without EnableRequireTLS")
	}
	err = c.Mail(t.Context(), "a@example.org", &MailOptions{RequireTLS: true})
	var missing *MissingExtensionError
	if !errors.As(err, &missing) || missing.Extension != "REQUIRETLS" {
		t.Errorf("Mail with RequireTLS = %v, want a MissingExtensionError", err)
	}
}

// TestRequireTLSClient: the client sends REQUIRETLS only over TLS to a
// server that offers it, and refuses to send otherwise.
func TestRequireTLSClient(t *testing.T) {
	cert, pool, _ := testCertificate(t)
	b := &testBackend{}
	addr := startServer(t, &Server{Backend: b, TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}}, EnableRequireTLS: true})
	c, err := Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := t.Context()
	err = c.Mail(ctx, "a@example.org", &MailOptions{RequireTLS: true})
	var missing *MissingExtensionError
	if !errors.As(err, &missing) || missing.Extension != "REQUIRETLS" {
		t.Fatalf("Mail with RequireTLS in plaintext = %v, want a MissingExtensionError", err)
	}
	if err := c.StartTLS(ctx, &tls.Config{RootCAs: pool, ServerName: "localhost"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Send(ctx, "a@example.org", &MailOptions{RequireTLS: true}, []Recipient{{Address: "b@example.org"}}, strings.NewReader("Subject: x\r\n\r\nbody\r\n")); err != nil {
		t.Fatal(err)
	}
	if msgs := b.Messages(); len(msgs) != 1 || !msgs[0].MailOpts.RequireTLS {
		t.Fatalf("backend got %+v", msgs)
	}
}
