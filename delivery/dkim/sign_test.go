package dkim

import (
	"strings"
	"testing"
)

func TestSignVerifyRoundTrip(t *testing.T) {
	s, v, _ := testWorld(t)
	msg := signed(t, s, testMessage)
	res := verify(t, v, msg)
	if got := statuses(res); got != "pass pass" {
		t.Fatalf("statuses %q: %+v", got, res)
	}
	sig := res[0].Signature
	for _, name := range []string{"from", "subject", "date", "to", "message-id"} {
		if n := countOf(sig.Headers, name); n != 2 {
			t.Errorf("%s signed %d times, want 2 (oversigned)", name, n)
		}
	}
}

func countOf(list []string, s string) int {
	n := 0
	for _, x := range list {
		if strings.EqualFold(x, s) {
			n++
		}
	}
	return n
}
