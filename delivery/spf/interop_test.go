package spf

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
)

// pyspfScript runs the cases it reads (JSON on stdin) through pyspf with
// dnspython pointed at our DNS server only, and prints the results.
const pyspfScript = `
import json, sys
import dns.name, dns.resolver
import spf

cfg = json.load(sys.stdin)
r = dns.resolver.Resolver(configure=False)
r.nameservers = ['127.0.0.1']
r.port = cfg['port']
r.domain = dns.name.root   # no search list: names are asked as they are
r.search = []
dns.resolver.default_resolver = r
out = []
for c in cfg['cases']:
    q = spf.query(i=c['ip'], s=c['s'], h=c['h'], receiver=cfg['receiver'], timeout=c['timeout'])
    res, _, exp = q.check()
    out.append({'result': res, 'exp': exp})
json.dump(out, sys.stdout)
`

// pyspfPython returns a python3 that has pyspf and dnspython, or skips.
func pyspfPython(t *testing.T) string {
	for _, py := range []string{"python3", "/usr/bin/python3"} {
		path, err := exec.LookPath(py)
		if err != nil {
			continue
		}
		if exec.Command(path, "-c", "import spf, dns.resolver").Run() == nil {
			return path
		}
	}
	t.Skip("pyspf not installed (Debian package python3-spf): skipping the SPF interop test")
	return ""
}

// TestPyspfInterop runs every case through pyspf, against the same DNS
// server, and requires its result (and explanation, where the domain
// gives one) to be ours.
func TestPyspfInterop(t *testing.T) {
	py := pyspfPython(t)
	srv := startCaseDNS(t)
	_, portStr, _ := net.SplitHostPort(srv.Addr)
	port, _ := strconv.Atoi(portStr)

	type pyCase struct {
		IP      string `json:"ip"`
		S       string `json:"s"`
		H       string `json:"h"`
		Timeout int    `json:"timeout"`
	}
	var cases []spfCase
	var in []pyCase
	for _, c := range spfCases {
		if c.slow && testing.Short() {
			continue
		}
		pc := pyCase{IP: c.ip, S: c.mailFrom, H: c.helo, Timeout: 5}
		if c.heloOnly {
			pc.S = ""
		}
		if c.slow {
			pc.Timeout = 1
		}
		cases = append(cases, c)
		in = append(in, pc)
	}
	input, err := json.Marshal(map[string]any{"port": port, "receiver": caseReceiver, "cases": in})
	if err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(t.TempDir(), "pyspf_cases.py")
	if err := os.WriteFile(script, []byte(pyspfScript), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(py, script)
	cmd.Stdin = bytes.NewReader(input)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	output, err := cmd.Output()
	if err != nil {
		t.Fatalf("pyspf: %v\n%s", err, stderr.String())
	}
	var got []struct {
		Result string `json:"result"`
		Exp    string `json:"exp"`
	}
	if err := json.Unmarshal(output, &got); err != nil || len(got) != len(cases) {
		t.Fatalf("pyspf output (%v): %s", err, output)
	}
	for i, c := range cases {
		ours := runCase(context.Background(), caseChecker(srv), c)
		if Result(got[i].Result) != ours.Result {
			t.Errorf("%s: pyspf %s, we %s (%v)", c.name, got[i].Result, ours.Result, ours.Err)
		}
		if c.exp != "" && got[i].Exp != ours.Explanation {
			t.Errorf("%s: pyspf explains\n %q\nwe\n %q", c.name, got[i].Exp, ours.Explanation)
		}
	}
}
