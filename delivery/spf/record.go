package spf

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// Record is a parsed SPF record (RFC 7208 4.6, 12).
type Record struct {
	Directives []Directive
	// Redirect and Exp are the redirect= and exp= modifiers (zero when
	// absent). Other modifiers are checked and ignored (RFC 7208 6).
	Redirect MacroString
	Exp      MacroString
}

// Directive is a qualifier and a mechanism (RFC 7208 4.6.1, 5).
type Directive struct {
	// Qualifier is the result when the mechanism matches: Pass, Fail,
	// SoftFail or Neutral.
	Qualifier Result
	// Mechanism is "all", "include", "a", "mx", "ptr", "ip4", "ip6" or
	// "exists".
	Mechanism string
	// Domain is the domain-spec; zero means the current domain.
	Domain MacroString
	// Bits4 and Bits6 are the CIDR lengths of a and mx (32 and 128 when
	// absent).
	Bits4, Bits6 int
	// Network is the ip4 or ip6 network.
	Network netip.Prefix

	raw string
}

// String returns the directive as written in the record.
func (d Directive) String() string { return d.raw }

// ErrNotSPF is returned by Parse for a text that is not an SPF version 1
// record: it does not start with "v=spf1".
var ErrNotSPF = errors.New("not an SPF record")

// isSPF reports whether a TXT record is an SPF version 1 record: "v=spf1"
// alone or followed by a space, in any case (RFC 7208 4.5).
func isSPF(txt string) bool {
	return len(txt) >= 6 && strings.EqualFold(txt[:6], "v=spf1") && (len(txt) == 6 || txt[6] == ' ')
}

// Parse parses an SPF record. Any syntax error anywhere in it is an
// error: check_host returns permerror for such a record before it
// evaluates anything (RFC 7208 4.6).
func Parse(record string) (*Record, error) {
	if !isSPF(record) {
		return nil, ErrNotSPF
	}
	r := &Record{}
	for _, term := range strings.Split(record[6:], " ") {
		if term == "" {
			continue // terms are separated by one or more spaces
		}
		if name, value, ok := modifier(term); ok {
			if err := r.addModifier(name, value); err != nil {
				return nil, err
			}
			continue
		}
		d, err := parseDirective(term)
		if err != nil {
			return nil, err
		}
		r.Directives = append(r.Directives, d)
	}
	return r, nil
}

// modifier splits a term that is a modifier: name "=" value, with
// name = ALPHA *( ALPHA / DIGIT / "-" / "_" / "." ) (RFC 7208 12).
func modifier(term string) (name, value string, ok bool) {
	name, value, ok = strings.Cut(term, "=")
	if !ok || name == "" || !isAlpha(name[0]) {
		return "", "", false
	}
	for i := 1; i < len(name); i++ {
		c := name[i]
		if !isAlpha(c) && !isDigit(c) && c != '-' && c != '_' && c != '.' {
			return "", "", false
		}
	}
	return strings.ToLower(name), value, true
}

func (r *Record) addModifier(name, value string) error {
	switch name {
	case "redirect", "exp":
		target := &r.Redirect
		if name == "exp" {
			target = &r.Exp
		}
		// RFC 7208 6: redirect and exp each appear at most once.
		if !target.IsZero() {
			return fmt.Errorf("%s= appears twice", name)
		}
		spec, err := parseDomainSpec(value)
		if err != nil {
			return fmt.Errorf("%s=%s: %w", name, value, err)
		}
		*target = spec
	default:
		// RFC 7208 6: unknown modifiers are ignored, but they must still
		// be syntactically valid (unknown-modifier = name "=" macro-string).
		if _, err := parseMacroString(value, false); err != nil {
			return fmt.Errorf("%s=%s: %w", name, value, err)
		}
	}
	return nil
}

