package mailwright_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mailwright/mailwright/internal/doccheck"
	"github.com/mailwright/mailwright/internal/interop"
)

const serverHeading = "## A server in a few lines"

// TestREADMEServerIsExample: the program of the README's "A server in a
// few lines" is Example (example_test.go), which go test compiles, as a
// main package.
func TestREADMEServerIsExample(t *testing.T) {
	readme, err := doccheck.MarkdownCode("README.md", serverHeading)
	if err != nil {
		t.Fatal(err)
	}
	example, err := os.ReadFile("example_test.go")
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Replace(string(example), "package mailwright_test", "package main", 1)
	want = strings.Replace(want, "func Example() {", "func main() {", 1)
	if d := doccheck.FirstDifference(readme, want); d != "" {
		t.Errorf("README.md %q differs from example_test.go at %s", serverHeading, d)
	}
}

// TestREADMEServerWorks follows the README as a new user does: the
// program copied from it into a module of its own (mailwright replaced by
// this checkout, the addresses by free ports), a certificate from
// generate_cert.go, a user added with the program's adduser, then mail
// sent to alice@example.org with Python's smtplib over STARTTLS and read
// with imaplib and poplib over TLS, logging in as alice@example.org.
// Interrupted, the program shuts down and exits 0.
func TestREADMEServerWorks(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a program: not in -short mode")
	}
	python := interop.NeedPython(t, "ssl")
	goTool := interop.Need(t, "go")
	program, err := doccheck.MarkdownCode("README.md", serverHeading)
	if err != nil {
		t.Fatal(err)
	}
	addrs := map[string]string{"smtp": "127.0.0.1:2525", "imap": "127.0.0.1:1993", "pop3": "127.0.0.1:1995"}
	for name, addr := range addrs {
		if strings.Count(program, `"`+addr+`"`) != 1 {
			t.Fatalf("the README's program does not listen on %s for %s once", addr, name)
		}
		addrs[name] = interop.FreeAddr(t)
		program = strings.Replace(program, `"`+addr+`"`, `"`+addrs[name]+`"`, 1)
	}

	dir := newModule(t, program)
	run := func(name string, args ...string) {
		t.Helper()
		cmd := exec.Command(name, args...)
		cmd.Dir, cmd.Env = dir, goEnv()
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
		}
	}
	bin := filepath.Join(t.TempDir(), "mail")
	run(goTool, "build", "-o", bin, ".")
	run(goTool, "run", filepath.Join(goRoot(t, goTool), "src", "crypto", "tls", "generate_cert.go"), "-host", "localhost,127.0.0.1", "-ca")
	run(bin, "adduser", "alice", "correct horse")

	server := exec.Command(bin)
	server.Dir = dir
	var log strings.Builder
	server.Stdout, server.Stderr = &log, &log
	if err := server.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	var exitErr error
	go func() { exitErr = server.Wait(); close(exited) }()
	defer func() {
		server.Process.Kill()
		<-exited
		if t.Failed() {
			t.Logf("server output:\n%s", log.String())
		}
	}()
	interop.WaitListening(t, exited, addrs["smtp"], addrs["imap"], addrs["pop3"])

	script := `
import imaplib, poplib, smtplib, ssl, sys
smtp, imap, pop3 = [a.rsplit(":", 1) for a in sys.argv[1:4]]
ctx = ssl.create_default_context(cafile="cert.pem")
with smtplib.SMTP(smtp[0], int(smtp[1]), timeout=20) as s:
    s.starttls(context=ctx)
    s.sendmail("bob@example.net", ["alice@example.org"], "Subject: From the README\r\n\r\nHello Alice.\r\n")
m = imaplib.IMAP4_SSL(imap[0], int(imap[1]), ssl_context=ctx, timeout=20)
m.login("alice@example.org", "correct horse")
m.select("INBOX")
typ, data = m.fetch("1", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
print("imap:", data[0][1].decode().strip())
m.logout()
p = poplib.POP3_SSL(pop3[0], int(pop3[1]), context=ctx, timeout=20)
p.user("alice@example.org")
p.pass_("correct horse")
print("pop3:", p.stat()[0], "message")
p.quit()
`
	cmd := exec.Command(python, "-c", script, addrs["smtp"], addrs["imap"], addrs["pop3"])
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("python: %v\n%s", err, out)
	}
	if want := "imap: Subject: From the README\npop3: 1 message\n"; string(out) != want {
		t.Fatalf("python printed %q, want %q", out, want)
	}

	server.Process.Signal(os.Interrupt)
	select {
	case <-exited:
		if exitErr != nil {
			t.Fatalf("after an interrupt the server exited with %v", exitErr)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the server did not stop within 30 s of an interrupt")
	}
}

// newModule writes a module outside this repository with program as its
// main.go and mailwright replaced by this checkout. (A new user runs go mod
// tidy; the go commands here resolve what the build needs from the module
// cache, which go mod tidy would not do offline, as it looks at the tests
// of the dependencies too.)
func newModule(t *testing.T, program string) string {
	t.Helper()
	root, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	sum, err := os.ReadFile("go.sum")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for name, content := range map[string]string{
		"go.mod":  "module example.org/mail\n\ngo 1.25.0\n\nrequire github.com/mailwright/mailwright v0.0.0\n\nreplace github.com/mailwright/mailwright => " + root + "\n",
		"go.sum":  string(sum),
		"main.go": program,
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// goEnv is the environment of the go commands: offline, with this
// toolchain.
func goEnv() []string {
	return append(os.Environ(), "GOPROXY=off", "GOFLAGS=-mod=mod", "GOWORK=off", "GOTOOLCHAIN=local")
}

func goRoot(t *testing.T, goTool string) string {
	t.Helper()
	out, err := exec.Command(goTool, "env", "GOROOT").Output()
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(out))
}
