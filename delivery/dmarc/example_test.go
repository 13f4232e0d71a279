package dmarc_test

import (
	"context"
	"fmt"
	"net/netip"
	"time"

	"github.com/mailwright/mailwright/delivery/dmarc"
	"github.com/mailwright/mailwright/delivery/spf"
	"github.com/mailwright/mailwright/internal/dnstest"
)

func ExampleEvaluator_Evaluate() {
	srv, err := dnstest.Start(`_dmarc.example.com. TXT "v=DMARC1; p=reject; rua=mailto:dmarc@example.com"`)
	if err != nil {
		panic(err)
	}
	defer srv.Close()
	eval := &dmarc.Evaluator{Resolver: &spf.DNS{Server: srv.Addr}}

	// A message From: example.com, signed by a subdomain: relaxed alignment.
	v := eval.Evaluate(context.Background(), dmarc.Input{
		From: "example.com",
		DKIM: []dmarc.DKIMResult{{Domain: "mail.example.com", Selector: "s1", Result: "pass"}},
	})
	fmt.Println(v.Result, v.Disposition)

	// A forgery: SPF passes for the forger's own domain only.
	v = eval.Evaluate(context.Background(), dmarc.Input{From: "example.com", SPFDomain: "forger.example", SPF: spf.Pass})
	fmt.Println(v.Result, v.Disposition)
	// Output:
	// pass none
	// fail reject
}

func ExampleAggregator() {
	srv, err := dnstest.Start(`_dmarc.example.com. TXT "v=DMARC1; p=quarantine; rua=mailto:dmarc@example.com"`)
	if err != nil {
		panic(err)
	}
	defer srv.Close()
	eval := &dmarc.Evaluator{Resolver: &spf.DNS{Server: srv.Addr}}
	agg := &dmarc.Aggregator{}

	in := dmarc.Input{From: "example.com", SPFDomain: "example.com", SPF: spf.Fail}
	agg.Add(dmarc.Event{SourceIP: netip.MustParseAddr("192.0.2.7"), Input: in, Verdict: eval.Evaluate(context.Background(), in)})

	day := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	for _, r := range agg.Flush(dmarc.Metadata{OrgName: "Receiver", Email: "postmaster@receiver.example",
		Receiver: "receiver.example", Begin: day, End: day.Add(24 * time.Hour)}) {
		to, _ := eval.Destinations(context.Background(), r.PolicyDomain, r.Record)
		fmt.Println(r.Filename(), to)
		// r.WriteMessage(msg, "postmaster@receiver.example", to[0], time.Now()) makes the mail to queue.
	}
	// Output:
	// receiver.example!example.com!1772323200!1772409600.xml.gz [dmarc@example.com]
}
