package dkim

import (
	"bytes"
	"context"
	"crypto"
	"fmt"
	"strings"
	"testing"

	"github.com/mailwright/mailwright/delivery/internal/authtest"
)

// benchMessage is a plain-text message of about size bytes: the header of
// a real one and lines of prose.
func benchMessage(size int) string {
	var b strings.Builder
	b.WriteString("From: Alice Example <alice@example.org>\r\nTo: Bob <bob@example.net>\r\n" +
		"Subject: quarterly figures\r\nDate: Tue, 14 Nov 2023 22:13:20 +0000\r\n" +
		"Message-ID: <20231114221320.1234@example.org>\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: text/plain; charset=utf-8\r\n\r\n")
	line := "The quick brown fox jumps over the lazy dog, and  then  some more.\r\n"
	for b.Len() < size {
		b.WriteString(line)
	}
	return b.String()
}

var benchSizes = []struct {
	name string
	size int
}{{"1KB", 1 << 10}, {"100KB", 100 << 10}}

func benchKeys(b *testing.B) []struct {
	name string
	key  crypto.Signer
} {
	testKeys(b)
	return []struct {
		name string
		key  crypto.Signer
	}{{"RSA2048", rsaKey}, {"Ed25519", edKey}}
}

// BenchmarkSign: one signature per message, relaxed/relaxed, the default
// header list.
func BenchmarkSign(b *testing.B) {
	for _, k := range benchKeys(b) {
		for _, sz := range benchSizes {
			b.Run(fmt.Sprintf("%s/%s", k.name, sz.name), func(b *testing.B) {
				s := &Signer{Keys: map[string][]Key{"example.org": {{"sel", k.key}}}}
				msg := benchMessage(sz.size)
				raw := []byte(msg)
				r := bytes.NewReader(raw)
				b.SetBytes(int64(len(msg)))
				b.ReportAllocs()
				for b.Loop() {
					r.Reset(raw)
					if _, err := s.Sign(r); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkVerify: one signature per message, the key record already in
// the resolver (a warm DNS cache): what each inbound message costs.
func BenchmarkVerify(b *testing.B) {
	for _, k := range benchKeys(b) {
		for _, sz := range benchSizes {
			b.Run(fmt.Sprintf("%s/%s", k.name, sz.name), func(b *testing.B) {
				z := &authtest.Zone{}
				publish(b, z, "sel", "example.org", k.key)
				s := &Signer{Keys: map[string][]Key{"example.org": {{"sel", k.key}}}}
				msg := signed(b, s, benchMessage(sz.size))
				v := &Verifier{Resolver: z}
				raw := []byte(msg)
				r := bytes.NewReader(raw)
				ctx := context.Background()
				b.SetBytes(int64(len(msg)))
				b.ReportAllocs()
				for b.Loop() {
					r.Reset(raw)
					res, err := v.Verify(ctx, r)
					if err != nil || res[0].Status != Pass {
						b.Fatal(err, res)
					}
				}
			})
		}
	}
}
