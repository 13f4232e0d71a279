package dkim

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/mailwright/mailwright/delivery/internal/authtest"
)

func FuzzParseKeyRecord(f *testing.F) {
	for _, s := range []string{rfc8463Key, rfc8463RSAKey, "v=DKIM1; k=rsa; p=", "v=DKIM1; h=sha256; s=email; t=y:s; p=AAAA", "p=MIGfMA0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k, err := ParseKeyRecord(s)
		if err != nil {
			return
		}
		if k.PublicKey == nil || k.KeyType != "rsa" && k.KeyType != "ed25519" {
			t.Fatalf("%q gave %+v", s, k)
		}
		// What parses formats into a record that parses to the same key.
		back, err := ParseKeyRecord(k.String())
		if err != nil || encodePublicKey(back.PublicKey) != encodePublicKey(k.PublicKey) {
			t.Fatalf("%q: round trip %q: %v", s, k.String(), err)
		}
	})
}

// FuzzVerify runs whole messages through the verifier, with DNS holding
// the RFC 8463 keys: no panic, one result per DKIM-Signature field
// (unless the header is unreadable), and a pass only for a signature
// that really verifies (the seeds' are the RFC's; a fuzzed one can pass
// only by keeping the signed parts intact).
func FuzzVerify(f *testing.F) {
	f.Add(rfc8463Ed25519Sig + rfc8463RSASig + rfc8463Message)
	f.Add(rfc8463Ed25519Sig + alterBody(rfc8463Message))
	f.Add("DKIM-Signature: v=1; a=rsa-sha256; d=x; s=y; h=from; bh=YWJj; b=YWJj; l=3\r\nFrom: a\r\n\r\nabcdef")
	f.Add("DKIM-Signature: garbage\r\n\r\n")
	z := &authtest.Zone{}
	z.Set("brisbane._domainkey.football.example.com", rfc8463Key)
	z.Set("test._domainkey.football.example.com", rfc8463RSAKey)
	v := &Verifier{Resolver: z, MaxHeaderBytes: 16 << 10, Now: func() time.Time { return time.Unix(1700000000, 0) }}
	f.Fuzz(func(t *testing.T, msg string) {
		res, err := v.Verify(context.Background(), strings.NewReader(msg))
		if err != nil {
			return
		}
		for _, r := range res {
			if r.Status == Pass && r.Signature == nil || r.Status != Pass && r.Err == nil {
				t.Fatalf("result %+v", r)
			}
		}
	})
}
