package dmarc

import (
	"context"
	"testing"

	"github.com/mailwright/mailwright/delivery/spf"
)

// BenchmarkEvaluate is an evaluation with warm DNS caches: a subdomain
// author, relaxed alignment of SPF and of a DKIM signature of another
// subdomain (three tree walks, cached).
func BenchmarkEvaluate(b *testing.B) {
	e, _ := newEvaluator(b)
	in := Input{From: "news.example.com", SPF: spf.Pass, SPFDomain: "bounces.example.net",
		DKIM: []DKIMResult{{Domain: "mail.example.com", Selector: "s", Result: "pass"}}}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if v := e.Evaluate(ctx, in); v.Result != Pass {
			b.Fatalf("%s: %v", v.Result, v.Err)
		}
	}
}

// BenchmarkAggregate is adding a verdict to an aggregate report.
func BenchmarkAggregate(b *testing.B) {
	e, _ := newEvaluator(b)
	in := Input{From: "example.com", SPF: spf.Pass, SPFDomain: "example.com"}
	ev := Event{Input: in, Verdict: e.Evaluate(context.Background(), in)}
	agg := &Aggregator{}
	b.ReportAllocs()
	for b.Loop() {
		agg.Add(ev)
	}
}
