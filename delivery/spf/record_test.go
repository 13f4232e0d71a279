package spf

import (
	"net/netip"
	"testing"
)

func TestParse(t *testing.T) {
	r, err := Parse("v=spf1 +a -mx:mail.%{d}/24//64 ~ptr ?ip4:192.0.2.1/16 ip6:2001:DB8::/32 exists:%{i}.x.example include:_spf.example.com all redirect=r.example exp=e.%{d} other=%{l}")
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		q       Result
		mech    string
		domain  string
		b4, b6  int
		network string
	}{
		{Pass, "a", "", 32, 128, ""},
		{Fail, "mx", "mail.%{d}", 24, 64, ""},
		{SoftFail, "ptr", "", 32, 128, ""},
		{Neutral, "ip4", "", 32, 128, "192.0.0.0/16"},
		{Pass, "ip6", "", 32, 128, "2001:db8::/32"},
		{Pass, "exists", "%{i}.x.example", 32, 128, ""},
		{Pass, "include", "_spf.example.com", 32, 128, ""},
		{Pass, "all", "", 32, 128, ""},
	}
	if len(r.Directives) != len(want) {
		t.Fatalf("%d directives, want %d", len(r.Directives), len(want))
	}
	for i, w := range want {
		d := r.Directives[i]
		var network string
		if d.Network.IsValid() {
			network = d.Network.String()
		}
		if d.Qualifier != w.q || d.Mechanism != w.mech || d.Domain.String() != w.domain || d.Bits4 != w.b4 || d.Bits6 != w.b6 || network != w.network {
			t.Errorf("directive %d = %+v, want %+v", i, d, w)
		}
	}
	if r.Redirect.String() != "r.example" || r.Exp.String() != "e.%{d}" {
		t.Errorf("redirect %q exp %q", r.Redirect, r.Exp)
	}
}

func TestParseErrors(t *testing.T) {
	for _, rec := range []string{
		"v=spf2 -all", "spf1", "v=spf1-all",
		"v=spf1 foo", "v=spf1 -all:x", "v=spf1 all/24", "v=spf1 =a",
		"v=spf1 include", "v=spf1 include:", "v=spf1 exists", "v=spf1 include:x.example/24",
		"v=spf1 a:", "v=spf1 a/33", "v=spf1 a//129", "v=spf1 a/024", "v=spf1 a:localhost", "v=spf1 a:x.123",
		"v=spf1 a:x.-ab", "v=spf1 a:x.ab- ", "v=spf1 mx:x.example//", "v=spf1 ptr/24",
		"v=spf1 ip4", "v=spf1 ip4:", "v=spf1 ip4:192.0.2.256", "v=spf1 ip4:192.0.02.1", "v=spf1 ip4:2001:db8::",
		"v=spf1 ip4:192.0.2.0/33", "v=spf1 ip4:192.0.2.0//32", "v=spf1 ip6:192.0.2.1", "v=spf1 ip6:::1/129",
		"v=spf1 ip6:fe80::1%eth0", "v=spf1 redirect=", "v=spf1 redirect=a.example redirect=b.example",
		"v=spf1 exp=a.example exp=a.example", "v=spf1 exists:%{x}.example", "v=spf1 exists:%{c}.example",
		"v=spf1 exists:%{d0}.example", "v=spf1 exists:%{d}%.example", "v=spf1 exists:%{d.example",
		"v=spf1 exists:%{d*}.example", "v=spf1 other=%", "v=spf1 a:ex\tample.com", "v=spf1 a:exámple.com",
	} {
		if _, err := Parse(rec); err == nil {
			t.Errorf("Parse(%q): no error", rec)
		}
	}
}

func TestParseAccepts(t *testing.T) {
	for _, rec := range []string{
		"v=spf1", "V=SPF1 ", "v=spf1 a:x.example.", "v=spf1 a:x.123-4", "v=spf1 a:%{d}",
		"v=spf1 mx:foo.%%", "v=spf1 ip4:0.0.0.0/0 ip6:::/0", "v=spf1 ip6:::ffff:192.0.2.1",
		"v=spf1 unknown-mod=", "v=spf1 x.y_z-1=%{l}%_%-", "v=spf1 exists:%{ir}.%{l1r-}.lp._spf.%{d}",
		"v=spf1 exists:%{i}.%{s1}.100/86400.rate.%{d}", "v=spf1 a/0 mx//0",
	} {
		if _, err := Parse(rec); err != nil {
			t.Errorf("Parse(%q): %v", rec, err)
		}
	}
}

