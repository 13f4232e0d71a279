// Package tlsrpt implements SMTP TLS Reporting (TLS-RPT, RFC 8460) for a
// sending MTA: a Recorder counts the successful and failed TLS sessions
// per policy domain and policy (MTA-STS, DANE, none), and a Reporter
// sends a JSON aggregate report for each domain and UTC day, gzip'd, to
// the addresses of the domain's _smtp._tls record: by mail (through the
// queue) and by HTTPS POST.
//
//	rec := &tlsrpt.Recorder{}
//	remote := &delivery.Remote{TLSRPT: rec}
//	rep := &tlsrpt.Reporter{Recorder: rec, Resolver: dns, Submitter: "example.org",
//		From: "tlsrpt@example.org", Mail: enqueue}
//	go rep.Run(ctx) // sends yesterday's reports each day
package tlsrpt
