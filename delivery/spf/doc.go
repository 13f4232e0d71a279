// Package spf checks the Sender Policy Framework (RFC 7208): whether a
// client address may send mail for the domain of a MAIL FROM or HELO
// identity.
//
// A Checker evaluates check_host with every mechanism (all, include, a,
// mx, ptr, ip4, ip6, exists) and modifier (redirect, exp), macros
// (including the explanation-only c, r and t), CIDR lengths, the limits of
// RFC 7208 4.6.4 (10 DNS terms, 2 void lookups, 10 MX names, 10 PTR
// names) and a time limit. The Verdict carries the result (none, neutral,
// pass, fail, softfail, temperror, permerror), the explanation of a fail
// and what went wrong for an error.
//
// DNS goes through a [Resolver]. [DNS] implements it with miekg/dns, the
// resolver of delivery.Remote, with a cache; point it at a server with
// DNS.Server (a test's loopback server, or a -resolver flag):
//
//	checker := &spf.Checker{
//		Resolver: &spf.DNS{Server: "127.0.0.1:53"},
//		Receiver: "mx.example.org",
//	}
//	v := checker.CheckMailFrom(ctx, clientIP, "bob@example.com", heloName)
//	if v.Result == spf.Fail {
//		return &smtp.Error{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 7, 23}, Message: v.Explanation}
//	}
//
// Parse parses a record alone, for tools that check what a domain
// publishes.
package spf