// TestMacroExpansion uses the examples of RFC 7208 7.4.
func TestMacroExpansion(t *testing.T) {
	ch := &check{Checker: &Checker{Receiver: "mx.example.org"}, local: "strong-bad", senderDomain: "email.example.com", helo: "mx.example.org"}
	for _, tc := range []struct{ ip, in, want string }{
		{"192.0.2.3", "%{s}", "strong-bad@email.example.com"},
		{"192.0.2.3", "%{o}", "email.example.com"},
		{"192.0.2.3", "%{d}", "email.example.com"},
		{"192.0.2.3", "%{d4}", "email.example.com"},
		{"192.0.2.3", "%{d3}", "email.example.com"},
		{"192.0.2.3", "%{d2}", "example.com"},
		{"192.0.2.3", "%{d1}", "com"},
		{"192.0.2.3", "%{dr}", "com.example.email"},
		{"192.0.2.3", "%{d2r}", "example.email"},
		{"192.0.2.3", "%{l}", "strong-bad"},
		{"192.0.2.3", "%{l-}", "strong.bad"},
		{"192.0.2.3", "%{lr}", "strong-bad"},
		{"192.0.2.3", "%{lr-}", "bad.strong"},
		{"192.0.2.3", "%{l1r-}", "strong"},
		{"192.0.2.3", "%{ir}.%{v}._spf.%{d2}", "3.2.0.192.in-addr._spf.example.com"},
		{"192.0.2.3", "%{lr-}.lp._spf.%{d2}", "bad.strong.lp._spf.example.com"},
		{"192.0.2.3", "%{lr-}.lp.%{ir}.%{v}._spf.%{d2}", "bad.strong.lp.3.2.0.192.in-addr._spf.example.com"},
		{"192.0.2.3", "%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}", "3.2.0.192.in-addr.strong.lp._spf.example.com"},
		{"192.0.2.3", "%{d2}.trusted-domains.example.net", "example.com.trusted-domains.example.net"},
		{"2001:db8::cb01", "%{ir}.%{v}._spf.%{d2}", "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.example.com"},
		{"2001:db8::cb01", "%{c} %{r} %{h}", "2001:db8::cb01 mx.example.org mx.example.org"},
		{"192.0.2.3", "%{S} %{L+-} %{d128}", "strong-bad%40email.example.com strong.bad email.example.com"},
		{"192.0.2.3", "%% %_ %-", "%   %20"},
	} {
		ch.ip = netip.MustParseAddr(tc.ip)
		m, err := parseMacroString(tc.in, true)
		if err != nil {
			t.Errorf("%s: %v", tc.in, err)
			continue
		}
		got, err := m.expand(macroContext{ch: ch, domain: "email.example.com"})
		if err != nil || got != tc.want {
			t.Errorf("%s with %s = %q, %v; want %q", tc.in, tc.ip, got, err, tc.want)
		}
	}
}

// A macro that expands past 253 octets loses labels from the left (RFC 7208 7.3).
func TestTargetTruncated(t *testing.T) {
	local := "a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q.r.s.t.u.v.w.x.y.z.0123456789012345678901234567890123456789012345678901234567890"
	ch := &check{Checker: &Checker{}, local: local + "." + local, senderDomain: "example.com", ip: netip.MustParseAddr("192.0.2.1")}
	spec, err := parseDomainSpec("%{l}.%{l}.example.com")
	if err != nil {
		t.Fatal(err)
	}
	got, err := ch.target(t.Context(), spec, "example.com")
	if err != nil || len(got) > 253 || len(got) < 200 || got[len(got)-12:] != ".example.com" {
		t.Errorf("target %q (%d), %v", got, len(got), err)
	}
}
