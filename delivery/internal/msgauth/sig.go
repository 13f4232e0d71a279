package msgauth

import (
	"crypto"
	"crypto/subtle"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// SigKind says which of the three signature fields a value comes from;
// they share the DKIM-Signature syntax with a few tags changed.
type SigKind uint8

const (
	// DKIMSignature: RFC 6376 3.5.
	DKIMSignature SigKind = iota
	// ARCMessageSignature: RFC 8617 4.1.2, a DKIM-Signature with i= as
	// the instance and no v=.
	ARCMessageSignature
	// ARCSeal: RFC 8617 4.1.3, no h=, bh=, c= (always relaxed), plus cv=.
	ARCSeal
)

// MaxInstance is the highest ARC instance (RFC 8617 4.2.1).
const MaxInstance = 50

var requiredTags = [...][]string{
	DKIMSignature:       {"v", "a", "b", "bh", "d", "h", "s"},
	ARCMessageSignature: {"i", "a", "b", "bh", "d", "h", "s"},
	ARCSeal:             {"i", "a", "b", "cv", "d", "s"},
}

// Sig is a parsed signature field of any kind.
type Sig struct {
	Kind      SigKind
	Algorithm Algorithm
	Domain    string // d=
	Selector  string // s=
	Headers   []string
	BodyHash  []byte
	Data      []byte // b=
	// HeaderCanon and BodyCanon are the c= tag.
	HeaderCanon, BodyCanon Canon
	Identity               string // DKIM i=; "@" + Domain when absent
	Instance               int    // ARC i=
	CV                     string // ARC-Seal cv=: "none", "pass" or "fail"
	Length                 int64  // l=; -1 when absent
	Timestamp, Expiration  int64  // t=, x= in Unix seconds; -1 when absent
	// B is b= as written, for Authentication-Results header.b (RFC 6008).
	B string
}

// ErrSyntax is wrapped by every signature syntax error (a permanent
// error: RFC 6376 6.1.1).
var ErrSyntax = errors.New("malformed signature")

// ParseSig parses the value of a signature field of kind k and checks
// what RFC 6376 6.1.1 and RFC 8617 5.2 ask a verifier to check before it
// looks up a key.
func ParseSig(value string, k SigKind) (*Sig, error) {
	tags, err := ParseTags(value)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSyntax, err)
	}
	for _, name := range requiredTags[k] {
		if _, ok := tags.Get(name); !ok {
			return nil, fmt.Errorf("%w: no %s= tag", ErrSyntax, name)
		}
	}
	s := &Sig{Kind: k, Length: -1, Timestamp: -1, Expiration: -1}
	if err := s.fill(tags); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSyntax, err)
	}
	return s, nil
}

func (s *Sig) fill(tags Tags) error {
	get := func(name string) string { v, _ := tags.Get(name); return v }
	var err error
	if s.Kind == DKIMSignature && get("v") != "1" {
		return fmt.Errorf("unsupported version v=%s", clip(get("v")))
	}
	if s.Kind != DKIMSignature {
		if s.Instance, err = parseInstance(get("i")); err != nil {
			return err
		}
	}
	if s.Algorithm, err = ParseAlgorithm(get("a")); err != nil {
		return err
	}
	s.B = RemoveFWS(get("b"))
	if s.Data, err = DecodeBase64(s.B); err != nil || len(s.Data) == 0 {
		return errors.New("b= is not base64")
	}
	if s.Domain = strings.ToLower(get("d")); !IsDomain(s.Domain) {
		return fmt.Errorf("bad domain d=%s", clip(s.Domain))
	}
	if s.Selector = get("s"); !IsDomain(s.Selector) {
		return fmt.Errorf("bad selector s=%s", clip(s.Selector))
	}
	if v, ok := tags.Get("t"); ok {
		if s.Timestamp, err = parseDigits(v, 12); err != nil {
			return fmt.Errorf("t=: %v", err)
		}
	}
	if s.Kind == ARCSeal {
		return s.fillSeal(tags)
	}
	if s.BodyHash, err = DecodeBase64(get("bh")); err != nil || len(s.BodyHash) == 0 {
		return errors.New("bh= is not base64")
	}
	if s.HeaderCanon, s.BodyCanon, err = ParseCanon(get("c")); err != nil {
		return err
	}
	if err := s.fillHeaders(get("h")); err != nil {
		return err
	}
	if v, ok := tags.Get("l"); ok {
		if s.Length, err = parseDigits(v, 76); err != nil {
			return fmt.Errorf("l=: %v", err)
		}
	}
	if v, ok := tags.Get("x"); ok {
		if s.Expiration, err = parseDigits(v, 12); err != nil {
			return fmt.Errorf("x=: %v", err)
		}
		// RFC 6376 3.5 x=: MUST be greater than t= when both are present.
		if s.Timestamp >= 0 && s.Expiration <= s.Timestamp {
			return errors.New("x= is not after t=")
		}
	}
	if v, ok := tags.Get("q"); ok && !hasQueryMethod(v) {
		return fmt.Errorf("no dns/txt in q=%s", clip(v))
	}
	if s.Kind == DKIMSignature {
		return s.fillIdentity(tags)
	}
	return nil
}

