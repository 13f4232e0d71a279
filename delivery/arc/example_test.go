package arc_test

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"fmt"
	"net"
	"strings"

	"github.com/mailwright/mailwright/delivery/arc"
	"github.com/mailwright/mailwright/delivery/authres"
	"github.com/mailwright/mailwright/delivery/dkim"
)

// Forwarding a message through an alias: check the chain it arrived with,
// record what we found, seal, and the next receiver validates the chain.
func Example() {
	seed, _ := base64.StdEncoding.DecodeString("nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=")
	key := ed25519.NewKeyFromSeed(seed) // a real sealer keeps a key from dkim.GenerateKey
	rec, _ := dkim.NewKeyRecord(key.Public())
	dns := dkim.TXTResolverFunc(func(ctx context.Context, name string) ([]string, error) {
		if name == "arc._domainkey.example.org" {
			return []string{rec.String()}, nil
		}
		return nil, &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
	})
	msg := "From: Joe <joe@example.com>\r\nTo: alias@example.org\r\nSubject: hi\r\n\r\nHello.\r\n"

	v := &arc.Verifier{Resolver: dns}
	chain, _ := v.Verify(context.Background(), strings.NewReader(msg))
	results := &authres.Header{AuthServID: "mx.example.org", Results: []authres.MethodResult{
		{Method: "spf", Result: "pass", Properties: []authres.Property{{Type: "smtp", Name: "mailfrom", Value: "example.com"}}},
		chain.MethodResult(),
	}}
	msg = results.Field() + msg
	s := &arc.Sealer{Domain: "example.org", Selector: "arc", Key: key}
	set, err := s.Seal(strings.NewReader(msg), results, chain.CV)
	if err != nil {
		panic(err)
	}
	forwarded := string(set) + msg

	chain, _ = v.Verify(context.Background(), strings.NewReader(forwarded))
	fmt.Println(chain.MethodResult())
	fmt.Println(chain.Sets[0].Domain, chain.Sets[0].Results)
	// Output:
	// arc=pass header.oldest-pass=0
	// example.org mx.example.org; spf=pass smtp.mailfrom=example.com; arc=none
}
