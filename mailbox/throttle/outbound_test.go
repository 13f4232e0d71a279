package throttle

import (
	"testing"
	"time"
)

// A burst of PerDomain attempts goes at once, then one every
// Interval/PerDomain; another domain, or one with its own rate, is paced
// apart.
func TestOutbound(t *testing.T) {
	o := &Outbound{PerDomain: 3, Interval: time.Minute, Domains: map[string]int{"unlimited.example": -1, "slow.example": 1}}
	t0 := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	for i := range 3 {
		if w := o.Wait("Example.ORG", t0); w != 0 {
			t.Fatalf("attempt %d of the burst waits %v", i+1, w)
		}
	}
	if w := o.Wait("example.org", t0); w != 20*time.Second {
		t.Errorf("4th attempt waits %v, want 20s", w)
	}
	if w := o.Wait("example.org", t0.Add(20*time.Second)); w != 0 {
		t.Errorf("after the wait: %v", w)
	}
	if w := o.Wait("example.org", t0.Add(30*time.Second)); w != 10*time.Second {
		t.Errorf("the next slot is at 40s, but it waits %v", w)
	}
	if w := o.Wait("example.net", t0); w != 0 {
		t.Errorf("another domain waits %v", w)
	}
	for range 100 {
		if w := o.Wait("unlimited.example", t0); w != 0 {
			t.Fatalf("an unlimited domain waits %v", w)
		}
	}
	o.Wait("slow.example", t0)
	if w := o.Wait("slow.example", t0); w != time.Minute {
		t.Errorf("slow.example (1 a minute) waits %v", w)
	}
	// Idle long enough, a domain has its whole burst again.
	later := t0.Add(time.Hour)
	for i := range 3 {
		if w := o.Wait("example.org", later); w != 0 {
			t.Fatalf("an hour later, attempt %d waits %v", i+1, w)
		}
	}
}
