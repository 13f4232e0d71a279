// Package managesieve is a ManageSieve server (RFC 5804): users upload,
// check, list, activate, rename and delete their Sieve scripts with a
// mail client (Thunderbird's Sieve add-on, Roundcube, sieve-connect), and
// local delivery runs the active one (delivery.SieveFilter).
//
// The Server is shaped like net/http.Server and the other protocol
// servers of mailwright. NewBackend serves the scripts that a
// mailbox.Store keeps next to each user's mail, to the accounts that log
// in over IMAP and POP3:
//
//	srv := &managesieve.Server{
//		Addr:      ":4190",
//		Backend:   managesieve.NewBackend(store, accounts),
//		TLSConfig: tlsConfig,      // STARTTLS; passwords need TLS by default
//		Sieve:     filter.Options, // check scripts as delivery will run them
//	}
//	go srv.ListenAndServe()
//	...
//	srv.Shutdown(ctx)
//
// PUTSCRIPT and CHECKSCRIPT compile the script with delivery/sieve and
// refuse it with the line and column of its first error. The size and
// the number of a user's scripts are bounded (QUOTA/MAXSIZE,
// QUOTA/MAXSCRIPTS; HAVESPACE asks ahead). AUTHENTICATE takes PLAIN, and
// the mechanisms of a Backend that implements SASLBackend; failed logins
// are logged in the format smtp, pop3 and imap share
// (proto=managesieve). Commands and their literals are bounded in size
// and time; a literal over the limit is skipped and refused, one too
// large to skip ends the session.
package managesieve
