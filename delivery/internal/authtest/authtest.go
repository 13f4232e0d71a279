// Package authtest has what the tests of the message-authentication
// packages (dkim, arc, authres) share: an in-memory DNS and the
// independent implementations they are checked against (dkimpy,
// OpenDKIM).
package authtest

import (
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// Zone is an in-memory DNS for TXT records. A missing name answers as
// net.Resolver reports NXDOMAIN; a name in Fail answers a timeout.
type Zone struct {
	mu      sync.Mutex
	records map[string][]string
	fail    map[string]bool
	queries []string
}

// LookupTXT answers from the zone.
func (z *Zone) LookupTXT(ctx context.Context, name string) ([]string, error) {
	name = strings.ToLower(strings.TrimSuffix(name, "."))
	z.mu.Lock()
	defer z.mu.Unlock()
	z.queries = append(z.queries, name)
	if z.fail[name] {
		return nil, &net.DNSError{Err: "i/o timeout", Name: name, IsTimeout: true}
	}
	txt, ok := z.records[name]
	if !ok {
		return nil, &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
	}
	return txt, nil
}

// Set publishes TXT records at name.
func (z *Zone) Set(name string, txt ...string) {
	z.mu.Lock()
	defer z.mu.Unlock()
	if z.records == nil {
		z.records = make(map[string][]string)
	}
	z.records[strings.ToLower(name)] = txt
}

// Fail makes lookups of name time out.
func (z *Zone) Fail(name string) {
	z.mu.Lock()
	defer z.mu.Unlock()
	if z.fail == nil {
		z.fail = make(map[string]bool)
	}
	z.fail[strings.ToLower(name)] = true
}

// Records returns a copy of the zone's records (for handing to another
// implementation's DNS hook).
func (z *Zone) Records() map[string][]string {
	z.mu.Lock()
	defer z.mu.Unlock()
	out := make(map[string][]string, len(z.records))
	for k, v := range z.records {
		out[k] = v
	}
	return out
}

// Queries returns the names looked up so far.
func (z *Zone) Queries() []string {
	z.mu.Lock()
	defer z.mu.Unlock()
	return append([]string(nil), z.queries...)
}

// Python returns a python3 that can import the modules (the first of
// PATH's python3 and /usr/bin/python3: Debian's packages install into the
// system Python), or skips the test naming the Debian package.
func Python(t testing.TB, debianPackage string, modules ...string) string {
	t.Helper()
	check := "import " + strings.Join(modules, ", ")
	for _, candidate := range []string{"python3", "/usr/bin/python3"} {
		path, err := exec.LookPath(candidate)
		if err != nil {
			continue
		}
		if exec.Command(path, "-c", check).Run() == nil {
			return path
		}
	}
	t.Skipf("no python3 with %s: install the Debian package %s", strings.Join(modules, ", "), debianPackage)
	return ""
}

// Tool returns the path of a command, or skips the test naming the Debian
// package that has it.
func Tool(t testing.TB, name, debianPackage string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		for _, dir := range []string{"/usr/sbin/", "/usr/bin/"} {
			if path, err = exec.LookPath(dir + name); err == nil {
				break
			}
		}
	}
	if err != nil {
		t.Skipf("%s not installed: install the Debian package %s", name, debianPackage)
	}
	return path
}

// Run runs a command with stdin, bounded by a minute, and returns its
// standard output; a failure fails the test with the command's stderr.
func Run(t testing.TB, stdin []byte, name string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdin = bytes.NewReader(stdin)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, stderr.Bytes())
	}
	return out
}

func readFile(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func writeFile(t testing.TB, name string, b []byte) {
	t.Helper()
	if err := os.WriteFile(name, b, 0o600); err != nil {
		t.Fatal(err)
	}
}
