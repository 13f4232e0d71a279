package dane

import (
	"bytes"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"strconv"

	"github.com/miekg/dns"
)

// TLSA parameters (RFC 6698 2.1, names from RFC 7218).
const (
	UsagePKIXTA = 0 // unusable for SMTP (RFC 7672 3.1.3)
	UsagePKIXEE = 1 // unusable for SMTP
	UsageDANETA = 2 // a trust anchor in the server's chain
	UsageDANEEE = 3 // the server's own certificate or key

	SelectorCert = 0 // the full certificate (DER)
	SelectorSPKI = 1 // its SubjectPublicKeyInfo

	MatchExact  = 0
	MatchSHA256 = 1
	MatchSHA512 = 2
)

// TLSA is one TLSA record.
type TLSA struct {
	Usage, Selector, MatchingType uint8
	// Data is the certificate association data (binary).
	Data []byte
}

// FromRR converts a miekg/dns TLSA record.
func FromRR(rr *dns.TLSA) (TLSA, error) {
	data, err := hex.DecodeString(rr.Certificate)
	if err != nil {
		return TLSA{}, fmt.Errorf("dane: TLSA data: %w", err)
	}
	return TLSA{Usage: rr.Usage, Selector: rr.Selector, MatchingType: rr.MatchingType, Data: data}, nil
}

// String is the record's presentation format ("3 1 1 ab12..."), which
// TLS-RPT reports as the policy-string (RFC 8460 4.4).
func (t TLSA) String() string {
	return strconv.Itoa(int(t.Usage)) + " " + strconv.Itoa(int(t.Selector)) + " " + strconv.Itoa(int(t.MatchingType)) + " " + hex.EncodeToString(t.Data)
}

// Usable reports whether an SMTP client can use the record: usage
// DANE-TA or DANE-EE, a known selector and matching type, and a digest
// of the right length (RFC 7672 3.1.3, RFC 7671 4).
func (t TLSA) Usable() bool {
	if t.Usage != UsageDANETA && t.Usage != UsageDANEEE {
		return false
	}
	if t.Selector != SelectorCert && t.Selector != SelectorSPKI {
		return false
	}
	switch t.MatchingType {
	case MatchExact:
		return len(t.Data) > 0
	case MatchSHA256:
		return len(t.Data) == sha256.Size
	case MatchSHA512:
		return len(t.Data) == sha512.Size
	}
	return false
}

// Matches reports whether cert is the certificate (or key) that the
// record designates.
func (t TLSA) Matches(cert *x509.Certificate) bool {
	var data []byte
	switch t.Selector {
	case SelectorCert:
		data = cert.Raw
	case SelectorSPKI:
		data = cert.RawSubjectPublicKeyInfo
	default:
		return false
	}
	switch t.MatchingType {
	case MatchExact:
		return bytes.Equal(data, t.Data)
	case MatchSHA256:
		sum := sha256.Sum256(data)
		return bytes.Equal(sum[:], t.Data)
	case MatchSHA512:
		sum := sha512.Sum512(data)
		return bytes.Equal(sum[:], t.Data)
	}
	return false
}

// Record returns the TLSA record of cert with the given parameters, as a
// server operator publishes it ("3 1 1" is the usual choice).
func Record(usage, selector, matchingType uint8, cert *x509.Certificate) TLSA {
	t := TLSA{Usage: usage, Selector: selector, MatchingType: matchingType}
	data := cert.Raw
	if selector == SelectorSPKI {
		data = cert.RawSubjectPublicKeyInfo
	}
	switch matchingType {
	case MatchSHA256:
		sum := sha256.Sum256(data)
		data = sum[:]
	case MatchSHA512:
		sum := sha512.Sum512(data)
		data = sum[:]
	}
	t.Data = bytes.Clone(data)
	return t
}