func (s *Sig) fillSeal(tags Tags) error {
	if _, ok := tags.Get("h"); ok {
		return errors.New("h= is not allowed in ARC-Seal") // RFC 8617 4.1.3
	}
	cv, _ := tags.Get("cv")
	switch s.CV = strings.ToLower(cv); s.CV {
	case "none", "pass", "fail":
	default:
		return fmt.Errorf("bad cv=%s", clip(cv))
	}
	// RFC 8617 4.1.3: the seal is always relaxed.
	s.HeaderCanon, s.BodyCanon = Relaxed, Relaxed
	return nil
}

func (s *Sig) fillHeaders(h string) error {
	for _, name := range SplitList(h, ":") {
		if name == "" || !isFieldName([]byte(name)) {
			return fmt.Errorf("bad field name %q in h=", clip(name))
		}
		s.Headers = append(s.Headers, name)
	}
	// RFC 6376 6.1.1: a signature that does not sign From is ignored.
	for _, name := range s.Headers {
		if strings.EqualFold(name, "From") {
			return nil
		}
	}
	return errors.New("h= does not include From")
}

// fillIdentity: RFC 6376 3.5 i=: the domain of the identity must be d= or
// a subdomain of it.
func (s *Sig) fillIdentity(tags Tags) error {
	i, ok := tags.Get("i")
	if !ok {
		s.Identity = "@" + s.Domain
		return nil
	}
	at := strings.LastIndexByte(i, '@')
	if at < 0 {
		return fmt.Errorf("i=%s has no @", clip(i))
	}
	dom := strings.ToLower(i[at+1:])
	if dom != s.Domain && !strings.HasSuffix(dom, "."+s.Domain) {
		return fmt.Errorf("i=%s is not in d=%s", clip(i), s.Domain)
	}
	s.Identity = i
	return nil
}

func parseInstance(v string) (int, error) {
	n, err := parseDigits(v, 2)
	if err != nil || n < 1 || n > MaxInstance {
		return 0, fmt.Errorf("bad instance i=%s", clip(v))
	}
	return int(n), nil
}

// parseDigits parses 1*maxDigits DIGIT into a non-negative int64 (values
// past int64 are clamped: an l= that large only means "the whole body").
func parseDigits(v string, maxDigits int) (int64, error) {
	if v == "" || len(v) > maxDigits {
		return 0, fmt.Errorf("%q is not 1 to %d digits", clip(v), maxDigits)
	}
	for i := 0; i < len(v); i++ {
		if !isDigit(v[i]) {
			return 0, fmt.Errorf("%q is not a number", clip(v))
		}
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 1<<63 - 1, nil
	}
	return n, nil
}

func hasQueryMethod(q string) bool {
	for _, m := range SplitList(q, ":") {
		if strings.EqualFold(m, "dns/txt") {
			return true
		}
	}
	return false
}

// IsDomain reports whether s is a plausible domain or selector: dot-separated
// labels of letters, digits, hyphens and underscores (selectors and
// _domainkey names have them), or UTF-8 (RFC 8616), each 1 to 63 bytes,
// 253 in all.
func IsDomain(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for label := range strings.SplitSeq(s, ".") {
		if label == "" || len(label) > 63 {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !isAlpha(c) && !isDigit(c) && c != '-' && c != '_' && c < 0x80 {
				return false
			}
		}
	}
	return true
}

// Errors that CheckSig returns for a signature that fails (RFC 8601 fail).
var (
	ErrBodyHash      = errors.New("body hash did not verify")
	ErrBodyTooShort  = errors.New("body is shorter than l=")
	errNoPublicKey   = errors.New("no public key")
	errUnsignedField = errors.New("signature field not found")
)

// CheckSig verifies a DKIM-Signature or ARC-Message-Signature: the body
// hash (computed by BodyHashes for sig's BodyHash key) and the header
// signature with pub over the fields of h that sig names.
func CheckSig(sig *Sig, sigField *Field, h Header, ix Index, bodyHash []byte, canonLen int64, pub crypto.PublicKey) error {
	if sig.Length >= 0 && sig.Length > canonLen {
		return ErrBodyTooShort
	}
	if subtle.ConstantTimeCompare(bodyHash, sig.BodyHash) != 1 {
		return ErrBodyHash
	}
	return CheckHeaderSig(sig, sigField, PickAll(h, ix, sig.Headers), pub)
}

// CheckHeaderSig verifies the header signature of sig over signed.
func CheckHeaderSig(sig *Sig, sigField *Field, signed []*Field, pub crypto.PublicKey) error {
	if pub == nil {
		return errNoPublicKey
	}
	if sigField == nil {
		return errUnsignedField
	}
	digest := HeaderHash(sig.Algorithm.Hash, sig.HeaderCanon, signed, sigField.Raw)
	return VerifyDigest(pub, sig.Algorithm, digest, sig.Data)
}

// PickAll returns the fields that names select, in order.
func PickAll(h Header, ix Index, names []string) []*Field {
	p := NewPicker(h, ix)
	out := make([]*Field, len(names))
	for i, name := range names {
		out[i] = p.Pick(name)
	}
	return out
}

// BodyHashKey is the body hash that sig needs.
func (s *Sig) BodyHashKey() BodyHash {
	return BodyHash{Canon: s.BodyCanon, Hash: s.Algorithm.Hash, Limit: s.Length}
}
