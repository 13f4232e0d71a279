package dkim

import (
	"crypto"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/mailwright/mailwright/delivery/internal/authtest"
	"github.com/mailwright/mailwright/delivery/internal/msgauth"
)

// interopCase is one message signed one way, with the verdicts expected.
type interopCase struct {
	name string
	msg  string
	pass bool
}

// oursSigned signs every canonMessage with both keys under every
// canonicalization, and adds a copy altered in the body and one altered
// in the header.
func oursSigned(t *testing.T, s *Signer) []interopCase {
	var cases []interopCase
	for _, canon := range canonicalizations {
		hc, bc, _ := strings.Cut(canon, "/")
		s.HeaderCanonicalization, s.BodyCanonicalization = Canonicalization(hc), Canonicalization(bc)
		for name, msg := range canonMessages {
			m := signed(t, s, msg)
			label := canon + " " + name
			cases = append(cases, interopCase{label, m, true},
				interopCase{label + " body altered", alterBody(m), false},
				interopCase{label + " header altered", alterHeader(m), false})
		}
	}
	return cases
}

// TestDkimpyVerifiesOurs: dkimpy verifies our RSA and Ed25519 signatures
// under every canonicalization, and rejects them once the message changed.
func TestDkimpyVerifiesOurs(t *testing.T) {
	t.Parallel()
	py := authtest.NewDkimpy(t)
	s, _, z := testWorld(t)
	cases := oursSigned(t, s)
	msgs := make([]string, len(cases))
	for i, c := range cases {
		msgs[i] = c.msg
	}
	for i, got := range py.Verify(z, msgs...) {
		if want := []bool{cases[i].pass, cases[i].pass}; !slices.Equal(got, want) {
			t.Errorf("%s: dkimpy says %v, want %v", cases[i].name, got, want)
		}
	}
}

// TestOpenDKIMVerifiesOurs: libopendkim (opendkim-tools) does the same.
func TestOpenDKIMVerifiesOurs(t *testing.T) {
	t.Parallel()
	odk := authtest.NewOpenDKIM(t)
	s, _, z := testWorld(t)
	cases := oursSigned(t, s)
	msgs := make([]string, len(cases))
	for i, c := range cases {
		msgs[i] = c.msg
	}
	for i, got := range odk.Verify(z, msgs...) {
		if len(got) != 2 || got[0].Pass != cases[i].pass || got[1].Pass != cases[i].pass {
			t.Errorf("%s: OpenDKIM says %+v, want pass=%v twice", cases[i].name, got, cases[i].pass)
		}
	}
}

// theirRequests asks another implementation to sign every canonMessage
// with each key under every canonicalization.
func theirRequests(t *testing.T) []authtest.SignRequest {
	var reqs []authtest.SignRequest
	for _, key := range []struct {
		sel string
		key crypto.Signer
	}{{"rsa", rsaKey}, {"ed", edKey}} {
		keyPEM, err := MarshalPrivateKey(key.key)
		if err != nil {
			t.Fatal(err)
		}
		for _, canon := range canonicalizations {
			for _, msg := range canonMessages {
				reqs = append(reqs, authtest.SignRequest{Message: msg, Selector: key.sel, Domain: "example.org",
					Key: key.key, KeyPEM: keyPEM, Canon: canon})
			}
		}
	}
	return reqs
}

// checkTheirs verifies messages signed elsewhere: each passes (where
// wantPass says so), and fails once altered in the body or in a signed
// header field.
func checkTheirs(t *testing.T, v *Verifier, reqs []authtest.SignRequest, fields []string, wantPass func(i int) bool) {
	t.Helper()
	for i, field := range fields {
		r := reqs[i]
		label := fmt.Sprintf("%s %s", r.Canon, algorithmName(r.Key))
		msg := field + r.Message
		want := "pass"
		if !wantPass(i) {
			want = "fail"
		}
		if got := statuses(verify(t, v, msg)); got != want {
			t.Errorf("%s: %q: %s\n%s", label, got, verify(t, v, msg)[0].Err, msg)
		}
		if got := statuses(verify(t, v, alterBody(msg))); got != "fail" {
			t.Errorf("%s, body altered: %q", label, got)
		}
		if got := statuses(verify(t, v, alterHeader(msg))); got != "fail" {
			t.Errorf("%s, header altered: %q", label, got)
		}
	}
}

func algorithmName(key crypto.Signer) string {
	alg, _ := msgauth.AlgorithmFor(key)
	return alg.Name
}

// TestWeVerifyDkimpy: dkimpy's signatures (its h= has spaces around the
// colons, its b= folds differently) verify here.
func TestWeVerifyDkimpy(t *testing.T) {
	t.Parallel()
	py := authtest.NewDkimpy(t)
	_, v, _ := testWorld(t)
	reqs := theirRequests(t)
	checkTheirs(t, v, reqs, py.Sign(reqs...), func(int) bool { return true })
}

// TestWeVerifyOpenDKIM: libopendkim's signatures verify here. Its
// Ed25519 signatures with simple header canonicalization verify nowhere,
// not with libopendkim itself nor with dkimpy (an OpenDKIM 2.11 bug), so
// the verdict we must give is libopendkim's own; all the others must pass.
func TestWeVerifyOpenDKIM(t *testing.T) {
	t.Parallel()
	odk := authtest.NewOpenDKIM(t)
	_, v, z := testWorld(t)
	reqs := theirRequests(t)
	fields := odk.Sign(reqs...)
	msgs := make([]string, len(fields))
	for i, f := range fields {
		msgs[i] = f + reqs[i].Message
	}
	own := odk.Verify(z, msgs...)
	for i, r := range reqs {
		if !own[i][0].Pass && !(algorithmName(r.Key) == "ed25519-sha256" && strings.HasPrefix(r.Canon, "simple/")) {
			t.Errorf("libopendkim rejects its own %s %s signature: %s", r.Canon, algorithmName(r.Key), own[i][0].Error)
		}
	}
	checkTheirs(t, v, reqs, fields, func(i int) bool { return own[i][0].Pass })
}

