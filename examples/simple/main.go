// Command simple is the simplest mail server that works, and the simplest
// mail client. The server: a list of accounts, one mbox file per account,
// SMTP appends to the recipient's file, POP3 hands the file out and erases
// what the client deleted.
//
//	go run ./examples/simple -users alice:secret,bob:secret
//	curl smtp://127.0.0.1:2525 --mail-from alice@localhost --mail-rcpt bob@localhost -T msg.txt
//	curl pop3://bob:secret@127.0.0.1:1110/1
//
// The client (client.go) downloads a user's mail over POP3 into a local
// mbox file, erases it from the server, lists the messages of the file
// (sender, subject, date, size) and shows the text of one:
//
//	go run ./examples/simple client -user bob -password secret -mbox bob.mbox -show 1
package main

import (
	"bytes"
	"context"
	"flag"
	"io"
	"log"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/mailwright/mailwright/mailbox"
	"github.com/mailwright/mailwright/pop3"
	"github.com/mailwright/mailwright/smtp"
)

// server knows the accounts and where their mbox files are.
type server struct {
	dir       string
	passwords map[string]string // user -> password
}

func (s *server) mbox(user string) *mailbox.MboxFile {
	return &mailbox.MboxFile{Path: filepath.Join(s.dir, user+".mbox")}
}

// NewSession makes server an smtp.Backend: a session per connection.
func (s *server) NewSession(context.Context, *smtp.Conn) (smtp.Session, error) {
	return &smtpSession{s: s}, nil
}

// smtpSession receives mail for the accounts, one message at a time.
type smtpSession struct {
	s    *server
	from string
	to   []string
}

func (c *smtpSession) Mail(_ context.Context, from string, _ *smtp.MailOptions) error {
	c.from = from
	return nil
}

func (c *smtpSession) Rcpt(_ context.Context, to string, _ *smtp.RcptOptions) error {
	user, _, _ := strings.Cut(to, "@")
	if _, ok := c.s.passwords[user]; !ok {
		return &smtp.Error{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such user"}
	}
	c.to = append(c.to, user)
	return nil
}

// Data appends the message to each recipient's file. Append fsyncs before
// it returns, so the 250 that follows is durable.
func (c *smtpSession) Data(ctx context.Context, r io.Reader) error {
	msg, err := io.ReadAll(r) // bounded by the server's MaxMessageBytes
	for _, user := range c.to {
		if err == nil {
			err = c.s.mbox(user).Append(ctx, c.from, time.Now(), bytes.NewReader(msg))
		}
	}
	return err
}

func (c *smtpSession) Reset(context.Context)        { c.to = nil }
func (c *smtpSession) Logout(context.Context) error { return nil }

// Login makes server a pop3.Backend: the user's file, locked until the
// session ends, is the maildrop; DELE and QUIT erase messages from it.
func (s *server) Login(ctx context.Context, _ pop3.ConnInfo, user, password string) (pop3.Maildrop, error) {
	if pw, ok := s.passwords[user]; !ok || pw != password {
		return nil, pop3.ErrAuthFailed
	}
	lock, err := s.mbox(user).Lock(ctx)
	if err != nil {
		return nil, err
	}
	return lock.POP3Maildrop(), nil
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "client" {
		if err := client(os.Args[2:]); err != nil {
			log.Fatal(err)
		}
		return
	}
	dir := flag.String("dir", "simple-mail", "directory of the mbox files")
	users := flag.String("users", "alice:secret,bob:secret", "accounts as user:password,...")
	smtpAddr := flag.String("smtp", "127.0.0.1:2525", "SMTP address")
	pop3Addr := flag.String("pop3", "127.0.0.1:1110", "POP3 address")
	flag.Parse()

	s := &server{dir: *dir, passwords: map[string]string{}}
	for _, account := range strings.Split(*users, ",") {
		user, pw, _ := strings.Cut(account, ":")
		s.passwords[user] = pw
	}
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		log.Fatal(err)
	}
	smtpServer := &smtp.Server{Addr: *smtpAddr, Domain: "localhost", Backend: s}
	// Passwords in plaintext: this example listens on loopback only.
	pop3Server := &pop3.Server{Addr: *pop3Addr, Backend: s, AllowInsecureAuth: true}
	go func() { log.Fatal(pop3Server.ListenAndServe()) }()
	log.Printf("SMTP on %s, POP3 on %s, mail in %s", *smtpAddr, *pop3Addr, *dir)
	log.Fatal(smtpServer.ListenAndServe())
}
