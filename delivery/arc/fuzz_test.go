package arc

import (
	"context"
	"strings"
	"testing"
)

// FuzzVerify runs messages with ARC fields through the validator: no
// panic, a status in every case, a reason for every failure, and the
// chains we seal (the seeds) pass only while intact.
func FuzzVerify(f *testing.F) {
	z := world(f)
	one := hop(f, z, listSealer(), "mx.lists.example.net", original, listFooter)
	f.Add(one)
	f.Add(hop(f, z, relaySealer(), "mx.relay.example.com", one, nil))
	f.Add("ARC-Seal: i=1; cv=none; a=rsa-sha256; d=x; s=y; b=YWJj\r\nARC-Message-Signature: i=1; a=rsa-sha256; d=x; s=y; h=from; bh=YWJj; b=YWJj\r\nARC-Authentication-Results: i=1; x; none\r\nFrom: a\r\n\r\n")
	f.Add("ARC-Authentication-Results: i=99; x\r\n\r\n")
	v := &Verifier{Resolver: z, MaxHeaderBytes: 32 << 10}
	f.Fuzz(func(t *testing.T, msg string) {
		res, err := v.Verify(context.Background(), strings.NewReader(msg))
		if err != nil {
			return
		}
		switch {
		case res.CV == Fail && res.Err == nil, res.CV != Fail && res.Err != nil,
			res.CV != None && res.CV != Pass && res.CV != Fail,
			res.CV == Pass && (len(res.Sets) == 0 || res.OldestPass > len(res.Sets)):
			t.Fatalf("result %+v", res)
		}
	})
}

// FuzzParseResults reads the instance tag of ARC-Authentication-Results.
func FuzzParseResults(f *testing.F) {
	for _, s := range []string{"i=1; mx.example.org; spf=pass smtp.mailfrom=a", " i = 50 ;x; none", "i=0; x", "i=1", "x; i=1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, results, err := parseResults(s)
		if err == nil && (n < 1 || n > 50) {
			t.Fatalf("%q: instance %d", s, n)
		}
		if err != nil && results != nil {
			t.Fatalf("%q: results with an error", s)
		}
	})
}
