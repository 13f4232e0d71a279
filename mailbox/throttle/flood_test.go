package throttle

import (
	"errors"
	"net"
	"strconv"
	"testing"

	"github.com/mailwright/mailwright/imap"
	"github.com/mailwright/mailwright/internal/loopback"
	"github.com/mailwright/mailwright/mailbox"
)

// A flood of failed logins from many distinct addresses, each with its
// own user name, over real IMAP sessions: the tables stay within
// MaxEntries.
func TestFloodOverSockets(t *testing.T) {
	if !loopback.Usable("127.0.1.44") {
		t.Skip("this system cannot dial from all of 127.0.0.0/8")
	}
	accounts := mailbox.NewMemoryAccounts()
	l := &Logins{MaxEntries: 50, Delay: -1}
	srv := &imap.Server{Backend: mailbox.NewIMAPBackend(mailbox.NewMemoryStore(), accounts), AllowInsecureAuth: true, LoginLimiter: l}
	srv.Logger = discardLogger()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	defer func() {
		srv.Close()
		if err := <-done; !errors.Is(err, imap.ErrServerClosed) {
			t.Error(err)
		}
	}()
	const clients = 150
	for i := range clients {
		c := loopback.DialClient(t, loopback.Addr(i+1), ln.Addr().String())
		c.Run(`
			S: * OK *
			C: a LOGIN user` + strconv.Itoa(i) + ` guess
			S: a NO [AUTHENTICATIONFAILED] *
			C: b LOGOUT
			S: * BYE *
			S: b OK *`)
		c.Conn.Close()
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.sources.m) > 50 || len(l.accounts.m) > 50 {
		t.Errorf("after %d clients: %d sources and %d accounts counted, want at most 50 each", clients, len(l.sources.m), len(l.accounts.m))
	}
	if len(l.sources.m) < 40 {
		t.Errorf("only %d sources counted: the table is not being used", len(l.sources.m))
	}
}
