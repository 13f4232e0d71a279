package netserver

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"time"
)

// HasCertificate reports whether cfg can serve a TLS handshake: it has a
// certificate or a callback that picks one. A server offers STARTTLS only
// then; a tls.Config without any fails every handshake.
func HasCertificate(cfg *tls.Config) bool {
	return cfg != nil && (len(cfg.Certificates) > 0 || cfg.GetCertificate != nil || cfg.GetConfigForClient != nil)
}

// ImplicitTLSConfig returns the configuration for an implicit-TLS
// listener: a clone of base with the certificate from certFile and keyFile
// when they are given. It fails when there is no certificate at all.
func ImplicitTLSConfig(base *tls.Config, certFile, keyFile string) (*tls.Config, error) {
	cfg := &tls.Config{}
	if base != nil {
		cfg = base.Clone()
	}
	if certFile != "" || keyFile != "" {
		cert, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return nil, err
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	if !HasCertificate(cfg) {
		return nil, errors.New("implicit TLS needs a certificate: give certFile and keyFile, or set TLSConfig.Certificates or GetCertificate")
	}
	return cfg, nil
}

// Handshake runs the server side of tc's handshake (implicit TLS, or
// after STARTTLS) within timeout, a deadline set on raw, the connection
// under tc, and cleared after. It returns the connection state.
func Handshake(ctx context.Context, tc *tls.Conn, raw net.Conn, timeout time.Duration) (*tls.ConnectionState, error) {
	raw.SetDeadline(time.Now().Add(timeout))
	if err := tc.HandshakeContext(ctx); err != nil {
		return nil, err
	}
	raw.SetDeadline(time.Time{})
	st := tc.ConnectionState()
	return &st, nil
}

// PlaintextHint ends the refusal of a password on a connection without
// TLS with what the client can do about it: "; use STARTTLS first" (startTLS is
// the protocol's verb) when cfg can serve it, "; connect with TLS" when
// the server serves implicit TLS, or else ", and this server has no TLS
// configured", so that nobody is sent after a command that is not
// offered.
func (s *Server) PlaintextHint(cfg *tls.Config, startTLS string) string {
	switch {
	case HasCertificate(cfg):
		return "; use " + startTLS + " first"
	case s.ServesTLS():
		return "; connect with TLS"
	}
	return ", and this server has no TLS configured"
}
