package netserver

import (
	"context"
	"crypto/tls"
	"net"
	"strings"
	"testing"

	"github.com/mailwright/mailwright/internal/logtest"
	"github.com/mailwright/mailwright/internal/testcert"
)

func TestHasCertificate(t *testing.T) {
	get := func(*tls.ClientHelloInfo) (*tls.Certificate, error) { return nil, nil }
	for _, tc := range []struct {
		cfg  *tls.Config
		want bool
	}{
		{nil, false},
		{&tls.Config{}, false},
		{&tls.Config{MinVersion: tls.VersionTLS13}, false},
		{testcert.ServerConfig(), true},
		{&tls.Config{GetCertificate: get}, true},
	} {
		if got := HasCertificate(tc.cfg); got != tc.want {
			t.Errorf("HasCertificate(%+v) = %v, want %v", tc.cfg, got, tc.want)
		}
	}
	if _, err := ImplicitTLSConfig(&tls.Config{}, "", ""); err == nil {
		t.Error("ImplicitTLSConfig accepted a config without a certificate")
	}
	certFile, keyFile := testcert.Files(t)
	cfg, err := ImplicitTLSConfig(nil, certFile, keyFile)
	if err != nil || len(cfg.Certificates) != 1 {
		t.Errorf("ImplicitTLSConfig(files) = %v, %v", cfg, err)
	}
}

func TestPlaintextHint(t *testing.T) {
	var s Server
	if got := s.PlaintextHint(testcert.ServerConfig(), "STLS"); got != "; use STLS first" {
		t.Errorf("with a certificate: %q", got)
	}
	if got := s.PlaintextHint(&tls.Config{}, "STLS"); got != ", and this server has no TLS configured" {
		t.Errorf("without: %q", got)
	}
	s.tlsServing.Add(1)
	if got := s.PlaintextHint(nil, "STLS"); got != "; connect with TLS" {
		t.Errorf("serving implicit TLS: %q", got)
	}
}

// The user name comes from the client: it cannot break the line or make
// it huge.
func TestLoginFailed(t *testing.T) {
	logger, logs := logtest.New()
	remote := &net.TCPAddr{IP: net.ParseIP("192.0.2.7"), Port: 4711}
	LoginFailed(context.Background(), logger, "pop3", remote, "alice", "PASS")
	LoginFailed(context.Background(), logger, "imap", remote, "x\r\nlevel=WARN msg=forged", "LOGIN")
	LoginFailed(context.Background(), logger, "smtp", remote, strings.Repeat("a", 5000), "AUTH PLAIN")
	lines := logs.Lines()
	want := []string{
		`level=WARN msg="login failed" proto=pop3 ip=192.0.2.7 user=alice method=PASS`,
		`level=WARN msg="login failed" proto=imap ip=192.0.2.7 user="x  level=WARN msg=forged" method=LOGIN`,
		`level=WARN msg="login failed" proto=smtp ip=192.0.2.7 user=` + strings.Repeat("a", maxLoggedUser) + ` method="AUTH PLAIN"`,
	}
	if len(lines) != len(want) {
		t.Fatalf("lines:\n%s", logs)
	}
	for i := range want {
		if lines[i] != want[i] {
			t.Errorf("line %d:\n got %s\nwant %s", i, lines[i], want[i])
		}
	}
}
