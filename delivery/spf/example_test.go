package spf_test

import (
	"context"
	"fmt"
	"net/netip"

	"github.com/mailwright/mailwright/delivery/spf"
	"github.com/mailwright/mailwright/internal/dnstest"
)

func ExampleChecker_CheckMailFrom() {
	// A DNS server on loopback that publishes example.com's policy.
	srv, err := dnstest.Start(
		`example.com. TXT "v=spf1 ip4:192.0.2.0/24 -all exp=why.example.com"`,
		`why.example.com. TXT "%{i} may not send mail for %{d}"`,
	)
	if err != nil {
		panic(err)
	}
	defer srv.Close()

	checker := &spf.Checker{Resolver: &spf.DNS{Server: srv.Addr}}
	for _, ip := range []string{"192.0.2.25", "198.51.100.7"} {
		v := checker.CheckMailFrom(context.Background(), netip.MustParseAddr(ip), "bob@example.com", "mail.example.com")
		fmt.Println(ip, v.Result)
		if v.Result == spf.Fail {
			fmt.Println("  550 5.7.23", v.Explanation)
		}
	}
	// Output:
	// 192.0.2.25 pass
	// 198.51.100.7 fail
	//   550 5.7.23 198.51.100.7 may not send mail for example.com
}

func ExampleParse() {
	r, err := spf.Parse("v=spf1 mx a:relay.example.com/28 include:_spf.example.net ~all")
	if err != nil {
		panic(err)
	}
	for _, d := range r.Directives {
		fmt.Println(d.Qualifier, d.Mechanism, d.Domain, d.Bits4)
	}
	// Output:
	// pass mx  32
	// pass a relay.example.com 28
	// pass include _spf.example.net 32
	// softfail all  32
}
