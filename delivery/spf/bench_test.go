package spf

import (
	"context"
	"net/netip"
	"testing"
)

// BenchmarkCheckWarm is a check with warm caches: include.example costs
// three TXT lookups (the record and two includes), all answered from the
// DNS cache after the first iteration.
func BenchmarkCheckWarm(b *testing.B) {
	srv := startCaseDNS(b)
	c := caseChecker(srv)
	ip := netip.MustParseAddr("192.0.2.51")
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if v := c.CheckMailFrom(ctx, ip, "u@include.example", "h.example"); v.Result != Pass {
			b.Fatalf("%s: %v", v.Result, v.Err)
		}
	}
}

// BenchmarkCheckWarmMX is a check of an mx mechanism (an MX and two
// address lookups) with warm caches.
func BenchmarkCheckWarmMX(b *testing.B) {
	srv := startCaseDNS(b)
	c := caseChecker(srv)
	ip := netip.MustParseAddr("192.0.2.21")
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if v := c.CheckMailFrom(ctx, ip, "u@mx.example", "h.example"); v.Result != Pass {
			b.Fatalf("%s: %v", v.Result, v.Err)
		}
	}
}
