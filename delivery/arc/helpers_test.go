package arc

import (
	"context"
	"crypto"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailwright/mailwright/delivery/authres"
	"github.com/mailwright/mailwright/delivery/dkim"
	"github.com/mailwright/mailwright/delivery/internal/authtest"
)

var (
	keysOnce          sync.Once
	listKey, relayKey crypto.Signer
	edKey             crypto.Signer
)

// world has two forwarders' keys in DNS: lists.example.net (RSA) and
// relay.example.com (RSA), and an Ed25519 key for ed.example.com.
func world(t testing.TB) *authtest.Zone {
	t.Helper()
	keysOnce.Do(func() {
		var err error
		if listKey, err = dkim.GenerateKey(dkim.RSA); err == nil {
			if relayKey, err = dkim.GenerateKey(dkim.RSA); err == nil {
				edKey, err = dkim.GenerateKey(dkim.Ed25519)
			}
		}
		if err != nil {
			panic(err)
		}
	})
	z := &authtest.Zone{}
	for _, k := range []struct {
		sel, domain string
		key         crypto.Signer
	}{{"arc", "lists.example.net", listKey}, {"seal", "relay.example.com", relayKey}, {"ed", "ed.example.com", edKey}} {
		rec, err := dkim.NewKeyRecord(k.key.Public())
		if err != nil {
			t.Fatal(err)
		}
		z.Set(dkim.KeyName(k.sel, k.domain), rec.String())
	}
	return z
}

func listSealer() *Sealer {
	return &Sealer{Domain: "lists.example.net", Selector: "arc", Key: listKey,
		Now: func() time.Time { return time.Unix(1700000000, 0) }}
}

func relaySealer() *Sealer {
	return &Sealer{Domain: "relay.example.com", Selector: "seal", Key: relayKey,
		Now: func() time.Time { return time.Unix(1700000100, 0) }}
}

const original = "From: Alice <alice@example.org>\r\n" +
	"To: list@lists.example.net\r\n" +
	"Subject: hello list\r\n" +
	"Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n" +
	"Message-ID: <1@example.org>\r\n" +
	"\r\n" +
	"Hello everyone.\r\n"

// hop is one forwarder: it verifies the chain, records its results in
// Authentication-Results, changes the message as mailing lists do (when
// change is set) and seals.
func hop(t testing.TB, z *authtest.Zone, s *Sealer, authServID, msg string, change func(string) string) string {
	t.Helper()
	chain := verifyChain(t, z, msg)
	results := &authres.Header{AuthServID: authServID, Results: []authres.MethodResult{
		{Method: "spf", Result: "pass", Properties: []authres.Property{{Type: "smtp", Name: "mailfrom", Value: "example.org"}}},
		chain.MethodResult(),
	}}
	msg = results.Field() + msg
	if change != nil {
		msg = change(msg)
	}
	set, err := s.Seal(strings.NewReader(msg), results, chain.CV)
	if err != nil {
		t.Fatalf("Seal: %v", err)
	}
	return string(set) + msg
}

func verifyChain(t testing.TB, z *authtest.Zone, msg string) *Result {
	t.Helper()
	res, err := (&Verifier{Resolver: z}).Verify(context.Background(), strings.NewReader(msg))
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	return res
}

// listFooter is what a mailing list does to a message: a subject tag and
// a footer, which break the author's DKIM signature.
func listFooter(msg string) string {
	msg = strings.Replace(msg, "Subject: hello list", "Subject: [list] hello list", 1)
	return msg + "-- \r\nlist footer\r\n"
}
