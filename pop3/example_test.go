package pop3_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"strings"

	"github.com/mailwright/mailwright/pop3"
	"github.com/mailwright/mailwright/pop3/backendtest"
)

// ExampleServer wires a server to a backend, serves on a loopback
// listener, and shuts it down. A real server sets TLSConfig (for STLS)
// and serves port 110 with ListenAndServe or port 995 with
// ListenAndServeTLS.
func ExampleServer() {
	store := backendtest.NewMemory() // any pop3.Backend, e.g. a mailbox store
	store.AddUser("alice", "secret")
	store.Deliver("alice", []byte("Subject: hi\r\n\r\nHello, Alice.\r\n"))

	srv := &pop3.Server{
		Backend:           struct{ pop3.Backend }{store}, // hide APOP: a fixed greeting
		AllowInsecureAuth: true,                          // loopback only; use TLSConfig in production
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	go srv.Serve(l)
	defer srv.Shutdown(context.Background())

	// A client session.
	conn, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		panic(err)
	}
	defer conn.Close()
	r := bufio.NewReader(conn)
	fmt.Fprint(conn, "USER alice\r\nPASS secret\r\nRETR 1\r\nQUIT\r\n")
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			break
		}
		fmt.Println(strings.TrimRight(line, "\r\n"))
	}
	// Output:
	// +OK POP3 server ready
	// +OK Send PASS
	// +OK Logged in, 1 messages (30 octets)
	// +OK 30 octets
	// Subject: hi
	//
	// Hello, Alice.
	// .
	// +OK Bye, 0 messages deleted
}
