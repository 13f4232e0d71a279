// Package pop3 is a POP3 server: RFC 1939 with CAPA and extended response
// codes (RFC 2449), STLS (RFC 2595), SASL AUTH with PLAIN and LOGIN
// (RFC 5034) and the SYS and AUTH response codes (RFC 3206).
//
// The package knows the protocol and nothing about storage: a Backend
// checks credentials and opens a user's Maildrop, which lists, streams and
// deletes messages. The mailbox package provides one; the conformance
// suite in pop3/backendtest checks any other.
//
// The Server is shaped like net/http.Server:
//
//	srv := &pop3.Server{
//		Addr:      ":110",
//		Backend:   store, // a pop3.Backend, e.g. a *mailbox.Store
//		TLSConfig: tlsConfig,
//		Logger:    slog.Default(),
//	}
//	go srv.ListenAndServe()                   // STLS on port 110
//	go srv.ListenAndServeTLS("", "")          // implicit TLS: set Addr ":995" on a second Server
//	...
//	srv.Shutdown(ctx)
//
// Passwords are refused on a connection without TLS unless
// AllowInsecureAuth is set. Deletions take effect only after QUIT (the
// UPDATE state); a dropped connection deletes nothing. Message bodies are
// streamed with CRLF line endings and byte-stuffing, with memory bounded
// by buffers.
package pop3
