package netserver

import (
	"net"
	"net/netip"
)

// Limit resolves a limit field: a positive value as it is, zero as def,
// negative as "none" (-1).
func Limit(v, def int) int {
	switch {
	case v > 0:
		return v
	case v == 0:
		return def
	}
	return -1
}

// IPKey returns the IP address of a remote address, as the key of the
// per-IP cap and in log records.
func IPKey(a net.Addr) string {
	switch a := a.(type) {
	case *net.TCPAddr:
		return a.IP.String()
	case nil:
		return ""
	}
	if host, _, err := net.SplitHostPort(a.String()); err == nil {
		return host
	}
	return a.String()
}

// Default prefix lengths of a source: one IPv4 address, and one IPv6 /64,
// the network one customer or one host gets (RFC 6177), so that a host
// cannot take a new source for each of its 2^64 addresses.
const (
	DefaultPrefixIPv4 = 32
	DefaultPrefixIPv6 = 64
)

// RemoteIP returns the IP address of a remote address, an IPv4-mapped
// IPv6 address (a dual-stack listener's) as IPv4; ok is false when the
// address is not an IP address (a Unix socket).
func RemoteIP(a net.Addr) (ip netip.Addr, ok bool) {
	switch a := a.(type) {
	case *net.TCPAddr:
		ip, ok = netip.AddrFromSlice(a.IP)
	case nil:
		return netip.Addr{}, false
	default:
		ap, err := netip.ParseAddrPort(a.String())
		ip, ok = ap.Addr(), err == nil
	}
	return ip.Unmap().WithZone(""), ok
}

// Source returns the network that counts as one client of ip: its first
// v4 bits for IPv4, v6 bits for IPv6 (0 or less: the defaults; more than
// the address has: all of it).
func Source(ip netip.Addr, v4, v6 int) netip.Prefix {
	ip = ip.Unmap().WithZone("")
	bits := prefixBits(v4, DefaultPrefixIPv4, 32)
	if ip.Is6() {
		bits = prefixBits(v6, DefaultPrefixIPv6, 128)
	}
	p, _ := ip.Prefix(bits)
	return p
}

func prefixBits(v, def, max int) int {
	switch {
	case v <= 0:
		return def
	case v > max:
		return max
	}
	return v
}
