package dnsbl

import (
	"context"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/mailwright/mailwright/delivery/spf"
	"github.com/mailwright/mailwright/internal/dnstest"
)

func TestQueryName(t *testing.T) {
	for _, tc := range []struct{ ip, want string }{
		// RFC 5782 2.1 and 2.4.
		{"192.0.2.99", "99.2.0.192.bl.example"},
		{"::ffff:192.0.2.99", "99.2.0.192.bl.example"},
		{"2001:db8:1:2:3:4:567:89ab", "b.a.9.8.7.6.5.0.4.0.0.0.3.0.0.0.2.0.0.0.1.0.0.0.8.b.d.0.1.0.0.2.bl.example"},
	} {
		got, err := queryName(netip.MustParseAddr(tc.ip), "bl.example")
		if err != nil || got != tc.want {
			t.Errorf("queryName(%s) = %q, %v; want %q", tc.ip, got, err, tc.want)
		}
	}
	if _, err := queryName(netip.Addr{}, "bl.example"); err == nil {
		t.Error("queryName accepted an invalid address")
	}
}

var parseZoneCases = []struct {
	in   string
	want Zone
	err  bool
}{
	{in: "zen.spamhaus.org", want: Zone{Name: "zen.spamhaus.org"}},
	{in: " Bl.SpamCop.net.:TAG", want: Zone{Name: "bl.spamcop.net", Action: Tag}},
	{in: "x.test:log", want: Zone{Name: "x.test", Action: Log}},
	{in: "zen.spamhaus.org=127.0.0.2/31,127.0.0.4:reject", want: Zone{Name: "zen.spamhaus.org",
		Codes: []netip.Prefix{netip.MustParsePrefix("127.0.0.2/31"), netip.MustParsePrefix("127.0.0.4/32")}}},
	{in: "", err: true},
	{in: ":tag", err: true},
	{in: "x.test:block", err: true},
	{in: "x.test=::1", err: true},
	{in: "x.test=banana", err: true},
	{in: "a..b", err: true},
	{in: "a b.test", err: true},
}

func TestParseZone(t *testing.T) {
	for _, tc := range parseZoneCases {
		got, err := ParseZone(tc.in)
		if (err != nil) != tc.err || err == nil && !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParseZone(%q) = %+v, %v; want %+v (error %v)", tc.in, got, err, tc.want, tc.err)
		}
	}
}

// FuzzParseZone: no panic, and what parses is a usable zone that parses
// again to itself when written back.
func FuzzParseZone(f *testing.F) {
	for _, tc := range parseZoneCases {
		f.Add(tc.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		z, err := ParseZone(s)
		if err != nil {
			return
		}
		if _, err := queryName(netip.MustParseAddr("2001:db8::1"), z.Name); err != nil {
			t.Fatalf("zone %q: %v", z.Name, err)
		}
		text := z.Name
		if len(z.Codes) > 0 {
			var codes []string
			for _, p := range z.Codes {
				codes = append(codes, p.String())
			}
			text += "=" + strings.Join(codes, ",")
		}
		again, err := ParseZone(text + ":" + z.Action.String())
		if err != nil || !reflect.DeepEqual(again, z) {
			t.Fatalf("ParseZone(%q) = %+v; written back as %q it parses to %+v, %v", s, z, text, again, err)
		}
	})
}

// zoneServer serves two lists: bl.test lists 127.0.0.2 (with a reason),
// 127.0.0.3 (with an error code only) and the RFC 5782 IPv6 test address;
// slow.test answers nothing.
func zoneServer(t *testing.T) *dnstest.Server {
	s := dnstest.NewServer(t,
		`2.0.0.127.bl.test. 60 IN A 127.0.0.2`,
		`2.0.0.127.bl.test. 60 IN A 127.0.0.4`,
		`2.0.0.127.bl.test. 60 IN TXT "listed for testing, see https://bl.test/?127.0.0.2"`,
		`3.0.0.127.bl.test. 60 IN A 127.255.255.254`,
		`2.0.0.0.0.0.f.7.f.f.f.f.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.bl.test. 60 IN A 127.0.0.2`,
		`2.0.0.127.other.test. 60 IN A 127.0.0.10`,
	)
	s.Drop("2.0.0.127.slow.test")
	return s
}

func TestCheck(t *testing.T) {
	dns := zoneServer(t)
	c := &Checker{Zones: []Zone{{Name: "bl.test"}, {Name: "other.test", Action: Tag}},
		Resolver: &spf.DNS{Server: dns.Addr}, Timeout: 10 * time.Second}
	ctx := context.Background()
	got := c.Check(ctx, netip.MustParseAddr("127.0.0.2"))
	want := []Listing{
		{Zone: Zone{Name: "bl.test"}, Code: netip.MustParseAddr("127.0.0.2"), Reason: "listed for testing, see https://bl.test/?127.0.0.2"},
		{Zone: Zone{Name: "other.test", Action: Tag}, Code: netip.MustParseAddr("127.0.0.10")},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("127.0.0.2:\n got %+v\nwant %+v", got, want)
	}
	for _, ip := range []string{"127.0.0.1", "127.0.0.3", "192.0.2.1"} {
		if got := c.Check(ctx, netip.MustParseAddr(ip)); len(got) != 0 {
			t.Errorf("%s is listed: %+v", ip, got)
		}
	}
	if got := c.Check(ctx, netip.MustParseAddr("::ffff:7f00:2")); len(got) != 2 {
		t.Errorf("127.0.0.2 through a dual-stack listener: %+v", got)
	}
	if got := c.Check(ctx, netip.MustParseAddr("::ffff:7f00:2").Unmap()); len(got) != 2 {
		t.Errorf("::ffff:7f00:2: %+v", got)
	}
	c.Zones[0].Codes = []netip.Prefix{netip.MustParsePrefix("127.0.0.4/32")}
	if got := c.Check(ctx, netip.MustParseAddr("127.0.0.2")); len(got) != 2 || got[0].Code != netip.MustParseAddr("127.0.0.4") {
		t.Errorf("with Codes 127.0.0.4: %+v", got)
	}
}

// A list that never answers costs the Timeout and no more; the other
// lists' listings are there.
func TestCheckSlowZone(t *testing.T) {
	dns := zoneServer(t)
	c := &Checker{Zones: []Zone{{Name: "slow.test"}, {Name: "bl.test"}},
		Resolver: &spf.DNS{Server: dns.Addr, Timeout: time.Minute}, Timeout: 200 * time.Millisecond}
	got := c.Check(context.Background(), netip.MustParseAddr("127.0.0.2"))
	if len(got) != 1 || got[0].Zone.Name != "bl.test" {
		t.Errorf("got %+v, want the listing of bl.test alone", got)
	}
	if dns.Queries("2.0.0.127.slow.test", "A") == 0 {
		t.Error("slow.test was not asked")
	}
}
