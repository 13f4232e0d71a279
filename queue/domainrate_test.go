package queue

import (
	"testing"
	"testing/synctest"
	"time"
)

// DomainRate spaces the attempts at a domain: those it postpones start
// when it says, as first attempts (no failure counted), while another
// domain is not held up.
func TestDomainRate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var last time.Time
		pace := func(d string, now time.Time) time.Duration {
			if d != "slow.example" {
				return 0
			}
			if since := now.Sub(last); !last.IsZero() && since < 10*time.Minute {
				return 10*time.Minute - since
			}
			last = now
			return 0
		}
		te := newTestEnv(t, func(o *Options) { o.DomainRate = pace })
		for range 3 {
			te.enqueue(Envelope{From: "alice@sender.example", Recipients: []Recipient{{Address: "u@slow.example"}}}, basicBody)
		}
		te.enqueue(Envelope{From: "alice@sender.example", Recipients: []Recipient{{Address: "u@fast.example"}}}, basicBody)
		te.runUntil(t0.Add(25 * time.Minute))
		var slow []time.Duration
		for _, c := range te.d.allCalls() {
			if c.attempt != 1 {
				t.Errorf("attempt %d at %s: a postponed attempt counted as a retry", c.attempt, c.domain)
			}
			switch c.domain {
			case "slow.example":
				slow = append(slow, c.at.Sub(t0))
			case "fast.example":
				if !c.at.Equal(t0) {
					t.Errorf("fast.example delivered at %v, want at once", c.at.Sub(t0))
				}
			}
		}
		want := []time.Duration{0, 10 * time.Minute, 20 * time.Minute}
		if len(slow) != len(want) {
			t.Fatalf("slow.example attempts at %v, want %v", slow, want)
		}
		for i := range want {
			if slow[i] != want[i] {
				t.Errorf("slow.example attempts at %v, want %v", slow, want)
				break
			}
		}
	})
}
