package authres

import (
	"reflect"
	"strings"
	"testing"
)

// FuzzParse: what parses formats into text that parses to the same.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"example.org 1; none",
		"mx.example.org; dkim=pass header.d=example.com header.b=\"ab/cd\"; spf=fail reason=\"x\" smtp.mailfrom=a@b",
		` (c (nested)) "mx example" ; DKIM/1 = Pass reason="a \"q\"" policy.x = @example.org ;`,
		"a; b=c d=e f.g=h",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		h, err := Parse(s)
		if err != nil {
			return
		}
		back, err := Parse(h.Fold())
		if err != nil || !reflect.DeepEqual(normalized(back), normalized(h)) {
			t.Fatalf("%q parsed as %+v, formatted as %q, read back as %+v, %v", s, h, h.Fold(), back, err)
		}
	})
}

// normalized maps what formatting cannot keep (control characters in
// quoted values become spaces, an empty result list and none are one).
func normalized(h *Header) *Header {
	c := *h
	c.Results = nil
	clean := func(s string) string {
		return strings.Map(func(r rune) rune {
			if r < ' ' || r == 0x7f {
				return ' '
			}
			return r
		}, s)
	}
	for _, r := range h.Results {
		r.Reason = clean(r.Reason)
		var props []Property
		for _, p := range r.Properties {
			props = append(props, Property{p.Type, p.Name, clean(p.Value)})
		}
		r.Properties = props
		c.Results = append(c.Results, r)
	}
	c.AuthServID = clean(c.AuthServID)
	return &c
}

// FuzzRemoveForged: the output is the input minus whole fields, and the
// body is untouched.
func FuzzRemoveForged(f *testing.F) {
	f.Add("Authentication-Results: mx.example.org; dkim=pass\r\nSubject: x\r\n\r\nbody")
	f.Add("A: 1\nAuthentication-Results:\n mx.example.org\n\nb")
	f.Add("Authentication-Results: \"mx.example.org\" (x); none")
	f.Fuzz(func(t *testing.T, msg string) {
		var out strings.Builder
		n, err := RemoveForged(&out, strings.NewReader(msg), "mx.example.org")
		if err != nil {
			return
		}
		if n == 0 && out.String() != msg || len(out.String()) > len(msg) {
			t.Fatalf("removed %d: %q -> %q", n, msg, out.String())
		}
		// With CRLF line endings only, the first empty line ends the header.
		crlfOnly := strings.Count(msg, "\n") == strings.Count(msg, "\r\n")
		if i := strings.Index(msg, "\r\n\r\n"); crlfOnly && i >= 0 && !strings.HasSuffix(out.String(), msg[i+2:]) {
			t.Fatalf("body changed: %q -> %q", msg, out.String())
		}
	})
}
