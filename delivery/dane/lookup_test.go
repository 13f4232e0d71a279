package dane

import (
	"context"
	"errors"
	"testing"

	"github.com/mailwright/mailwright/internal/dnstest"
	"github.com/miekg/dns"
)

// query is a plain Resolver over miekg/dns that asks with the AD bit.
func query(addr string) Resolver {
	return QueryFunc(func(ctx context.Context, name string, qtype uint16) (*dns.Msg, error) {
		m := new(dns.Msg)
		m.SetQuestion(name, qtype)
		m.AuthenticatedData = true
		resp, _, err := new(dns.Client).ExchangeContext(ctx, m, addr)
		if err != nil {
			return nil, err
		}
		if resp.Rcode != dns.RcodeSuccess && resp.Rcode != dns.RcodeNameError {
			return nil, errors.New(dns.RcodeToString[resp.Rcode])
		}
		return resp, nil
	})
}

func TestLookup(t *testing.T) {
	const hash = "8cb0fc6c527506a053f4f14c8464bebbd6dede2738d11468dd953d7d6a3021f1"
	srv := dnstest.NewServer(t,
		"_25._tcp.mx.signed.test. 300 IN TLSA 3 1 1 "+hash,
		"_25._tcp.mx.signed.test. 300 IN TLSA 1 1 1 "+hash,
		"_25._tcp.pkix.signed.test. 300 IN TLSA 0 0 1 "+hash,
		"_25._tcp.mx.unsigned.test. 300 IN TLSA 3 1 1 "+hash,
		"mx.signed.test. 300 IN A 127.0.0.1",
		"mx.nodane.signed.test. 300 IN A 127.0.0.1",
	)
	srv.Secure("signed.test")
	srv.Fail("_25._tcp.bogus.signed.test", dns.RcodeServerFailure)
	r := query(srv.Addr)
	ctx := t.Context()

	p, err := Lookup(ctx, r, "MX.signed.test.", 25)
	if err != nil || p == nil || len(p.Records) != 1 || p.Unusable != 1 || !p.Authenticated() || p.Host != "mx.signed.test" {
		t.Fatalf("signed: %+v, %v", p, err)
	}
	if got := p.Strings(); got[0] != "3 1 1 "+hash {
		t.Errorf("Strings() = %q", got)
	}
	if p, err := Lookup(ctx, r, "pkix.signed.test", 25); err != nil || p == nil || p.Authenticated() || p.Unusable != 1 {
		t.Errorf("only unusable records: %+v, %v (TLS stays mandatory)", p, err)
	}
	for _, host := range []string{"mx.unsigned.test", "mx.nodane.signed.test", "nx.signed.test"} {
		if p, err := Lookup(ctx, r, host, 25); p != nil || err != nil {
			t.Errorf("%s: %+v, %v; want no DANE", host, p, err)
		}
	}
	_, err = Lookup(ctx, r, "bogus.signed.test", 25)
	var le *LookupError
	if !errors.As(err, &le) || le.Result != ResultDNSSECInvalid {
		t.Errorf("SERVFAIL: %v, want a LookupError", err)
	}
	if n := srv.Queries("_25._tcp.mx.signed.test", "TLSA"); n != 1 {
		t.Errorf("%d TLSA queries, want 1", n)
	}
}
