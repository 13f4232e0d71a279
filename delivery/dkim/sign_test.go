package dkim

import (
	"context"
	"errors"
	"io"
	"runtime"
	"strings"
	"testing"
	"time"
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

func TestSignerDomains(t *testing.T) {
	s, v, _ := testWorld(t)
	// Mail from a subdomain is signed as the closest parent with keys (DMARC
	// relaxed alignment accepts it).
	sub := strings.Replace(testMessage, "alice@example.org", "alice@news.Example.ORG", 1)
	res := verify(t, v, signed(t, s, sub))
	if statuses(res) != "pass pass" || res[0].Domain != "example.org" {
		t.Errorf("subdomain: %q %q", statuses(res), res[0].Domain)
	}
	other := strings.Replace(testMessage, "alice@example.org", "alice@example.com", 1)
	if _, err := s.Sign(strings.NewReader(other)); !errors.Is(err, ErrNoSigningKey) {
		t.Errorf("foreign domain: %v", err)
	}
	// SignAs picks d= regardless of From (a relay signing for itself).
	sigs, err := s.SignAs("EXAMPLE.ORG.", strings.NewReader(other))
	if err != nil {
		t.Fatal(err)
	}
	if res := verify(t, v, string(sigs)+other); statuses(res) != "pass pass" || res[0].Domain != "example.org" {
		t.Errorf("SignAs: %q", statuses(res))
	}
	noFrom := strings.Replace(testMessage, "From:", "X-From:", 1)
	if _, err := s.Sign(strings.NewReader(noFrom)); err == nil {
		t.Error("signed a message without From")
	}
	odd := strings.Replace(testMessage, "From: Alice <alice@example.org>", "From: Ålice (comment <alice@example.org>", 1)
	if res := verify(t, v, signed(t, s, odd)); statuses(res) != "pass pass" {
		t.Errorf("From that net/mail cannot parse: %q", statuses(res))
	}
}

func TestSignerOptions(t *testing.T) {
	s, v, _ := testWorld(t)
	s.Headers = []string{"Subject", "X-Custom"}
	s.Oversign = []string{"X-Custom"}
	s.HeaderCanonicalization, s.BodyCanonicalization = Simple, Relaxed
	s.Expiration = time.Hour
	v.Now = s.Now
	res := verify(t, v, signed(t, s, "X-Custom: 1\r\n"+testMessage))
	if statuses(res) != "pass pass" {
		t.Fatalf("%q %v", statuses(res), res[0].Err)
	}
	sig := res[0].Signature
	if got := strings.Join(sig.Headers, ":"); got != "subject:x-custom:x-custom:from" {
		t.Errorf("h=%s", got)
	}
	if sig.HeaderCanonicalization != Simple || sig.BodyCanonicalization != Relaxed {
		t.Errorf("c=%s/%s", sig.HeaderCanonicalization, sig.BodyCanonicalization)
	}
	if sig.Expiration.Sub(sig.Timestamp) != time.Hour || sig.Timestamp.Unix() != 1700000000 {
		t.Errorf("t=%v x=%v", sig.Timestamp, sig.Expiration)
	}
	// Adding a second X-Custom breaks it (oversigned); a Cc does not (not listed).
	msg := signed(t, s, "X-Custom: 1\r\n"+testMessage)
	if got := statuses(verify(t, v, "X-Custom: 2\r\n"+msg)); got != "fail fail" {
		t.Errorf("oversigned field added: %q", got)
	}
	if got := statuses(verify(t, v, "Cc: eve@example.net\r\n"+msg)); got != "pass pass" {
		t.Errorf("unsigned field added: %q", got)
	}
}

// TestOversignedDefaults: with the default lists, adding a From, Subject
// or To (a spoofer's way round a signature: clients show the top one)
// breaks the signature, and so does adding an absent Reply-To.
func TestOversignedDefaults(t *testing.T) {
	s, v, _ := testWorld(t)
	msg := signed(t, s, testMessage)
	for _, add := range []string{"From: mallory@example.net", "Subject: urgent", "To: x@example.net", "Reply-To: mallory@example.net", "List-Unsubscribe: <http://evil>"} {
		if got := statuses(verify(t, v, add+"\r\n"+msg)); got != "fail fail" {
			t.Errorf("%s added: %q", add, got)
		}
	}
}

// TestStreamingMemory: an 8 MiB message is signed and verified with
// memory bounded by buffers, not by its size (it is generated on the fly
// and never held).
func TestStreamingMemory(t *testing.T) {
	s, v, _ := testWorld(t)
	const size = 8 << 20
	body := func() io.Reader {
		line := strings.Repeat("0123456789 abcdef  \t", 3) + "\r\n"
		return io.LimitReader(&repeatReader{s: line}, size)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	sigs, err := s.Sign(io.MultiReader(strings.NewReader(testMessage), body()))
	if err != nil {
		t.Fatal(err)
	}
	res, err := v.Verify(context.Background(), io.MultiReader(strings.NewReader(string(sigs)+testMessage), body()))
	if err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	if statuses(res) != "pass pass" {
		t.Errorf("%q", statuses(res))
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 1<<20 {
		t.Errorf("signing and verifying %d MiB allocated %d bytes", size>>20, alloc)
	}
}

// repeatReader repeats s forever.
type repeatReader struct {
	s   string
	off int
}

func (r *repeatReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		c := copy(p[n:], r.s[r.off:])
		n += c
		r.off = (r.off + c) % len(r.s)
	}
	return n, nil
}
