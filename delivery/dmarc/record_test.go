package dmarc

import (
	"slices"
	"testing"
)

func TestParse(t *testing.T) {
	r, err := Parse("v=DMARC1; p=Reject ; SP=quarantine;np=none; adkim=s; aspf=r; psd=n; t=y; rua=mailto:a@example.com!10m, mailto:b@example.net ,bad uri; ruf=mailto:f@example.com; fo=1:d; pct=50; rf=afrf; ri=3600; zz=unknown;")
	if err != nil {
		t.Fatal(err)
	}
	want := Record{
		Policy: PolicyReject, SubdomainPolicy: PolicyQuarantine, NonexistentPolicy: PolicyNone,
		StrictDKIM: true, PSD: 'n', Testing: true, FailureOptions: "1:d",
	}
	if r.Policy != want.Policy || r.SubdomainPolicy != want.SubdomainPolicy || r.NonexistentPolicy != want.NonexistentPolicy ||
		r.StrictDKIM != want.StrictDKIM || r.StrictSPF || r.PSD != want.PSD || r.Testing != want.Testing || r.FailureOptions != want.FailureOptions || r.badPolicy {
		t.Errorf("record %+v", r)
	}
	if !slices.Equal(r.AggregateURIs, []string{"mailto:a@example.com", "mailto:b@example.net"}) || !slices.Equal(r.FailureURIs, []string{"mailto:f@example.com"}) {
		t.Errorf("rua %q ruf %q", r.AggregateURIs, r.FailureURIs)
	}
}

func TestParseDefaults(t *testing.T) {
	// Invalid values fall back to the defaults (RFC 9989 4.8).
	r, err := Parse("v=DMARC1;adkim=x;aspf=;psd=maybe;t=1;fo=0:1;rua=;p=none;p=reject")
	if err != nil {
		t.Fatal(err)
	}
	if r.StrictDKIM || r.StrictSPF || r.PSD != 'u' || r.Testing || r.FailureOptions != "0" || r.AggregateURIs != nil || r.Policy != PolicyNone {
		t.Errorf("record %+v", r)
	}
	r, _ = Parse("v=DMARC1; p=block")
	if !r.badPolicy || r.Policy != "" {
		t.Errorf("invalid p: %+v", r)
	}
}

func TestParseNotDMARC(t *testing.T) {
	for _, s := range []string{"", "v=DMARC2; p=none", "v=dmarc1; p=none", "p=none; v=DMARC1", "v=spf1 -all", "v=DMARC1p=none", "; v=DMARC1"} {
		if _, err := Parse(s); err != ErrNotDMARC {
			t.Errorf("Parse(%q) = %v, want ErrNotDMARC", s, err)
		}
	}
	for _, s := range []string{"v=DMARC1", "v = DMARC1 ;", " v=DMARC1;p=none"} {
		if _, err := Parse(s); err != nil {
			t.Errorf("Parse(%q) = %v", s, err)
		}
	}
}

// The example of RFC 9989 4.10: 13 labels take 8 queries.
func TestWalkNames(t *testing.T) {
	got := walkNames("a.b.c.d.e.f.g.h.i.j.mail.example.com")
	want := []string{"a.b.c.d.e.f.g.h.i.j.mail.example.com", "g.h.i.j.mail.example.com", "h.i.j.mail.example.com",
		"i.j.mail.example.com", "j.mail.example.com", "mail.example.com", "example.com", "com"}
	if !slices.Equal(got, want) {
		t.Errorf("walkNames = %q\nwant %q", got, want)
	}
	if got := walkNames("mail.example.com"); !slices.Equal(got, []string{"mail.example.com", "example.com", "com"}) {
		t.Errorf("walkNames = %q", got)
	}
}
