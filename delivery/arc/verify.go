package arc

import (
	"bufio"
	"cmp"
	"context"
	"crypto"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/mailwright/mailwright/delivery/dkim"
	"github.com/mailwright/mailwright/delivery/internal/msgauth"
)

// Verifier validates ARC chains. Its zero value works (DNS through
// net.DefaultResolver). It is safe for concurrent use.
type Verifier struct {
	// Resolver fetches the sealers' keys (DKIM key records); nil means
	// net.DefaultResolver.
	Resolver dkim.TXTResolver
	// MinRSABits is the smallest RSA key accepted; 0 means 1024 (RFC 8301).
	MinRSABits int
	// LookupTimeout bounds all key lookups of one message; 0 means 10 seconds.
	LookupTimeout time.Duration
	// MaxHeaderBytes bounds the header read; 0 means 256 KiB.
	MaxHeaderBytes int
}

// Verify reads a message and validates its chain as RFC 8617 5.2 says:
// the structure of the sets, the newest ARC-Message-Signature, then every
// ARC-Seal from the newest down. It also validates the older message
// signatures to find OldestPass. Only the header is held in memory; the
// body is read only when there is a chain. The error is for a message
// that cannot be read; everything about the chain is in the Result.
func (v *Verifier) Verify(ctx context.Context, r io.Reader) (*Result, error) {
	br := bufio.NewReader(r)
	h, err := msgauth.ReadHeader(br, v.MaxHeaderBytes)
	if err != nil {
		return nil, fmt.Errorf("arc: %w", err)
	}
	hasARC := false
	for i := range h {
		hasARC = hasARC || h[i].Is(SealField) || h[i].Is(MessageSignatureField) || h[i].Is(ResultsField)
	}
	if !hasARC {
		return &Result{CV: None}, nil
	}
	sets, err := collect(h)
	if err != nil {
		return &Result{CV: Fail, Err: err}, nil
	}
	res := &Result{Sets: describe(sets)}
	n := len(sets)
	// RFC 8617 5.2 step 2: a chain its last sealer saw failing stays failed.
	if sets[n-1].asSig.CV == "fail" {
		res.CV, res.Err = Fail, fmt.Errorf("%w: ARC-Seal i=%d reports cv=fail", ErrChain, n)
		return res, nil
	}

	var bodies msgauth.BodyHashes
	bodyIndex := make([]int, n)
	for i, s := range sets {
		bodyIndex[i] = bodies.Add(s.amsSig.BodyHashKey())
	}
	if _, err := io.Copy(&bodies, br); err != nil {
		return nil, fmt.Errorf("arc: reading the body: %w", err)
	}
	bodies.Close()

	ctx, cancel := context.WithTimeout(ctx, cmp.Or(v.LookupTimeout, 10*time.Second))
	defer cancel()
	keys := &keyring{v: v, ctx: ctx, cache: make(map[string]keyAnswer)}
	ix := msgauth.NewIndex(h)
	checkAMS := func(i int) error {
		s := sets[i]
		pub, err := keys.get(s.amsSig)
		if err != nil {
			return err
		}
		digest, canonLen := bodies.Sum(bodyIndex[i])
		return msgauth.CheckSig(s.amsSig, s.ams, h, ix, digest, canonLen, pub)
	}
	// Step 4: the newest message signature must verify.
	if err := checkAMS(n - 1); err != nil {
		res.CV, res.Err = Fail, fmt.Errorf("arc: ARC-Message-Signature i=%d: %w", n, err)
		return res, nil
	}
	// Step 6: every seal, newest first.
	for i := n - 1; i >= 0; i-- {
		s := sets[i]
		pub, err := keys.get(s.asSig)
		if err == nil {
			err = msgauth.CheckHeaderSig(s.asSig, s.as, sealedFields(sets[:i], s.aar, s.ams), pub)
		}
		if err != nil {
			res.CV, res.Err = Fail, fmt.Errorf("arc: ARC-Seal i=%d: %w", i+1, err)
			return res, nil
		}
	}
	// Step 5: how far back the message is unchanged.
	for i := n - 2; i >= 0; i-- {
		if checkAMS(i) != nil {
			res.OldestPass = i + 2
			break
		}
	}
	res.CV = Pass
	return res, nil
}

// keyring fetches each sealer key once per message.
type keyring struct {
	v     *Verifier
	ctx   context.Context
	cache map[string]keyAnswer
}

type keyAnswer struct {
	rec *dkim.KeyRecord
	err error
}

// errWeak is a signature we refuse whatever its validity (RFC 8301).
var errWeak = errors.New("weak algorithm or key")

// get returns the public key for sig after the checks RFC 6376 6.1.2
// makes of a DKIM key, which ARC shares (RFC 8617 5.2).
func (k *keyring) get(sig *msgauth.Sig) (crypto.PublicKey, error) {
	name := dkim.KeyName(sig.Selector, sig.Domain)
	a, ok := k.cache[name]
	if !ok {
		resolver := k.v.Resolver
		if resolver == nil {
			resolver = net.DefaultResolver
		}
		a.rec, a.err = dkim.LookupKey(k.ctx, resolver, sig.Selector, sig.Domain)
		k.cache[name] = a
	}
	switch {
	case a.err != nil:
		return nil, a.err
	case sig.Algorithm == msgauth.RSASHA1:
		return nil, fmt.Errorf("%w: rsa-sha1", errWeak)
	case a.rec.KeyType == "rsa" && a.rec.Bits() < cmp.Or(k.v.MinRSABits, 1024):
		return nil, fmt.Errorf("%w: %d-bit RSA key", errWeak, a.rec.Bits())
	}
	if err := a.rec.Allows(sig.Algorithm.Name); err != nil {
		return nil, err
	}
	return a.rec.PublicKey, nil
}
