package netserver

import (
	"net"
	"net/netip"
	"testing"
)

func TestSource(t *testing.T) {
	for _, tc := range []struct {
		ip     string
		v4, v6 int
		want   string
	}{
		{"192.0.2.7", 0, 0, "192.0.2.7/32"},
		{"::ffff:192.0.2.7", 0, 0, "192.0.2.7/32"}, // a dual-stack listener's view of IPv4
		{"2001:db8:1:2:3:4:5:6", 0, 0, "2001:db8:1:2::/64"},
		{"2001:db8:1:2:ffff::1", 0, 0, "2001:db8:1:2::/64"},
		{"fe80::1%eth0", 0, 0, "fe80::/64"},
		{"192.0.2.7", 24, 48, "192.0.2.0/24"},
		{"2001:db8:1:2:3:4:5:6", 24, 48, "2001:db8:1::/48"},
		{"2001:db8:1:2:3:4:5:6", 0, 200, "2001:db8:1:2:3:4:5:6/128"},
	} {
		if got := Source(netip.MustParseAddr(tc.ip), tc.v4, tc.v6).String(); got != tc.want {
			t.Errorf("Source(%s, %d, %d) = %s, want %s", tc.ip, tc.v4, tc.v6, got, tc.want)
		}
	}
}

func TestRemoteIP(t *testing.T) {
	for _, tc := range []struct {
		addr net.Addr
		want string
		ok   bool
	}{
		{&net.TCPAddr{IP: net.ParseIP("192.0.2.7"), Port: 25}, "192.0.2.7", true},
		{&net.TCPAddr{IP: net.ParseIP("::ffff:192.0.2.7"), Port: 25}, "192.0.2.7", true},
		{&net.TCPAddr{IP: net.ParseIP("2001:db8::1"), Port: 25, Zone: "eth0"}, "2001:db8::1", true},
		{&net.UnixAddr{Name: "/run/sock", Net: "unix"}, "invalid IP", false},
		{nil, "invalid IP", false},
	} {
		got, ok := RemoteIP(tc.addr)
		if got.String() != tc.want || ok != tc.ok {
			t.Errorf("RemoteIP(%v) = %s, %v; want %s, %v", tc.addr, got, ok, tc.want, tc.ok)
		}
	}
}
