// Package testserver is what the httptest-style test servers (smtptest,
// pop3test, imaptest) share: starting on a loopback port with the test
// certificate and closing (Listener), and a log of messages that a test
// can wait on (Log). It knows nothing of storage: what pop3test and
// imaptest share about the mail store is in internal/testmailbox.
package testserver

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"testing"

	"github.com/mailwright/mailwright/internal/testcert"
)

// Started starts s, failing the test if it cannot: the NewServer of the
// three test servers.
func Started[S interface{ Start() error }](t testing.TB, s S) S {
	t.Helper()
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	return s
}

// Listener starts a test server on a loopback port and closes it: the
// part of Start, StartTLS and Close that the three test servers share.
// The zero value is ready to Start.
type Listener struct {
	certificate *x509.Certificate
	l           net.Listener
	done        chan struct{} // closed when serve has returned
}

// Start listens on 127.0.0.1 on a free port and runs serve on it in the
// background, and returns the host:port. With tlsConfig not nil, it first
// sets *tlsConfig (the server's TLSConfig field) to a configuration with
// the test certificate, which ClientTLSConfig trusts. A Listener starts
// once. Errors begin with name, the test server's package.
func (s *Listener) Start(name string, serve func(net.Listener) error, tlsConfig **tls.Config) (addr string, err error) {
	if s.l != nil {
		return "", errors.New(name + ": server already started")
	}
	if tlsConfig != nil {
		cert, err := testcert.Certificate()
		if err != nil {
			return "", fmt.Errorf("%s: %w", name, err)
		}
		s.certificate = cert.Leaf
		*tlsConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("%s: %w", name, err)
	}
	s.l, s.done = l, make(chan struct{})
	go func() {
		defer close(s.done)
		serve(l)
	}()
	return l.Addr().String(), nil
}

// Close stops the server with closeServer (its Close method) and waits
// until serve has returned. It does nothing before Start; calling it
// again does no harm.
func (s *Listener) Close(closeServer func() error) {
	if s.l == nil {
		return
	}
	closeServer()
	<-s.done
}

// Certificate returns the server's certificate (nil unless started with
// TLS).
func (s *Listener) Certificate() *x509.Certificate { return s.certificate }

// ClientTLSConfig returns a client TLS configuration that trusts the
// server's certificate.
func (s *Listener) ClientTLSConfig() *tls.Config { return testcert.ClientConfig(s.certificate) }
