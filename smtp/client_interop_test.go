package smtp

import (
	"bufio"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Interop tests: the Client against independent servers found on the
// machine, Postfix's smtp-sink (PIPELINING, DSN, LMTP) and Python's smtpd
// (lock-step ESMTP). Each is skipped when its server is absent.

// clientStartSmtpSink runs smtp-sink on a free loopback port with args, dumping
// each transaction into a directory, and returns the address and directory.
func clientStartSmtpSink(t *testing.T, args ...string) (addr, dir string) {
	t.Helper()
	bin, err := exec.LookPath("smtp-sink")
	if err != nil {
		t.Skip("smtp-sink (Postfix) not installed; apt-get install postfix to run this test")
	}
	// smtp-sink, run as root, drops to -u; the dump directory must then
	// be writable by that user, so it is made world-writable in /tmp.
	dir, err = os.MkdirTemp("", "smtp-sink-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o777)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr = ln.Addr().String()
	ln.Close()
	cmdArgs := append([]string{"-d", filepath.Join(dir, "%M."), "-h", "sink.test"}, args...)
	if os.Geteuid() == 0 {
		cmdArgs = append(cmdArgs, "-u", "nobody")
	}
	cmd := exec.Command(bin, append(cmdArgs, addr, "16")...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	for i := 0; ; i++ {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			conn.Close()
			break
		}
		if i == 50 {
			t.Fatalf("smtp-sink did not start: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return addr, dir
}

// clientSinkDump is one transaction as smtp-sink recorded it.
type clientSinkDump struct {
	mailArgs string
	rcptArgs []string
	body     string // the message as received, each line ending in LF
}

// clientReadSinkDumps reads the transactions dumped into dir, waiting up to a few
// seconds for want of them.
func clientReadSinkDumps(t *testing.T, dir string, want int) []clientSinkDump {
	t.Helper()
	var names []string
	for i := 0; i < 50; i++ {
		names, _ = filepath.Glob(filepath.Join(dir, "*"))
		if len(names) >= want {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if len(names) != want {
		t.Fatalf("smtp-sink dumped %d transactions, want %d", len(names), want)
	}
	var dumps []clientSinkDump
	for _, name := range names {
		raw, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		var d clientSinkDump
		head, rest, ok := strings.Cut(string(raw), "\nReceived: ")
		if !ok {
			t.Fatalf("no Received line in dump %q", raw)
		}
		for _, l := range strings.Split(head, "\n") {
			if v, ok := strings.CutPrefix(l, "X-Mail-Args: "); ok {
				d.mailArgs = v
			}
			if v, ok := strings.CutPrefix(l, "X-Rcpt-Args: "); ok {
				d.rcptArgs = append(d.rcptArgs, v)
			}
		}
		// Skip the Received header: its first line and continuation lines.
		_, rest, _ = strings.Cut(rest, "\n")
		for strings.HasPrefix(rest, "\t") {
			_, rest, _ = strings.Cut(rest, "\n")
		}
		d.body = strings.TrimSuffix(rest, "\n") // dump separator
		dumps = append(dumps, d)
	}
	// Order by envelope sender, which the tests make distinct.
	for i := range dumps {
		for j := i + 1; j < len(dumps); j++ {
			if dumps[j].mailArgs < dumps[i].mailArgs {
				dumps[i], dumps[j] = dumps[j], dumps[i]
			}
		}
	}
	return dumps
}

func TestClientInteropSmtpSink(t *testing.T) {
	addr, dir := clientStartSmtpSink(t)
	c, err := Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.CommandTimeout = clientFakeTimeout
	c.LocalName = "client.test"
	if ok, _ := c.Extension("PIPELINING"); !ok {
		t.Fatal("smtp-sink did not offer PIPELINING")
	}
	res, err := c.Send(t.Context(), "a1@example.org", &MailOptions{Body: Body8BitMIME, Return: DSNReturnHeaders, EnvelopeID: "env 1"},
		[]Recipient{
			{Address: "x@example.org", Options: &RcptOptions{Notify: []DSNNotify{DSNNotifyFailure, DSNNotifyDelay}, OriginalRecipient: "x@example.org"}},
			{Address: "y@example.org"},
		},
		strings.NewReader("Subject: one\n\n.leading dot\n..two dots\nlast line without newline"))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if r.Err != nil || !strings.HasPrefix(r.Reply, "250 2.0.0") {
			t.Errorf("%+v", r)
		}
	}
	if err := c.SendMail(t.Context(), "a2@example.org", []string{"z@example.org"}, strings.NewReader("Subject: two\r\n\r\n.\r\n")); err != nil {
		t.Fatal(err)
	}
	if err := c.Quit(t.Context()); err != nil {
		t.Fatal(err)
	}
	d := clientReadSinkDumps(t, dir, 2)
	if d[0].mailArgs != "<a1@example.org> BODY=8BITMIME RET=HDRS ENVID=env+201" {
		t.Errorf("MAIL args %q", d[0].mailArgs)
	}
	if strings.Join(d[0].rcptArgs, "|") != "<x@example.org> NOTIFY=FAILURE,DELAY ORCPT=rfc822;x@example.org|<y@example.org>" {
		t.Errorf("RCPT args %q", d[0].rcptArgs)
	}
	if want := "Subject: one\n\n.leading dot\n..two dots\nlast line without newline\n"; d[0].body != want {
		t.Errorf("body %q, want %q", d[0].body, want)
	}
	if d[1].mailArgs != "<a2@example.org>" || d[1].body != "Subject: two\n\n.\n" {
		t.Errorf("second message %+v", d[1])
	}
}

func TestClientInteropSmtpSinkRejects(t *testing.T) {
	// -f RCPT: every RCPT gets a 5xx, so no message is sent and the
	// connection stays usable.
	addr, _ := clientStartSmtpSink(t, "-f", "RCPT")
	c, err := Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.CommandTimeout = clientFakeTimeout
	res, err := c.Send(t.Context(), "a@example.org", nil, []Recipient{{Address: "x@example.org"}}, strings.NewReader("x"))
	var e *Error
	if !clientErrorsAs(err, &e) || e.Code/100 != 5 || res[0].Err == nil {
		t.Fatalf("got %v, %+v", err, res)
	}
	if err := c.Noop(t.Context()); err != nil {
		t.Fatalf("session unusable after refused recipients: %v", err)
	}
	if err := c.Quit(t.Context()); err != nil {
		t.Fatal(err)
	}
}

func TestClientInteropSmtpSinkLMTP(t *testing.T) {
	addr, dir := clientStartSmtpSink(t, "-L")
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewLMTPClient(t.Context(), conn)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.CommandTimeout = clientFakeTimeout
	res, err := c.Send(t.Context(), "lmtp@example.org", nil, []Recipient{{Address: "x@example.org"}, {Address: "y@example.org"}, {Address: "z@example.org"}},
		strings.NewReader("Subject: lmtp\r\n\r\nhello\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if r.Err != nil || r.Reply == "" {
			t.Errorf("%+v", r)
		}
	}
	if err := c.Quit(t.Context()); err != nil {
		t.Fatal(err)
	}
	d := clientReadSinkDumps(t, dir, 1)
	if len(d[0].rcptArgs) != 3 || d[0].body != "Subject: lmtp\n\nhello\n" {
		t.Errorf("dump %+v", d[0])
	}
}

// clientPythonSMTPD is a Python smtpd server that prints each message as JSON,
// and refuses messages to recipients starting with "reject".
const clientPythonSMTPD = `
import sys, json, warnings
warnings.simplefilter("ignore")
import smtpd, asyncore
class Sink(smtpd.SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data, **kw):
        print(json.dumps({"from": mailfrom, "to": rcpttos, "data": data.decode("utf-8", "replace"),
                          "mail_options": kw.get("mail_options", [])}), flush=True)
        if any(r.startswith("reject") for r in rcpttos):
            return "554 5.6.0 refused by test"
s = Sink(("127.0.0.1", 0), None, decode_data=False, enable_SMTPUTF8=True)
print(s.socket.getsockname()[1], flush=True)
asyncore.loop()
`

type clientPyMessage struct {
	From        string   `json:"from"`
	To          []string `json:"to"`
	Data        string   `json:"data"`
	MailOptions []string `json:"mail_options"`
}

func TestClientInteropPythonSMTPD(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not installed")
	}
	if exec.Command(py, "-W", "ignore", "-c", "import smtpd").Run() != nil {
		t.Skip("python3 has no smtpd module (removed in Python 3.12)")
	}
	cmd := exec.Command(py, "-c", clientPythonSMTPD)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	lines := bufio.NewScanner(stdout)
	if !lines.Scan() {
		t.Fatal("python smtpd did not start")
	}
	port, err := strconv.Atoi(lines.Text())
	if err != nil {
		t.Fatalf("python smtpd: %q", lines.Text())
	}

	c, err := Dial(net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.CommandTimeout = clientFakeTimeout
	if ok, _ := c.Extension("PIPELINING"); ok {
		t.Fatal("python smtpd offers PIPELINING; this test is for lock-step")
	}
	res, err := c.Send(t.Context(), "ä@example.org", &MailOptions{Body: Body8BitMIME}, []Recipient{{Address: "x@example.org"}, {Address: "ö@example.org"}},
		strings.NewReader("Subject: py\n\n.dot\nünïcödé\n"))
	if err != nil || res[0].Err != nil || res[1].Err != nil {
		t.Fatalf("Send: %v %+v", err, res)
	}
	err = c.SendMail(t.Context(), "b@example.org", []string{"reject@example.org"}, strings.NewReader("x"))
	var e *Error
	if !clientErrorsAs(err, &e) || e.Code != 554 || e.Message != "refused by test" && e.Message != "5.6.0 refused by test" {
		t.Fatalf("got %v", err)
	}
	if err := c.Quit(t.Context()); err != nil {
		t.Fatal(err)
	}

	var msgs []clientPyMessage
	for len(msgs) < 2 && lines.Scan() {
		var m clientPyMessage
		if err := json.Unmarshal(lines.Bytes(), &m); err != nil {
			t.Fatalf("%q: %v", lines.Text(), err)
		}
		msgs = append(msgs, m)
	}
	if len(msgs) != 2 {
		t.Fatalf("python smtpd got %d messages", len(msgs))
	}
	m := msgs[0]
	if m.From != "ä@example.org" || strings.Join(m.To, ",") != "x@example.org,ö@example.org" {
		t.Errorf("envelope %+v", m)
	}
	if strings.Join(m.MailOptions, " ") != "SMTPUTF8 BODY=8BITMIME" {
		t.Errorf("MAIL options %q", m.MailOptions)
	}
	if m.Data != "Subject: py\n\n.dot\nünïcödé" {
		t.Errorf("data %q", m.Data)
	}
}

// clientErrorsAs is errors.As for *Error, kept short for the tests above.
func clientErrorsAs(err error, target **Error) bool {
	e, ok := errorAs(err)
	*target = e
	return ok
}
