package testcert

import (
	"crypto/x509"
	"testing"
	"time"
)

// TestStatic checks that the static certificate parses, names the
// loopback addresses, and verifies with the pool and client config.
func TestStatic(t *testing.T) {
	leaf := Static().Leaf
	if leaf == nil {
		t.Fatal("Static has no Leaf")
	}
	for _, host := range []string{"localhost", "127.0.0.1", "::1"} {
		if err := leaf.VerifyHostname(host); err != nil {
			t.Errorf("VerifyHostname(%s): %v", host, err)
		}
	}
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: Pool(), DNSName: "localhost", CurrentTime: time.Now()}); err != nil {
		t.Errorf("Verify: %v", err)
	}
	if cfg := StaticClientConfig(); cfg.ServerName != "localhost" || cfg.RootCAs == nil {
		t.Errorf("StaticClientConfig = %+v", cfg)
	}
	certFile, keyFile := Files(t)
	if certFile == "" || keyFile == "" {
		t.Error("Files returned empty names")
	}
}
