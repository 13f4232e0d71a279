package managesieve_test

import (
	"bufio"
	"fmt"
	"log/slog"
	"net"
	"strings"

	"github.com/mailwright/mailwright/delivery/managesieve"
	"github.com/mailwright/mailwright/mailbox"
)

func ExampleServer() {
	store := mailbox.NewMemoryStore()
	defer store.Close()
	accounts := mailbox.NewMemoryAccounts("example.org")
	accounts.Add("alice", "secret")
	srv := &managesieve.Server{
		Backend:           managesieve.NewBackend(store, accounts),
		AllowInsecureAuth: true, // a test on loopback; give TLSConfig instead
		Logger:            slog.New(slog.DiscardHandler),
	}
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	go srv.Serve(l)
	defer srv.Close()

	c, _ := net.Dial("tcp", l.Addr().String())
	defer c.Close()
	r := bufio.NewReader(c)
	for line, _ := r.ReadString('\n'); line != "OK \"ManageSieve ready\"\r\n"; line, _ = r.ReadString('\n') {
	}
	fmt.Fprint(c, "AUTHENTICATE \"PLAIN\" \"AGFsaWNlAHNlY3JldA==\"\r\n")
	script := "require \"vacation\";\r\nvacation :days 7 \"Back on Monday.\";\r\n"
	fmt.Fprintf(c, "PUTSCRIPT \"vacation\" {%d+}\r\n%s\r\n", len(script), script) // a literal
	fmt.Fprint(c, "SETACTIVE \"vacation\"\r\nLISTSCRIPTS\r\nLOGOUT\r\n")
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			break
		}
		fmt.Println(strings.TrimRight(line, "\r\n"))
	}
	// Output:
	// OK "Logged in"
	// OK "Script stored"
	// OK "Active script set"
	// "vacation" ACTIVE
	// OK "Listscripts completed"
	// OK "Logout completed"
}
