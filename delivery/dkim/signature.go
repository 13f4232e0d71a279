package dkim

import (
	"time"

	"github.com/mailwright/mailwright/delivery/internal/msgauth"
)

// Canonicalization is a c= algorithm (RFC 6376 3.4).
type Canonicalization string

const (
	// Simple tolerates no change at all.
	Simple Canonicalization = "simple"
	// Relaxed tolerates refolding, whitespace changes and header name
	// case, which relays commonly make; it is the default for signing.
	Relaxed Canonicalization = "relaxed"
)

func (c Canonicalization) internal() msgauth.Canon {
	if c == Simple {
		return msgauth.Simple
	}
	return msgauth.Relaxed
}

func fromInternal(c msgauth.Canon) Canonicalization {
	if c == msgauth.Relaxed {
		return Relaxed
	}
	return Simple
}

// FieldName is the signature header field's name.
const FieldName = "DKIM-Signature"

// Signature is a parsed DKIM-Signature field (RFC 6376 3.5).
type Signature struct {
	Algorithm string // a=: "rsa-sha256", "ed25519-sha256" (or "rsa-sha1", refused)
	Domain    string // d=, lower case
	Selector  string // s=
	// Headers is h=: the signed fields, in signing order.
	Headers []string
	// HeaderCanonicalization and BodyCanonicalization are c=.
	HeaderCanonicalization, BodyCanonicalization Canonicalization
	// Identity is i=; "@" + Domain when the tag is absent.
	Identity string
	// Length is l=, how much of the body is signed; -1 when all of it.
	Length int64
	// Timestamp is t= and Expiration x=; zero when absent.
	Timestamp, Expiration time.Time
	BodyHash              []byte // bh=
	Data                  []byte // b=, the signature
	// B is b= as written (whitespace removed), whose start identifies the
	// signature in Authentication-Results (RFC 6008 header.b).
	B string
}

// ParseSignature parses a DKIM-Signature value (after the colon) and
// checks it as RFC 6376 6.1.1 asks before a key is fetched: required tags,
// v=1, a known algorithm and canonicalization, i= within d=, From among
// the signed fields, x= after t=. Errors are permanent (permerror).
func ParseSignature(value string) (*Signature, error) {
	s, err := msgauth.ParseSig(value, msgauth.DKIMSignature)
	if err != nil {
		return nil, err
	}
	return fromSig(s), nil
}

func fromSig(s *msgauth.Sig) *Signature {
	return &Signature{
		Algorithm:              s.Algorithm.Name,
		Domain:                 s.Domain,
		Selector:               s.Selector,
		Headers:                s.Headers,
		HeaderCanonicalization: fromInternal(s.HeaderCanon),
		BodyCanonicalization:   fromInternal(s.BodyCanon),
		Identity:               s.Identity,
		Length:                 s.Length,
		Timestamp:              unixOrZero(s.Timestamp),
		Expiration:             unixOrZero(s.Expiration),
		BodyHash:               s.BodyHash,
		Data:                   s.Data,
		B:                      s.B,
	}
}

func unixOrZero(t int64) time.Time {
	if t < 0 {
		return time.Time{}
	}
	return time.Unix(t, 0)
}
