package dkim

import (
	"errors"

	"github.com/mailwright/mailwright/delivery/authres"
	"github.com/mailwright/mailwright/delivery/internal/msgauth"
)

// Status is the outcome of verifying one signature, named as in
// Authentication-Results (RFC 8601 2.7.1).
type Status string

const (
	// Pass: the signature verified.
	Pass Status = "pass"
	// Fail: the signature or the body hash did not verify; the message
	// was changed after signing (or the signature is forged).
	Fail Status = "fail"
	// Neutral: the signature was not checked (more signatures than
	// Verifier.MaxSignatures).
	Neutral Status = "neutral"
	// Policy: the signature may be valid, but we do not accept it:
	// rsa-sha1 or an RSA key below Verifier.MinRSABits (RFC 8301).
	Policy Status = "policy"
	// TempError: the key could not be fetched for now (DNS failure);
	// a later try may succeed.
	TempError Status = "temperror"
	// PermError: the signature or its key record is unusable: malformed,
	// missing key, revoked key, expired signature, From not signed.
	PermError Status = "permerror"
)

// Result is the verification of one DKIM-Signature field.
type Result struct {
	Status Status
	// Domain and Selector are d= and s=, when they could be read.
	Domain, Selector string
	// Signature is the parsed field; nil when it could not be parsed.
	Signature *Signature
	// Err says why the status is not Pass.
	Err error
}

// Errors in Result.Err; match them with errors.Is.
var (
	// ErrSignatureSyntax: the field is malformed (PermError).
	ErrSignatureSyntax = msgauth.ErrSyntax
	// ErrBodyHash: the body was changed (Fail).
	ErrBodyHash = msgauth.ErrBodyHash
	// ErrBadSignature: the signed fields were changed (Fail).
	ErrBadSignature = msgauth.ErrBadSignature
	// ErrExpired: x= has passed (PermError, RFC 6376 6.1.1).
	ErrExpired = errors.New("dkim: signature expired")
	// ErrWeakAlgorithm: rsa-sha1 (Policy, RFC 8301 3.1).
	ErrWeakAlgorithm = errors.New("dkim: rsa-sha1 is not accepted (RFC 8301)")
	// ErrWeakKey: an RSA key too short (Policy, RFC 8301 3.2).
	ErrWeakKey = errors.New("dkim: RSA key too short (RFC 8301)")
	// ErrKeyUnusable: the key record does not allow this signature: a
	// different key type, h= without the hash, s= without email, or t=s
	// with an i= in a subdomain (PermError).
	ErrKeyUnusable = errors.New("dkim: key record does not allow this signature")
	// ErrNotChecked: beyond Verifier.MaxSignatures (Neutral).
	ErrNotChecked = errors.New("dkim: not checked, too many signatures")
)

// MethodResult is r as an Authentication-Results entry: "dkim=pass
// header.d=example.com header.i=@example.com header.s=sel
// header.a=rsa-sha256 header.b=AbCdEfGh" (RFC 8601 2.7.1, RFC 6008).
func (r Result) MethodResult() authres.MethodResult {
	m := authres.MethodResult{Method: "dkim", Result: string(r.Status)}
	if r.Err != nil {
		m.Reason = r.Err.Error()
	}
	add := func(name, value string) {
		if value != "" {
			m.Properties = append(m.Properties, authres.Property{Type: "header", Name: name, Value: value})
		}
	}
	add("d", r.Domain)
	if s := r.Signature; s != nil {
		add("i", s.Identity)
	}
	add("s", r.Selector)
	if s := r.Signature; s != nil {
		add("a", s.Algorithm)
		// RFC 6008 2: enough of b= to tell signatures apart; 8 characters
		// as commonly written.
		add("b", s.B[:min(8, len(s.B))])
	}
	return m
}

// MethodResults turns a message's results into Authentication-Results
// entries: one per signature, or "dkim=none" for an unsigned message.
func MethodResults(results []Result) []authres.MethodResult {
	if len(results) == 0 {
		return []authres.MethodResult{{Method: "dkim", Result: "none"}}
	}
	out := make([]authres.MethodResult, len(results))
	for i, r := range results {
		out[i] = r.MethodResult()
	}
	return out
}
