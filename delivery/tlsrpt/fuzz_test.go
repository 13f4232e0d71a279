package tlsrpt

import (
	"strings"
	"testing"
)

// FuzzParseRecord checks the TLSRPT record parser: no panic, and every
// address kept is a single line.
func FuzzParseRecord(f *testing.F) {
	for _, s := range []string{
		"v=TLSRPTv1; rua=mailto:reports@example.com",
		"v=TLSRPTv1;rua=mailto:a@example.com,https://r.example.com/v1;",
		"v=TLSRPTv1; rua=mailto:%61@b; x=y",
		"v=TLSRPTv1; rua=,,",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRecord(s)
		if err != nil {
			return
		}
		if len(r.Mailto)+len(r.HTTPS) == 0 || len(r.Mailto)+len(r.HTTPS) > maxRUA {
			t.Fatalf("%d URIs", len(r.Mailto)+len(r.HTTPS))
		}
		for _, a := range append(r.Mailto, r.HTTPS...) {
			if strings.ContainsAny(a, "\r\n") {
				t.Fatalf("line break in %q", a)
			}
		}
	})
}
