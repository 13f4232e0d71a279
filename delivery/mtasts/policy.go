package mtasts

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Mode is the mode of a policy (RFC 8461 5).
type Mode string

// Policy modes.
const (
	// ModeEnforce: mail goes only to MX hosts that match the policy and
	// present a valid certificate for their name.
	ModeEnforce Mode = "enforce"
	// ModeTesting: mail goes as without a policy; failures are reported
	// (TLS-RPT, RFC 8460).
	ModeTesting Mode = "testing"
	// ModeNone: the domain has withdrawn its policy.
	ModeNone Mode = "none"
)

// Limits of a policy (RFC 8461 3.2 and 3.3).
const (
	// MaxPolicySize is the largest policy body read (RFC 8461 3.3:
	// senders may limit the body to 64 KiB).
	MaxPolicySize = 64 << 10
	// MaxMaxAge is the largest max_age, one year (RFC 8461 3.2).
	MaxMaxAge = 31557600 * time.Second
	// maxMXPatterns bounds the mx lines kept.
	maxMXPatterns = 100
)

// Policy is an MTA-STS policy (RFC 8461 3.2).
type Policy struct {
	// Mode is enforce, testing or none.
	Mode Mode
	// MX are the patterns of the MX hosts allowed: "mail.example.com"
	// or "*.example.net" (a wildcard covers one label).
	MX []string
	// MaxAge is how long a sender may cache the policy.
	MaxAge time.Duration
}

// errPolicy wraps every parse error.
var errPolicy = errors.New("mtasts: invalid policy")

// ParsePolicy parses a policy body: "key: value" lines ending in CRLF or
// LF. Unknown keys are ignored; of repeated keys other than mx the first
// counts (RFC 8461 3.2).
func ParsePolicy(body []byte) (*Policy, error) {
	if len(body) > MaxPolicySize {
		return nil, fmt.Errorf("%w: larger than %d bytes", errPolicy, MaxPolicySize)
	}
	var p Policy
	var version, maxAge string
	seen := map[string]bool{}
	for line := range strings.Lines(string(body)) {
		line = strings.TrimRight(line, "\r\n")
		if line == "" {
			continue
		}
		key, value, ok := strings.Cut(line, ":")
		if !ok || !validKey(key) {
			return nil, fmt.Errorf("%w: bad line %q", errPolicy, clip(line))
		}
		// RFC 8461 3.2: sts-policy-value is *WSP value *WSP.
		value = strings.Trim(value, " \t")
		if key == "mx" {
			if !validPattern(value) {
				return nil, fmt.Errorf("%w: bad mx pattern %q", errPolicy, clip(value))
			}
			if len(p.MX) < maxMXPatterns {
				p.MX = append(p.MX, strings.ToLower(value))
			}
			continue
		}
		if seen[key] {
			continue
		}
		seen[key] = true
		switch key {
		case "version":
			version = value
		case "mode":
			p.Mode = Mode(value)
		case "max_age":
			maxAge = value
		}
	}
	if version != "STSv1" {
		return nil, fmt.Errorf("%w: version %q, want STSv1", errPolicy, clip(version))
	}
	switch p.Mode {
	case ModeEnforce, ModeTesting, ModeNone:
	default:
		return nil, fmt.Errorf("%w: mode %q", errPolicy, clip(string(p.Mode)))
	}
	// RFC 8461 3.2: max_age is 1*10DIGIT, at most 31557600.
	n, err := strconv.ParseUint(maxAge, 10, 64)
	if err != nil || len(maxAge) > 10 || time.Duration(n)*time.Second > MaxMaxAge {
		return nil, fmt.Errorf("%w: max_age %q", errPolicy, clip(maxAge))
	}
	p.MaxAge = time.Duration(n) * time.Second
	if len(p.MX) == 0 && p.Mode != ModeNone {
		return nil, fmt.Errorf("%w: no mx", errPolicy)
	}
	return &p, nil
}

// String formats the policy as it is served, with CRLF line endings.
func (p *Policy) String() string {
	var b strings.Builder
	b.WriteString("version: STSv1\r\nmode: " + string(p.Mode) + "\r\n")
	for _, mx := range p.MX {
		b.WriteString("mx: " + mx + "\r\n")
	}
	b.WriteString("max_age: " + strconv.FormatInt(int64(p.MaxAge/time.Second), 10) + "\r\n")
	return b.String()
}

// Lines returns the policy as TLS-RPT's policy-string: one string per
// line (RFC 8460 4.4).
func (p *Policy) Lines() []string {
	return strings.Split(strings.TrimSuffix(p.String(), "\r\n"), "\r\n")
}

// Match reports whether host, an MX host name, matches one of the
// policy's mx patterns (RFC 8461 4.1): equal ignoring case, or under a
// "*." pattern with exactly one more label on the left.
func (p *Policy) Match(host string) bool {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	for _, pat := range p.MX {
		if suffix, ok := strings.CutPrefix(pat, "*."); ok {
			label, rest, found := strings.Cut(host, ".")
			if found && label != "" && rest == suffix {
				return true
			}
			continue
		}
		if host == pat {
			return true
		}
	}
	return false
}

// validKey checks sts-policy-field-name: 1*32(ALPHA / DIGIT / "_" / "-" / ".")
// (RFC 8461 3.2).
func validKey(k string) bool {
	if k == "" || len(k) > 32 {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(isAlnum(c) || c == '_' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// validPattern checks an mx value: a host name, or "*." and a host name.
func validPattern(s string) bool {
	s = strings.TrimPrefix(s, "*.")
	if s == "" || len(s) > 253 {
		return false
	}
	for label := range strings.SplitSeq(s, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			if c := label[i]; !isAlnum(c) && c != '-' && c != '_' {
				return false
			}
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// clip shortens s for an error message.
func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}
