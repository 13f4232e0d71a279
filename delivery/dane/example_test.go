package dane_test

import (
	"crypto/x509"
	"fmt"
	"time"

	"github.com/mailwright/mailwright/delivery/dane"
	"github.com/mailwright/mailwright/internal/testcert"
)

// A server operator publishes a "3 1 1" record of the server's key; a
// sending MTA checks the chain the server presents against it.
func ExampleVerify() {
	leaf := testcert.Static().Leaf
	rec := dane.Record(dane.UsageDANEEE, dane.SelectorSPKI, dane.MatchSHA256, leaf)
	fmt.Println(rec.Usable(), len(rec.Data))
	// DANE-EE checks neither names nor dates (RFC 7672 3.1.1).
	chain := []*x509.Certificate{leaf}
	fmt.Println(dane.Verify(chain, []dane.TLSA{rec}, []string{"mx.example.org"}, time.Now()))
	fmt.Println(dane.Name("mx.example.org", 25))
	// Output:
	// true 32
	// <nil>
	// _25._tcp.mx.example.org.
}
