package main

import (
	"bufio"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/mailwright/mailwright/delivery"
	"github.com/mailwright/mailwright/mailbox"
	"github.com/mailwright/mailwright/queue"
)

func openAccounts(cfg *config) (*mailbox.AccountsFile, error) {
	return mailbox.OpenAccountsFile(filepath.Join(cfg.data, "accounts"), cfg.domains...)
}

func loadAliases(cfg *config) (*delivery.Aliases, error) {
	a, err := delivery.LoadAliases(filepath.Join(cfg.data, "aliases"))
	if errors.Is(err, os.ErrNotExist) {
		return delivery.ParseAliases(strings.NewReader(""))
	}
	return a, err
}

// ensureFirstUser creates a first account with a random password, printed
// once, when there is none.
func ensureFirstUser(a *mailbox.AccountsFile, domain string) error {
	users, err := a.List()
	if err != nil || len(users) > 0 {
		return err
	}
	password := randomPassword()
	if err := a.Add("postmaster", password); err != nil {
		return err
	}
	fmt.Printf("Created the first user: postmaster@%s, password %s (shown once; change it with 'mailserver passwd postmaster')\n", domain, password)
	return nil
}

func randomPassword() string {
	const alphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	b := make([]byte, 16)
	rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// runCommand runs a management command: adduser, deluser, passwd, users,
// queue. A password not given with -password is the first line of stdin.
func runCommand(cl *commandLine, stdin io.Reader, stdout io.Writer) error {
	cfg := cl.config
	if err := os.MkdirAll(cfg.data, 0o700); err != nil {
		return err
	}
	if cl.command == "queue" {
		return queueCommand(cfg, cl.args)
	}
	accounts, err := openAccounts(cfg)
	if err != nil {
		return err
	}
	accounts.Cost = cl.cost
	readPassword := func() (string, error) {
		if cl.password != "" {
			return cl.password, nil
		}
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && err != io.EOF {
			return "", err
		}
		return strings.TrimRight(line, "\r\n"), nil
	}
	switch cl.command {
	case "adduser", "passwd":
		pw, err := readPassword()
		if err != nil {
			return err
		}
		if cl.command == "adduser" {
			return accounts.Add(cl.args[0], pw)
		}
		return accounts.SetPassword(cl.args[0], pw)
	case "deluser":
		return accounts.Remove(cl.args[0])
	case "users":
		users, err := accounts.List()
		for _, u := range users {
			fmt.Fprintln(stdout, u)
		}
		return err
	}
	return fmt.Errorf("unknown command %q", cl.command)
}

// queueCommand lists, retries or removes queued messages: queue list,
// queue retry [ID...], queue remove ID...
func queueCommand(cfg *config, args []string) error {
	if len(args) == 0 {
		args = []string{"list"}
	}
	// The queue is opened, not started: this command makes no delivery
	// attempts and sends no DSN, it only reads and changes the queue.
	q, err := queue.Open(filepath.Join(cfg.data, "queue"), queue.Options{Hostname: firstOr(cfg.domains, "localhost")})
	if err != nil {
		return fmt.Errorf("%w (is the server running? stop it to manage the queue)", err)
	}
	defer q.Close()
	switch args[0] {
	case "list":
		w := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "ID\tARRIVED\tFROM\tRECIPIENTS\tPENDING\tDOMAINS")
		for _, s := range q.List() {
			fmt.Fprintf(w, "%s\t%s\t<%s>\t%d\t%d\t%s\n", s.ID, s.Arrival.Format(time.RFC3339), s.From, s.Recipients, s.Pending, strings.Join(s.Domains, ","))
		}
		return w.Flush()
	case "retry":
		if len(args) == 1 {
			fmt.Println(q.RetryAll(), "messages due now")
			return nil
		}
		for _, id := range args[1:] {
			if err := q.RetryNow(id); err != nil {
				return err
			}
		}
		return nil
	case "remove":
		for _, id := range args[1:] {
			if err := q.Remove(id); err != nil {
				return err
			}
		}
		return nil
	}
	return fmt.Errorf("unknown queue command %q (list, retry, remove)", args[0])
}

func firstOr(list []string, def string) string {
	if len(list) > 0 {
		return list[0]
	}
	return def
}
