package tlsrpt

import (
	"slices"
	"testing"
)

func TestParseRecord(t *testing.T) {
	tests := []struct {
		in            string
		mailto, https []string
	}{
		{"v=TLSRPTv1; rua=mailto:reports@example.com", []string{"reports@example.com"}, nil},
		{"v=TLSRPTv1;rua=mailto:a@example.com,https://r.example.com/v1/tlsrpt;", []string{"a@example.com"}, []string{"https://r.example.com/v1/tlsrpt"}},
		{"v=TLSRPTv1; rua=mailto:a@example.com , mailto:b@example.net; ext=1", []string{"a@example.com", "b@example.net"}, nil},
		{"v=TLSRPTv1; rua=https://r.example/x, ftp://r.example/y", nil, []string{"https://r.example/x"}},
		{"v=TLSRPTv1; rua=mailto:a@example.com; rua=mailto:b@example.com", []string{"a@example.com"}, nil},
	}
	for _, tt := range tests {
		r, err := ParseRecord(tt.in)
		if err != nil {
			t.Errorf("ParseRecord(%q): %v", tt.in, err)
			continue
		}
		if !slices.Equal(r.Mailto, tt.mailto) || !slices.Equal(r.HTTPS, tt.https) {
			t.Errorf("ParseRecord(%q) = %+v", tt.in, r)
		}
	}
	for _, in := range []string{
		"", "v=TLSRPTv1", "v=TLSRPTv2; rua=mailto:a@example.com", "rua=mailto:a@example.com; v=TLSRPTv1",
		"v=TLSRPTv1; rua=ftp://example.com/", "v=TLSRPTv1; rua=mailto:not an address", "v=TLSRPTv1; rua=https:///nohost",
		"v=TLSRPTv1; garbage; rua=mailto:a@example.com", "v=TLSRPTv1; rua=mailto:%0d%0aBcc:x@example.com",
	} {
		if r, err := ParseRecord(in); err == nil {
			t.Errorf("ParseRecord(%q) = %+v, want an error", in, r)
		}
	}
}

func TestFindRecord(t *testing.T) {
	if r, err := findRecord([]string{"v=spf1 -all", "v=TLSRPTv1; rua=mailto:a@example.com"}); err != nil || r.Mailto[0] != "a@example.com" {
		t.Errorf("one record: %+v, %v", r, err)
	}
	if _, err := findRecord([]string{"v=TLSRPTv1; rua=mailto:a@example.com", "v=TLSRPTv1; rua=mailto:b@example.com"}); err == nil {
		t.Error("two records accepted (RFC 8460 3)")
	}
}
