package msgauth

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"fmt"
	"strings"
)

// Algorithm is a signing algorithm named by an a= tag.
type Algorithm struct {
	Name    string // as in a=: "rsa-sha256"
	KeyType string // as in a key record's k=: "rsa", "ed25519"
	Hash    crypto.Hash
}

var (
	// RSASHA256 is RFC 6376's mandatory algorithm.
	RSASHA256 = Algorithm{"rsa-sha256", "rsa", crypto.SHA256}
	// Ed25519SHA256 is RFC 8463's: Ed25519 over the SHA-256 hash.
	Ed25519SHA256 = Algorithm{"ed25519-sha256", "ed25519", crypto.SHA256}
	// RSASHA1 is recognized only to be refused (RFC 8301 3.1).
	RSASHA1 = Algorithm{"rsa-sha1", "rsa", crypto.SHA1}
)

// ErrUnknownAlgorithm is returned for an a= value that is none of the above.
var ErrUnknownAlgorithm = errors.New("unknown signing algorithm")

// ParseAlgorithm maps an a= value to its Algorithm (case does not matter:
// the RFC 6376 ABNF strings are case-insensitive).
func ParseAlgorithm(name string) (Algorithm, error) {
	for _, a := range []Algorithm{RSASHA256, Ed25519SHA256, RSASHA1} {
		if strings.EqualFold(name, a.Name) {
			return a, nil
		}
	}
	return Algorithm{}, fmt.Errorf("%w %q", ErrUnknownAlgorithm, clip(name))
}

// AlgorithmFor returns the algorithm a private key signs with.
func AlgorithmFor(key crypto.Signer) (Algorithm, error) {
	switch key.Public().(type) {
	case *rsa.PublicKey:
		return RSASHA256, nil
	case ed25519.PublicKey:
		return Ed25519SHA256, nil
	}
	return Algorithm{}, fmt.Errorf("unsupported key type %T (want RSA or Ed25519)", key.Public())
}

// SignDigest signs the header hash. RFC 8463 3: Ed25519 signs the SHA-256
// hash itself (PureEdDSA over the digest), RSA signs it PKCS #1 v1.5.
func SignDigest(key crypto.Signer, alg Algorithm, digest []byte) ([]byte, error) {
	if alg.KeyType == "ed25519" {
		return key.Sign(rand.Reader, digest, crypto.Hash(0))
	}
	return key.Sign(rand.Reader, digest, alg.Hash)
}

// ErrBadSignature is returned when a signature does not verify.
var ErrBadSignature = errors.New("signature did not verify")

// VerifyDigest checks sig over digest with pub.
func VerifyDigest(pub crypto.PublicKey, alg Algorithm, digest, sig []byte) error {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		if alg.KeyType == "rsa" && rsa.VerifyPKCS1v15(k, alg.Hash, digest, sig) == nil {
			return nil
		}
	case ed25519.PublicKey:
		if alg.KeyType == "ed25519" && ed25519.Verify(k, digest, sig) {
			return nil
		}
	}
	return ErrBadSignature
}
