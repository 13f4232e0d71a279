// Package arc implements the Authenticated Received Chain (RFC 8617):
// each server that forwards a message (a mailing list, an alias pointing
// off-site) records the authentication results it saw and seals them, so
// that the final receiver can trust what the first hop found even after
// forwarding broke SPF or a DKIM signature.
//
// Inbound, Verifier.Verify validates the chain (cv=none, pass or fail);
// its MethodResult goes into our Authentication-Results. When forwarding,
// Sealer.Seal adds our ARC set on top of the message (after our own
// Authentication-Results field is on it):
//
//	v := &arc.Verifier{Resolver: resolver}
//	chain, err := v.Verify(ctx, msgFile)
//	...
//	results := &authres.Header{AuthServID: "mx.example.org", Results: []authres.MethodResult{
//		spfResult, dkimResult, chain.MethodResult(),
//	}}
//	s := &arc.Sealer{Domain: "example.org", Selector: "arc1", Key: key}
//	set, err := s.Seal(msgFile, results, chain.CV)
//	// send set + the message
package arc

import (
	"strconv"

	"github.com/mailwright/mailwright/delivery/authres"
)

// Field names of an ARC set (RFC 8617 4.1).
const (
	SealField             = "ARC-Seal"
	MessageSignatureField = "ARC-Message-Signature"
	ResultsField          = "ARC-Authentication-Results"
)

// ChainValidation is the chain validation status, cv= (RFC 8617 4.4).
type ChainValidation string

const (
	// None: the message has no ARC set.
	None ChainValidation = "none"
	// Pass: every seal and the newest message signature verify.
	Pass ChainValidation = "pass"
	// Fail: the chain is broken, forged or malformed.
	Fail ChainValidation = "fail"
)

// Set describes one ARC set of a message.
type Set struct {
	Instance int // i=, 1 for the first forwarder
	// CV is the chain status that this set's sealer saw.
	CV ChainValidation
	// Domain and Selector are the sealer's d= and s= (ARC-Seal).
	Domain, Selector string
	// SignatureDomain is the d= of its ARC-Message-Signature.
	SignatureDomain string
	// Results are the authentication results the sealer recorded
	// (ARC-Authentication-Results); nil when they do not parse.
	Results *authres.Header
}

// Result is the validation of a message's chain.
type Result struct {
	CV ChainValidation
	// Sets are the chain's sets, oldest first, as far as they could be
	// read (a receiver trusting a sealer looks up its Results here).
	Sets []Set
	// OldestPass is the lowest instance whose message signature still
	// verifies, 0 when all of them do (RFC 8617 5.2 step 5); set only
	// when CV is Pass.
	OldestPass int
	// Err says why CV is Fail.
	Err error
}

// MethodResult is r as an Authentication-Results entry: "arc=pass
// header.oldest-pass=0" (RFC 8617 10.1).
func (r *Result) MethodResult() authres.MethodResult {
	m := authres.MethodResult{Method: "arc", Result: string(r.CV)}
	if r.Err != nil {
		m.Reason = r.Err.Error()
	}
	if r.CV == Pass {
		m.Properties = []authres.Property{{Type: "header", Name: "oldest-pass", Value: strconv.Itoa(r.OldestPass)}}
	}
	return m
}