// parseDirective parses [qualifier] mechanism (RFC 7208 4.6.1, 5).
func parseDirective(term string) (Directive, error) {
	d := Directive{Qualifier: Pass, Bits4: 32, Bits6: 128, raw: term}
	rest := term
	if q, ok := qualifierResult[rest[0]]; ok {
		d.Qualifier = q
		rest = rest[1:]
	}
	end := strings.IndexAny(rest, ":/")
	if end < 0 {
		end = len(rest)
	}
	d.Mechanism, rest = strings.ToLower(rest[:end]), rest[end:]
	var err error
	switch d.Mechanism {
	case "all":
		if rest != "" {
			err = errors.New("all takes no argument")
		}
	case "include", "exists":
		d.Domain, err = requiredDomain(rest)
	case "a", "mx":
		rest, d.Bits6, err = cidrSuffix(rest, "//", 128, d.Bits6)
		if err == nil {
			rest, d.Bits4, err = cidrSuffix(rest, "/", 32, d.Bits4)
		}
		if err == nil {
			d.Domain, err = optionalDomain(rest)
		}
	case "ptr":
		d.Domain, err = optionalDomain(rest)
	case "ip4", "ip6":
		d.Network, err = parseNetwork(d.Mechanism, rest)
	default:
		err = errors.New("unknown mechanism")
	}
	if err != nil {
		return Directive{}, fmt.Errorf("%q: %w", term, err)
	}
	return d, nil
}

// cidrSuffix takes a CIDR length introduced by sep off the end of s:
// "0" or a number without a leading zero, at most max (RFC 7208 5.6).
func cidrSuffix(s, sep string, max, def int) (string, int, error) {
	i := strings.LastIndex(s, sep)
	if i < 0 || (sep == "/" && i > 0 && s[i-1] == '/') {
		return s, def, nil
	}
	digits := s[i+len(sep):]
	if digits == "" || len(digits) > 3 || (digits[0] == '0' && len(digits) > 1) || strings.Trim(digits, "0123456789") != "" {
		return s, def, nil // not a CIDR length: left for the domain-spec check
	}
	n, _ := strconv.Atoi(digits)
	if n > max {
		return "", 0, fmt.Errorf("CIDR length /%d over %d", n, max)
	}
	return s[:i], n, nil
}

// requiredDomain parses ":" domain-spec.
func requiredDomain(rest string) (MacroString, error) {
	if !strings.HasPrefix(rest, ":") {
		return MacroString{}, errors.New("missing domain-spec")
	}
	return parseDomainSpec(rest[1:])
}

// optionalDomain parses [ ":" domain-spec ].
func optionalDomain(rest string) (MacroString, error) {
	if rest == "" {
		return MacroString{}, nil
	}
	return requiredDomain(rest)
}

// parseDomainSpec parses domain-spec = macro-string domain-end, where
// domain-end = ( "." toplabel [ "." ] ) / macro-expand (RFC 7208 7.1).
func parseDomainSpec(s string) (MacroString, error) {
	if s == "" {
		return MacroString{}, errors.New("empty domain-spec")
	}
	m, err := parseMacroString(s, false)
	if err != nil {
		return MacroString{}, err
	}
	if m.endsInExpand {
		return m, nil
	}
	name := strings.TrimSuffix(s, ".")
	dot := strings.LastIndexByte(name, '.')
	if dot < 0 || !isTopLabel(name[dot+1:]) {
		return MacroString{}, fmt.Errorf("domain-spec %q does not end in a top-level label", s)
	}
	return m, nil
}

// isTopLabel: toplabel = ( *alphanum ALPHA *alphanum ) /
// ( 1*alphanum "-" *( alphanum / "-" ) alphanum ) (RFC 7208 7.1).
func isTopLabel(l string) bool {
	if l == "" || l[0] == '-' || l[len(l)-1] == '-' {
		return false
	}
	letterOrHyphen := false
	for i := 0; i < len(l); i++ {
		c := l[i]
		switch {
		case isAlpha(c) || c == '-':
			letterOrHyphen = true
		case !isDigit(c):
			return false
		}
	}
	return letterOrHyphen
}

// parseNetwork parses ":" ip4-network [ ip4-cidr-length ] or the ip6 form.
func parseNetwork(mech, rest string) (netip.Prefix, error) {
	if !strings.HasPrefix(rest, ":") {
		return netip.Prefix{}, errors.New("missing network")
	}
	bits := 32
	if mech == "ip6" {
		bits = 128
	}
	s, n, err := cidrSuffix(rest[1:], "/", bits, bits)
	if err != nil {
		return netip.Prefix{}, err
	}
	ip, err := netip.ParseAddr(s)
	if err != nil || ip.Zone() != "" || (mech == "ip4") != ip.Is4() {
		return netip.Prefix{}, fmt.Errorf("invalid %s network %q", mech, s)
	}
	return netip.PrefixFrom(ip, n).Masked(), nil
}

func isAlpha(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
