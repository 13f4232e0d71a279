package imap_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"strings"

	"github.com/mailwright/mailwright/imap"
	"github.com/mailwright/mailwright/mailbox"
)

// A Mailbox gets the UIDs of a command as a SeqSet of ranges, never
// expanded into a list.
func ExampleSeqSetFromNumbers() {
	s := imap.SeqSetFromNumbers([]uint32{1, 2, 3, 7, 9, 10})
	fmt.Println(s, s.Contains(8, 10))
	for lo, hi := range s.All(10) {
		fmt.Println(lo, hi)
	}
	// Output:
	// 1:3,7,9:10 false
	// 1 3
	// 7 7
	// 9 10
}

func ExampleServer() {
	store := mailbox.NewMemoryStore()
	defer store.Close()
	accounts := mailbox.NewMemoryAccounts()
	accounts.Add("alice", "secret")
	store.Append(context.Background(), "alice", "INBOX", strings.NewReader("Subject: hi\r\n\r\nHello\r\n"), nil)

	srv := &imap.Server{
		Backend:           mailbox.NewIMAPBackend(store, accounts),
		AllowInsecureAuth: true, // loopback only; set TLSConfig in production
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	go srv.Serve(l)
	defer srv.Close()

	c, _ := net.Dial("tcp", l.Addr().String())
	defer c.Close()
	r := bufio.NewReader(c)
	r.ReadString('\n') // greeting
	fmt.Fprint(c, "a LOGIN alice secret\r\nb EXAMINE INBOX\r\nc FETCH 1 BODY[HEADER.FIELDS (Subject)]\r\nd LOGOUT\r\n")
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			break
		}
		if strings.HasPrefix(line, "* 1 FETCH") || strings.HasPrefix(line, "Subject") {
			fmt.Println(strings.TrimRight(line, "\r\n"))
		}
	}
	// Output:
	// * 1 FETCH (BODY[HEADER.FIELDS (Subject)] {15}
	// Subject: hi
}
