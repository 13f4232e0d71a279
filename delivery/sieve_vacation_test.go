package delivery

import (
	"bufio"
	"strings"
	"testing"

	"github.com/mailwright/mailwright/queue"
	"github.com/mailwright/mailwright/smtp/smtptest"
)

// TestSieveVacationEndToEnd: mail from other domains arrives over SMTP
// for alice, whose script is on vacation; the replies go through the
// queue and Remote to the senders' MX (a sink). One reply per sender and
// period, none to lists, bulk mail, automatic mail, system senders, <>,
// or mail that does not name alice; the reply's header as RFC 5230 5 and
// RFC 3834 3 ask.
func TestSieveVacationEndToEnd(t *testing.T) {
	srv, port := sink(t, false)
	m := openMTA(t, port, startDNS(t, testZone...))
	m.agent.Sieve = &SieveFilter{}
	setScript(t, m.agent.Store, "alice", `require "vacation";
vacation :days 1 :subject "Away" :addresses ["alice.smith@example.org"] "I am away until Monday.";`)
	m.addr = serve(t, m.agent)

	accepted := "250 2.0.0 Message accepted"
	to := []string{"alice@example.org"}
	conn := dial(t, m.addr)
	transcript(t, conn, bufio.NewReader(conn), ehlo+
		mailTo("ann@example.test", to, "From: Ann <ann@example.test>\nTo: alice@example.org\nSubject: lunch?\nMessage-ID: <m1@example.test>", accepted)+
		mailTo("ann@example.test", to, "From: ann@example.test\nTo: alice@example.org\nSubject: again", accepted)+
		mailTo("list-bounces@example.test", to, "From: list@example.test\nTo: alice@example.org\nList-Id: <l.example.test>\nSubject: list", accepted)+
		mailTo("news@example.test", to, "From: news@example.test\nTo: alice@example.org\nPrecedence: bulk\nSubject: bulk", accepted)+
		mailTo("MAILER-DAEMON@example.test", to, "From: MAILER-DAEMON@example.test\nTo: alice@example.org\nSubject: bounce", accepted)+
		mailTo("owner-list@example.test", to, "From: owner-list@example.test\nTo: alice@example.org\nSubject: owner", accepted)+
		mailTo("robot@example.test", to, "From: robot@example.test\nTo: alice@example.org\nAuto-Submitted: auto-generated\nSubject: auto", accepted)+
		mailTo("eve@example.test", to, "From: eve@example.test\nTo: someone@example.test\nSubject: bcc", accepted)+
		mailTo("", to, "From: x@example.test\nTo: alice@example.org\nSubject: null sender", accepted)+
		mailTo("dan@example.test", to, "From: dan@example.test\nTo: Alice <alice.smith@example.org>\nSubject: other address", accepted))

	reply := waitMsg(t, srv, smtptest.To("ann@example.test"))
	h := reply.Header()
	for name, want := range map[string]string{
		"From":           "<alice@example.org>",
		"To":             "Ann <ann@example.test>",
		"Subject":        "Away",
		"In-Reply-To":    "<m1@example.test>",
		"References":     "<m1@example.test>",
		"Auto-Submitted": "auto-replied",
	} {
		if got := h.Get(name); got != want {
			t.Errorf("reply %s: %q, want %q", name, got, want)
		}
	}
	if reply.From != "" || h.Get("Message-ID") == "" || h.Get("Date") == "" {
		t.Errorf("reply: envelope from %q, Message-ID %q, Date %q", reply.From, h.Get("Message-ID"), h.Get("Date"))
	}
	if !strings.Contains(reply.Text(), "I am away until Monday.") {
		t.Errorf("reply body: %q", reply.Text())
	}
	dan := waitMsg(t, srv, smtptest.To("dan@example.test")).Header()
	if got := dan.Get("From"); got != "<alice.smith@example.org>" {
		t.Errorf("reply to dan from %q, want the address his message named", got)
	}
	// Every message was acknowledged after its reply, if any, was queued:
	// the queue saw exactly the two.
	var queued []string
	for _, e := range m.events.kindsOf(queue.EventQueued) {
		queued = append(queued, strings.Join(e.Recipients, ","))
	}
	if strings.Join(queued, " ") != "ann@example.test dan@example.test" {
		t.Errorf("replies queued to %q, want ann and dan once each", queued)
	}
	if got := len(inbox(t, m.agent.Store, "alice")); got != 10 {
		t.Errorf("alice's INBOX has %d messages, want all 10", got)
	}
}
