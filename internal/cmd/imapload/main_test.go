package main

import (
	"context"
	"testing"
	"time"

	"github.com/mailwright/mailwright/imap/imaptest"
)

func loadServer(t *testing.T) *imaptest.Server {
	t.Helper()
	s := imaptest.NewUnstartedServer(t)
	s.AutoCreateUsers = false
	if err := s.AddUser("bench", "pass"); err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	return s
}

// TestRunMix runs the load for one second and checks that every kind of
// operation completed without a failed command.
func TestRunMix(t *testing.T) {
	s := loadServer(t)
	res, err := run(context.Background(), config{
		Addr: s.Addr, User: "bench", Pass: "pass", Clients: 4,
		Duration: time.Second, Mailbox: "INBOX", Fill: 20, Ops: 200000,
	})
	if err != nil {
		t.Fatalf("run: %v\n%v", err, res)
	}
	t.Log(res)
	if res.Errors != 0 {
		t.Errorf("errors = %d, first %q", res.Errors, res.FirstError)
	}
	for _, m := range mix {
		if res.PerKind[m.kind] == 0 {
			t.Errorf("no %s operation completed", m.kind)
		}
	}
	var sum int64
	for _, n := range res.PerKind {
		sum += n
	}
	if sum != res.Ops || res.Ops == 0 {
		t.Errorf("ops = %d, sum of kinds = %d", res.Ops, sum)
	}
}

// TestRunOpsBound checks that -ops stops the run at exactly that many
// operations (counting the NO answers), and that the fill and the clean-up leave the fill behind.
func TestRunOpsBound(t *testing.T) {
	s := loadServer(t)
	cfg := config{
		Addr: s.Addr, User: "bench", Pass: "pass", Clients: 3,
		Duration: 10 * time.Second, Mailbox: "INBOX", Fill: 7, Ops: 60,
	}
	res, err := run(context.Background(), cfg)
	if err != nil {
		t.Fatalf("run: %v\n%v", err, res)
	}
	// A NO for a concurrently expunged message uses up a ticket.
	if res.Ops+res.NO != 60 || res.Errors != 0 {
		t.Errorf("ops = %d, NO = %d, errors = %d; want ops+NO = 60 and no errors", res.Ops, res.NO, res.Errors)
	}
	c, err := dial(cfg, time.Now().Add(10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer c.close()
	if c.exists != 7 {
		t.Errorf("mailbox holds %d messages after the run, want the 7 of the fill", c.exists)
	}
}

// TestRunBadPassword fails at setup.
func TestRunBadPassword(t *testing.T) {
	s := loadServer(t)
	_, err := run(context.Background(), config{
		Addr: s.Addr, User: "bench", Pass: "wrong", Clients: 1,
		Duration: time.Second, Mailbox: "INBOX", Fill: 1,
	})
	if err == nil {
		t.Fatal("run with a wrong password succeeded")
	}
}

func TestLiteralSize(t *testing.T) {
	for _, tc := range []struct {
		line string
		n    int64
		ok   bool
	}{
		{"* 1 FETCH (BODY[] {123}", 123, true},
		{"* 1 FETCH (BODY[] {12+}", 12, true},
		{"* OK done", 0, false},
		{"* OK {x}", 0, false},
		{"}", 0, false},
	} {
		n, ok := literalSize(tc.line)
		if n != tc.n || ok != tc.ok {
			t.Errorf("literalSize(%q) = %d, %v; want %d, %v", tc.line, n, ok, tc.n, tc.ok)
		}
	}
}
