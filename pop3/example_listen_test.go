package pop3_test

import (
	"context"
	"crypto/tls"
	"log"
	"os"
	"os/signal"

	"github.com/mailwright/mailwright/mailbox"
	"github.com/mailwright/mailwright/pop3"
)

// ExampleServer_ListenAndServe serves the INBOXes of a Maildir store on
// the POP3 ports, 110 with STLS and 995 with implicit TLS, until
// interrupted. Its server part is the snippet of the package doc.
func ExampleServer_ListenAndServe() {
	store, err := mailbox.NewMaildirStore("/var/mail/mailwright")
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()
	accounts, err := mailbox.OpenAccountsFile("/etc/mailwright/accounts", "example.org")
	if err != nil {
		log.Fatal(err)
	}
	cert, err := tls.LoadX509KeyPair("/etc/mailwright/cert.pem", "/etc/mailwright/key.pem")
	if err != nil {
		log.Fatal(err)
	}
	tlsConfig := &tls.Config{Certificates: []tls.Certificate{cert}}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	srv := &pop3.Server{
		Backend:   mailbox.NewPOP3Backend(store, accounts), // or a pop3.Backend of your own
		TLSConfig: tlsConfig,                               // enables STLS; passwords need TLS by default
	}
	errc := make(chan error, 2)
	go func() { errc <- srv.ListenAndServe() }()          // port 110, with STLS
	go func() { errc <- srv.ListenAndServeTLS("", "") }() // port 995, implicit TLS with srv.TLSConfig
	select {
	case err := <-errc: // a port in use, say
		log.Print(err)
	case <-ctx.Done():
	}
	srv.Shutdown(context.Background()) // stop accepting, let logged-in sessions QUIT
}
