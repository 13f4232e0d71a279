package delivery

import (
	"bufio"
	"context"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"net/textproto"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/mailwright/mailwright/queue"
	"github.com/mailwright/mailwright/smtp"
	"github.com/mailwright/mailwright/smtp/smtptest"
)

// testZone is the DNS of the remote world. The MX hosts that work are all
// 127.0.0.1, where each test's fake server listens (on its own port, which
// Remote.Port names); 127.0.0.2 is a host where nothing listens.
var testZone = []string{
	"example.test. 300 IN MX 10 mx1.example.test.",
	"mx1.example.test. 300 IN A 127.0.0.1",
	"down.test. 300 IN MX 10 mx-down.down.test.",
	"down.test. 300 IN MX 20 mx-up.down.test.",
	"mx-down.down.test. 300 IN A 127.0.0.2",
	"mx-up.down.test. 300 IN A 127.0.0.1",
	"nullmx.test. 300 IN MX 0 .",
	"amx.test. 300 IN A 127.0.0.1",
	"noaddr.test. 300 IN TXT \"no mail here\"",
	"noaddrmx.test. 300 IN MX 10 ghost.noaddrmx.test.",
	"ghost.noaddrmx.test. 300 IN TXT \"no address\"",
}

// mta is a whole mail system under test: the Agent on an SMTP server,
// a queue delivering through Remote, and the DNS.
type mta struct {
	agent  *Agent
	remote *Remote
	queue  *queue.Queue
	events *eventLog
	addr   string
}

// newMTA starts an MTA whose Remote delivers to port on the hosts of
// testZone, with the Agent on an SMTP server at m.addr. opts may change
// the queue options.
func newMTA(t *testing.T, port int, opts ...func(*queue.Options)) *mta {
	t.Helper()
	m := openMTA(t, port, startDNS(t, testZone...), opts...)
	m.addr = serve(t, m.agent)
	return m
}

// openMTA is newMTA without the SMTP server, for tests of the schedule
// in a testing/synctest bubble, where days pass in fake time: mail is
// enqueued with m.enqueue, and the DNS server (dnsAddr) and the remote
// servers are started outside the bubble, because the fake clock only
// moves when every goroutine of the bubble is blocked, which a server
// waiting for connections never is.
func openMTA(t *testing.T, port int, dnsAddr string, opts ...func(*queue.Options)) *mta {
	t.Helper()
	m := &mta{agent: testAgent(t), events: newEventLog()}
	m.remote = &Remote{
		LocalName:   "mx.example.org",
		Port:        port,
		DNSServer:   dnsAddr,
		DialTimeout: 2 * time.Second,
		Logger:      discardLogger(),
	}
	t.Cleanup(func() { m.remote.Close() })
	o := queue.Options{
		Deliverer: m.remote,
		Hostname:  "mx.example.org",
		SendDSN:   m.agent.SendDSN,
		OnEvent:   m.events.add,
		Logger:    discardLogger(),
	}
	for _, f := range opts {
		f(&o)
	}
	q, err := queue.Open(t.TempDir(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Close() })
	m.agent.Queue = q
	if err := q.Start(); err != nil {
		t.Fatal(err)
	}
	m.queue = q
	return m
}

// enqueue queues msg from alice to rcpts, as the Agent does for a remote
// domain.
func (m *mta) enqueue(t *testing.T, rcpts []string, msg string) {
	t.Helper()
	env := queue.Envelope{From: "alice@example.org"}
	for _, r := range rcpts {
		env.Recipients = append(env.Recipients, queue.Recipient{Address: r})
	}
	if _, err := m.queue.Enqueue(context.Background(), env, strings.NewReader(msg)); err != nil {
		t.Fatal(err)
	}
}

