package dane

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"time"
)

// TLS-RPT result types of a failed DANE authentication (RFC 8460 4.3).
const (
	ResultValidationFailure = "validation-failure"
	ResultHostMismatch      = "certificate-host-mismatch"
	ResultExpired           = "certificate-expired"
	ResultTLSAInvalid       = "tlsa-invalid"
	ResultDNSSECInvalid     = "dnssec-invalid"
	ResultDANERequired      = "dane-required"
)

// VerifyError is a certificate chain that no usable TLSA record
// authenticates.
type VerifyError struct {
	// Result is the TLS-RPT result type: ResultValidationFailure,
	// ResultHostMismatch or ResultExpired.
	Result string
	Err    error
}

func (e *VerifyError) Error() string { return "dane: " + e.Err.Error() }
func (e *VerifyError) Unwrap() error { return e.Err }

// Verify checks the certificate chain a server presented (leaf first)
// against records (the usable ones count). names are the reference
// identifiers for DANE-TA (RFC 7672 3.2.2: the MX host name, and the
// destination domain); now is the time for DANE-TA validity.
//
// DANE-EE(3) matches the leaf alone: neither its names nor its dates
// are checked (RFC 7672 3.1.1). DANE-TA(2) matches a certificate of the
// chain, which must then issue the leaf (through the chain's
// intermediates), valid now, for one of names (RFC 7672 3.1.2, 3.2).
func Verify(chain []*x509.Certificate, records []TLSA, names []string, now time.Time) error {
	if len(chain) == 0 {
		return &VerifyError{ResultValidationFailure, errors.New("no certificate presented")}
	}
	leaf := chain[0]
	var taErr error
	for _, r := range records {
		if !r.Usable() {
			continue
		}
		switch r.Usage {
		case UsageDANEEE:
			if r.Matches(leaf) {
				return nil
			}
		case UsageDANETA:
			for i, c := range chain {
				if !r.Matches(c) {
					continue
				}
				err := verifyFromAnchor(chain, i, names, now)
				if err == nil {
					return nil
				}
				taErr = err
			}
		}
	}
	if taErr != nil {
		return taErr
	}
	return &VerifyError{ResultValidationFailure, errors.New("no TLSA record matches the server's certificate chain")}
}

// verifyFromAnchor checks that chain[anchor] issues the leaf, through the
// certificates between them, for one of names.
func verifyFromAnchor(chain []*x509.Certificate, anchor int, names []string, now time.Time) error {
	leaf := chain[0]
	roots := x509.NewCertPool()
	roots.AddCert(chain[anchor])
	if anchor > 0 {
		inter := x509.NewCertPool()
		for _, c := range chain[1:anchor] {
			inter.AddCert(c)
		}
		_, err := leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, CurrentTime: now, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
		if err != nil {
			var ci x509.CertificateInvalidError
			if errors.As(err, &ci) && ci.Reason == x509.Expired {
				return &VerifyError{ResultExpired, err}
			}
			return &VerifyError{ResultValidationFailure, err}
		}
	} else if now.Before(leaf.NotBefore) || now.After(leaf.NotAfter) {
		// A self-issued anchor that is the leaf itself.
		return &VerifyError{ResultExpired, errors.New("the certificate is not valid now")}
	}
	for _, n := range names {
		if leaf.VerifyHostname(n) == nil {
			return nil
		}
	}
	return &VerifyError{ResultHostMismatch, fmt.Errorf("the certificate is not for %v", names)}
}

// VerifyConnection returns a tls.Config.VerifyConnection function that
// authenticates the server with the host's TLSA records. The Config must
// set InsecureSkipVerify (PKIX does not apply) and ServerName to the
// host, which RFC 7672 8.1 asks to send in SNI.
func (p *Policy) VerifyConnection(names []string) func(tls.ConnectionState) error {
	return func(cs tls.ConnectionState) error {
		return Verify(cs.PeerCertificates, p.Records, names, time.Now())
	}
}
