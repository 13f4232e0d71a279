package managesieve_test

import (
	"context"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/mailwright/mailwright/delivery/managesieve"
	"github.com/mailwright/mailwright/internal/testcert"
)

const work = "require \"fileinto\";\r\nfileinto \"Work\";\r\n"

// TestScripts: the script commands of RFC 5804 2.5 to 2.12 against the
// mailbox store, with their response codes.
func TestScripts(t *testing.T) {
	ts := startServer(t, nil)
	c := dial(t, ts.addr)
	c.run(loginAlice + `
		C: LISTSCRIPTS
		S: OK "Listscripts completed"
		C: HAVESPACE "work" 40
		S: OK "Putscript would succeed"
		C: PUTSCRIPT "work" ` + literal(work) + `
		C: require "fileinto";
		C: fileinto "Work";
		C:
		S: OK "Script stored"
		C: PUTSCRIPT "Ünïcode \"quoted\"" "keep;"
		S: OK "Script stored"
		C: SETACTIVE "work"
		S: OK "Active script set"
		C: LISTSCRIPTS
		S: "work" ACTIVE
		S: "Ünïcode \"quoted\""
		S: OK "Listscripts completed"
		C: GETSCRIPT "work"
		S: {39}
		S: require "fileinto";
		S: fileinto "Work";
		S:
		S: OK "Getscript completed"
		C: DELETESCRIPT "work"
		S: NO (ACTIVE) "The script is active; deactivate it first"
		C: RENAMESCRIPT "work" "Ünïcode \"quoted\""
		S: NO (ALREADYEXISTS) "A script by that name exists already"
		C: RENAMESCRIPT "work" "filters"
		S: OK "Script renamed"
		C: LISTSCRIPTS
		S: "filters" ACTIVE
		S: "Ünïcode \"quoted\""
		S: OK "Listscripts completed"
		C: GETSCRIPT "work"
		S: NO (NONEXISTENT) "There is no script by that name"
		C: SETACTIVE "nope"
		S: NO (NONEXISTENT) "There is no script by that name"
		C: SETACTIVE ""
		S: OK "Active script set"
		C: DELETESCRIPT "filters"
		S: OK "Script deleted"
		C: DELETESCRIPT "filters"
		S: NO (NONEXISTENT) "There is no script by that name"
		C: LISTSCRIPTS
		S: "Ünïcode \"quoted\""
		S: OK "Listscripts completed"
		C: LOGOUT
		S: OK "Logout completed"
		S: <closed>
	`)
	// What the session stored is what delivery reads.
	if _, err := ts.store.ReadSieveScript(context.Background(), "alice", `Ünïcode "quoted"`); err != nil {
		t.Errorf("stored script: %v", err)
	}
	if name, _, _ := ts.store.ActiveSieveScript(context.Background(), "alice"); name != "" {
		t.Errorf("active script %q after SETACTIVE \"\"", name)
	}
}

// TestCheckScript: CHECKSCRIPT and PUTSCRIPT compile the script as
// delivery would, and report where the first error is.
func TestCheckScript(t *testing.T) {
	ts := startServer(t, nil)
	bad := "require \"fileinto\";\r\nfileinto :flags \"x\" \"Box\";\r\n"
	c := dial(t, ts.addr)
	c.run(loginAlice + `
		C: CHECKSCRIPT ` + literal(work) + `
		C: require "fileinto";
		C: fileinto "Work";
		C:
		S: OK "Script is valid"
		C: CHECKSCRIPT ` + literal(bad) + `
		C: require "fileinto";
		C: fileinto :flags "x" "Box";
		C:
		S: NO "line 2, column 10: unknown tag :flags for fileinto"
		C: PUTSCRIPT "bad" "if true {"
		S: NO "line 1, column 10: expected a command or '}', found end of script"
		C: LISTSCRIPTS
		S: OK "Listscripts completed"
	`)
}

// TestQuotas: HAVESPACE and PUTSCRIPT refuse scripts over MaxScriptSize
// and past MaxScripts (a replacement is fine), and a literal over the
// limit is skipped with NO, the session going on.
func TestQuotas(t *testing.T) {
	ts := startServer(t, func(s *managesieve.Server) { s.MaxScriptSize, s.MaxScripts = 100, 2 })
	big := strings.Repeat("#", 150) + "\r\n"
	c := dial(t, ts.addr)
	c.run(loginAlice + `
		C: HAVESPACE "a" 101
		S: NO (QUOTA/MAXSIZE) "Scripts may be at most 100 bytes"
		C: PUTSCRIPT "a" ` + literal(big) + `
		C: ` + strings.TrimSuffix(big, "\r\n") + `
		C:
		S: NO (QUOTA/MAXSIZE) "Script too large"
		C: PUTSCRIPT "a" "keep;"
		S: OK "Script stored"
		C: PUTSCRIPT "b" "keep;"
		S: OK "Script stored"
		C: HAVESPACE "c" 10
		S: NO (QUOTA/MAXSCRIPTS) "At most 2 scripts"
		C: PUTSCRIPT "c" "keep;"
		S: NO (QUOTA/MAXSCRIPTS) "At most 2 scripts"
		C: HAVESPACE "b" 10
		S: OK "Putscript would succeed"
		C: PUTSCRIPT "b" "discard;"
		S: OK "Script stored"
	`)
}

