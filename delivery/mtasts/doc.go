// Package mtasts implements SMTP MTA Strict Transport Security (MTA-STS,
// RFC 8461) for a sending MTA: the _mta-sts TXT record, the policy that a
// domain serves over HTTPS at https://mta-sts.DOMAIN/.well-known/mta-sts.txt,
// a cache of the policies fetched (kept for their max_age, refreshed
// before they expire) and the check of an MX host against a policy.
//
// A Client finds and caches policies; delivery.Remote asks it for the
// policy of each destination domain and enforces it:
//
//	sts := &mtasts.Client{Resolver: &spf.DNS{}}
//	go sts.Run(ctx) // proactive refresh
//	remote := &delivery.Remote{MTASTS: sts}
//
// Policy also formats the policy that a receiving domain publishes.
package mtasts
