// Command imapmem serves mailwright's IMAP server over the in-memory
// mailbox store on a loopback port, for load comparisons (see
// internal/cmd/imapload). It prints the address and serves until killed.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"

	"github.com/mailwright/mailwright/imap/imaptest"
)

func main() {
	user := flag.String("user", "bench", "user name")
	pass := flag.String("pass", "pass", "password")
	flag.Parse()
	s := imaptest.NewUnstartedServer(nil)
	s.AutoCreateUsers = false
	// Every load client comes from 127.0.0.1: no per-address cap (the
	// default of 32 refuses a 32-client load while its fill connection is
	// still closing).
	s.IMAP.MaxConnectionsPerIP = -1
	if err := s.AddUser(*user, *pass); err != nil {
		fmt.Fprintln(os.Stderr, "imapmem:", err)
		os.Exit(1)
	}
	if err := s.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "imapmem:", err)
		os.Exit(1)
	}
	fmt.Println(s.Addr)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt)
	<-sig
	s.Close()
}
