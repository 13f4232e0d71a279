package spf

import (
	"context"
	"errors"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/mailwright/mailwright/internal/dnstest"
	"github.com/miekg/dns"
)

func TestDNSAnswers(t *testing.T) {
	long := strings.Repeat("x", 250)
	records := []string{
		`example.org. 300 IN TXT "v=spf1 " "-all"`,
		`example.org. 300 IN TXT "quote\" back\\slash \195\169"`,
		`example.org. 300 IN A 192.0.2.1`,
		`example.org. 300 IN AAAA 2001:db8::1`,
		`example.org. 300 IN MX 10 mx.example.org.`,
		`1.2.0.192.in-addr.arpa. 300 IN PTR host.example.org.`,
		`1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa. 300 IN PTR host6.example.org.`,
		`txt-only.example.org. 300 IN TXT "x"`,
	}
	for i := range 8 { // more than fits in 1232 octets: the answer comes over TCP
		records = append(records, `big.example.org. 300 IN TXT "`+long+string(rune('a'+i))+`"`)
	}
	srv := dnstest.NewServer(t, records...)
	srv.Fail("broken.example.org", dns.RcodeServerFailure)
	r := &DNS{Server: srv.Addr}
	ctx := context.Background()

	txts, err := r.LookupTXT(ctx, "Example.ORG")
	if want := []string{"v=spf1 -all", "quote\" back\\slash é"}; err != nil || !slices.Equal(txts, want) {
		t.Errorf("TXT = %q, %v; want %q", txts, err, want)
	}
	if a, err := r.LookupA(ctx, "example.org"); err != nil || len(a) != 1 || a[0] != netip.MustParseAddr("192.0.2.1") {
		t.Errorf("A = %v, %v", a, err)
	}
	if a, err := r.LookupAAAA(ctx, "example.org."); err != nil || len(a) != 1 || a[0] != netip.MustParseAddr("2001:db8::1") {
		t.Errorf("AAAA = %v, %v", a, err)
	}
	if mx, err := r.LookupMX(ctx, "example.org"); err != nil || !slices.Equal(mx, []string{"mx.example.org"}) {
		t.Errorf("MX = %v, %v", mx, err)
	}
	if p, err := r.LookupPTR(ctx, netip.MustParseAddr("::ffff:192.0.2.1")); err != nil || !slices.Equal(p, []string{"host.example.org"}) {
		t.Errorf("PTR v4 = %v, %v", p, err)
	}
	if p, err := r.LookupPTR(ctx, netip.MustParseAddr("2001:db8::1")); err != nil || !slices.Equal(p, []string{"host6.example.org"}) {
		t.Errorf("PTR v6 = %v, %v", p, err)
	}
	if big, err := r.LookupTXT(ctx, "big.example.org"); err != nil || len(big) != 8 {
		t.Errorf("truncated answer: %d records, %v; want 8 (over TCP)", len(big), err)
	}
	// NODATA: no records, no error. NXDOMAIN: ErrNoSuchDomain. SERVFAIL: another error.
	if a, err := r.LookupA(ctx, "txt-only.example.org"); err != nil || len(a) != 0 {
		t.Errorf("NODATA = %v, %v", a, err)
	}
	if _, err := r.LookupA(ctx, "nx.example.org"); !errors.Is(err, ErrNoSuchDomain) {
		t.Errorf("NXDOMAIN error %v", err)
	}
	if _, err := r.LookupTXT(ctx, "broken.example.org"); err == nil || errors.Is(err, ErrNoSuchDomain) {
		t.Errorf("SERVFAIL error %v", err)
	}
	if _, err := r.LookupA(ctx, "bad..name"); !errors.Is(err, ErrNoSuchDomain) {
		t.Errorf("invalid name error %v", err)
	}
}

func TestDNSCache(t *testing.T) {
	srv := dnstest.NewServer(t, `example.org. 300 IN TXT "v=spf1 -all"`)
	srv.Fail("broken.example.org", dns.RcodeServerFailure)
	r := &DNS{Server: srv.Addr}
	ctx := context.Background()
	for range 3 {
		r.LookupTXT(ctx, "example.org")
		r.LookupTXT(ctx, "nx.example.org")
		r.LookupTXT(ctx, "broken.example.org")
	}
	if n := srv.Queries("example.org", "TXT"); n != 1 {
		t.Errorf("%d queries for a cached answer, want 1", n)
	}
	if n := srv.Queries("nx.example.org", "TXT"); n != 1 {
		t.Errorf("%d queries for a cached NXDOMAIN, want 1", n)
	}
	if n := srv.Queries("broken.example.org", "TXT"); n != 3 {
		t.Errorf("%d queries for a failing name, want 3 (failures are not cached)", n)
	}
}

func TestDNSResolvConf(t *testing.T) {
	r := &DNS{}
	if _, err := r.servers(); err != nil {
		t.Skipf("no usable %s: %v", DefaultResolvConf, err)
	}
	if len(r.resolvServers) == 0 {
		t.Error("no servers")
	}
}
