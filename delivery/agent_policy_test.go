package delivery

import (
	"bufio"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailwright/mailwright/delivery/dnsbl"
	"github.com/mailwright/mailwright/delivery/spf"
	"github.com/mailwright/mailwright/internal/dnstest"
	"github.com/mailwright/mailwright/internal/loopback"
	"github.com/mailwright/mailwright/mailbox/throttle"
)

// blocklists serves bl.test, which lists 127.0.0.2 with a reason, and
// slow.test, which never answers.
func blocklists(t *testing.T) *dnstest.Server {
	s := dnstest.NewServer(t,
		`2.0.0.127.bl.test. 60 IN A 127.0.0.2`,
		`2.0.0.127.bl.test. 60 IN TXT "listed for testing"`,
	)
	s.Drop("2.0.0.127.slow.test")
	return s
}

// sendFrom runs a session from the address from: script after the EHLO.
func sendFrom(t *testing.T, from, addr, script string) {
	t.Helper()
	c := loopback.Dial(t, from, addr)
	transcript(t, c, bufio.NewReader(c), ehlo+script)
}

const oneMessage = `
	C: RCPT TO:<alice@example.org>
	S: 250 *
	C: DATA
	S: 354 *
	C: Subject: hi
	C:
	C: hello
	C: .
	S: 250 *`

// A client listed in a Reject zone is refused at MAIL FROM with the
// list's reason; another address is not, nor is the listed one once it
// has authenticated.
func TestDNSBLReject(t *testing.T) {
	dns := blocklists(t)
	a := testAgent(t)
	a.DNSBL = &dnsbl.Checker{Zones: []dnsbl.Zone{{Name: "bl.test"}}, Resolver: &spf.DNS{Server: dns.Addr}, Timeout: time.Minute}
	addr := serve(t, a)
	sendFrom(t, "127.0.0.2", addr, `
		C: MAIL FROM:<spam@example.com>
		S: 554 5.7.1 Service unavailable; client [127.0.0.2] blocked using bl.test; listed for testing
		C: MAIL FROM:<spam@example.com>
		S: 554 5.7.1 Service unavailable; client [127.0.0.2] blocked using bl.test; listed for testing
		C: QUIT
		S: 221 *`)
	sendFrom(t, "127.0.0.1", addr, `
		C: MAIL FROM:<friend@example.com>
		S: 250 *`+oneMessage)
	sendFrom(t, "127.0.0.2", addr, authPlain+`
		C: MAIL FROM:<alice@example.org>
		S: 250 *`+oneMessage)
	if n := len(inbox(t, a.Store, "alice")); n != 2 {
		t.Errorf("alice has %d messages, want 2", n)
	}
}

// A Tag zone lets the mail in with a header field saying so, except the
// mail of a session that authenticated.
func TestDNSBLTag(t *testing.T) {
	dns := blocklists(t)
	a := testAgent(t)
	a.DNSBL = &dnsbl.Checker{Zones: []dnsbl.Zone{{Name: "bl.test", Action: dnsbl.Tag}}, Resolver: &spf.DNS{Server: dns.Addr}}
	addr := serve(t, a)
	sendFrom(t, "127.0.0.2", addr, `
		C: MAIL FROM:<someone@example.com>
		S: 250 *`+oneMessage)
	sendFrom(t, "127.0.0.2", addr, authPlain+`
		C: MAIL FROM:<alice@example.org>
		S: 250 *`+oneMessage)
	msgs := inbox(t, a.Store, "alice")
	if len(msgs) != 2 || !strings.Contains(msgs[0], "\r\nX-DNSBL: bl.test (127.0.0.2) listed for testing\r\n") {
		t.Errorf("messages: %q", msgs)
	}
	if strings.Contains(msgs[1], "X-DNSBL") {
		t.Errorf("the message of an authenticated session is tagged: %q", msgs[1])
	}
}

