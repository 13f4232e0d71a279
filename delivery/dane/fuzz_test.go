package dane

import (
	"crypto/x509"
	"testing"
	"time"

	"github.com/mailwright/mailwright/internal/testcert"
)

// FuzzVerify feeds arbitrary TLSA records to Verify against a fixed
// chain: no panic, and only records that match authenticate.
func FuzzVerify(f *testing.F) {
	leaf := testcert.Static().Leaf
	for _, r := range []TLSA{Record(3, 1, 1, leaf), Record(2, 0, 0, leaf), Record(3, 0, 2, leaf), {1, 1, 1, []byte{0}}} {
		f.Add(r.Usage, r.Selector, r.MatchingType, r.Data)
	}
	f.Fuzz(func(t *testing.T, usage, selector, matching uint8, data []byte) {
		r := TLSA{usage, selector, matching, data}
		err := Verify([]*x509.Certificate{leaf}, []TLSA{r}, []string{"localhost"}, time.Now())
		if err == nil && (!r.Usable() || !r.Matches(leaf)) {
			t.Fatalf("%v authenticated the chain", r)
		}
		_ = r.String()
	})
}
