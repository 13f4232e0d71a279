// Package pop3 is a POP3 server and client: RFC 1939 with CAPA and
// extended response codes (RFC 2449), STLS (RFC 2595), SASL AUTH
// (RFC 5034; the server offers PLAIN and LOGIN, the client takes any
// go-sasl mechanism) and the SYS and AUTH response codes (RFC 3206).
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
// The Client fetches mail from any POP3 server (this is ExampleClient,
// where addr, tlsConfig and save are made):
//
//	c, err := pop3.DialContext(ctx, addr)
//	if err != nil {
//		log.Fatal(err)
//	}
//	defer c.Close()
//	if err := c.StartTLS(ctx, tlsConfig); err != nil { // before the password
//		log.Fatal(err)
//	}
//	if err := c.Login(ctx, "bob", "password"); err != nil {
//		log.Fatal(err)
//	}
//	list, err := c.List(ctx)
//	if err != nil {
//		log.Fatal(err)
//	}
//	for _, m := range list {
//		msg, err := c.Retrieve(ctx, m.Number) // streamed, dots unstuffed
//		if err != nil {
//			log.Fatal(err)
//		}
//		err = save(msg)
//		msg.Close()
//		if err != nil {
//			log.Fatal(err)
//		}
//		if err := c.Delete(ctx, m.Number); err != nil {
//			log.Fatal(err)
//		}
//	}
//	if err := c.Quit(ctx); err != nil { // the deletions happen here
//		log.Fatal(err)
//	}
//
// A message from Retrieve or Top is read from the connection as the
// caller reads it, so its size does not matter; the next command waits
// for it to be read or closed (until then it is refused). Every method
// takes a context for that call. Replies are bounded in line length and
// count; a -ERR is an *Error with its response code, so that
// errors.Is(err, ErrInUse) and errors.Is(err, ErrAuthFailed) work on
// either side.
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
// method is PASS (after USER), APOP, "AUTH PLAIN" or "AUTH LOGIN". A
// login that the LoginLimiter refuses before checking it is logged as
// "login blocked", with the limiter's reason.
package pop3