// submit sends msg from alice, authenticated, to rcpts.
func (m *mta) submit(t *testing.T, rcpts []string, msg string) {
	t.Helper()
	c, err := smtp.Dial(m.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.LocalName = "client.test"
	if err := c.Auth(t.Context(), plainAuth("alice@example.org", testPassword)); err != nil {
		t.Fatal(err)
	}
	if err := c.SendMail(t.Context(), "alice@example.org", rcpts, strings.NewReader(msg)); err != nil {
		t.Fatalf("submitting: %v", err)
	}
	c.Quit(t.Context())
}

// retryAt lets the fake time of the bubble run to when, the Next of a
// deferral, and returns once the queue has made the attempt due then.
func retryAt(when time.Time) {
	time.Sleep(time.Until(when))
	synctest.Wait()
}

// sink starts a fake remote SMTP server; tls adds STARTTLS.
func sink(t *testing.T, tls bool, configure ...func(*smtptest.Server)) (*smtptest.Server, int) {
	t.Helper()
	s := smtptest.NewUnstartedServer(t)
	s.SMTP.EnableDSN = true
	for _, f := range configure {
		f(s)
	}
	var err error
	if tls {
		err = s.StartTLS()
	} else {
		err = s.Start()
	}
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(s.Addr)
	p, _ := strconv.Atoi(port)
	return s, p
}

func waitMsg(t *testing.T, s *smtptest.Server, match ...smtptest.Matcher) *smtptest.Message {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	msg, err := s.Wait(ctx, match...)
	if err != nil {
		t.Fatalf("waiting for the message at the MX: %v", err)
	}
	return msg
}

// TestEndToEnd: alice submits to a remote domain; the Agent queues the
// message, Remote finds the MX in DNS and hands it over with STARTTLS.
func TestEndToEnd(t *testing.T) {
	srv, port := sink(t, true)
	m := newMTA(t, port)
	m.submit(t, []string{"bob@example.test"}, message("e2e", 1000))
	got := waitMsg(t, srv, smtptest.To("bob@example.test"))
	if got.From != "alice@example.org" || !got.TLS || got.Helo != "mx.example.org" || got.Subject() != "e2e" {
		t.Errorf("at the MX: from %q, TLS %v, HELO %q, subject %q", got.From, got.TLS, got.Helo, got.Subject())
	}
	fields := headerFields(string(got.Raw))
	if !strings.HasPrefix(fields[0], "Received: from client.test ([127.0.0.1]) by mx.example.org (mailwright) with ESMTPA id ") ||
		!strings.Contains(fields[0], " for <bob@example.test>; ") {
		t.Errorf("Received: %q", fields[0])
	}
	if strings.Contains(string(got.Raw), "Return-Path") {
		t.Error("Return-Path sent to the next hop")
	}
	ev := m.events.wait(t, isEvent(queue.EventDelivered, "bob@example.test"))
	if ev.Result.Code != 250 || ev.Result.RemoteMTA != "mx1.example.test" {
		t.Errorf("delivered event: %+v", ev.Result)
	}
}

// TestFirstMXDown: the preferred MX refuses connections; the next one
// takes the message in the same attempt.
func TestFirstMXDown(t *testing.T) {
	srv, port := sink(t, false)
	m := newMTA(t, port)
	m.submit(t, []string{"carol@down.test"}, message("failover", 500))
	waitMsg(t, srv, smtptest.To("carol@down.test"))
	ev := m.events.wait(t, isEvent(queue.EventDelivered, "carol@down.test"))
	if ev.Result.RemoteMTA != "mx-up.down.test" {
		t.Errorf("delivered by %q", ev.Result.RemoteMTA)
	}
	if n := m.events.count(queue.EventDeferred); n != 0 {
		t.Errorf("%d deferrals", n)
	}
}

// TestImplicitMX: a domain without MX is its own mail host (RFC 5321 5.1).
func TestImplicitMX(t *testing.T) {
	srv, port := sink(t, false)
	m := newMTA(t, port)
	m.submit(t, []string{"dan@amx.test"}, message("implicit", 500))
	waitMsg(t, srv, smtptest.To("dan@amx.test"))
	if ev := m.events.wait(t, isEvent(queue.EventDelivered, "dan@amx.test")); ev.Result.RemoteMTA != "amx.test" {
		t.Errorf("delivered by %q", ev.Result.RemoteMTA)
	}
}

// TestTemporaryThenRetry: a 4xx reply defers the recipient; 15 minutes
// later the retry gets through.
func TestTemporaryThenRetry(t *testing.T) {
	srv, port := sink(t, false)
	srv.Inject(smtptest.Fault{Stage: smtptest.AtRcpt, Reply: &smtp.Error{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 2, 1}, Message: "Mailbox busy"}})
	dnsAddr := startDNS(t, testZone...)
	synctest.Test(t, func(t *testing.T) {
		t0 := time.Now()
		m := openMTA(t, port, dnsAddr)
		m.enqueue(t, []string{"bob@example.test"}, message("retry", 500))
		ev := m.events.wait(t, isEvent(queue.EventDeferred, "bob@example.test"))
		if ev.Result.Code != 451 || ev.Result.EnhancedCode != "4.2.1" || ev.Result.Message != "Mailbox busy" || !ev.Next.Equal(t0.Add(15*time.Minute)) {
			t.Errorf("deferred: %+v, next %v", ev.Result, ev.Next)
		}
		if len(srv.Messages()) != 0 {
			t.Fatal("message delivered despite the 451")
		}
		srv.ClearFaults()
		retryAt(ev.Next)
		ev = m.events.wait(t, isEvent(queue.EventDelivered, "bob@example.test"))
		if !ev.Time.Equal(t0.Add(15 * time.Minute)) {
			t.Errorf("delivered at %v, want 15 minutes after %v", ev.Time, t0)
		}
		if len(srv.Messages()) != 1 {
			t.Errorf("%d messages at the MX", len(srv.Messages()))
		}
	})
}

