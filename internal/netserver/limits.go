package netserver

import "net"

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
