package interop

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// cyrusBin is where Debian's cyrus-clients puts its test clients, outside
// PATH.
const cyrusBin = "/usr/lib/cyrus/bin"

// NeedCyrus returns the path of a test client of Cyrus IMAP (imtest,
// smtptest, pop3test: package cyrus-clients), built on Cyrus SASL, once
// Cyrus SASL's SCRAM plugin (package libsasl2-modules) is there too, or
// skips t.
func NeedCyrus(t testing.TB, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		if path, err = exec.LookPath(filepath.Join(cyrusBin, name)); err != nil {
			t.Skipf("%s (package cyrus-clients) is not installed; skipping this interop test", name)
		}
	}
	if plugins, _ := filepath.Glob("/usr/lib/*/sasl2/libscram.so*"); len(plugins) == 0 {
		t.Skip("Cyrus SASL has no SCRAM plugin (package libsasl2-modules); skipping this interop test")
	}
	return path
}

// Output runs an interop client with stdin, for at most 30 seconds, and
// returns what it wrote to stdout and stderr; err is its exit status.
func Output(t testing.TB, stdin, path string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	return string(out), err
}
