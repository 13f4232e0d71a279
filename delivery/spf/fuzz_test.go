package spf

import (
	"context"
	"net/netip"
	"testing"
	"time"
)

func FuzzParse(f *testing.F) {
	for _, c := range caseZone {
		if i := len(`x. TXT "`); len(c) > i {
			f.Add(c)
		}
	}
	for _, s := range []string{
		"v=spf1 -all", "v=spf1 a/24//64 mx:%{d}/16 ptr ip4:192.0.2.0/24 ip6:::1 exists:%{ir}.%{l1r-}.x.example include:a.example redirect=b.example exp=%{d}",
		"v=spf1 exists:%{i}.%{s1}.100/86400.rate.%{d}", "v=spf1 foo=%{L+-=}%%%_%-", "v=spf1 a:%{d999r.}",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, record string) {
		r, err := Parse(record)
		if err != nil {
			return
		}
		for _, d := range r.Directives {
			if d.Bits4 < 0 || d.Bits4 > 32 || d.Bits6 < 0 || d.Bits6 > 128 {
				t.Fatalf("%q: CIDR lengths %d %d", record, d.Bits4, d.Bits6)
			}
		}
	})
}

func FuzzMacroString(f *testing.F) {
	for _, s := range []string{"%{ir}.%{v}._spf.%{d2}", "%{L1r-+}%%%_%-", "%{p}.%{t}.%{c}.%{r}", "%{s999}", "%{h}", "%"} {
		f.Add(s, true)
	}
	ch := &check{Checker: &Checker{}, resolver: stubResolver{}, ip: netip.MustParseAddr("2001:db8::1"), local: "a-b+c", senderDomain: "x.example", helo: "h.example", voidLimit: 2}
	f.Fuzz(func(t *testing.T, s string, explanation bool) {
		m, err := parseMacroString(s, explanation)
		if err != nil {
			return
		}
		out, err := m.expand(macroContext{context.Background(), ch, "d.example"})
		if err == nil && len(out) > 16*len(s)+1024 {
			t.Fatalf("%q expands to %d octets", s, len(out))
		}
	})
}

// FuzzCheck evaluates any record against a DNS where every name has it,
// so includes and redirects recurse until the limits stop them.
func FuzzCheck(f *testing.F) {
	f.Add("v=spf1 include:a.example -all")
	f.Add("v=spf1 redirect=%{d}")
	f.Add("v=spf1 mx ptr a exists:%{p}.x.example ~all exp=%{l}.example")
	f.Fuzz(func(t *testing.T, record string) {
		c := &Checker{Resolver: stubResolver{txt: record}, Timeout: time.Second}
		v := c.CheckMailFrom(context.Background(), netip.MustParseAddr("192.0.2.1"), "u@a.example", "h.example")
		if v.Lookups > maxLookups+1 || v.VoidLookups > defaultVoidLookups+1 {
			t.Fatalf("%q: %d lookups, %d void", record, v.Lookups, v.VoidLookups)
		}
	})
}

// stubResolver answers every name with the same records.
type stubResolver struct{ txt string }

func (s stubResolver) LookupTXT(context.Context, string) ([]string, error) {
	if s.txt == "" {
		return nil, ErrNoSuchDomain
	}
	return []string{s.txt}, nil
}
func (stubResolver) LookupA(context.Context, string) ([]netip.Addr, error) {
	return []netip.Addr{netip.MustParseAddr("198.51.100.1")}, nil
}
func (stubResolver) LookupAAAA(context.Context, string) ([]netip.Addr, error) { return nil, nil }
func (stubResolver) LookupMX(context.Context, string) ([]string, error) {
	return []string{"mx.example"}, nil
}
func (stubResolver) LookupPTR(context.Context, netip.Addr) ([]string, error) {
	return []string{"ptr.example"}, nil
}