// A list that never answers does not hold the session up: the greeting
// and EHLO come while the lookup is still under way (its Timeout is an
// hour), and with a short Timeout the mail is accepted once it passes.
func TestDNSBLSlowDoesNotStall(t *testing.T) {
	dns := blocklists(t)
	a := testAgent(t)
	a.DNSBL = &dnsbl.Checker{Zones: []dnsbl.Zone{{Name: "slow.test"}}, Resolver: &spf.DNS{Server: dns.Addr, Timeout: time.Hour}, Timeout: time.Hour}
	sendFrom(t, "127.0.0.2", serve(t, a), `
		C: NOOP
		S: 250 *
		C: QUIT
		S: 221 *`)

	b := testAgent(t)
	b.DNSBL = &dnsbl.Checker{Zones: []dnsbl.Zone{{Name: "slow.test"}, {Name: "bl.test", Action: dnsbl.Log}},
		Resolver: &spf.DNS{Server: dns.Addr, Timeout: time.Hour}, Timeout: 300 * time.Millisecond}
	sendFrom(t, "127.0.0.2", serve(t, b), `
		C: MAIL FROM:<someone@example.com>
		S: 250 *`+oneMessage)
	if dns.Queries("2.0.0.127.slow.test", "A") == 0 {
		t.Error("slow.test was not asked")
	}
}

// Over the SendLimiter's limits MAIL gets 451 4.7.1 and RCPT 450 4.7.1;
// the next window accepts again. An account and an unauthenticated
// network are counted apart.
func TestSendLimits(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	a := testAgent(t)
	a.SendLimiter = &throttle.Sending{AccountMessages: 2, AccountRecipients: 3, IPMessages: 1, Window: time.Hour,
		Now: func() time.Time { mu.Lock(); defer mu.Unlock(); return now }}
	addr := serve(t, a)

	sendFrom(t, "127.0.0.2", addr, authPlain+`
		C: MAIL FROM:<alice@example.org>
		S: 250 *
		C: RCPT TO:<bob@example.org>
		S: 250 *
		C: RCPT TO:<bob@example.net>
		S: 250 *
		C: RCPT TO:<alice@example.org>
		S: 250 *
		C: RCPT TO:<alice@example.net>
		S: 450 4.7.1 Too many recipients from your account; try again after 13:00 UTC
		C: RSET
		S: 250 *
		C: MAIL FROM:<alice@example.org>
		S: 250 *
		C: RSET
		S: 250 *
		C: MAIL FROM:<alice@example.org>
		S: 451 4.7.1 Too many messages from your account; try again after 13:00 UTC`)
	sendFrom(t, "127.0.0.2", addr, `
		C: MAIL FROM:<friend@example.com>
		S: 250 *`+oneMessage+`
		C: MAIL FROM:<friend@example.com>
		S: 451 4.7.1 Too many messages from your network; try again after 13:00 UTC`)
	sendFrom(t, "127.0.0.3", addr, `
		C: MAIL FROM:<friend@example.com>
		S: 250 *`)

	mu.Lock()
	now = now.Add(time.Hour)
	mu.Unlock()
	sendFrom(t, "127.0.0.2", addr, authPlain+`
		C: MAIL FROM:<alice@example.org>
		S: 250 *`+oneMessage)
	sendFrom(t, "127.0.0.2", addr, `
		C: MAIL FROM:<friend@example.com>
		S: 250 *`)
}

// Clients of RelayNetworks are not limited nor looked up, unless they
// authenticate.
func TestPoliciesSkipRelayNetworks(t *testing.T) {
	dns := blocklists(t)
	a := testAgent(t)
	a.RelayNetworks = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
	a.SendLimiter = &throttle.Sending{IPMessages: 1}
	a.DNSBL = &dnsbl.Checker{Zones: []dnsbl.Zone{{Name: "bl.test"}}, Resolver: &spf.DNS{Server: dns.Addr}}
	addr := serve(t, a)
	for range 3 {
		sendFrom(t, "127.0.0.2", addr, `
			C: MAIL FROM:<cron@example.org>
			S: 250 *`+oneMessage)
	}
	if n := dns.TotalQueries(); n != 0 {
		t.Errorf("%d DNSBL queries for a relay network client", n)
	}
}
