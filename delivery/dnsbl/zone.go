package dnsbl

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
)

// Action is what a listing in a zone does to the client's mail.
type Action int

// Actions.
const (
	// Reject refuses the client's mail (554 5.7.1 with the zone's reason).
	Reject Action = iota
	// Tag accepts it and adds an X-DNSBL header field to each message.
	Tag
	// Log only logs the listing.
	Log
)

var actionNames = [...]string{Reject: "reject", Tag: "tag", Log: "log"}

func (a Action) String() string {
	if a >= 0 && int(a) < len(actionNames) {
		return actionNames[a]
	}
	return fmt.Sprintf("Action(%d)", int(a))
}

// Zone is a blocklist.
type Zone struct {
	// Name is the zone's domain, such as "zen.spamhaus.org".
	Name string
	// Action is what a listing does; the zero value is Reject.
	Action Action
	// Codes, if set, are the answers that mean listed; others are
	// ignored. Nil means any address in 127.0.0.0/8 except 127.0.0.1
	// (RFC 5782 5: never a listing) and 127.255.255.0/24, which some
	// lists answer when they refuse to answer (Spamhaus: a query through
	// a public resolver, or over quota).
	Codes []netip.Prefix
}

var (
	loopback8     = netip.MustParsePrefix("127.0.0.0/8")
	errorCodes    = netip.MustParsePrefix("127.255.255.0/24")
	notListedCode = netip.MustParseAddr("127.0.0.1")
)

// listedBy reports whether an A record answer means listed.
func (z *Zone) listedBy(a netip.Addr) bool {
	a = a.Unmap()
	if z.Codes != nil {
		for _, p := range z.Codes {
			if p.Contains(a) {
				return true
			}
		}
		return false
	}
	return loopback8.Contains(a) && a != notListedCode && !errorCodes.Contains(a)
}

// ParseZone reads a zone as a flag gives it: "name", then optionally
// "=codes" (IPv4 addresses or prefixes, separated by ","), then
// optionally ":action" (reject, tag or log; reject if absent):
//
//	zen.spamhaus.org
//	bl.spamcop.net:tag
//	zen.spamhaus.org=127.0.0.2/31,127.0.0.4:reject
func ParseZone(s string) (Zone, error) {
	var z Zone
	rest, action, hasAction := strings.Cut(s, ":")
	name, codes, hasCodes := strings.Cut(rest, "=")
	name = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(name)), ".")
	if !isZoneName(name) {
		return z, fmt.Errorf("dnsbl: zone %q: not a domain name", s)
	}
	z.Name = name
	if hasAction {
		switch strings.ToLower(strings.TrimSpace(action)) {
		case "reject":
			z.Action = Reject
		case "tag":
			z.Action = Tag
		case "log":
			z.Action = Log
		default:
			return z, fmt.Errorf("dnsbl: zone %q: action %q is not reject, tag or log", s, action)
		}
	}
	if hasCodes {
		for c := range strings.SplitSeq(codes, ",") {
			c = strings.TrimSpace(c)
			p, err := netip.ParsePrefix(c)
			if err != nil {
				a, aerr := netip.ParseAddr(c)
				if aerr != nil {
					return z, fmt.Errorf("dnsbl: zone %q: code %q is not an address or prefix", s, c)
				}
				p = netip.PrefixFrom(a, a.BitLen())
			}
			if !p.Addr().Is4() {
				return z, fmt.Errorf("dnsbl: zone %q: code %q is not IPv4", s, c)
			}
			z.Codes = append(z.Codes, p.Masked())
		}
	}
	return z, nil
}

// isZoneName reports whether name is a host-style domain name short
// enough for the longest query under it (an IPv6 address adds 64 bytes,
// RFC 1035 2.3.4 allows 253): labels of 1 to 63 letters, digits, "-" and
// "_".
func isZoneName(name string) bool {
	if name == "" || len(name) > 253-64 {
		return false
	}
	for label := range strings.SplitSeq(name, ".") {
		if label == "" || len(label) > 63 {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	return true
}

// errNoAddress refuses to look up an invalid address.
var errNoAddress = errors.New("dnsbl: no address to look up")

// queryName returns the name to look up for ip in zone (RFC 5782 2.1:
// the IPv4 octets reversed; 2.4: the 32 nibbles of an IPv6 address
// reversed).
func queryName(ip netip.Addr, zone string) (string, error) {
	ip = ip.Unmap()
	if !ip.IsValid() {
		return "", errNoAddress
	}
	var b strings.Builder
	if ip.Is4() {
		a := ip.As4()
		fmt.Fprintf(&b, "%d.%d.%d.%d.", a[3], a[2], a[1], a[0])
	} else {
		const hex = "0123456789abcdef"
		a := ip.As16()
		for i := 15; i >= 0; i-- {
			b.WriteByte(hex[a[i]&0xf])
			b.WriteByte('.')
			b.WriteByte(hex[a[i]>>4])
			b.WriteByte('.')
		}
	}
	b.WriteString(zone)
	return b.String(), nil
}
