package main

import (
	"context"
	"log/slog"
	"net"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/mailwright/mailwright/mailbox"
	"github.com/mailwright/mailwright/smtp"
)

// testCatcher is a catcher as the program runs it: SMTP on a loopback
// port, and its HTTP handler on another.
type testCatcher struct {
	c    *Catcher
	smtp string // SMTP address
	web  *httptest.Server
}

func newTestCatcher(t testing.TB) *testCatcher {
	t.Helper()
	store := mailbox.NewMemoryStore()
	t.Cleanup(func() { store.Close() })
	c := &Catcher{Store: store}
	tlsConfig, err := serverTLS("", "", []string{"127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	srv := &smtp.Server{Domain: "mailcatcher.localhost", Backend: c, TLSConfig: tlsConfig, AllowInsecureAuth: true,
		Logger: slog.New(slog.DiscardHandler)}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	c.SMTPAddr = l.Addr().String()
	web := httptest.NewServer(c.Handler())
	t.Cleanup(web.Close)
	t.Cleanup(c.Close) // before web.Close: event streams end first
	return &testCatcher{c: c, smtp: c.SMTPAddr, web: web}
}

// send sends one message over SMTP with mailwright's client.
func (tc *testCatcher) send(from string, to []string, msg string) error {
	cl, err := smtp.Dial(tc.smtp)
	if err != nil {
		return err
	}
	defer cl.Close()
	ctx := context.Background()
	if err := cl.SendMail(ctx, from, to, strings.NewReader(msg)); err != nil {
		return err
	}
	return cl.Quit(ctx)
}

// mustSend sends and fails the test on an error.
func (tc *testCatcher) mustSend(t testing.TB, from string, to []string, msg string) {
	t.Helper()
	if err := tc.send(from, to, msg); err != nil {
		t.Fatalf("sending: %v", err)
	}
}

// newest returns the newest message whose subject starts with prefix,
// waiting for it.
func (tc *testCatcher) newest(t testing.TB, prefix string) *entry {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		l, err := tc.c.list(ctx, query{}, true, 0, 0)
		if err != nil {
			t.Fatalf("no message %q: %v", prefix, err)
		}
		for _, it := range l.Items {
			if strings.HasPrefix(it.Subject, prefix) {
				return it.entry
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("no message %q", prefix)
		case <-time.After(20 * time.Millisecond):
		}
	}
}
