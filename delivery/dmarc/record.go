package dmarc

import (
	"errors"
	"net/url"
	"strings"
)

// Policy is a Domain Owner Assessment Policy (RFC 9989 4.7): the p, sp and
// np values, and what a receiver applies.
type Policy string

// The policies of RFC 9989 4.7.
const (
	PolicyNone       Policy = "none"
	PolicyQuarantine Policy = "quarantine"
	PolicyReject     Policy = "reject"
)

// Record is a DMARC Policy Record (RFC 9989 4.7). Tags with invalid
// values take their defaults (RFC 9989 4.8); unknown tags, and the
// removed pct, rf and ri, are ignored.
type Record struct {
	// Policy, SubdomainPolicy and NonexistentPolicy are p, sp and np;
	// empty when the tag is absent. A record without p is p=none.
	Policy, SubdomainPolicy, NonexistentPolicy Policy
	// StrictDKIM and StrictSPF are adkim=s and aspf=s.
	StrictDKIM, StrictSPF bool
	// PSD is the psd tag: 'y', 'n' or 'u' (the default).
	PSD byte
	// Testing is t=y: apply one level less than the policy.
	Testing bool
	// AggregateURIs and FailureURIs are the valid URIs of rua and ruf.
	AggregateURIs, FailureURIs []string
	// FailureOptions is fo ("0" by default).
	FailureOptions string

	// badPolicy: p, sp or np is present with a value that is not a
	// policy, which RFC 9989 4.10.1 handles apart.
	badPolicy bool
}

// ErrNotDMARC is returned by Parse for a text that is not a DMARC record:
// it does not start with the tag v=DMARC1.
var ErrNotDMARC = errors.New("not a DMARC record")

// Parse parses a DMARC Policy Record. Only a text that does not start with
// v=DMARC1 is an error: syntax errors in other tags are discarded in
// favour of the defaults (RFC 9989 4.8).
func Parse(txt string) (*Record, error) {
	tags := strings.Split(txt, ";")
	name, value, ok := tag(tags[0])
	// RFC 9989 4.7: v must be the first tag and its value is case sensitive.
	if !ok || name != "v" || value != "DMARC1" {
		return nil, ErrNotDMARC
	}
	r := &Record{PSD: 'u', FailureOptions: "0"}
	seen := make(map[string]bool)
	for _, t := range tags[1:] {
		name, value, ok := tag(t)
		if !ok || seen[name] {
			continue // a malformed tag, or a repeat: ignored
		}
		seen[name] = true
		r.setTag(name, value)
	}
	return r, nil
}

// tag splits dmarc-tag = 1*ALPHA equals 1*dmarc-value, with the
// surrounding white space (RFC 9989 4.8). Names are case-insensitive.
func tag(s string) (name, value string, ok bool) {
	name, value, ok = strings.Cut(strings.Trim(s, " \t"), "=")
	name, value = strings.ToLower(strings.TrimRight(name, " \t")), strings.TrimLeft(value, " \t")
	if !ok || name == "" || value == "" {
		return "", "", false
	}
	for i := 0; i < len(name); i++ {
		if name[i] < 'a' || name[i] > 'z' {
			return "", "", false
		}
	}
	for i := 0; i < len(value); i++ {
		if value[i] < 0x20 || value[i] > 0x7e { // dmarc-value = %x20-3A / %x3C-7E
			return "", "", false
		}
	}
	return name, value, true
}

func (r *Record) setTag(name, value string) {
	switch name {
	case "p", "sp", "np":
		p, ok := parsePolicy(value)
		if !ok {
			r.badPolicy = true
			return
		}
		switch name {
		case "p":
			r.Policy = p
		case "sp":
			r.SubdomainPolicy = p
		default:
			r.NonexistentPolicy = p
		}
	case "adkim", "aspf":
		v := strings.ToLower(value)
		if v != "r" && v != "s" {
			return
		}
		if name == "adkim" {
			r.StrictDKIM = v == "s"
		} else {
			r.StrictSPF = v == "s"
		}
	case "psd":
		if v := strings.ToLower(value); v == "y" || v == "n" || v == "u" {
			r.PSD = v[0]
		}
	case "t":
		if v := strings.ToLower(value); v == "y" || v == "n" {
			r.Testing = v == "y"
		}
	case "rua":
		r.AggregateURIs = parseURIs(value)
	case "ruf":
		r.FailureURIs = parseURIs(value)
	case "fo":
		if validFO(value) {
			r.FailureOptions = value
		}
	}
}

func parsePolicy(v string) (Policy, bool) {
	switch p := Policy(strings.ToLower(v)); p {
	case PolicyNone, PolicyQuarantine, PolicyReject:
		return p, true
	}
	return "", false
}

// parseURIs keeps the valid URIs of a dmarc-urilist, dropping the
// obsolete "!size" suffix (RFC 9989 4.8).
func parseURIs(v string) []string {
	var uris []string
	for u := range strings.SplitSeq(v, ",") {
		u = strings.Trim(u, " \t")
		if i := strings.LastIndexByte(u, '!'); i >= 0 {
			u = u[:i]
		}
		p, err := url.Parse(u)
		if err != nil || p.Scheme == "" || (p.Opaque == "" && p.Host == "") {
			continue
		}
		uris = append(uris, u)
	}
	return uris
}

// validFO checks dmarc-fo: "0" or "1" and "d" and "s", each at most once,
// colon-separated, with "0" and "1" exclusive (RFC 9989 4.8).
func validFO(v string) bool {
	seen := make(map[string]bool)
	for o := range strings.SplitSeq(v, ":") {
		o = strings.ToLower(o)
		if o != "0" && o != "1" && o != "d" && o != "s" || seen[o] {
			return false
		}
		seen[o] = true
	}
	return !(seen["0"] && seen["1"])
}

// alignment is "r" or "s", as reports show adkim and aspf.
func alignment(strict bool) string {
	if strict {
		return "s"
	}
	return "r"
}
