package authtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// netnsEnv carries the request to the test binary re-run inside a private
// network and mount namespace.
const netnsEnv = "MAILWRIGHT_AUTHTEST_NETNS"

type netnsRequest struct {
	Records map[string][]string
	Command []string
	Stdin   []byte
}

// RunWithDNS runs a command that does its own DNS lookups (OpenDKIM's
// tools read /etc/resolv.conf) against the zone: the test binary is run
// again under unshare(1) in a private network and mount namespace, where
// it serves the zone on 127.0.0.1:53, points a private /etc/resolv.conf
// at it and runs the command. It returns the command's output (standard
// output and error) and exit status; the test is skipped where namespaces are not available (not
// root, no unshare). The test binary's TestMain must call
// ServeNetNSChild first.
func RunWithDNS(t testing.TB, z *Zone, stdin []byte, command ...string) (out []byte, exitCode int) {
	t.Helper()
	unshare := Tool(t, "unshare", "util-linux")
	Tool(t, "ip", "iproute2")
	if exec.Command(unshare, "--net", "--mount", "true").Run() != nil {
		t.Skip("cannot make network namespaces here (needs root): skipping the DNS-backed run")
	}
	req, err := json.Marshal(netnsRequest{Records: z.Records(), Command: command, Stdin: stdin})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, unshare, "--net", "--mount", os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), netnsEnv+"="+string(req))
	out, err = cmd.CombinedOutput()
	if exit, ok := err.(*exec.ExitError); ok && exit.ExitCode() != setupFailed {
		return out, exit.ExitCode()
	}
	if err != nil {
		t.Fatalf("namespace run: %v\n%s", err, out)
	}
	return out, 0
}

// setupFailed is the child's exit status when the namespace could not be
// set up (as opposed to the command's own failure).
const setupFailed = 111

// ServeNetNSChild is for TestMain: in the child that RunWithDNS starts, it
// does the work and exits; anywhere else it returns at once.
func ServeNetNSChild() {
	raw := os.Getenv(netnsEnv)
	if raw == "" {
		return
	}
	var req netnsRequest
	if err := json.Unmarshal([]byte(raw), &req); err != nil {
		childFail(err)
	}
	if out, err := exec.Command("ip", "link", "set", "lo", "up").CombinedOutput(); err != nil {
		childFail(fmt.Errorf("ip link set lo up: %v: %s", err, out))
	}
	dir, err := os.MkdirTemp("", "authtest-netns")
	if err != nil {
		childFail(err)
	}
	defer os.RemoveAll(dir)
	resolvConf := filepath.Join(dir, "resolv.conf")
	if err := os.WriteFile(resolvConf, []byte("nameserver 127.0.0.1\noptions attempts:1 timeout:2\n"), 0o644); err != nil {
		childFail(err)
	}
	// The mount namespace is private (unshare's default propagation), so
	// only this process tree sees the bind mount.
	if err := syscall.Mount(resolvConf, "/etc/resolv.conf", "", syscall.MS_BIND, ""); err != nil {
		childFail(fmt.Errorf("bind-mounting resolv.conf: %v", err))
	}
	for _, network := range []string{"udp", "tcp"} {
		srv := &dns.Server{Addr: "127.0.0.1:53", Net: network, Handler: zoneHandler(req.Records)}
		started := make(chan error, 1)
		srv.NotifyStartedFunc = func() { started <- nil }
		go func() { started <- srv.ListenAndServe() }()
		if err := <-started; err != nil {
			childFail(fmt.Errorf("DNS server on %s: %v", network, err))
		}
	}
	cmd := exec.Command(req.Command[0], req.Command[1:]...)
	cmd.Stdin = bytes.NewReader(req.Stdin)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	err = cmd.Run()
	if exit, ok := err.(*exec.ExitError); ok {
		os.Exit(exit.ExitCode())
	}
	if err != nil {
		childFail(err)
	}
	os.Exit(0)
}

func childFail(err error) {
	fmt.Fprintln(os.Stderr, "authtest namespace child:", err)
	os.Exit(setupFailed)
}

// zoneHandler answers TXT questions from records (strings longer than 255
// bytes are cut, as a zone file would have them) and NXDOMAIN otherwise.
func zoneHandler(records map[string][]string) dns.HandlerFunc {
	return func(w dns.ResponseWriter, q *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(q)
		m.Authoritative = true
		name := strings.ToLower(strings.TrimSuffix(q.Question[0].Name, "."))
		txts, ok := records[name]
		switch {
		case !ok:
			m.Rcode = dns.RcodeNameError
		case q.Question[0].Qtype == dns.TypeTXT:
			for _, txt := range txts {
				m.Answer = append(m.Answer, &dns.TXT{Hdr: dns.RR_Header{Name: q.Question[0].Name,
					Rrtype: dns.TypeTXT, Class: dns.ClassINET, Ttl: 60}, Txt: splitTXT(txt)})
			}
		}
		w.WriteMsg(m)
	}
}

func splitTXT(s string) []string {
	var parts []string
	for len(s) > 255 {
		parts = append(parts, s[:255])
		s = s[255:]
	}
	return append(parts, s)
}