// TestAuthenticate: PLAIN with and without an initial response, a
// cancelled exchange, bad credentials (logged in the shared format),
// UNAUTHENTICATE, and the connection closed after MaxAuthFailures.
func TestAuthenticate(t *testing.T) {
	ts := startServer(t, func(s *managesieve.Server) { s.MaxAuthFailures = 2 })
	c := dial(t, ts.addr)
	c.run(caps + `
		S: OK "ManageSieve ready"
		C: LISTSCRIPTS
		S: NO "Log in first"
		C: AUTHENTICATE "PLAIN"
		S: ""
		C: "*"
		S: NO "Authentication cancelled"
		C: AUTHENTICATE "CRAM-MD5"
		S: NO "Unsupported authentication mechanism"
		C: AUTHENTICATE "PLAIN"
		S: ""
		C: {20+}
		C: AGFsaWNlAHNlY3JldA==
		S: OK "Logged in"
		C: CAPABILITY` + capLines("PLAIN", `"OWNER" "alice"`) + `
		S: OK "Capability completed"
		C: AUTHENTICATE "PLAIN" "AGFsaWNlAHNlY3JldA=="
		S: NO "Already logged in"
		C: UNAUTHENTICATE
		S: OK "Logged out"
		C: LISTSCRIPTS
		S: NO "Log in first"
		C: AUTHENTICATE "PLAIN" "AGJvYgB3cm9uZw=="
		S: NO "Authentication failed"
		C: AUTHENTICATE "PLAIN" "Ym9iAGFsaWNlAHNlY3JldA=="
		S: BYE "Too many failed authentications"
		S: <closed>
	`)
	if !ts.logs.Has(`level=WARN msg="login failed" proto=managesieve ip=127.0.0.1 user=bob method="AUTHENTICATE PLAIN"`) {
		t.Errorf("no failed-login line in the log:\n%s", ts.logs.String())
	}
}

// TestStartTLS: passwords wait for TLS; after STARTTLS the capabilities
// are sent again, with the SASL mechanisms and without STARTTLS.
func TestStartTLS(t *testing.T) {
	ts := startServer(t, func(s *managesieve.Server) {
		s.AllowInsecureAuth = false
		s.TLSConfig = testcert.ServerConfig()
	})
	c := dial(t, ts.addr)
	c.run(capLines("", `"STARTTLS"`) + `
		S: OK "ManageSieve ready"
		C: AUTHENTICATE "PLAIN" "AGFsaWNlAHNlY3JldA=="
		S: NO (ENCRYPT-NEEDED) "Authentication needs TLS; use STARTTLS first"
		C: STARTTLS
		S: OK "Begin TLS negotiation now"
	`)
	c.startTLS(testcert.StaticClientConfig())
	c.run(caps + `
		S: OK "TLS negotiation successful"
		C: STARTTLS
		S: NO "TLS is already active"
		C: AUTHENTICATE "PLAIN" "AGFsaWNlAHNlY3JldA=="
		S: OK "Logged in"
	`)
}

// TestBadInput: errors in commands are answered with NO and the session
// goes on; a literal too large to skip ends it.
func TestBadInput(t *testing.T) {
	ts := startServer(t, func(s *managesieve.Server) { s.MaxLineLength = 100 })
	c := dial(t, ts.addr)
	c.run(loginAlice + `
		C: FROB
		S: NO "Unknown command"
		C:
		S: NO "Empty command"
		C: "LISTSCRIPTS"
		S: NO "Expected a command name"
		C: GETSCRIPT "unterminated
		S: NO "Unterminated quoted string"
		C: GETSCRIPT "bad \escape"
		S: NO "Invalid escape in a quoted string"
		C: GETSCRIPT name
		S: NO "GETSCRIPT: expected a string, quoted or literal"
		C: GETSCRIPT "a" "b"
		S: NO "GETSCRIPT takes 1 argument(s)"
		C: GETSCRIPT ""
		S: NO "Invalid script name"
		C: HAVESPACE "a" 99999999999
		S: NO "Invalid number"
		C: PUTSCRIPT "a" {5+} trailing
		S: NO "A literal must end the line"
		C: ` + strings.Repeat("x", 200) + `
		S: NO "Line too long"
		C: NOOP "tag \"1\""
		S: OK (TAG "tag \"1\"") "Done"
		C: PUTSCRIPT "a" {9999999999+}
		S: BYE (QUOTA/MAXSIZE) "Literal too large"
		S: <closed>
	`)
}

// TestShutdown: Shutdown ends idle sessions with BYE and leaves no
// goroutine behind.
func TestShutdown(t *testing.T) {
	before := runtime.NumGoroutine()
	ts := startServer(t, nil)
	c := dial(t, ts.addr)
	c.run(loginAlice)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := ts.srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	c.run(`
		S: BYE "Server shutting down"
		S: <closed>
	`)
	ts.srv.Close()
	checkNoLeaks(t, before+1) // +1: the Serve goroutine until Cleanup reads its result
}

// TestConnectionCap: a connection over MaxConnectionsPerIP gets BYE
// (TRYLATER).
func TestConnectionCap(t *testing.T) {
	ts := startServer(t, func(s *managesieve.Server) { s.MaxConnectionsPerIP = 1 })
	first := dial(t, ts.addr)
	first.run(caps + `
		S: OK "ManageSieve ready"`)
	dial(t, ts.addr).run(`
		S: BYE (TRYLATER) "Too many connections from your address or network, try again later"
		S: <closed>
	`)
}
