// Package dnsbl checks a client's address against DNS blocklists (RFC
// 5782): the address, reversed, is looked up under each zone; an A record
// in 127.0.0.0/8 means listed, and the TXT record at the same name says
// why.
//
// A Checker starts the lookups of all its zones at once when a client
// connects (Start) and the session asks for the result only when it
// needs it (Wait, at MAIL FROM for delivery.Agent), so that DNS runs
// while the client greets and starts TLS; a zone that has not answered by
// the deadline counts as not listed, so a slow or dead list delays a
// session by Timeout at most and never refuses it. Each zone has its
// Action: refuse the client's mail, tag it with a header, or only log:
//
//	checker := &dnsbl.Checker{
//		Zones:    []dnsbl.Zone{{Name: "zen.spamhaus.org", Action: dnsbl.Reject}},
//		Resolver: &spf.DNS{Server: "127.0.0.1:53"},
//	}
//	agent.DNSBL = checker // delivery.Agent: 554 5.7.1 at MAIL FROM when listed
//
// ParseZone reads a zone with its action and listing codes from text (a
// command-line flag).
package dnsbl
