package mtasts

import (
	"slices"
	"testing"
)

// FuzzParsePolicy checks that any body parses or fails without panicking,
// and that a parsed policy formats to one that parses the same.
func FuzzParsePolicy(f *testing.F) {
	for _, s := range []string{
		"version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nmx: *.example.net\r\nmax_age: 604800\r\n",
		"version: STSv1\nmode: none\nmax_age: 0",
		"version: STSv1\nmode: testing\nmx: a\nmax_age: 31557600\nextension: x\n",
		"mode:\n:\n\n\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		p, err := ParsePolicy(body)
		if err != nil {
			return
		}
		back, err := ParsePolicy([]byte(p.String()))
		if err != nil {
			t.Fatalf("formatted policy %q does not parse: %v", p.String(), err)
		}
		if back.Mode != p.Mode || back.MaxAge != p.MaxAge || !slices.Equal(back.MX, p.MX) {
			t.Fatalf("round trip: %+v != %+v", back, p)
		}
		for _, mx := range p.MX {
			p.Match(mx)
		}
	})
}

// FuzzParseRecord checks the _mta-sts record parser.
func FuzzParseRecord(f *testing.F) {
	for _, s := range []string{"v=STSv1; id=20160831085700Z;", "v=STSv1;id=1;;", "v=STSv1; id=a; x=y=z", "v="} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRecord(s)
		if err == nil && (r.ID == "" || len(r.ID) > 32) {
			t.Fatalf("bad id %q accepted", r.ID)
		}
	})
}
