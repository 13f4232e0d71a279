package arc

import (
	"bytes"
	"context"
	"testing"

	"github.com/mailwright/mailwright/delivery/authres"
)

// BenchmarkVerify: a two-set chain (RSA-2048 seals), keys in the
// resolver: what validating a forwarded message costs.
func BenchmarkVerify(b *testing.B) {
	z := world(b)
	one := hop(b, z, listSealer(), "mx.lists.example.net", original, listFooter)
	raw := []byte(hop(b, z, relaySealer(), "mx.relay.example.com", one, nil))
	v := &Verifier{Resolver: z}
	r := bytes.NewReader(raw)
	b.ReportAllocs()
	for b.Loop() {
		r.Reset(raw)
		if res, err := v.Verify(context.Background(), r); err != nil || res.CV != Pass {
			b.Fatal(err, res)
		}
	}
}

// BenchmarkSeal: sealing a message that already has one set.
func BenchmarkSeal(b *testing.B) {
	z := world(b)
	raw := []byte(hop(b, z, listSealer(), "mx.lists.example.net", original, listFooter))
	results := &authres.Header{AuthServID: "mx.relay.example.com", Results: []authres.MethodResult{{Method: "arc", Result: "pass"}}}
	s := relaySealer()
	r := bytes.NewReader(raw)
	b.ReportAllocs()
	for b.Loop() {
		r.Reset(raw)
		if _, err := s.Seal(r, results, Pass); err != nil {
			b.Fatal(err)
		}
	}
}
