package delivery

import "strings"

// DefaultSubaddressDelimiters is the default Agent.SubaddressDelimiters.
const DefaultSubaddressDelimiters = "+"

// subaddressDelimiters returns the delimiters in effect, "" when
// sub-addressing is off.
func (a *Agent) subaddressDelimiters() string {
	switch {
	case a.NoSubaddress:
		return ""
	case a.SubaddressDelimiters != "":
		return a.SubaddressDelimiters
	}
	return DefaultSubaddressDelimiters
}

// splitDetail splits a local part into the user and the detail at the
// first of the delimiters (RFC 5233 4: "user+detail"). ok is false when
// there is no delimiter, or nothing before it ("+x" is a name, not a
// sub-address of "").
func splitDetail(local, delimiters string) (user, detail string, ok bool) {
	if delimiters == "" {
		return local, "", false
	}
	i := strings.IndexAny(local, delimiters)
	if i <= 0 {
		return local, "", false
	}
	return local[:i], local[i+1:], true
}

// addressForms are the names a local address is looked up by, in order:
// the address as given, then, with sub-addressing, the address without
// its detail. An alias or account of the full form thus wins over the
// user it is a sub-address of.
func (a *Agent) addressForms(addr string) []string {
	local, domain := splitAddress(addr)
	user, _, ok := splitDetail(local, a.subaddressDelimiters())
	if !ok {
		return []string{addr}
	}
	if domain != "" {
		user += "@" + domain
	}
	return []string{addr, user}
}
