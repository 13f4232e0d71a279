package pop3test_test

import (
	"bufio"
	"fmt"
	"net"
	"strings"

	"github.com/mailwright/mailwright/pop3/pop3test"
)

func ExampleNewServer() {
	// In a test: srv := pop3test.NewServer(t), closed by t.Cleanup.
	srv := pop3test.NewUnstartedServer(nil)
	if err := srv.Start(); err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()
	srv.Deliver("bob", []byte("Subject: Welcome\r\n\r\nHello Bob.\r\n"))

	// The code under test reads bob's mail from srv.Addr; any password
	// works for a user the server made.
	c, err := net.Dial("tcp", srv.Addr)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	r := bufio.NewReader(c)
	for _, cmd := range []string{"USER bob", "PASS x", "STAT", "QUIT"} {
		fmt.Fprintf(c, "%s\r\n", cmd)
	}
	for range 5 { // greeting and four replies
		line, _ := r.ReadString('\n')
		if strings.HasPrefix(line, "+OK 1 ") {
			fmt.Print(line[:len(line)-2], "\n")
		}
	}
	// Output: +OK 1 32
}