// TestOpenDKIMGenKey: a key made by opendkim-genkey (PEM private key, a
// zone file with the record cut into strings) signs here, and the
// signature verifies with its record, here, with libopendkim and with
// dkimpy; the record we would publish for it says the same.
func TestOpenDKIMGenKey(t *testing.T) {
	t.Parallel()
	privPEM, txt := authtest.GenKey(t, "gen", "example.org")
	key, err := ParsePrivateKey(privPEM)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := ParseKeyRecord(txt)
	if err != nil {
		t.Fatalf("their record %q: %v", txt, err)
	}
	ours, _ := NewKeyRecord(key.Public())
	if encodePublicKey(rec.PublicKey) != encodePublicKey(ours.PublicKey) || rec.KeyType != "rsa" {
		t.Errorf("their record %q, ours %q", txt, ours)
	}
	z := &authtest.Zone{}
	z.Set(KeyName("gen", "example.org"), txt)
	s := &Signer{Keys: map[string][]Key{"example.org": {{"gen", key}}}}
	msg := signed(t, s, testMessage)
	if got := statuses(verify(t, &Verifier{Resolver: z}, msg)); got != "pass" {
		t.Errorf("we say %q", got)
	}
	if got := authtest.NewOpenDKIM(t).Verify(z, msg); !got[0][0].Pass {
		t.Errorf("libopendkim says %+v", got)
	}
	if got := authtest.NewDkimpy(t).Verify(z, msg); !got[0][0] {
		t.Errorf("dkimpy says %v", got)
	}
}

// TestOpenDKIMTestMsgSHA1: opendkim-testmsg can only sign rsa-sha1
// (relaxed/simple). RFC 8301 3.1 forbids accepting that, so the verdict
// is Policy; underneath, its signature and body hash do check out with our
// canonicalization and hashing.
func TestOpenDKIMTestMsgSHA1(t *testing.T) {
	t.Parallel()
	testKeys(t)
	keyPEM, _ := MarshalPrivateKey(rsaKey)
	msg := authtest.TestMsgSign(t, canonMessages["whitespace"], "sel", "example.org", keyPEM)
	z := &authtest.Zone{}
	publish(t, z, "sel", "example.org", rsaKey)
	res := verify(t, &Verifier{Resolver: z}, msg)
	if len(res) != 1 || res[0].Status != Policy || !errors.Is(res[0].Err, ErrWeakAlgorithm) {
		t.Fatalf("results %+v", res)
	}
	if err := checkIgnoringPolicy(t, msg, rsaKey.Public()); err != nil {
		t.Errorf("their rsa-sha1 signature does not check out here: %v", err)
	}
	if err := checkIgnoringPolicy(t, alterBody(msg), rsaKey.Public()); !errors.Is(err, ErrBodyHash) {
		t.Errorf("altered: %v", err)
	}
}

// checkIgnoringPolicy verifies the first signature of msg with pub by the
// bare cryptographic check, whatever its algorithm.
func checkIgnoringPolicy(t *testing.T, msg string, pub crypto.PublicKey) error {
	t.Helper()
	br := bufioReader(msg)
	h, err := msgauth.ReadHeader(br, 0)
	if err != nil {
		t.Fatal(err)
	}
	sig, err := msgauth.ParseSig(string(h[0].Value()), msgauth.DKIMSignature)
	if err != nil {
		t.Fatal(err)
	}
	var bodies msgauth.BodyHashes
	i := bodies.Add(sig.BodyHashKey())
	br.WriteTo(&bodies)
	bodies.Close()
	digest, n := bodies.Sum(i)
	return msgauth.CheckSig(sig, &h[0], h, msgauth.NewIndex(h), digest, n, pub)
}

// TestOpenDKIMTestMsgVerifiesOurs: opendkim-testmsg, the tool itself,
// verifies our signatures (RSA and Ed25519, every canonicalization) doing
// its own DNS lookups, answered by a DNS server on loopback in a private
// network namespace; an altered message fails.
func TestOpenDKIMTestMsgVerifiesOurs(t *testing.T) {
	t.Parallel()
	testmsg := authtest.Tool(t, "opendkim-testmsg", "opendkim-tools")
	testKeys(t)
	z := &authtest.Zone{}
	publish(t, z, "rsa", "example.org", rsaKey)
	publish(t, z, "ed", "example.org", edKey)
	for _, key := range []Key{{"rsa", rsaKey}, {"ed", edKey}} {
		for _, canon := range canonicalizations {
			hc, bc, _ := strings.Cut(canon, "/")
			s := &Signer{Keys: map[string][]Key{"example.org": {key}},
				HeaderCanonicalization: Canonicalization(hc), BodyCanonicalization: Canonicalization(bc)}
			msg := signed(t, s, canonMessages["whitespace"])
			if out, code := authtest.RunWithDNS(t, z, []byte(msg), testmsg); code != 0 {
				t.Errorf("%s %s: opendkim-testmsg exits %d: %s", key.Selector, canon, code, out)
			}
			if _, code := authtest.RunWithDNS(t, z, []byte(alterBody(msg)), testmsg); code == 0 {
				t.Errorf("%s %s: opendkim-testmsg accepts an altered body", key.Selector, canon)
			}
		}
	}
}