// TestPermanentBounce: a 5xx reply bounces; the DSN (RFC 3464) lands in
// alice's INBOX, from the null sender, naming the failed recipient, the
// remote MTA and its reply.
func TestPermanentBounce(t *testing.T) {
	srv, port := sink(t, false)
	srv.Inject(smtptest.Fault{Stage: smtptest.AtRcpt, Recipients: []string{"nobody@example.test"},
		Reply: &smtp.Error{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such user"}})
	m := newMTA(t, port)
	m.submit(t, []string{"nobody@example.test", "bob@example.test"}, message("bounce", 500))
	waitMsg(t, srv, smtptest.To("bob@example.test"))
	m.events.wait(t, isEvent(queue.EventBounced, "nobody@example.test"))
	msgs := waitInbox(t, m.agent.Store, "alice", 1)
	d := parseDSN(t, msgs[0])
	if d.returnPath != "<>" || !strings.Contains(d.subject, "Undelivered") {
		t.Errorf("DSN Return-Path %q, Subject %q", d.returnPath, d.subject)
	}
	if len(d.rcpts) != 1 {
		t.Fatalf("DSN reports %d recipients", len(d.rcpts))
	}
	checkDSNFields(t, d.rcpts[0], map[string]string{
		"Final-Recipient": "rfc822; nobody@example.test",
		"Action":          "failed",
		"Status":          "5.1.1",
		"Remote-MTA":      "dns; mx1.example.test",
		"Diagnostic-Code": "smtp; 550 5.1.1 No such user",
	})
	checkDSNFields(t, d.perMessage, map[string]string{"Reporting-MTA": "dns; mx.example.org"})
	if d.origType != "message/rfc822" || !strings.Contains(d.orig, "Subject: bounce") {
		t.Errorf("returned %s %q", d.origType, d.orig)
	}
}

// TestNullMX: a domain with a null MX (RFC 7505) bounces at once with
// 5.1.10, without any connection.
func TestNullMX(t *testing.T) {
	srv, port := sink(t, false)
	m := newMTA(t, port)
	m.submit(t, []string{"x@nullmx.test"}, message("nullmx", 300))
	ev := m.events.wait(t, isEvent(queue.EventBounced, "x@nullmx.test"))
	if ev.Result.Code != 556 || ev.Result.EnhancedCode != "5.1.10" {
		t.Errorf("bounced with %+v", ev.Result)
	}
	d := parseDSN(t, waitInbox(t, m.agent.Store, "alice", 1)[0])
	checkDSNFields(t, d.rcpts[0], map[string]string{"Status": "5.1.10", "Action": "failed"})
	if len(srv.Messages()) != 0 {
		t.Error("a message reached a server")
	}
}

// TestSizeExceeded: a message larger than the remote SIZE bounces with
// 552 5.3.4 without being sent.
func TestSizeExceeded(t *testing.T) {
	srv, port := sink(t, false, func(s *smtptest.Server) { s.SMTP.MaxMessageBytes = 2000 })
	m := newMTA(t, port)
	m.submit(t, []string{"bob@example.test"}, message("big", 5000))
	ev := m.events.wait(t, isEvent(queue.EventBounced, "bob@example.test"))
	if ev.Result.Code != 552 || ev.Result.EnhancedCode != "5.3.4" || !strings.Contains(ev.Result.Message, "2000") {
		t.Errorf("bounced with %+v", ev.Result)
	}
	d := parseDSN(t, waitInbox(t, m.agent.Store, "alice", 1)[0])
	checkDSNFields(t, d.rcpts[0], map[string]string{"Status": "5.3.4"})
	if len(srv.Messages()) != 0 {
		t.Error("the message was sent anyway")
	}
}

// TestDelayThenExpiry: a recipient that keeps failing temporarily gets a
// delay warning after 4 hours and a bounce after 5 days, both in alice's
// INBOX. (Retries every hour instead of 15 minutes keep the test short;
// the warning and the expiry follow the default schedule.)
func TestDelayThenExpiry(t *testing.T) {
	srv, port := sink(t, false)
	srv.Inject(smtptest.Fault{Stage: smtptest.AtRcpt, Reply: &smtp.Error{Code: 452, EnhancedCode: smtp.EnhancedCode{4, 2, 2}, Message: "Mailbox full"}})
	dnsAddr := startDNS(t, testZone...)
	synctest.Test(t, func(t *testing.T) { delayThenExpiry(t, port, dnsAddr) })
}

func delayThenExpiry(t *testing.T, port int, dnsAddr string) {
	t0 := time.Now()
	m := openMTA(t, port, dnsAddr, func(o *queue.Options) { o.RetryInterval = time.Hour })
	m.enqueue(t, []string{"bob@example.test"}, message("slow", 500))
	attempt := func(e queue.Event) bool { return e.Kind == queue.EventDeferred || e.Kind == queue.EventBounced }
	ev := m.events.waitNth(t, attempt, 1)
	for n := 2; ev.Kind == queue.EventDeferred; n++ {
		if n > 200 {
			t.Fatal("no bounce after 200 attempts")
		}
		if got := len(inbox(t, m.agent.Store, "alice")); got != 0 && ev.Time.Before(t0.Add(4*time.Hour)) {
			t.Fatalf("alice has %d messages at %v", got, ev.Time)
		}
		if ev.Time.Equal(t0.Add(4 * time.Hour)) {
			m.events.wait(t, isEvent(queue.EventDelayWarning, "bob@example.test"))
			d := parseDSN(t, waitInbox(t, m.agent.Store, "alice", 1)[0])
			if !strings.Contains(d.subject, "Delayed") {
				t.Errorf("subject %q", d.subject)
			}
			checkDSNFields(t, d.rcpts[0], map[string]string{
				"Action": "delayed", "Status": "4.2.2", "Diagnostic-Code": "smtp; 452 4.2.2 Mailbox full",
			})
		}
		retryAt(ev.Next)
		ev = m.events.waitNth(t, attempt, n)
	}
	if !ev.Time.Equal(t0.Add(5 * 24 * time.Hour)) {
		t.Errorf("bounced at %v", ev.Time)
	}
	if m.events.count(queue.EventDelayWarning) != 1 {
		t.Errorf("events: %v", m.events.kinds())
	}
	msgs := waitInbox(t, m.agent.Store, "alice", 2)
	d := parseDSN(t, msgs[1])
	if !strings.Contains(d.subject, "Undelivered") {
		t.Errorf("subject %q", d.subject)
	}
	checkDSNFields(t, d.rcpts[0], map[string]string{"Action": "failed", "Status": "4.2.2"})
	// An attempt every hour from 0 to 5 days (the last one may give way
	// to the expiry).
	if n := m.events.count(queue.EventDeferred); n < 119 || n > 120 {
		t.Errorf("%d deferrals in 5 days, want 119 or 120", n)
	}
}

// TestRemoteDirect exercises Remote alone on Deliveries made by hand.
func TestRemoteDirect(t *testing.T) {
	var conns atomic.Int32
	srv, port := sink(t, false, func(s *smtptest.Server) {
		s.SMTP.ConnContext = func(ctx context.Context, c net.Conn) context.Context { conns.Add(1); return ctx }
	})
	dnsAddr := startDNS(t, testZone...)
	newRemote := func() *Remote {
		r := &Remote{LocalName: "mx.example.org", Port: port, DNSServer: dnsAddr, Logger: discardLogger()}
		t.Cleanup(func() { r.Close() })
		return r
	}
	body := message("direct", 300)
	delivery := func(domain string, rcpts ...string) *queue.Delivery {
		var rs []queue.Recipient
		for _, r := range rcpts {
			rs = append(rs, queue.Recipient{Address: r})
		}
		return queue.NewDelivery("id", "alice@example.org", domain, rs, int64(len(body)), func() (io.ReadCloser, error) {
			return io.NopCloser(strings.NewReader(body)), nil
		})
	}
	ctx := context.Background()

	t.Run("reuse", func(t *testing.T) {
		r := newRemote()
		before := conns.Load()
		for i := range 3 {
			res := r.Deliver(ctx, delivery("example.test", "r"+strconv.Itoa(i)+"@example.test"))
			if len(res) != 1 || res[0].Status != queue.StatusDelivered {
				t.Fatalf("delivery %d: %+v", i, res)
			}
		}
		if n := conns.Load() - before; n != 1 {
			t.Errorf("%d connections for 3 messages, want 1", n)
		}
	})
	t.Run("per recipient", func(t *testing.T) {
		srv.Inject(smtptest.Fault{Stage: smtptest.AtRcpt, Recipients: []string{"temp@example.test"}, Reply: &smtp.Error{Code: 450, EnhancedCode: smtp.EnhancedCode{4, 2, 0}, Message: "Later"}})
		srv.Inject(smtptest.Fault{Stage: smtptest.AtRcpt, Recipients: []string{"perm@example.test"}, Reply: &smtp.Error{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "Unknown"}})
		defer srv.ClearFaults()
		res := newRemote().Deliver(ctx, delivery("example.test", "temp@example.test", "ok@example.test", "perm@example.test"))
		want := []queue.Result{
			queue.TempFail(450, "4.2.0", "Later", "mx1.example.test"),
			queue.Delivered(250, "2.0.0", "Message accepted", "mx1.example.test"),
			queue.PermFail(550, "5.1.1", "Unknown", "mx1.example.test"),
		}
		if len(res) != 3 {
			t.Fatalf("results %+v", res)
		}
		for i := range want {
			if res[i] != want[i] {
				t.Errorf("result %d: got %+v, want %+v", i, res[i], want[i])
			}
		}
	})
	t.Run("no domain", func(t *testing.T) {
		res := newRemote().Deliver(ctx, delivery("nx.test", "a@nx.test"))
		if len(res) != 1 || res[0].Status != queue.StatusPermanent || res[0].EnhancedCode != "5.1.2" {
			t.Errorf("NXDOMAIN: %+v", res)
		}
		res = newRemote().Deliver(ctx, delivery("noaddr.test", "a@noaddr.test"))
		if len(res) != 1 || res[0].Status != queue.StatusPermanent || res[0].EnhancedCode != "5.1.2" {
			t.Errorf("no MX, no address: %+v", res)
		}
		// An MX host without an address is the remote's mistake, maybe
		// temporary.
		res = newRemote().Deliver(ctx, delivery("noaddrmx.test", "a@noaddrmx.test"))
		if len(res) != 1 || res[0].Status != queue.StatusTemporary {
			t.Errorf("MX without address: %+v", res)
		}
	})
	t.Run("dns down", func(t *testing.T) {
		pc, _ := net.ListenPacket("udp", "127.0.0.1:0") // answers nothing
		defer pc.Close()
		r := &Remote{Port: port, DNSServer: pc.LocalAddr().String(), DNSTimeout: 100 * time.Millisecond, Logger: discardLogger()}
		res := r.Deliver(ctx, delivery("example.test", "a@example.test"))
		if len(res) != 1 || res[0].Status != queue.StatusTemporary || res[0].EnhancedCode != "4.4.3" {
			t.Errorf("DNS timeout: %+v", res)
		}
	})
	t.Run("require TLS", func(t *testing.T) {
		r := newRemote()
		r.RequireTLS = true
		res := r.Deliver(ctx, delivery("example.test", "a@example.test"))
		if len(res) != 1 || res[0].Status != queue.StatusTemporary || res[0].EnhancedCode != "4.7.5" {
			t.Errorf("TLS required of a server without it: %+v", res)
		}
	})
	t.Run("context", func(t *testing.T) {
		// The server would answer MAIL in an hour: only the end of ctx
		// (and the Client's call with it) lets Deliver return.
		srv.Inject(smtptest.Fault{Stage: smtptest.AtMail, Delay: time.Hour})
		defer srv.ClearFaults()
		ctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
		defer cancel()
		before := len(srv.Messages())
		res := newRemote().Deliver(ctx, delivery("example.test", "a@example.test"))
		for _, r := range res {
			if r.Status != queue.StatusTemporary {
				t.Errorf("interrupted delivery: %+v", r)
			}
		}
		if n := len(srv.Messages()); n != before {
			t.Errorf("%d messages delivered by an interrupted attempt", n-before)
		}
	})
	t.Run("address literal", func(t *testing.T) {
		res := newRemote().Deliver(ctx, delivery("[127.0.0.1]", "lit@[127.0.0.1]"))
		if len(res) != 1 || res[0].Status != queue.StatusDelivered {
			t.Errorf("address literal: %+v", res)
		}
	})
}

// TestRemoteVerifyTLS: with VerifyTLS a certificate that does not match
// the MX name fails, and the delivery is deferred (RequireTLS) instead of
// going out in plain text.
func TestRemoteVerifyTLS(t *testing.T) {
	srv, port := sink(t, true)
	r := &Remote{Port: port, DNSServer: startDNS(t, testZone...), RequireTLS: true, VerifyTLS: true,
		TLSConfig: srv.ClientTLSConfig(), Logger: discardLogger()}
	defer r.Close()
	d := queue.NewDelivery("id", "a@example.org", "example.test", []queue.Recipient{{Address: "b@example.test"}}, 10,
		func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader("Subject: x\r\n\r\nx\r\n")), nil })
	res := r.Deliver(context.Background(), d)
	if len(res) != 1 || res[0].Status != queue.StatusTemporary || res[0].EnhancedCode != "4.7.5" {
		t.Errorf("certificate for 127.0.0.1 accepted for mx1.example.test: %+v", res)
	}
	if len(srv.Messages()) != 0 {
		t.Error("message sent")
	}
}

// dsn is a parsed RFC 3464 report.
type dsn struct {
	returnPath, subject string
	perMessage          textproto.MIMEHeader
	rcpts               []textproto.MIMEHeader
	origType, orig      string
}

// parseDSN parses a stored DSN: multipart/report with a
// message/delivery-status part (RFC 3464 2).
func parseDSN(t *testing.T, raw string) *dsn {
	t.Helper()
	msg, err := mail.ReadMessage(strings.NewReader(raw))
	if err != nil {
		t.Fatalf("DSN: %v", err)
	}
	d := &dsn{returnPath: msg.Header.Get("Return-Path"), subject: msg.Header.Get("Subject")}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/report" || params["report-type"] != "delivery-status" {
		t.Fatalf("DSN content type %q: %v", msg.Header.Get("Content-Type"), err)
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		body, _ := io.ReadAll(p)
		switch ct {
		case "message/delivery-status", "message/global-delivery-status":
			tr := textproto.NewReader(bufio.NewReader(strings.NewReader(string(body) + "\r\n")))
			for i := 0; ; i++ {
				h, err := tr.ReadMIMEHeader()
				if len(h) > 0 {
					if i == 0 {
						d.perMessage = h
					} else {
						d.rcpts = append(d.rcpts, h)
					}
				}
				if err != nil {
					break
				}
			}
		case "message/rfc822", "text/rfc822-headers":
			d.origType, d.orig = ct, string(body)
		}
	}
	if d.perMessage == nil {
		t.Fatalf("no delivery-status part in %q", raw)
	}
	return d
}

