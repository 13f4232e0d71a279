// Package dkim signs outbound mail and verifies inbound mail with
// DomainKeys Identified Mail: RFC 6376, Ed25519 keys (RFC 8463) and the
// algorithm and key-size floor of RFC 8301 (rsa-sha1 and RSA keys under
// 1024 bits are refused).
//
// A Signer holds each sending domain's keys (several selectors per
// domain: sign with an RSA-2048 and an Ed25519 key, and every verifier
// finds one it knows). Sign reads a message once, hashing the body as it
// streams, and returns the DKIM-Signature fields to put on top:
// relaxed/relaxed, the fields that matter signed, the ones a spoofer
// would add oversigned.
//
//	key, _ := dkim.GenerateKey(dkim.Ed25519)
//	rec, _ := dkim.NewKeyRecord(key.Public())
//	fmt.Println(rec.ZoneEntry("ed2024", "example.org")) // publish this
//	s := &dkim.Signer{Keys: map[string][]dkim.Key{"example.org": {{Selector: "ed2024", PrivateKey: key}}}}
//	sigs, err := s.Sign(msgFile) // then send sigs followed by the message
//
// A Verifier checks every signature of an inbound message and gives one
// Result each, with the RFC 8601 status (pass, fail, neutral, policy,
// temperror, permerror), ready for Authentication-Results:
//
//	v := &dkim.Verifier{Resolver: resolver} // the server's caching resolver
//	results, err := v.Verify(ctx, msgFile)
//	entries := dkim.MethodResults(results) // []authres.MethodResult
//
// DNS goes through TXTResolver, which *net.Resolver implements; key
// lookups run while the body streams. Only the header is held in memory
// (bounded by MaxHeaderBytes).
package dkim
