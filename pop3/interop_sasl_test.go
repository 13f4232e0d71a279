package pop3_test

import (
	"strings"
	"testing"

	"github.com/mailwright/mailwright/internal/interop"
)

// Independent SASL clients against AUTH: Cyrus IMAP's pop3test (Cyrus
// SASL) and curl (its own OAUTHBEARER).

func TestInteropCyrusSCRAM(t *testing.T) {
	pop3test := interop.NeedCyrus(t, "pop3test")
	addr, _ := saslServer(t)
	_, port, _ := strings.Cut(addr, ":")
	for _, tc := range []struct {
		name string
		args []string
		ok   bool
	}{
		{"without TLS", []string{"-m", "SCRAM-SHA-256", "-w", "secret"}, true},
		{"wrong password", []string{"-m", "SCRAM-SHA-256", "-w", "wrong"}, false},
		{"TLS", []string{"-t", "", "-m", "SCRAM-SHA-256", "-w", "secret"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, _ := interop.Output(t, "QUIT\r\n", pop3test, append(tc.args, "-a", "alice", "-p", port, "127.0.0.1")...)
			switch {
			case !strings.Contains(out, "C: AUTH SCRAM-SHA-256 biws"):
				t.Fatalf("pop3test did not use SCRAM-SHA-256:\n%s", out)
			case tc.ok != strings.Contains(out, "\nAuthenticated."):
				t.Fatalf("pop3test: want success %v:\n%s", tc.ok, out)
			}
		})
	}
}

func TestInteropCurlOAuthBearer(t *testing.T) {
	curl := interop.NeedCurl(t, "pop3")
	addr, _ := saslServer(t)
	out, err := interop.Output(t, "", curl, "-sS", "-v", "--oauth2-bearer", "alice-token", "-u", "alice:", "pop3://"+addr+"/")
	if err != nil || !strings.Contains(out, "AUTH OAUTHBEARER") || !strings.Contains(out, "< +OK Logged in") {
		t.Fatalf("good token: %v\n%s", err, out)
	}
	if out, err := interop.Output(t, "", curl, "-sS", "-v", "--oauth2-bearer", "stolen", "-u", "alice:", "pop3://"+addr+"/"); err == nil || !strings.Contains(out, "< -ERR [AUTH]") {
		t.Fatalf("bad token: %v\n%s", err, out)
	}
}
