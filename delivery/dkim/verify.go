package dkim

import (
	"bufio"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/mailwright/mailwright/delivery/internal/msgauth"
)

// Verifier checks the DKIM signatures of inbound mail. Its zero value
// works (DNS through net.DefaultResolver); a server sets Resolver to its
// own caching resolver. A Verifier is safe for concurrent use.
type Verifier struct {
	// Resolver fetches key records; nil means net.DefaultResolver.
	Resolver TXTResolver
	// MaxSignatures is how many signatures are checked; later ones are
	// reported Neutral. 0 means 8: a message rarely has more than 3, and
	// each one costs a DNS lookup and a public-key operation.
	MaxSignatures int
	// MinRSABits is the smallest RSA key accepted; 0 means 1024, the
	// floor of RFC 8301 3.2. Smaller keys give Policy.
	MinRSABits int
	// LookupTimeout bounds each key lookup; 0 means 10 seconds.
	LookupTimeout time.Duration
	// MaxHeaderBytes bounds the header read; 0 means 256 KiB.
	MaxHeaderBytes int
	// Now is the clock for x=; nil means time.Now.
	Now func() time.Time

	keys keyMemo
}

// keyLookup is one key fetch, shared by the signatures that name the same
// selector and domain, run while the body streams.
type keyLookup struct {
	done chan struct{}
	rec  *KeyRecord
	err  error
}

// check is one signature waiting for its body hash and key.
type check struct {
	res    *Result
	sig    *msgauth.Sig
	field  *msgauth.Field
	body   int // index in the BodyHashes
	lookup *keyLookup
}

// Verify reads a message and verifies every DKIM-Signature field in it,
// returning one Result per field in header order (none for an unsigned
// message). Key lookups run while the body streams through the hashes;
// only the header is held in memory, and r is not read past the header
// when there is nothing to verify. The error is for a message that cannot
// be read (an I/O error, a malformed or oversized header), which the
// caller reports as dkim=permerror or temperror as it sees fit.
func (v *Verifier) Verify(ctx context.Context, r io.Reader) ([]Result, error) {
	br := bufio.NewReader(r)
	h, err := msgauth.ReadHeader(br, v.MaxHeaderBytes)
	if err != nil {
		return nil, fmt.Errorf("dkim: %w", err)
	}
	var results []Result
	for i := range h {
		if h[i].Is(FieldName) {
			results = append(results, Result{})
		}
	}
	if len(results) == 0 {
		return nil, nil
	}

	lookupCtx, cancel := context.WithTimeout(ctx, cmp.Or(v.LookupTimeout, 10*time.Second))
	var wg sync.WaitGroup
	defer wg.Wait() // after cancel (defers run last first): no lookup outlives Verify
	defer cancel()
	lookups := make(map[string]*keyLookup)
	var bodies msgauth.BodyHashes
	var checks []check
	n := 0
	for i := range h {
		if !h[i].Is(FieldName) {
			continue
		}
		res := &results[n]
		n++
		if n > cmp.Or(v.MaxSignatures, 8) {
			*res = Result{Status: Neutral, Err: ErrNotChecked}
			continue
		}
		sig, ok := v.precheck(res, &h[i])
		if !ok {
			continue
		}
		key := sig.Selector + "._domainkey." + sig.Domain
		l := lookups[key]
		if l == nil {
			l = &keyLookup{done: make(chan struct{})}
			lookups[key] = l
			wg.Go(func() {
				defer close(l.done)
				l.rec, l.err = lookupKey(lookupCtx, v.resolver(), sig.Selector, sig.Domain, v.keys.parse)
			})
		}
		checks = append(checks, check{res: res, sig: sig, field: &h[i], body: bodies.Add(sig.BodyHashKey()), lookup: l})
	}
	if len(checks) == 0 {
		return results, nil
	}
	if _, err := io.Copy(&bodies, br); err != nil {
		return nil, fmt.Errorf("dkim: reading the body: %w", err)
	}
	bodies.Close()

	ix := msgauth.NewIndex(h)
	for _, c := range checks {
		<-c.lookup.done
		c.res.Status, c.res.Err = v.finish(c, h, ix, &bodies)
	}
	return results, nil
}

// precheck parses a signature field and refuses what needs no key to
// refuse (RFC 6376 6.1.1; RFC 8301 3.1).
func (v *Verifier) precheck(res *Result, f *msgauth.Field) (*msgauth.Sig, bool) {
	value := string(f.Value())
	sig, err := msgauth.ParseSig(value, msgauth.DKIMSignature)
	if err != nil {
		res.Status, res.Err = PermError, err
		// Name the signer in Authentication-Results if the tags are readable.
		if tags, err := msgauth.ParseTags(value); err == nil {
			res.Domain, _ = tags.Get("d")
			res.Selector, _ = tags.Get("s")
		}
		return nil, false
	}
	res.Signature = fromSig(sig)
	res.Domain, res.Selector = sig.Domain, sig.Selector
	switch {
	case sig.Algorithm == msgauth.RSASHA1:
		res.Status, res.Err = Policy, ErrWeakAlgorithm
		return nil, false
	case sig.Expiration >= 0 && v.now().Unix() > sig.Expiration:
		res.Status, res.Err = PermError, ErrExpired
		return nil, false
	}
	return sig, true
}

// finish checks one signature once its key and body hash are known.
func (v *Verifier) finish(c check, h msgauth.Header, ix msgauth.Index, bodies *msgauth.BodyHashes) (Status, error) {
	rec, err := c.lookup.rec, c.lookup.err
	switch {
	case errors.Is(err, ErrNoKey) || errors.Is(err, ErrKeyRevoked) || errors.Is(err, ErrKeySyntax):
		return PermError, err
	case err != nil:
		return TempError, fmt.Errorf("dkim: looking up %s: %w", KeyName(c.sig.Selector, c.sig.Domain), err)
	}
	if err := rec.Allows(c.sig.Algorithm.Name); err != nil {
		return PermError, err
	}
	// RFC 6376 3.6.1 t=s: the identity must be in d= itself.
	if rec.Strict() && !strings.EqualFold(identityDomain(c.sig.Identity), c.sig.Domain) {
		return PermError, fmt.Errorf("%w: t=s and i=%s", ErrKeyUnusable, c.sig.Identity)
	}
	if rec.KeyType == "rsa" && rec.Bits() < cmp.Or(v.MinRSABits, 1024) {
		return Policy, fmt.Errorf("%w: %d bits", ErrWeakKey, rec.Bits())
	}
	digest, canonLen := bodies.Sum(c.body)
	if err := msgauth.CheckSig(c.sig, c.field, h, ix, digest, canonLen, rec.PublicKey); err != nil {
		return Fail, err
	}
	return Pass, nil
}

func identityDomain(i string) string { return i[strings.LastIndexByte(i, '@')+1:] }

func (v *Verifier) resolver() TXTResolver {
	if v.Resolver != nil {
		return v.Resolver
	}
	return net.DefaultResolver
}

func (v *Verifier) now() time.Time {
	if v.Now != nil {
		return v.Now()
	}
	return time.Now()
}
