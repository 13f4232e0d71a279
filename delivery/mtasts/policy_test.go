package mtasts

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParsePolicy(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want *Policy // nil: an error
	}{
		{"rfc example", "version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nmx: *.example.net\r\nmx: backupmx.example.com\r\nmax_age: 604800\r\n",
			&Policy{Mode: ModeEnforce, MX: []string{"mail.example.com", "*.example.net", "backupmx.example.com"}, MaxAge: 604800 * time.Second}},
		{"LF endings, no final newline, spaces", "version:STSv1\nmode:  testing \nmx: MX.Example.COM\nmax_age: 86400",
			&Policy{Mode: ModeTesting, MX: []string{"mx.example.com"}, MaxAge: 86400 * time.Second}},
		{"none without mx", "version: STSv1\nmode: none\nmax_age: 0\n", &Policy{Mode: ModeNone, MaxAge: 0}},
		{"unknown key ignored, first of repeated counts", "version: STSv1\nmode: enforce\nmode: none\nfoo.bar-baz_x: 1\nmx: a.example\nmax_age: 10\n",
			&Policy{Mode: ModeEnforce, MX: []string{"a.example"}, MaxAge: 10 * time.Second}},
		{"max max_age", "version: STSv1\nmode: none\nmax_age: 31557600\n", &Policy{Mode: ModeNone, MaxAge: MaxMaxAge}},
		{"max_age over a year", "version: STSv1\nmode: none\nmax_age: 31557601\n", nil},
		{"max_age 11 digits", "version: STSv1\nmode: none\nmax_age: 00000000001\n", nil},
		{"max_age negative", "version: STSv1\nmode: none\nmax_age: -1\n", nil},
		{"max_age missing", "version: STSv1\nmode: none\n", nil},
		{"version missing", "mode: none\nmax_age: 1\n", nil},
		{"version wrong", "version: STSv2\nmode: none\nmax_age: 1\n", nil},
		{"mode wrong", "version: STSv1\nmode: Enforce\nmx: a.example\nmax_age: 1\n", nil},
		{"enforce without mx", "version: STSv1\nmode: enforce\nmax_age: 1\n", nil},
		{"line without colon", "version: STSv1\nmode none\nmax_age: 1\n", nil},
		{"bad key", "version: STSv1\nmo de: none\nmax_age: 1\n", nil},
		{"bad mx", "version: STSv1\nmode: enforce\nmx: a..example\nmax_age: 1\n", nil},
		{"mx wildcard in the middle", "version: STSv1\nmode: enforce\nmx: a.*.example\nmax_age: 1\n", nil},
		{"html", "<html><body>Not found</body></html>", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParsePolicy([]byte(tt.in))
			if tt.want == nil {
				if err == nil {
					t.Fatalf("got %+v, want an error", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Mode != tt.want.Mode || got.MaxAge != tt.want.MaxAge || !slices.Equal(got.MX, tt.want.MX) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestParsePolicyTooLarge(t *testing.T) {
	body := "version: STSv1\nmode: none\nmax_age: 1\n" + strings.Repeat("x: y\n", MaxPolicySize/5)
	if _, err := ParsePolicy([]byte(body)); err == nil {
		t.Error("a policy over 64 KiB parsed")
	}
}

func TestPolicyString(t *testing.T) {
	p := &Policy{Mode: ModeEnforce, MX: []string{"mx.example.org", "*.example.org"}, MaxAge: 7 * 24 * time.Hour}
	want := "version: STSv1\r\nmode: enforce\r\nmx: mx.example.org\r\nmx: *.example.org\r\nmax_age: 604800\r\n"
	if got := p.String(); got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	back, err := ParsePolicy([]byte(p.String()))
	if err != nil || back.Mode != p.Mode || back.MaxAge != p.MaxAge || !slices.Equal(back.MX, p.MX) {
		t.Errorf("round trip: %+v, %v", back, err)
	}
	if got := p.Lines(); len(got) != 5 || got[0] != "version: STSv1" || got[4] != "max_age: 604800" {
		t.Errorf("Lines() = %q", got)
	}
}

func TestMatch(t *testing.T) {
	p := &Policy{Mode: ModeEnforce, MX: []string{"mail.example.com", "*.example.net"}}
	for host, want := range map[string]bool{
		"mail.example.com":    true,
		"MAIL.Example.Com.":   true,
		"mx.mail.example.com": false,
		"a.example.net":       true,
		"A.EXAMPLE.NET.":      true,
		"example.net":         false, // RFC 8461 4.1: the wildcard needs a label
		"a.b.example.net":     false, // and only one
		".example.net":        false,
		"other.example":       false,
	} {
		if got := p.Match(host); got != want {
			t.Errorf("Match(%q) = %v, want %v", host, got, want)
		}
	}
}

func TestParseRecord(t *testing.T) {
	for in, want := range map[string]string{
		"v=STSv1; id=20160831085700Z;":   "20160831085700Z",
		"v=STSv1;id=abc":                 "abc",
		"v=STSv1; id=abc; foo=bar; id=x": "abc",
		"v=STSv1; foo=bar; id=1 ;":       "1",
	} {
		r, err := ParseRecord(in)
		if err != nil || r.ID != want {
			t.Errorf("ParseRecord(%q) = %+v, %v; want id %q", in, r, err, want)
		}
	}
	for _, in := range []string{
		"", "v=STSv1", "v=STSv1; id=", "v=STSv2; id=1", "id=1; v=STSv1", "v=STSv1; id=a-b",
		"v=STSv1; id=" + strings.Repeat("a", 33), "v=STSv1; id", "v=STSv1; i d=1; id=2",
	} {
		if r, err := ParseRecord(in); err == nil {
			t.Errorf("ParseRecord(%q) = %+v, want an error", in, r)
		}
	}
}

func TestFindRecord(t *testing.T) {
	if r, err := findRecord([]string{"v=spf1 -all", "v=STSv1; id=1"}); err != nil || r.ID != "1" {
		t.Errorf("one STS record among others: %+v, %v", r, err)
	}
	// RFC 8461 3.1: two STS records mean no policy.
	if _, err := findRecord([]string{"v=STSv1; id=1", "v=STSv1; id=2"}); err == nil {
		t.Error("two records accepted")
	}
	if _, err := findRecord(nil); err != errNoRecord {
		t.Errorf("no records: %v", err)
	}
}
