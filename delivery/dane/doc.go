// Package dane authenticates SMTP servers with DANE (RFC 7672): TLSA
// records (RFC 6698, RFC 7671) at _25._tcp.MXHOST, looked up through a
// DNSSEC-validating resolver that the operator trusts, and the check of
// a server's certificate chain against them.
//
// Only an answer that the resolver marked authenticated (the AD bit) is
// used: a resolver that does not validate, or an attacker between it and
// us, cannot make DANE apply or change its records. For SMTP only the
// DANE-TA(2) and DANE-EE(3) usages count (RFC 7672 3.1.3); when TLSA
// records exist, TLS is mandatory.
//
// delivery.Remote uses the package when Remote.DANEResolver is set:
//
//	tlsa, err := dane.Lookup(ctx, resolver, "mx.example.org", 25)
//	// TLS with InsecureSkipVerify and
//	cfg.VerifyConnection = tlsa.VerifyConnection(names)
package dane
