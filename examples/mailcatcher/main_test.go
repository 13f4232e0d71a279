package main

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// startCatcher builds the program and runs it on free loopback ports,
// returning the address of each service.
func startCatcher(t *testing.T) map[string]string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "mailcatcher")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "-smtp", "127.0.0.1:0", "-imap", "127.0.0.1:0", "-pop3", "127.0.0.1:0", "-http", "127.0.0.1:0")
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	addrs := map[string]string{}
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	timeout := time.After(30 * time.Second)
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatal("mailcatcher exited before ready")
			}
			if line == "ready" {
				go func() {
					for range lines {
					}
				}()
				return addrs
			}
			name, addr, _ := strings.Cut(line, " ")
			addrs[name] = addr
		case <-timeout:
			t.Fatal("mailcatcher not ready after 30s")
		}
	}
}

func python(t *testing.T, script string, args ...string) string {
	t.Helper()
	out, err := exec.Command("python3", append([]string{"-c", script}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("python3: %v\n%s", err, out)
	}
	return string(out)
}

func httpGet(t *testing.T, url string) (int, []byte) {
	t.Helper()
	c := &http.Client{Timeout: 30 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func TestMailcatcherProcess(t *testing.T) {
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 not installed: smtplib/poplib/imaplib interop not run")
	}
	a := startCatcher(t)
	api := "http://" + a["http"]

	// A long poll started before the mail is sent returns it.
	type result struct {
		code int
		body []byte
	}
	waited := make(chan result, 1)
	go func() {
		resp, err := http.Get(api + "/api/wait?to=bob@example.org&subject=welcome&timeout=20s")
		if err != nil {
			waited <- result{0, []byte(err.Error())}
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		waited <- result{resp.StatusCode, b}
	}()
	time.Sleep(100 * time.Millisecond) // let the poll start; it works either way

	host, port, _ := strings.Cut(a["smtp"], ":")
	python(t, `
import smtplib, sys
from email.message import EmailMessage
s = smtplib.SMTP(sys.argv[1], int(sys.argv[2]), timeout=10)
m = EmailMessage()
m["From"] = "app@example.org"; m["To"] = "Bob <bob@example.org>"; m["Subject"] = "Welcome Bob"
m.set_content("Hello Bob, welcome.")
s.send_message(m, from_addr="bounce@example.org", to_addrs=["bob@example.org", "cc@example.org"])
m2 = EmailMessage()
m2["From"] = "app@example.org"; m2["To"] = "carol@example.org"; m2["Subject"] = "Reset password"
m2.set_content("Your code is 1234.")
s.send_message(m2)
s.quit()
`, host, port)

	r := <-waited
	if r.code != http.StatusOK {
		t.Fatalf("wait: %d %s", r.code, r.body)
	}
	var d Detail
	if err := json.Unmarshal(r.body, &d); err != nil {
		t.Fatalf("wait: %v: %s", err, r.body)
	}
	if d.Subject != "Welcome Bob" || d.From != "bounce@example.org" ||
		strings.Join(d.To, ",") != "bob@example.org,cc@example.org" ||
		strings.TrimSpace(d.Text) != "Hello Bob, welcome." || d.Headers["From"][0] != "app@example.org" {
		t.Fatalf("wait returned %+v", d)
	}

	// Waiting for a message already there returns at once.
	code, body := httpGet(t, api+"/api/wait?to=carol&subject=reset&timeout=5s")
	if code != http.StatusOK || !strings.Contains(string(body), "Your code is 1234.") {
		t.Fatalf("wait carol: %d %s", code, body)
	}
	// No match: 504 after the timeout.
	if code, body := httpGet(t, api+"/api/wait?to=nobody@example.org&timeout=200ms"); code != http.StatusGatewayTimeout {
		t.Fatalf("wait nobody: %d %s", code, body)
	}

	// The list, through curl when it is there.
	var listJSON []byte
	if _, err := exec.LookPath("curl"); err == nil {
		out, err := exec.Command("curl", "-sS", "--fail", api+"/api/messages").Output()
		if err != nil {
			t.Fatalf("curl: %v", err)
		}
		listJSON = out
	} else {
		_, listJSON = httpGet(t, api+"/api/messages")
	}
	var list []Summary
	if err := json.Unmarshal(listJSON, &list); err != nil {
		t.Fatalf("%v: %s", err, listJSON)
	}
	if len(list) != 2 || list[0].Subject != "Welcome Bob" || list[1].Subject != "Reset password" ||
		list[1].To[0] != "carol@example.org" || list[0].Size <= 0 || list[0].Date.IsZero() {
		t.Fatalf("list: %s", listJSON)
	}

	// Raw bytes, with the trace fields first.
	code, raw := httpGet(t, api+"/api/messages/"+strconv.FormatUint(uint64(list[1].ID), 10)+"?raw=1")
	if code != http.StatusOK || !strings.HasPrefix(string(raw), "Return-Path: <app@example.org>\r\nDelivered-To: carol@example.org\r\n") ||
		int64(len(raw)) != list[1].Size {
		t.Fatalf("raw: %d %q", code, raw)
	}
	if code, _ := httpGet(t, api+"/api/messages/999"); code != http.StatusNotFound {
		t.Fatalf("GET /api/messages/999: %d", code)
	}

	// The same mail over IMAP and POP3, any user name and password.
	host, port, _ = strings.Cut(a["imap"], ":")
	out := python(t, `
import imaplib, sys
m = imaplib.IMAP4(sys.argv[1], int(sys.argv[2]), timeout=10)
m.login("whoever", "whatever")
typ, data = m.select("INBOX")
print(data[0].decode())
typ, data = m.fetch("2", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
print(data[0][1].decode().strip())
m.logout()
`, host, port)
	if out != "2\nSubject: Reset password\n" {
		t.Fatalf("imaplib: %q", out)
	}
	host, port, _ = strings.Cut(a["pop3"], ":")
	out = python(t, `
import poplib, sys
p = poplib.POP3(sys.argv[1], int(sys.argv[2]), timeout=10)
p.user("anyone"); p.pass_("x")
print(p.stat()[0])
print([l.decode() for l in p.top(1, 0)[1] if l.startswith(b"Subject")][0])
p.quit()
`, host, port)
	if out != "2\nSubject: Welcome Bob\n" {
		t.Fatalf("poplib: %q", out)
	}

	// An application configured with a password sends as it would to its
	// real server: in plaintext on loopback, and over STARTTLS.
	host, port, _ = strings.Cut(a["smtp"], ":")
	python(t, `
import smtplib, ssl, sys
for tls in (False, True):
    s = smtplib.SMTP(sys.argv[1], int(sys.argv[2]), timeout=10)
    if tls:
        s.starttls(context=ssl._create_unverified_context())
    s.login("app-user", "app-password")
    s.sendmail("app@example.org", ["dave@example.org"], "Subject: logged in, TLS %s\r\n\r\nx\r\n" % tls)
    s.quit()
`, host, port)
	if code, body := httpGet(t, api+"/api/messages?q=subject:%22logged+in%22"); code != 200 || strings.Count(string(body), `"subject"`) != 2 {
		t.Fatalf("messages sent after login: %d %s", code, body)
	}

	// The page, with the SMTP address to send to.
	if code, page := httpGet(t, api+"/"); code != 200 || !strings.Contains(string(page), "SMTP on <code>"+a["smtp"]+"</code>") {
		t.Fatalf("page: %d %s", code, page)
	}

	// DELETE empties the mailbox.
	req, _ := http.NewRequest(http.MethodDelete, api+"/api/messages", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), `"deleted": 4`) {
		t.Fatalf("DELETE: %d %s", resp.StatusCode, b)
	}
	if _, body := httpGet(t, api+"/api/messages"); strings.TrimSpace(string(body)) != "[]" {
		t.Fatalf("list after DELETE: %s", body)
	}
}
