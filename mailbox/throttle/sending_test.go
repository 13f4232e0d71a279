package throttle

import (
	"errors"
	"testing"
	"time"
)

// A sender over its limit is refused until its window ends; the next
// window accepts again. Accounts and networks are counted apart.
func TestSendingWindow(t *testing.T) {
	clk := newFakeClock()
	s := &Sending{AccountMessages: 3, AccountRecipients: 5, IPMessages: 2, Window: time.Hour, Now: clk.Now}
	ip := addr("192.0.2.7")
	for i := range 3 {
		if err := s.AllowMessage(ctx, ip, "alice"); err != nil {
			t.Fatalf("message %d: %v", i+1, err)
		}
	}
	var le *LimitError
	err := s.AllowMessage(ctx, ip, "alice")
	if !errors.As(err, &le) || le.What != "messages" || !le.Account || !le.Retry.Equal(clk.Now().Add(time.Hour)) {
		t.Fatalf("4th message: %v, want a LimitError for the account's messages", err)
	}
	if got, want := err.Error(), "Too many messages from your account; try again after 13:00 UTC"; got != want {
		t.Errorf("text %q, want %q", got, want)
	}
	if err := s.AllowMessage(ctx, ip, "bob"); err != nil {
		t.Errorf("another account from the same address: %v", err)
	}
	if err := s.AllowMessage(ctx, ip, ""); err != nil {
		t.Errorf("the address without an account: %v", err)
	}
	for i := range 5 {
		if err := s.AllowRecipient(ctx, ip, "alice"); err != nil {
			t.Fatalf("recipient %d: %v", i+1, err)
		}
	}
	if err := s.AllowRecipient(ctx, ip, "ALICE"); !errors.As(err, &le) || le.What != "recipients" {
		t.Errorf("6th recipient: %v", err)
	}
	clk.Advance(time.Hour - time.Second)
	if s.AllowMessage(ctx, ip, "alice") == nil {
		t.Error("accepted before the window ended")
	}
	clk.Advance(time.Second)
	if err := s.AllowMessage(ctx, ip, "alice"); err != nil {
		t.Errorf("next window: %v", err)
	}
	if err := s.AllowRecipient(ctx, ip, "alice"); err != nil {
		t.Errorf("next window, recipient: %v", err)
	}
}

// Negative limits turn a count off; unauthenticated senders count by
// network, an IPv6 /64 as one.
func TestSendingNetworks(t *testing.T) {
	s := &Sending{IPMessages: 1, IPRecipients: -1}
	if err := s.AllowMessage(ctx, addr("2001:db8::1"), ""); err != nil {
		t.Fatal(err)
	}
	var le *LimitError
	if err := s.AllowMessage(ctx, addr("2001:db8::2"), ""); !errors.As(err, &le) || le.Account {
		t.Errorf("second message from the /64: %v", err)
	}
	if err := s.AllowMessage(ctx, addr("2001:db8:0:1::2"), ""); err != nil {
		t.Errorf("another /64: %v", err)
	}
	for range 100 {
		if err := s.AllowRecipient(ctx, addr("2001:db8::1"), ""); err != nil {
			t.Fatalf("no recipient limit: %v", err)
		}
	}
}
