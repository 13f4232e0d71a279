package delivery

import (
	"context"
	"errors"
	"io"
	"net"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mailwright/mailwright/queue"
	"github.com/mailwright/mailwright/smtp"
)

// lmtpStore starts an Agent-backed LMTP server on a Unix socket: the
// "other store" that LMTP delivers into. broken@ fails at delivery.
func lmtpStore(t *testing.T) (*Agent, *LMTP) {
	t.Helper()
	b := testAgent(t)
	b.Hostname = "store.example.org"
	b.Accounts = brokenAccounts{b.Accounts}
	sock := filepath.Join(t.TempDir(), "lmtp.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	s := &smtp.Server{Domain: "store.example.org", Backend: b, LMTP: true, Logger: discardLogger()}
	done := make(chan struct{})
	go func() { s.Serve(l); close(done) }()
	t.Cleanup(func() { s.Close(); <-done })
	return b, &LMTP{Network: "unix", Addr: sock, LocalName: "mx.example.org"}
}

// TestAgentWithLMTP: an Agent whose local mail goes over LMTP to another
// store; that store adds Return-Path and its own Received above ours.
func TestAgentWithLMTP(t *testing.T) {
	store, lmtp := lmtpStore(t)
	a := testAgent(t)
	a.Store, a.Local = nil, lmtp
	c, err := smtp.Dial(serve(t, a))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.LocalName = "client.test"
	msg := "Subject: via lmtp\r\n\r\nHello.\r\n"
	for _, rcpts := range [][]string{{"alice@example.org"}, {"alice@example.org", "bob@example.net"}} {
		if err := c.SendMail(t.Context(), "x@elsewhere.test", rcpts, strings.NewReader(msg)); err != nil {
			t.Fatalf("to %v: %v", rcpts, err)
		}
	}
	alice, bob := inbox(t, store.Store, "alice"), inbox(t, store.Store, "bob")
	if len(alice) != 2 || len(bob) != 1 {
		t.Fatalf("alice has %d messages, bob %d", len(alice), len(bob))
	}
	f := headerFields(alice[0])
	if f[0] != "Return-Path: <x@elsewhere.test>" ||
		// A Unix socket has no address for the TCP-info.
		!strings.HasPrefix(f[1], "Received: from mx.example.org by store.example.org (mailwright) with LMTP id ") ||
		!strings.HasPrefix(f[2], "Received: from client.test ([127.0.0.1]) by mx.example.org (mailwright) with ESMTP id ") ||
		strings.Count(alice[0], "Return-Path") != 1 {
		t.Errorf("header: %q", f)
	}
	if !strings.HasSuffix(bob[0], msg) {
		t.Errorf("bob's copy: %q", bob[0])
	}
}

// TestLMTPResults: LMTP gives each recipient its own result, as
// LocalDeliverer and as queue.Deliverer.
func TestLMTPResults(t *testing.T) {
	store, lmtp := lmtpStore(t)
	ctx := context.Background()
	msg := "Subject: x\r\n\r\nx\r\n"
	errs := lmtp.DeliverLocal(ctx, "x@elsewhere.test", []string{"alice@example.org", "broken@example.org", "bob@example.org"}, strings.NewReader(msg))
	var se *smtp.Error
	if len(errs) != 3 || errs[0] != nil || errs[2] != nil || !errors.As(errs[1], &se) || se.Code != 451 {
		t.Errorf("DeliverLocal: %v", errs)
	}
	d := queue.NewDelivery("q1", "x@elsewhere.test", "example.org",
		[]queue.Recipient{{Address: "alice@example.org"}, {Address: "ghost@example.org"}}, int64(len(msg)),
		func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(msg)), nil })
	res := lmtp.Deliver(ctx, d)
	if len(res) != 2 || res[0].Status != queue.StatusDelivered || res[1].Status != queue.StatusPermanent || res[1].EnhancedCode != "5.1.1" {
		t.Errorf("Deliver: %+v", res)
	}
	if n := len(inbox(t, store.Store, "alice")); n != 2 {
		t.Errorf("alice has %d messages, want 2", n)
	}
	bad := &LMTP{Network: "unix", Addr: filepath.Join(t.TempDir(), "none.sock")}
	if res := bad.Deliver(ctx, d); len(res) != 1 || res[0].Status != queue.StatusTemporary {
		t.Errorf("no server: %+v", res)
	}
	if errs := bad.DeliverLocal(ctx, "", []string{"a@b"}, strings.NewReader(msg)); len(errs) != 1 || errs[0] == nil {
		t.Errorf("no server: %v", errs)
	}
}
