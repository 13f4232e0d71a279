// Package dmarc evaluates DMARC as RFC 9989 defines it (it obsoletes RFC
// 7489), and builds the aggregate reports of RFC 9990.
//
// Policy discovery and the Organizational Domain come from the DNS Tree
// Walk of RFC 9989 4.10 (at most 8 queries a walk), not from a public
// suffix list; psd=y and psd=n steer it. An Evaluator takes the results
// of SPF (the MAIL FROM identity) and of DKIM (domain and result of each
// signature, as plain values) and returns the DMARC result, the policy
// the Domain Owner asks for (p, sp, or np for a subdomain that does not
// exist) and the disposition to apply (one level lower under t=y):
//
//	eval := &dmarc.Evaluator{Resolver: &spf.DNS{Server: "127.0.0.1:53"}}
//	v := eval.Evaluate(ctx, dmarc.Input{
//		From:      "example.com", // the RFC5322.From domain
//		SPFDomain: mailFromDomain,
//		SPF:       spfVerdict.Result,
//		DKIM:      []dmarc.DKIMResult{{Domain: "example.com", Selector: "s1", Result: "pass"}},
//	})
//	switch v.Disposition {
//	case dmarc.PolicyReject: // 550 5.7.1 at the end of DATA
//	case dmarc.PolicyQuarantine: // deliver into Junk
//	}
//
// An Aggregator collects verdicts per DMARC Policy Domain and renders the
// RFC 9990 XML reports, the gzip'd attachment and the report message;
// Destinations checks the rua addresses that a report may go to.
//
// Section numbers of RFC 9989 and RFC 9990 in this package follow the
// last drafts they were published from (draft-ietf-dmarc-dmarcbis-41 and
// draft-ietf-dmarc-aggregate-reporting-32).
package dmarc