func checkDSNFields(t *testing.T, h textproto.MIMEHeader, want map[string]string) {
	t.Helper()
	for k, v := range want {
		if got := h.Get(k); !strings.EqualFold(got, v) {
			t.Errorf("DSN %s: got %q, want %q", k, got, v)
		}
	}
}

// TestRemotePool: kept connections that the server closed meanwhile (its
// idle timeout, with a 421) are replaced without failing the delivery;
// those idle for long are checked with NOOP; the pool empties itself
// after IdleTimeout.
func TestRemotePool(t *testing.T) {
	var conns atomic.Int32
	srv, port := sink(t, false, func(s *smtptest.Server) {
		s.SMTP.CommandTimeout = 300 * time.Millisecond
		s.SMTP.ConnContext = func(ctx context.Context, c net.Conn) context.Context { conns.Add(1); return ctx }
	})
	r := &Remote{Port: port, IdleTimeout: 2 * time.Second, Logger: discardLogger()}
	defer r.Close()
	msg := "Subject: pool\r\n\r\nx\r\n"
	deliver := func(rcpt string) {
		t.Helper()
		d := queue.NewDelivery("id", "a@example.org", "[127.0.0.1]", []queue.Recipient{{Address: rcpt}}, int64(len(msg)),
			func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(msg)), nil })
		if res := r.Deliver(context.Background(), d); len(res) != 1 || res[0].Status != queue.StatusDelivered {
			t.Fatalf("to %s: %+v", rcpt, res)
		}
	}
	deliver("one@[127.0.0.1]")
	deliver("two@[127.0.0.1]")
	if n := conns.Load(); n != 1 {
		t.Fatalf("%d connections for two messages in a row", n)
	}
	time.Sleep(800 * time.Millisecond) // the server times the connection out
	deliver("three@[127.0.0.1]")
	if n := conns.Load(); n != 2 {
		t.Fatalf("%d connections, want a second one after the server's timeout", n)
	}
	if len(srv.Messages()) != 3 {
		t.Errorf("%d messages at the server", len(srv.Messages()))
	}
	// The sweep closes idle connections after IdleTimeout.
	r2 := &Remote{Port: port, IdleTimeout: 100 * time.Millisecond, Logger: discardLogger()}
	defer r2.Close()
	r = r2
	deliver("four@[127.0.0.1]")
	deadline := time.Now().Add(5 * time.Second)
	for {
		r2.mu.Lock()
		n := r2.nidle
		r2.mu.Unlock()
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d idle connections left after IdleTimeout", n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestRemoteNoopCheck: a connection idle for more than a second is
// checked with NOOP before reuse; a dead one is replaced.
func TestRemoteNoopCheck(t *testing.T) {
	var conns atomic.Int32
	srv, port := sink(t, false, func(s *smtptest.Server) {
		s.SMTP.CommandTimeout = 1600 * time.Millisecond
		s.SMTP.ConnContext = func(ctx context.Context, c net.Conn) context.Context { conns.Add(1); return ctx }
	})
	r := &Remote{Port: port, Logger: discardLogger()}
	defer r.Close()
	msg := "Subject: noop\r\n\r\nx\r\n"
	for i, pause := range []time.Duration{0, 1150 * time.Millisecond, 2000 * time.Millisecond} {
		time.Sleep(pause)
		d := queue.NewDelivery("id", "a@example.org", "[127.0.0.1]", []queue.Recipient{{Address: "x@[127.0.0.1]"}}, int64(len(msg)),
			func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(msg)), nil })
		if res := r.Deliver(context.Background(), d); len(res) != 1 || res[0].Status != queue.StatusDelivered {
			t.Fatalf("delivery %d: %+v", i, res)
		}
	}
	// 0: new; 1.15s later: NOOP succeeds, reused; 2s later the server
	// has timed out (1.6s): NOOP fails, new connection.
	if n := conns.Load(); n != 2 {
		t.Errorf("%d connections, want 2", n)
	}
	if len(srv.Messages()) != 3 {
		t.Errorf("%d messages", len(srv.Messages()))
	}
}

