package testcert

import (
	"crypto/tls"
	"crypto/x509"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// CertPEM is the static certificate of the package tests: self-signed
// (its own CA), for localhost, 127.0.0.1 and ::1, valid from 2000 to
// 2099. Like net/http's internal test certificate it is public, so it
// proves nothing outside tests; one fixed certificate spares each test
// the key generation and keeps every test on the same TLS setup.
var CertPEM = []byte(`-----BEGIN CERTIFICATE-----
MIIB1zCCAXygAwIBAgIBATAKBggqhkjOPQQDAjAvMRkwFwYDVQQKExBtYWlsd3Jp
Z2h0IHRlc3RzMRIwEAYDVQQDEwlsb2NhbGhvc3QwIBcNMDAwMTAxMDAwMDAwWhgP
MjA5OTEyMzEwMDAwMDBaMC8xGTAXBgNVBAoTEG1haWx3cmlnaHQgdGVzdHMxEjAQ
BgNVBAMTCWxvY2FsaG9zdDBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABBEUHPaR
ip0M3MzUgcpEv92XPw8mk0lJp/cYTglOzO4mA5En9yNs+oAScbhLI+HOpQjzTVFk
6kiodbsLhYRpLX2jgYYwgYMwDgYDVR0PAQH/BAQDAgKEMBMGA1UdJQQMMAoGCCsG
AQUFBwMBMA8GA1UdEwEB/wQFMAMBAf8wHQYDVR0OBBYEFGEm68jJCvW6TC29VJJR
Dr2UNFF5MCwGA1UdEQQlMCOCCWxvY2FsaG9zdIcEfwAAAYcQAAAAAAAAAAAAAAAA
AAAAATAKBggqhkjOPQQDAgNJADBGAiEAg3p7f4JwP7lhQhoXHX98dHJEKLmFhY8j
4Y4g+kfZGwECIQDTQkPkkLsMxdhdnq5qXx2qUJw/50HmQkUH+YEuTv9gyQ==
-----END CERTIFICATE-----
`)

// KeyPEM is the private key of CertPEM (ECDSA P-256, PKCS #8).
var KeyPEM = []byte(`-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgNvSk+HR5tH/L8ODI
MeRTw2MSqs7awPS2D4WjrOTnvtyhRANCAAQRFBz2kYqdDNzM1IHKRL/dlz8PJpNJ
Saf3GE4JTszuJgORJ/cjbPqAEnG4SyPhzqUI801RZOpIqHW7C4WEaS19
-----END PRIVATE KEY-----
`)

var static = sync.OnceValue(func() tls.Certificate {
	cert, err := tls.X509KeyPair(CertPEM, KeyPEM)
	if err != nil {
		panic("testcert: the static certificate does not parse: " + err.Error())
	}
	return cert
})

// Static returns the static certificate (CertPEM and KeyPEM), parsed,
// with its Leaf set.
func Static() tls.Certificate { return static() }

// ServerConfig returns a server TLS configuration that presents the
// static certificate.
func ServerConfig() *tls.Config {
	return &tls.Config{Certificates: []tls.Certificate{Static()}}
}

// StaticClientConfig returns a client TLS configuration that trusts the
// static certificate and expects the name localhost.
func StaticClientConfig() *tls.Config { return ClientConfig(Static().Leaf) }

// Pool returns a pool that trusts the static certificate.
func Pool() *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AddCert(Static().Leaf)
	return pool
}

// Files writes CertPEM and KeyPEM into a temporary directory of t and
// returns their names, for the servers' ListenAndServeTLS(certFile,
// keyFile) and for clients that read a CA file.
func Files(t testing.TB) (certFile, keyFile string) {
	t.Helper()
	dir := t.TempDir()
	certFile = filepath.Join(dir, "cert.pem")
	keyFile = filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, CertPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, KeyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}
