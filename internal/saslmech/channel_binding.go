package saslmech

import (
	"crypto/sha256"
	"crypto/sha512"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
)

// Channel binding types (RFC 5056) a SCRAM -PLUS exchange can use.
const (
	// TLSExporter is RFC 9266's, for TLS 1.3 (and TLS 1.2 with the
	// extended master secret): the default of current clients.
	TLSExporter = "tls-exporter"
	// TLSUnique is RFC 5929 3's, for TLS 1.2 only: it is not defined for
	// TLS 1.3 (RFC 9266 1), where crypto/tls leaves it empty.
	TLSUnique = "tls-unique"
	// TLSServerEndPoint is RFC 5929 4's: a hash of the server's
	// certificate, for any TLS version.
	TLSServerEndPoint = "tls-server-end-point"
)

// BindingTypes are the channel binding types in the order a client
// prefers them: tls-exporter where it is defined, then tls-unique, then
// tls-server-end-point.
var BindingTypes = []string{TLSExporter, TLSUnique, TLSServerEndPoint}

// ErrNoCertificate reports tls-server-end-point on a server that does not
// know the certificate its handshake presented: crypto/tls does not tell
// a server, so the servers know it only when their tls.Config has one
// certificate and no callback to choose one.
var ErrNoCertificate = errors.New("tls-server-end-point: the server's certificate is not known")

// exporterLabel is RFC 9266 2's label; the context is empty and the
// length 32 bytes.
const exporterLabel = "EXPORTER-Channel-Binding"

// Binding returns the channel binding data of type kind for a TLS
// connection whose state is cs; cert is the server's certificate (a
// client's cs.PeerCertificates[0], the certificate a server presented).
func Binding(kind string, cs *tls.ConnectionState, cert *x509.Certificate) ([]byte, error) {
	if cs == nil {
		return nil, errors.New("channel binding needs TLS")
	}
	switch kind {
	case TLSExporter:
		// crypto/tls refuses on TLS 1.2 without the extended master
		// secret, as RFC 9266 3 requires.
		return cs.ExportKeyingMaterial(exporterLabel, nil, 32)
	case TLSUnique:
		if len(cs.TLSUnique) == 0 {
			return nil, errors.New("tls-unique is not defined on this connection (TLS 1.3, or a resumption without the extended master secret)")
		}
		return cs.TLSUnique, nil
	case TLSServerEndPoint:
		if cert == nil {
			return nil, ErrNoCertificate
		}
		return endPointHash(cert), nil
	}
	return nil, fmt.Errorf("unsupported channel binding type %q", kind)
}

// endPointHash hashes the certificate with the hash of its signature
// algorithm, SHA-256 for MD5 and SHA-1 (RFC 5929 4.1), and for
// signatures without a separate hash (Ed25519), which RFC 5929 does not
// cover.
func endPointHash(cert *x509.Certificate) []byte {
	switch cert.SignatureAlgorithm {
	case x509.SHA384WithRSA, x509.ECDSAWithSHA384, x509.SHA384WithRSAPSS:
		h := sha512.Sum384(cert.Raw)
		return h[:]
	case x509.SHA512WithRSA, x509.ECDSAWithSHA512, x509.SHA512WithRSAPSS:
		h := sha512.Sum512(cert.Raw)
		return h[:]
	}
	h := sha256.Sum256(cert.Raw)
	return h[:]
}

// ServedCertificate returns the certificate that a server with cfg
// presents in every handshake: there must be exactly one to choose from
// (one Certificates entry, no GetCertificate or GetConfigForClient). It
// returns nil otherwise, and for a certificate that does not parse.
func ServedCertificate(cfg *tls.Config) *x509.Certificate {
	if cfg == nil || len(cfg.Certificates) != 1 || cfg.GetCertificate != nil || cfg.GetConfigForClient != nil {
		return nil
	}
	c := cfg.Certificates[0]
	if c.Leaf != nil {
		return c.Leaf
	}
	if len(c.Certificate) == 0 {
		return nil
	}
	leaf, err := x509.ParseCertificate(c.Certificate[0])
	if err != nil {
		return nil
	}
	return leaf
}

// ServerChannel is what a server-side mechanism knows of the connection.
type ServerChannel struct {
	// TLS is the connection's TLS state, nil without TLS.
	TLS *tls.ConnectionState
	// Binding returns the channel binding data of a type; nil means none.
	Binding func(kind string) ([]byte, error)
}
