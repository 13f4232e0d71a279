package pop3_test

import (
	"context"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mailwright/mailwright/internal/interop"
	"github.com/mailwright/mailwright/pop3"
	"github.com/mailwright/mailwright/pop3/backendtest"
)

// Interop tests drive the server with independent clients: Python's
// poplib, curl and fetchmail. Each is skipped only when its binary, or a
// capability the test needs (TLS), is missing.

// command runs the client at path (from the interop package's Need
// functions), bounded in time.
func command(t *testing.T, path string, args ...string) *exec.Cmd {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return exec.CommandContext(ctx, path, args...)
}

func port(t *testing.T, addr string) string {
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// poplibScript logs in over STLS, lists, retrieves, deletes and quits,
// then checks the result in a second session. It prints JSON.
const poplibScript = `
import json, poplib, ssl, sys
host, port, cafile = sys.argv[1], int(sys.argv[2]), sys.argv[3]
ctx = ssl.create_default_context(cafile=cafile)
out = {}
p = poplib.POP3(host, port, timeout=10)
out["welcome"] = p.getwelcome().decode()
out["capa_before"] = sorted(p.capa().keys())
p.stls(ctx)
out["capa_after"] = sorted(p.capa().keys())
p.user("alice")
p.pass_("secret")
out["stat"] = list(p.stat())
out["list"] = [l.decode() for l in p.list()[1]]
out["uidl"] = [l.decode() for l in p.uidl()[1]]
resp, lines, octets = p.retr(1)
out["retr1"] = [l.decode("latin-1") for l in lines]
out["retr1_octets"] = octets
out["top2"] = [l.decode("latin-1") for l in p.top(2, 0)[1]]
try:
    p.retr(3)
except poplib.error_proto as e:
    out["retr3_error"] = e.args[0].decode()
p.dele(1)
out["quit"] = p.quit().decode()
p = poplib.POP3(host, port, timeout=10)
p.stls(ctx)
p.user("alice")
p.pass_("secret")
out["stat_after"] = list(p.stat())
out["uidl_after"] = [l.decode() for l in p.uidl()[1]]
p.quit()
print(json.dumps(out))
`

func TestInteropPoplib(t *testing.T) {
	serverTLS, _, certFile, _ := testCert(t)
	ts := startServer(t, func(s *pop3.Server) {
		s.AllowInsecureAuth = false
		s.TLSConfig = serverTLS
	})
	ts.deliver(t, "alice", msg1)
	ts.deliver(t, "alice", msg2)
	cmd := command(t, interop.NeedPython(t, "ssl"), "-c", poplibScript, "127.0.0.1", port(t, ts.addr), certFile)
	outb, err := cmd.Output()
	if err != nil {
		var stderr string
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("python3: %v\n%s", err, stderr)
	}
	var out struct {
		Welcome     string   `json:"welcome"`
		CapaBefore  []string `json:"capa_before"`
		CapaAfter   []string `json:"capa_after"`
		Stat        []int    `json:"stat"`
		List        []string `json:"list"`
		UIDL        []string `json:"uidl"`
		Retr1       []string `json:"retr1"`
		Retr1Octets int      `json:"retr1_octets"`
		Top2        []string `json:"top2"`
		Retr3Error  string   `json:"retr3_error"`
		Quit        string   `json:"quit"`
		StatAfter   []int    `json:"stat_after"`
		UIDLAfter   []string `json:"uidl_after"`
	}
	if err := json.Unmarshal(outb, &out); err != nil {
		t.Fatalf("python output %q: %v", outb, err)
	}
	check := func(what string, got, want any) {
		t.Helper()
		g, _ := json.Marshal(got)
		w, _ := json.Marshal(want)
		if string(g) != string(w) {
			t.Errorf("%s = %s, want %s", what, g, w)
		}
	}
	check("welcome", out.Welcome, "+OK POP3 server ready")
	check("CAPA before STLS", out.CapaBefore, []string{"AUTH-RESP-CODE", "PIPELINING", "RESP-CODES", "STLS", "TOP", "UIDL"})
	check("CAPA after STLS", out.CapaAfter, []string{"AUTH-RESP-CODE", "PIPELINING", "RESP-CODES", "SASL", "TOP", "UIDL", "USER"})
	check("STAT", out.Stat, []int{2, 90})
	check("LIST", out.List, []string{"1 32", "2 58"})
	check("UIDL", out.UIDL, []string{"1 m1", "2 m2"})
	check("RETR 1", out.Retr1, []string{"Subject: one", "", "hello", ".dotted"})
	// poplib counts the octets of the un-stuffed lines with CRLF.
	check("RETR 1 octets", out.Retr1Octets, 32)
	check("TOP 2 0", out.Top2, []string{"Subject: two", "From: x@example.org", ""})
	check("RETR 3", out.Retr3Error, "-ERR No such message, only 2 messages in maildrop")
	check("QUIT", out.Quit, "+OK Bye, 1 messages deleted")
	check("STAT after", out.StatAfter, []int{1, 58})
	check("UIDL after", out.UIDLAfter, []string{"1 m2"})
}

func TestInteropCurl(t *testing.T) {
	curlPath := interop.NeedCurl(t, "pop3", "SSL")
	serverTLS, _, certFile, _ := testCert(t)
	ts := startServer(t, func(s *pop3.Server) {
		s.AllowInsecureAuth = false
		s.TLSConfig = serverTLS
	})
	ts.deliver(t, "alice", msg1)
	ts.deliver(t, "alice", msg2)
	url := "pop3://127.0.0.1:" + port(t, ts.addr)
	// --ssl-reqd makes curl use STLS; it then logs in with AUTH (SASL),
	// which CAPA offers after TLS.
	curl := func(args ...string) string {
		t.Helper()
		args = append([]string{"-sS", "--ssl-reqd", "--cacert", certFile, "-u", "alice:secret"}, args...)
		out, err := command(t, curlPath, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("curl %v: %v\n%s", args, err, out)
		}
		return string(out)
	}

	if got := curl(url + "/"); got != "1 32\r\n2 58\r\n" {
		t.Errorf("curl LIST = %q", got)
	}
	if got, want := curl(url+"/2"), string(backendtest.NormalizeCRLF([]byte(msg2))); got != want {
		t.Errorf("curl RETR 2 = %q, want %q", got, want)
	}
	// curl un-stuffs the ".dotted" line.
	if got := curl(url + "/1"); got != "Subject: one\r\n\r\nhello\r\n.dotted\r\n" {
		t.Errorf("curl RETR 1 = %q", got)
	}
	curl("-X", "DELE", "-I", url+"/1")
	waitFor(t, "curl's session to end", func() bool { return ts.spy.count("close") == 4 })
	if got := ts.mem.UIDs("alice"); !slices.Equal(got, []string{"m2"}) {
		t.Errorf("after curl DELE, maildrop holds %v, want [m2]", got)
	}
	if got := curl(url + "/"); got != "1 58\r\n" {
		t.Errorf("curl LIST after DELE = %q", got)
	}
	// The backend saw AUTH over TLS.
	ts.spy.mu.Lock()
	infos := slices.Clone(ts.spy.infos)
	ts.spy.mu.Unlock()
	for _, info := range infos {
		if info.TLS == nil {
			t.Error("curl logged in without TLS")
		}
	}
}

func TestInteropFetchmail(t *testing.T) {
	fetchmail := interop.NeedFetchmail(t, "SSL")
	serverTLS, _, certFile, _ := testCert(t)
	ts := startServer(t, func(s *pop3.Server) {
		s.AllowInsecureAuth = false
		s.TLSConfig = serverTLS
	})
	ts.deliver(t, "alice", msg1)
	ts.deliver(t, "alice", msg2)
	ts.deliver(t, "alice", "Subject: three\r\n\r\n..\r\n.\r\nend\r\n")

	dir := t.TempDir()
	mbox := filepath.Join(dir, "delivered")
	rc := filepath.Join(dir, "fetchmailrc")
	rcText := "set no syslog\n" +
		"poll 127.0.0.1 with protocol POP3 port " + port(t, ts.addr) + "\n" +
		"  user \"alice\" there with password \"secret\" is \"" + currentUser() + "\" here\n" +
		"  options fetchall nokeep mda \"cat >> " + mbox + "\"\n" +
		// STLS, checking our certificate.
		"  sslproto \"TLS1.2+\" sslcertck sslcertfile \"" + certFile + "\" sslcommonname \"localhost\"\n"
	if err := os.WriteFile(rc, []byte(rcText), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, fetchmail, "-f", rc, "--invisible", "--nosoftbounce",
		"-i", filepath.Join(dir, "ids"), "--pidfile", filepath.Join(dir, "pid"), "-v")
	cmd.Env = append(os.Environ(), "HOME="+dir, "FETCHMAILHOME="+dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("fetchmail: %v\n%s", err, out)
	}
	got, err := os.ReadFile(mbox)
	if err != nil {
		t.Fatalf("nothing delivered: %v\nfetchmail output:\n%s", err, out)
	}
	// fetchmail hands the MDA LF line endings.
	want := strings.ReplaceAll(msg1+msg2+"\n"+"Subject: three\n\n..\n.\nend\n", "\r\n", "\n")
	if string(got) != want {
		t.Errorf("fetchmail delivered:\n%q\nwant:\n%q\nfetchmail output:\n%s", got, want, out)
	}
	waitFor(t, "fetchmail's session to end", func() bool { return ts.spy.has("close") })
	if left := ts.mem.UIDs("alice"); len(left) != 0 {
		t.Errorf("fetchmail --nokeep left %v on the server", left)
	}
}

func currentUser() string {
	if u := os.Getenv("USER"); u != "" {
		return u
	}
	return strconv.Itoa(os.Getuid())
}
