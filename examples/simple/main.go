// Command simple is the simplest mail server that works: a list of
// accounts, one mbox file per account, SMTP appends to the recipient's
// file, POP3 hands the file out and erases what the client deleted.
//
//	go run ./examples/simple -users alice:secret,bob:secret
package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
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

// smtpSession receives one message at a time for local accounts.
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
	body, err := io.ReadAll(r) // held in memory for several recipients: fine for a simple server
	for _, user := range c.to {
		if err == nil {
			err = c.s.mbox(user).Append(ctx, c.from, time.Now(), bytes.NewReader(body))
		}
	}
	return err
}

func (c *smtpSession) Reset(context.Context)        { c.to = nil }
func (c *smtpSession) Logout(context.Context) error { return nil }

// NewSession makes server an smtp.Backend: a session per connection.
func (s *server) NewSession(context.Context, *smtp.Conn) (smtp.Session, error) {
	return &smtpSession{s: s}, nil
}

// Login opens the user's mbox for one POP3 session, locked until Close.
func (s *server) Login(ctx context.Context, _ pop3.ConnInfo, user, password string) (pop3.Maildrop, error) {
	if pw, ok := s.passwords[user]; !ok || pw != password {
		return nil, pop3.ErrAuthFailed
	}
	lock, err := s.mbox(user).Lock(ctx)
	if err != nil {
		return nil, err
	}
	return &maildrop{lock: lock, offsets: map[string]int64{}}, nil
}

// maildrop is the POP3 view of one mbox file. A message's UID is the hash
// of its content, stable for as long as the message is in the file.
type maildrop struct {
	lock    *mailbox.MboxLock
	offsets map[string]int64 // UID -> offset of the From_ line
}

func (m *maildrop) Messages(context.Context) ([]pop3.Message, error) {
	var msgs []pop3.Message
	r := m.lock.Messages()
	r.CRLF = true // POP3 sizes count CRLF line endings
	for {
		msg, err := r.Next()
		if err == io.EOF {
			return msgs, nil
		} else if err != nil {
			return nil, err
		}
		h := sha256.New()
		n, err := io.Copy(h, msg.Body)
		if err != nil {
			return nil, err
		}
		uid := hex.EncodeToString(h.Sum(nil))[:32]
		m.offsets[uid] = msg.Offset
		msgs = append(msgs, pop3.Message{UID: uid, Size: n})
	}
}

func (m *maildrop) Open(_ context.Context, uid string) (io.ReadCloser, error) {
	r := m.lock.MessageAt(m.offsets[uid])
	r.CRLF = true
	msg, err := r.Next()
	if err != nil {
		return nil, err
	}
	return io.NopCloser(msg.Body), nil
}

func (m *maildrop) Delete(_ context.Context, uids []string) error {
	gone := map[int64]bool{}
	for _, uid := range uids {
		gone[m.offsets[uid]] = true
	}
	return m.lock.DeleteFunc(func(msg *mailbox.MboxMessage) bool { return gone[msg.Offset] })
}

func (m *maildrop) Close() error { return m.lock.Close() }

func main() {
	dir := flag.String("dir", "simple-mail", "directory of the mbox files")
	users := flag.String("users", "alice:secret,bob:secret", "accounts as user:password,...")
	smtpAddr := flag.String("smtp", "127.0.0.1:2525", "SMTP address")
	pop3Addr := flag.String("pop3", "127.0.0.1:1110", "POP3 address")
	flag.Parse()

	os.MkdirAll(*dir, 0o700)
	s := &server{dir: *dir, passwords: map[string]string{}}
	for _, u := range strings.Split(*users, ",") {
		name, pw, _ := strings.Cut(u, ":")
		s.passwords[name] = pw
	}
	smtpServer := &smtp.Server{Addr: *smtpAddr, Domain: "localhost", Backend: s}
	// Passwords in plaintext: this example listens on loopback only.
	pop3Server := &pop3.Server{Addr: *pop3Addr, Backend: s, AllowInsecureAuth: true}
	go func() { log.Fatal(pop3Server.ListenAndServe()) }()
	log.Printf("SMTP on %s, POP3 on %s, mail in %s", *smtpAddr, *pop3Addr, *dir)
	log.Fatal(smtpServer.ListenAndServe())
}
