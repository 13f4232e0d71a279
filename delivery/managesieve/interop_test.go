package managesieve_test

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mailwright/mailwright/delivery/managesieve"
	"github.com/mailwright/mailwright/internal/interop"
	"github.com/mailwright/mailwright/internal/testcert"
	"github.com/mailwright/mailwright/mailbox"
)

// sieveConnect runs Debian's sieve-connect (an independent client in
// Perl) against addr as alice, over STARTTLS, with the password on a
// file descriptor; it returns the output and whether it succeeded.
func sieveConnect(t *testing.T, bin, addr string, args ...string) (string, bool) {
	t.Helper()
	host, port, _ := net.SplitHostPort(addr)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	w.WriteString("secret\n")
	w.Close()
	defer r.Close()
	cmd := exec.Command(bin, append([]string{"--server", host, "--port", port, "--user", "alice",
		"--passwordfd", "3", "--notlsverify", "--noclearauth", "--noclearchan"}, args...)...)
	cmd.ExtraFiles = []*os.File{r}
	cmd.Dir = t.TempDir()
	out, err := cmd.CombinedOutput()
	return string(out), err == nil
}

// TestSieveConnect: sieve-connect uploads, checks, activates, lists,
// downloads, and deletes scripts over STARTTLS, and sees a broken script
// refused with its line and column.
func TestSieveConnect(t *testing.T) {
	bin := interop.Need(t, "sieve-connect")
	ts := startServer(t, func(s *managesieve.Server) {
		s.AllowInsecureAuth = false
		s.TLSConfig = testcert.ServerConfig()
	})
	dir := t.TempDir()
	good := filepath.Join(dir, "good.sieve")
	bad := filepath.Join(dir, "bad.sieve")
	os.WriteFile(good, []byte("require [\"fileinto\"];\nif header :contains \"subject\" \"report\" {\n  fileinto \"Reports\";\n}\n"), 0o600)
	os.WriteFile(bad, []byte("require \"fileinto\";\nfileinto :flags \"x\" \"Box\";\n"), 0o600)

	run := func(wantOK bool, args ...string) string {
		t.Helper()
		out, ok := sieveConnect(t, bin, ts.addr, args...)
		if ok != wantOK {
			t.Fatalf("sieve-connect %q: success %v, want %v:\n%s", args, ok, wantOK, out)
		}
		return out
	}
	run(true, "--checkscript", "--localsieve", good)
	if out := run(false, "--checkscript", "--localsieve", bad); !strings.Contains(out, "line 2, column 10: unknown tag :flags for fileinto") {
		t.Errorf("checkscript of a bad script:\n%s", out)
	}
	run(true, "--upload", "--localsieve", good, "--remotesieve", "filters")
	run(true, "--upload", "--localsieve", good, "--remotesieve", "spare")
	run(false, "--upload", "--localsieve", bad, "--remotesieve", "broken")
	run(true, "--activate", "--remotesieve", "filters")
	out := run(true, "--list")
	if !strings.Contains(out, "filters") || !strings.Contains(out, "spare") || strings.Contains(out, "broken") {
		t.Errorf("list:\n%s", out)
	}
	got := filepath.Join(dir, "downloaded.sieve")
	run(true, "--download", "--remotesieve", "filters", "--localsieve", got)
	if a, b := read(t, good), read(t, got); a != b {
		t.Errorf("downloaded %q, uploaded %q", b, a)
	}
	run(false, "--delete", "--remotesieve", "filters") // active
	run(true, "--delete", "--remotesieve", "spare")

	list, err := ts.store.ListSieveScripts(context.Background(), "alice")
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0] != (mailbox.SieveScript{Name: "filters", Size: int64(len(read(t, good))), Active: true}) {
		t.Errorf("the store holds %+v", list)
	}
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
