package arc

import (
	"bufio"
	"crypto"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/mailwright/mailwright/delivery/authres"
	"github.com/mailwright/mailwright/delivery/internal/msgauth"
)

// Sealer adds an ARC set to messages a server forwards. It is safe for
// concurrent use once configured.
type Sealer struct {
	// Domain and Selector name the sealing key in DNS, as for DKIM
	// (SELECTOR._domainkey.DOMAIN); the key may be the domain's DKIM key.
	Domain, Selector string
	// Key is an *rsa.PrivateKey (RFC 8617 defines rsa-sha256 only, so
	// that is what every validator knows) or an ed25519.PrivateKey.
	Key crypto.Signer
	// Headers are the fields the ARC-Message-Signature covers when
	// present; nil means the DKIM Signer's default list plus
	// DKIM-Signature. ARC fields are never covered (RFC 8617 4.1.2), nor
	// Authentication-Results, which receivers strip (RFC 8601 5).
	Headers []string
	// Now is the clock (for t=); nil means time.Now.
	Now func() time.Time
	// MaxHeaderBytes bounds the header read; 0 means 256 KiB.
	MaxHeaderBytes int
}

// ErrTooManySets: the message already has the most sets a chain may have
// (50, RFC 8617 4.2.1); it is not sealed again.
var ErrTooManySets = errors.New("arc: the chain already has 50 sets")

// Seal reads a message and returns the ARC set to put on top of it:
// ARC-Seal, ARC-Message-Signature and ARC-Authentication-Results, CRLF
// line endings. results are what this server found (its
// Authentication-Results, usually including the arc= result), and cv is
// the chain's status from Verifier.Verify on the message as it arrived:
// None for a message without a chain, Pass or Fail otherwise. A seal over
// a failed chain covers only the new set (RFC 8617 5.1.2). The body is
// hashed as it streams.
func (s *Sealer) Seal(r io.Reader, results *authres.Header, cv ChainValidation) ([]byte, error) {
	if results == nil {
		return nil, errors.New("arc: no authentication results to seal")
	}
	br := bufio.NewReader(r)
	h, err := msgauth.ReadHeader(br, s.MaxHeaderBytes)
	if err != nil {
		return nil, fmt.Errorf("arc: %w", err)
	}
	sets, err := collect(h)
	if err != nil {
		// A broken chain is sealed as failed, covering only our set.
		sets, cv = nil, Fail
	}
	n := len(sets) + 1
	if n > msgauth.MaxInstance {
		return nil, ErrTooManySets
	}
	switch {
	case n == 1 && cv != Fail:
		cv = None // RFC 8617 5.1.1: the first set has cv=none
	case n > 1 && cv != Pass && cv != Fail:
		return nil, fmt.Errorf("arc: the message has a chain, cv must be pass or fail, not %q", cv)
	}
	alg, err := msgauth.AlgorithmFor(s.Key)
	if err != nil {
		return nil, fmt.Errorf("arc: %w", err)
	}

	var bodies msgauth.BodyHashes
	bh := bodies.Add(msgauth.BodyHash{Canon: msgauth.Relaxed, Hash: alg.Hash, Limit: -1})
	if _, err := io.Copy(&bodies, br); err != nil {
		return nil, fmt.Errorf("arc: reading the body: %w", err)
	}
	bodies.Close()
	bodyHash, _ := bodies.Sum(bh)

	instance := strconv.Itoa(n)
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	t := strconv.FormatInt(now().Unix(), 10)
	aar, err := msgauth.NewField([]byte(ResultsField + ": i=" + instance + "; " + results.Fold() + "\r\n"))
	if err != nil {
		return nil, fmt.Errorf("arc: %w", err)
	}

	headers := s.Headers
	if headers == nil {
		headers = append(append([]string(nil), msgauth.DefaultSignedHeaders...), "DKIM-Signature")
	}
	names := msgauth.SignedNames(h, headers, msgauth.DefaultOversigned)
	amsRaw, err := msgauth.SignField(MessageSignatureField, []msgauth.Tag{
		{Name: "i", Value: instance}, {Name: "a", Value: alg.Name}, {Name: "c", Value: "relaxed/relaxed"},
		{Name: "d", Value: s.Domain}, {Name: "s", Value: s.Selector}, {Name: "t", Value: t},
		{Name: "h", Value: strings.Join(names, ":")}, {Name: "bh", Value: base64.StdEncoding.EncodeToString(bodyHash)},
	}, msgauth.Relaxed, msgauth.PickAll(h, msgauth.NewIndex(h), names), s.Key, alg)
	if err != nil {
		return nil, fmt.Errorf("arc: signing: %w", err)
	}
	ams, _ := msgauth.NewField(amsRaw)

	earlier := sets
	if cv == Fail {
		earlier = nil
	}
	sealed := sealedFields(earlier, &aar, &ams)
	asRaw, err := msgauth.SignField(SealField, []msgauth.Tag{
		{Name: "i", Value: instance}, {Name: "cv", Value: string(cv)}, {Name: "a", Value: alg.Name},
		{Name: "d", Value: s.Domain}, {Name: "s", Value: s.Selector}, {Name: "t", Value: t},
	}, msgauth.Relaxed, sealed, s.Key, alg)
	if err != nil {
		return nil, fmt.Errorf("arc: sealing: %w", err)
	}
	out := append(asRaw, amsRaw...)
	return append(out, aar.Raw...), nil
}