// recordingDialer records the addresses dialed and refuses them all.
type recordingDialer struct {
	mu    sync.Mutex
	addrs []string
}

func (d *recordingDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	d.mu.Lock()
	d.addrs = append(d.addrs, addr)
	d.mu.Unlock()
	return nil, &net.OpError{Op: "dial", Net: network, Err: syscall.ECONNREFUSED}
}

// TestMXOrder: hosts are tried by preference, in random order among
// equal preferences (RFC 5321 5.1), through the configured Dialer and
// Port; when all fail the attempt is deferred.
func TestMXOrder(t *testing.T) {
	dnsAddr := startDNS(t,
		"order.test. 300 IN MX 20 c.order.test.",
		"order.test. 300 IN MX 10 a.order.test.",
		"order.test. 300 IN MX 10 b.order.test.",
		"a.order.test. 300 IN A 192.0.2.1",
		"b.order.test. 300 IN A 192.0.2.2",
		"c.order.test. 300 IN A 192.0.2.3",
		"c.order.test. 300 IN AAAA 2001:db8::3",
	)
	firsts := map[string]int{}
	for range 20 {
		dialer := &recordingDialer{}
		r := &Remote{Port: 2525, DNSServer: dnsAddr, Dialer: dialer, Logger: discardLogger()}
		d := queue.NewDelivery("id", "a@example.org", "order.test", []queue.Recipient{{Address: "x@order.test"}}, 1, nil)
		res := r.Deliver(context.Background(), d)
		if len(res) != 1 || res[0].Status != queue.StatusTemporary || res[0].EnhancedCode != "4.4.1" {
			t.Fatalf("all hosts down: %+v", res)
		}
		if len(dialer.addrs) != 4 || dialer.addrs[2] != "192.0.2.3:2525" || dialer.addrs[3] != "[2001:db8::3]:2525" {
			t.Fatalf("dialed %v", dialer.addrs)
		}
		firsts[dialer.addrs[0]]++
	}
	if firsts["192.0.2.1:2525"] == 0 || firsts["192.0.2.2:2525"] == 0 {
		t.Errorf("equal-preference hosts not shuffled: %v", firsts)
	}
}
