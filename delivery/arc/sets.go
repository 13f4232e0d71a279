package arc

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/mailwright/mailwright/delivery/authres"
	"github.com/mailwright/mailwright/delivery/internal/msgauth"
)

// set is one instance's three fields, parsed.
type set struct {
	aar, ams, as *msgauth.Field
	amsSig       *msgauth.Sig
	asSig        *msgauth.Sig
	results      *authres.Header
}

// ErrChain is wrapped by every structural fault of a chain (RFC 8617
// 5.2 step 3): a malformed ARC field, a missing or repeated one, a gap in
// the instances, a cv= that does not fit its place.
var ErrChain = errors.New("arc: invalid chain")

// collect gathers a header's ARC sets by instance: sets[0] is instance 1.
// It fails on anything that makes the chain invalid before any key is
// looked at.
func collect(h msgauth.Header) ([]*set, error) {
	byInstance := make(map[int]*set)
	highest := 0
	for i := range h {
		f := &h[i]
		kind := ""
		switch {
		case f.Is(SealField):
			kind = SealField
		case f.Is(MessageSignatureField):
			kind = MessageSignatureField
		case f.Is(ResultsField):
			kind = ResultsField
		default:
			continue
		}
		s, instance, err := parseField(f, kind, byInstance)
		if err != nil {
			return nil, err
		}
		highest = max(highest, instance)
		byInstance[instance] = s
	}
	sets := make([]*set, highest)
	for i := range sets {
		s := byInstance[i+1]
		if s == nil || s.aar == nil || s.ams == nil || s.as == nil {
			return nil, fmt.Errorf("%w: instance %d is incomplete", ErrChain, i+1)
		}
		// RFC 8617 5.2 step 3.3: cv=none on the first seal, pass after.
		if want := map[bool]string{true: "none", false: "pass"}[i == 0]; s.asSig.CV != want && !(i == highest-1 && s.asSig.CV == "fail") {
			return nil, fmt.Errorf("%w: ARC-Seal i=%d has cv=%s", ErrChain, i+1, s.asSig.CV)
		}
		sets[i] = s
	}
	if len(byInstance) != highest {
		return nil, fmt.Errorf("%w: instances are not 1 to %d", ErrChain, highest)
	}
	return sets, nil
}

// parseField reads one ARC field into its instance's set.
func parseField(f *msgauth.Field, kind string, byInstance map[int]*set) (*set, int, error) {
	value := string(f.Value())
	var instance int
	var sig *msgauth.Sig
	var results *authres.Header
	var err error
	switch kind {
	case SealField:
		sig, err = msgauth.ParseSig(value, msgauth.ARCSeal)
	case MessageSignatureField:
		sig, err = msgauth.ParseSig(value, msgauth.ARCMessageSignature)
	default:
		instance, results, err = parseResults(value)
	}
	if err != nil {
		return nil, 0, fmt.Errorf("%w: %s: %v", ErrChain, kind, err)
	}
	if sig != nil {
		instance = sig.Instance
	}
	s := byInstance[instance]
	if s == nil {
		s = &set{}
	}
	slot := map[string]**msgauth.Field{SealField: &s.as, MessageSignatureField: &s.ams, ResultsField: &s.aar}[kind]
	if *slot != nil {
		return nil, 0, fmt.Errorf("%w: two %s with i=%d", ErrChain, kind, instance)
	}
	*slot = f
	switch kind {
	case SealField:
		s.asSig = sig
	case MessageSignatureField:
		s.amsSig = sig
	default:
		s.results = results
	}
	return s, instance, nil
}

// parseResults reads an ARC-Authentication-Results value: "i=N;" and an
// Authentication-Results payload (RFC 8617 4.1.1). A payload that does
// not parse is not a chain fault (validators need not read it); it
// leaves results nil.
func parseResults(value string) (int, *authres.Header, error) {
	head, rest, ok := strings.Cut(value, ";")
	name, num, isTag := strings.Cut(strings.TrimSpace(strings.Trim(head, " \t\r\n")), "=")
	if !ok || !isTag || strings.TrimSpace(name) != "i" {
		return 0, nil, errors.New("no i= instance")
	}
	n, err := strconv.Atoi(strings.TrimSpace(num))
	if err != nil || n < 1 || n > msgauth.MaxInstance {
		return 0, nil, fmt.Errorf("bad instance i=%s", strings.TrimSpace(num))
	}
	results, err := authres.Parse(rest)
	if err != nil {
		results = nil
	}
	return n, results, nil
}

// describe turns the internal sets into the public Sets.
func describe(sets []*set) []Set {
	out := make([]Set, len(sets))
	for i, s := range sets {
		out[i] = Set{Instance: i + 1, CV: ChainValidation(s.asSig.CV), Domain: s.asSig.Domain,
			Selector: s.asSig.Selector, SignatureDomain: s.amsSig.Domain, Results: s.results}
	}
	return out
}

// sealedFields are the fields the seal of a new set covers (RFC 8617
// 5.1.1): every earlier set, oldest first, each as AAR, AMS, AS, then the
// new set's AAR and AMS (its seal is the signature field itself).
func sealedFields(earlier []*set, aar, ams *msgauth.Field) []*msgauth.Field {
	fields := make([]*msgauth.Field, 0, 3*len(earlier)+2)
	for _, s := range earlier {
		fields = append(fields, s.aar, s.ams, s.as)
	}
	return append(fields, aar, ams)
}
