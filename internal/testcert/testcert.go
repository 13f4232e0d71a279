// Package testcert holds the TLS certificates of tests: one static
// self-signed certificate that the package tests share (Static, CertPEM,
// Files), and freshly generated ones for the httptest-style test servers
// (smtptest, pop3test, imaptest).
package testcert

import (
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"net"
	"time"
)

// Certificate returns a self-signed certificate (its own CA, so a client
// can trust it directly) for localhost, 127.0.0.1 and ::1, valid for a
// week.
func Certificate() (tls.Certificate, error) {
	key, serial, err := newKey()
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "localhost"},
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(7 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, nil
}

// ClientConfig returns a client TLS configuration that trusts cert (nil:
// trusts nothing) and expects the name localhost.
func ClientConfig(cert *x509.Certificate) *tls.Config {
	pool := x509.NewCertPool()
	if cert != nil {
		pool.AddCert(cert)
	}
	return &tls.Config{RootCAs: pool, ServerName: "localhost"}
}
