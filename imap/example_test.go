package imap_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/mailwright/mailwright/imap"
	"github.com/mailwright/mailwright/imap/backendtest"
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

// The server of the package documentation: a Maildir store and an
// accounts file over implicit TLS, shut down gracefully on SIGTERM.
func Example_maildir() {
	store, err := mailbox.NewMaildirStore("/var/mail/mailwright")
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()
	accounts, err := mailbox.OpenAccountsFile("/etc/mailwright/accounts")
	if err != nil {
		log.Fatal(err)
	}
	accounts.Domains = []string{"example.org"} // alice@example.org logs in as alice
	srv := &imap.Server{Addr: ":993", Backend: mailbox.NewIMAPBackend(store, accounts)}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	go func() {
		<-ctx.Done()
		// Let logged-in sessions finish for up to 10 seconds.
		shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		srv.Shutdown(shutdown)
	}()
	if err := srv.ListenAndServeTLS("cert.pem", "key.pem"); !errors.Is(err, imap.ErrServerClosed) {
		log.Fatal(err)
	}
}

// A server on loopback, where plaintext passwords are acceptable
// (AllowInsecureAuth), over the in-memory store.
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

// quotaUser refuses every APPEND with OVERQUOTA.
type quotaUser struct{ imap.User }

func (quotaUser) Append(ctx context.Context, name string, r io.Reader, opts *imap.AppendOptions) (imap.AppendResult, error) {
	return imap.AppendResult{}, &imap.Error{Code: "OVERQUOTA", Text: "Mailbox is full", Err: errors.New("quota: 10 MB used of 10 MB")}
}

// A backend chooses what the client sees with an *imap.Error: its code
// and text are sent, its Err (the cause) only logged. Any other error
// would give NO [SERVERBUG].
func ExampleError() {
	m := backendtest.NewMemory()
	m.AddUser("alice", "secret")
	srv := &imap.Server{
		Backend: imap.BackendFunc(func(ctx context.Context, conn imap.ConnInfo, username, password string) (imap.User, error) {
			u, err := m.Login(ctx, conn, username, password)
			if err != nil {
				return nil, err
			}
			return quotaUser{u}, nil
		}),
		AllowInsecureAuth: true,
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	go srv.Serve(l)
	defer srv.Close()

	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		panic(err)
	}
	defer c.Close()
	r := bufio.NewReader(c)
	r.ReadString('\n') // greeting
	fmt.Fprint(c, "a LOGIN alice secret\r\nb APPEND INBOX {2+}\r\nhi\r\nc LOGOUT\r\n")
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			break
		}
		if strings.HasPrefix(line, "b ") {
			fmt.Print(strings.TrimRight(line, "\r\n"))
		}
	}
	// Output:
	// b NO [OVERQUOTA] Mailbox is full
}

// A submission server acting for alice reads the message she named with
// a URL her IMAP server signed for it (BURL, RFC 4468): GENURLAUTH over
// IMAP, then FetchURL in the same process.
func ExampleFetchURL() {
	store := mailbox.NewMemoryStore()
	defer store.Close()
	accounts := mailbox.NewMemoryAccounts()
	accounts.Add("alice", "secret")
	store.Append(context.Background(), "alice", "INBOX", strings.NewReader("Subject: draft\r\n\r\nSee you\r\n"), nil)
	backend := mailbox.NewIMAPBackend(store, accounts)

	srv := &imap.Server{Backend: backend, AllowInsecureAuth: true}
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
	fmt.Fprint(c, "a LOGIN alice secret\r\n"+
		`b GENURLAUTH "imap://alice@example.org/INBOX/;UID=1;URLAUTH=submit+alice" INTERNAL`+"\r\n")
	var url string
	for url == "" {
		line, err := r.ReadString('\n')
		if err != nil {
			panic(err)
		}
		if u, ok := strings.CutPrefix(strings.TrimRight(line, "\r\n"), "* GENURLAUTH "); ok {
			url = strings.Trim(u, `"`)
		}
	}

	data, size, err := imap.FetchURL(context.Background(), backend, "alice", url)
	if err != nil {
		panic(err)
	}
	defer data.Close()
	msg, _ := io.ReadAll(data)
	fmt.Printf("%d bytes: %q\n", size, msg)
	_, _, err = imap.FetchURL(context.Background(), backend, "bob", url)
	fmt.Println("for bob:", errors.Is(err, imap.ErrBadURL))
	// Output:
	// 27 bytes: "Subject: draft\r\n\r\nSee you\r\n"
	// for bob: true
}
