// Package smtp implements an ESMTP server (RFC 5321) that can also speak
// LMTP (RFC 2033), and an SMTP client.
//
// The server does the protocol work and hands each transaction to a
// Backend: one Session per connection receives MAIL, RCPT and a streaming
// reader of the message. It implements PIPELINING, 8BITMIME, SIZE,
// ENHANCEDSTATUSCODES, STARTTLS, AUTH (PLAIN and LOGIN, plus any SASL
// mechanism the session offers), SMTPUTF8, CHUNKING, BINARYMIME and DSN
// parameters, and advertises exactly what the configuration and the
// session support.
//
// A server in a few lines:
//
//	s := &smtp.Server{
//		Addr:    "127.0.0.1:2525",
//		Domain:  "mx.example.org",
//		Backend: smtp.BackendFunc(func(ctx context.Context, c *smtp.Conn) (smtp.Session, error) {
//			return &mySession{}, nil
//		}),
//	}
//	log.Fatal(s.ListenAndServe())
//
// The server follows net/http: ListenAndServe, ListenAndServeTLS and
// ServeTLS (implicit TLS, RFC 8314), Serve, Shutdown and Close work the
// same way, every limit (message size, recipients, line length, timeouts,
// connection caps) has a safe default, and a panic in a session ends only
// that session. A configuration that cannot work fails at start: no
// Backend, implicit TLS without a certificate, or a Backend whose Validate
// (the optional Validator interface) fails.
//
// # Logging
//
// The server logs to its Logger, slog.Default() when nil: connection
// details at Debug, configuration warnings (no TLS and no
// AllowInsecureAuth while sessions offer AUTH: no client can log in;
// logged once, at the first such session) and failed logins at Warn,
// backend errors and recovered panics at Error. A failed AUTH (refused
// credentials or a malformed exchange, not a temporary backend failure)
// is one line, the same in the pop3 and imap packages, for operators and
// fail2ban; with slog's text handler:
//
//	level=WARN msg="login failed" proto=smtp ip=192.0.2.7 user=alice method="AUTH PLAIN"
//
// method is "AUTH " and the SASL mechanism; user is the name the client
// gave (empty when the exchange broke off before it). An AUTH that the
// LoginLimiter refuses before checking it is logged as "login blocked",
// with the limiter's reason.
//
// Only <CRLF>.<CRLF> ends message data; a bare LF or CR never does, so a
// message cannot smuggle a second one past this server. A message is
// acknowledged with 250 only when Session.Data returns nil, so a backend
// that stores durably before returning makes every 250 durable.
//
// The client (DialContext, Client, SendMail) pipelines, streams messages
// with DATA or BDAT, and bounds the length and count of the server's reply
// lines. Every call that talks to the server takes a context, as
// net.Dialer.DialContext and database/sql's methods do: when it ends, the
// read or write in progress returns at once with an error that wraps
// ctx.Err().
//
//	c, err := smtp.DialContext(ctx, "mx.example.net:25")
//	if err != nil { ... }
//	defer c.Close()
//	results, err := c.Send(ctx, from, nil, rcpts, body)
//	...
//	c.Quit(ctx)
package smtp
