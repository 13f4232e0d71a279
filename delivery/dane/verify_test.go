package dane

import (
	"crypto/x509"
	"errors"
	"testing"
	"time"

	"github.com/mailwright/mailwright/internal/testcert"
)

// chain returns a chain for names issued by a new CA: leaf, CA.
func chain(t *testing.T, notBefore, notAfter time.Time, names ...string) []*x509.Certificate {
	t.Helper()
	ca, err := testcert.NewCA()
	if err != nil {
		t.Fatal(err)
	}
	cert, err := ca.IssueValid(notBefore, notAfter, names...)
	if err != nil {
		t.Fatal(err)
	}
	return []*x509.Certificate{cert.Leaf, ca.Cert}
}

func TestVerify(t *testing.T) {
	now := time.Now()
	good := chain(t, now.Add(-time.Hour), now.Add(time.Hour), "mx.example.org")
	expired := chain(t, now.Add(-48*time.Hour), now.Add(-24*time.Hour), "mx.example.org")
	other := chain(t, now.Add(-time.Hour), now.Add(time.Hour), "mx.example.org")
	leaf, ca := good[0], good[1]
	names := []string{"mx.example.org", "example.org"}
	tests := []struct {
		name    string
		chain   []*x509.Certificate
		records []TLSA
		result  string // "" for success
	}{
		{"EE SPKI SHA-256", good, []TLSA{Record(3, 1, 1, leaf)}, ""},
		{"EE cert SHA-512", good, []TLSA{Record(3, 0, 2, leaf)}, ""},
		{"EE cert exact", good, []TLSA{Record(3, 0, 0, leaf)}, ""},
		// RFC 7672 3.1.1: DANE-EE ignores names and dates.
		{"EE ignores expiry", expired, []TLSA{Record(3, 1, 1, expired[0])}, ""},
		{"EE ignores names", good, []TLSA{Record(3, 1, 1, leaf)}, ""},
		{"EE of another key", other, []TLSA{Record(3, 1, 1, leaf)}, ResultValidationFailure},
		{"TA SPKI SHA-256", good, []TLSA{Record(2, 1, 1, ca)}, ""},
		{"TA cert exact", good, []TLSA{Record(2, 0, 0, ca)}, ""},
		{"TA of another CA", other, []TLSA{Record(2, 1, 1, ca)}, ResultValidationFailure},
		{"TA expired leaf", expired, []TLSA{Record(2, 1, 1, expired[1])}, ResultExpired},
		{"one of several records", good, []TLSA{Record(3, 1, 1, other[0]), Record(2, 0, 1, ca)}, ""},
		// RFC 7672 3.1.3: PKIX usages are not used by SMTP clients.
		{"PKIX-EE ignored", good, []TLSA{Record(1, 1, 1, leaf)}, ResultValidationFailure},
		{"bad digest length ignored", good, []TLSA{{Usage: 3, Selector: 1, MatchingType: 1, Data: []byte{1, 2}}}, ResultValidationFailure},
		{"no chain", nil, []TLSA{Record(3, 1, 1, leaf)}, ResultValidationFailure},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Verify(tt.chain, tt.records, names, now)
			var ve *VerifyError
			switch {
			case tt.result == "" && err != nil:
				t.Fatalf("Verify: %v", err)
			case tt.result != "" && (!errors.As(err, &ve) || ve.Result != tt.result):
				t.Fatalf("Verify = %v, want a %s error", err, tt.result)
			}
		})
	}
}

// TestVerifyTANames: with DANE-TA the leaf must name the MX host or the
// destination domain (RFC 7672 3.2.2).
func TestVerifyTANames(t *testing.T) {
	now := time.Now()
	c := chain(t, now.Add(-time.Hour), now.Add(time.Hour), "mx.example.org")
	ta := []TLSA{Record(2, 1, 1, c[1])}
	if err := Verify(c, ta, []string{"mx.example.org"}, now); err != nil {
		t.Errorf("MX name: %v", err)
	}
	err := Verify(c, ta, []string{"mx.example.net", "example.net"}, now)
	var ve *VerifyError
	if !errors.As(err, &ve) || ve.Result != ResultHostMismatch {
		t.Errorf("other names: %v, want %s", err, ResultHostMismatch)
	}
	// DANE-EE of the same chain passes whatever the names.
	if err := Verify(c, []TLSA{Record(3, 1, 1, c[0])}, []string{"mx.example.net"}, now); err != nil {
		t.Errorf("DANE-EE with other names: %v", err)
	}
}

func TestUsable(t *testing.T) {
	sha := make([]byte, 32)
	for _, tt := range []struct {
		r    TLSA
		want bool
	}{
		{TLSA{3, 1, 1, sha}, true},
		{TLSA{2, 0, 2, make([]byte, 64)}, true},
		{TLSA{3, 0, 0, []byte{1}}, true},
		{TLSA{0, 1, 1, sha}, false},
		{TLSA{1, 1, 1, sha}, false},
		{TLSA{4, 1, 1, sha}, false},
		{TLSA{3, 2, 1, sha}, false},
		{TLSA{3, 1, 3, sha}, false},
		{TLSA{3, 1, 2, sha}, false},
		{TLSA{3, 1, 0, nil}, false},
	} {
		if got := tt.r.Usable(); got != tt.want {
			t.Errorf("%v.Usable() = %v", tt.r, got)
		}
	}
}
