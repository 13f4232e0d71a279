package throttle

import (
	"net/netip"
	"runtime"
	"strconv"
	"testing"
)

// BenchmarkLoginFailedFlood measures a failed login from a new address
// with a new name, the worst case (each adds a source and an account, and
// evicts two once the tables are full), and reports the memory of full
// tables per entry.
func BenchmarkLoginFailedFlood(b *testing.B) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	l := &Logins{Delay: -1}
	for i := range DefaultMaxEntries {
		l.LoginFailed(ctx, netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}), "u"+strconv.Itoa(i))
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	perEntry := float64(after.HeapAlloc-before.HeapAlloc) / float64(2*DefaultMaxEntries)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		i += DefaultMaxEntries
		l.LoginFailed(ctx, netip.AddrFrom4([4]byte{11, byte(i >> 16), byte(i >> 8), byte(i)}), "u"+strconv.Itoa(i))
	}
	b.ReportMetric(perEntry, "heapB/entry")
}
