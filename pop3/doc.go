// Package pop3 is a POP3 server: RFC 1939 with CAPA and extended response
// codes (RFC 2449), STLS (RFC 2595), SASL AUTH with PLAIN and LOGIN
// (RFC 5034) and the SYS and AUTH response codes (RFC 3206).
//
// The package knows the protocol and nothing about storage: a Backend
// checks credentials and opens a user's Maildrop, which lists, streams and
// deletes messages. The mailbox package provides one; the conformance
// suite in pop3/backendtest checks any other.
//
// The Server is shaped like net/http.Server (this is
// ExampleServer_ListenAndServe, where store, accounts and tlsConfig are
// made):
//
//	srv := &pop3.Server{
//		Backend:   mailbox.NewPOP3Backend(store, accounts), // or a pop3.Backend of your own
//		TLSConfig: tlsConfig,                               // enables STLS; passwords need TLS by default
//	}
//	errc := make(chan error, 2)
//	go func() { errc <- srv.ListenAndServe() }()          // port 110, with STLS
//	go func() { errc <- srv.ListenAndServeTLS("", "") }() // port 995, implicit TLS with srv.TLSConfig
//	select {
//	case err := <-errc: // a port in use, say
//		log.Print(err)
//	case <-ctx.Done():
//	}
//	srv.Shutdown(context.Background()) // stop accepting, let logged-in sessions QUIT
//
// Passwords are refused on a connection without TLS unless
// AllowInsecureAuth is set; a server with neither logs a warning at start,
// and one without Backend, or serving implicit TLS without a certificate,
// refuses to start. Deletions take effect only after QUIT (the
// UPDATE state); a dropped connection deletes nothing. Message bodies are
// streamed with CRLF line endings and byte-stuffing, with memory bounded
// by buffers.
//
// # Logging
//
// The server logs to its Logger, slog.Default() when nil: connection
// details at Debug, configuration warnings and failed logins at Warn,
// backend errors and recovered panics at Error. A failed login (refused
// credentials or a malformed AUTH exchange; not IN-USE or a backend
// failure) is one line, the same in the smtp and imap packages, for
// operators and fail2ban; with slog's text handler:
//
//	level=WARN msg="login failed" proto=pop3 ip=192.0.2.7 user=alice method=PASS
//
// method is PASS (after USER), APOP, "AUTH PLAIN" or "AUTH LOGIN".
package pop3
