package imap_test

import (
	"bufio"
	"crypto/tls"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/mailwright/mailwright/imap"
	"github.com/mailwright/mailwright/mailbox"
)

// TestServeTLS serves IMAP over implicit TLS (port 993 style) and logs in
// without STARTTLS; passwords are accepted since the connection is
// encrypted (AllowInsecureAuth off).
func TestServeTLS(t *testing.T) {
	serverTLS, clientTLS := testCert(t)
	accts := mailbox.NewMemoryAccounts()
	accts.Cost = 4
	accts.Add("alice", "secret")
	srv := &imap.Server{Backend: mailbox.NewIMAPBackend(mailbox.NewMemoryStore(), accts), TLSConfig: serverTLS}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.ServeTLS(l, "", "") }()
	defer func() {
		srv.Close()
		if err := <-done; !errors.Is(err, imap.ErrServerClosed) {
			t.Errorf("ServeTLS returned %v", err)
		}
	}()
	nc, err := tls.Dial("tcp", l.Addr().String(), clientTLS)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	c := &client{t: t, conn: nc, r: bufio.NewReader(nc)}
	c.expect("* OK [CAPABILITY *] IMAP server ready")
	c.run(`
C: a CAPABILITY
S: * CAPABILITY {*} AUTH=PLAIN {*}
S: a OK {*}
C: b LOGIN alice secret
S: b OK [CAPABILITY *] Logged in`)

	// ServeTLS without any certificate is refused at once.
	bare := &imap.Server{Backend: srv.Backend}
	l2, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := bare.ServeTLS(l2, "", ""); err == nil {
		t.Fatal("ServeTLS without a certificate succeeded")
	}
}

// TestGlobalConnectionCap refuses the connection over MaxConnections with
// BYE and serves again once a slot is free.
func TestGlobalConnectionCap(t *testing.T) {
	ts := startServer(t, func(s *imap.Server) { s.MaxConnections = 1 })
	first := ts.dial(t)
	nc, err := net.Dial("tcp", ts.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	second := &client{t: t, conn: nc, r: bufio.NewReader(nc)}
	second.expect("* BYE [UNAVAILABLE] Too many connections, try again later")
	second.expectClosed()
	first.run(`
C: z LOGOUT
S: * BYE {*}
S: z OK {*}`)
	deadline := time.Now().Add(5 * time.Second)
	for {
		nc, err := net.Dial("tcp", ts.addr)
		if err != nil {
			t.Fatal(err)
		}
		nc.SetReadDeadline(time.Now().Add(5 * time.Second))
		line, _ := bufio.NewReader(nc).ReadString('\n')
		nc.Close()
		if len(line) > 4 && line[:4] == "* OK" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("slot not freed: %q", line)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
