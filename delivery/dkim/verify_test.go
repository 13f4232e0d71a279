package dkim

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mailwright/mailwright/delivery/authres"
	"github.com/mailwright/mailwright/delivery/internal/authtest"
	"github.com/mailwright/mailwright/delivery/internal/msgauth"
)

// handSigned signs msg with key under a DKIM-Signature built from tags
// (v=1, a=, c=relaxed/relaxed, d=example.org, s=sel, h=from:to:subject,
// bh= computed, each overridable; a value of "-" drops the tag). It lets
// tests make signatures our Signer never makes.
func handSigned(t *testing.T, msg string, key crypto.Signer, overrides ...string) string {
	t.Helper()
	alg, _ := msgauth.AlgorithmFor(key)
	tags := tagsOf("v", "1", "a", alg.Name, "c", "relaxed/relaxed", "d", "example.org",
		"s", "sel", "h", "from:to:subject", "bh", "")
	for i := 0; i+1 < len(overrides); i += 2 {
		found := false
		for j := range tags {
			if tags[j].Name == overrides[i] {
				tags[j].Value, found = overrides[i+1], true
			}
		}
		if !found {
			tags = append(tags, msgauth.Tag{Name: overrides[i], Value: overrides[i+1]})
		}
	}
	var kept msgauth.Tags
	for _, tag := range tags {
		if tag.Value != "-" {
			kept = append(kept, tag)
		}
	}
	tags = kept
	c, _ := tags.Get("c")
	hc, bc, _ := msgauth.ParseCanon(c)
	a, _ := tags.Get("a")
	sigAlg, err := msgauth.ParseAlgorithm(a)
	if err != nil { // an a= we do not know: sign with the key's, keep the tag
		sigAlg = alg
	}
	limit := int64(-1)
	if l, ok := tags.Get("l"); ok {
		limit, _ = strconv.ParseInt(l, 10, 64)
	}
	br := bufioReader(msg)
	h, err := msgauth.ReadHeader(br, 0)
	if err != nil {
		t.Fatal(err)
	}
	var bodies msgauth.BodyHashes
	i := bodies.Add(msgauth.BodyHash{Canon: bc, Hash: sigAlg.Hash, Limit: limit})
	if _, err := br.WriteTo(&bodies); err != nil {
		t.Fatal(err)
	}
	bodies.Close()
	bh, _ := bodies.Sum(i)
	hv, _ := tags.Get("h")
	for j := range tags {
		if tags[j].Name == "bh" && tags[j].Value == "" {
			tags[j].Value = base64.StdEncoding.EncodeToString(bh)
		}
	}
	field, err := msgauth.SignField(FieldName, tags, hc, msgauth.PickAll(h, msgauth.NewIndex(h), strings.Split(hv, ":")), key, sigAlg)
	if err != nil {
		t.Fatal(err)
	}
	return string(field) + msg
}

func TestVerifyStatuses(t *testing.T) {
	testKeys(t)
	z := &authtest.Zone{}
	publish(t, z, "sel", "example.org", rsaKey)
	publish(t, z, "ed", "example.org", edKey)
	z.Set(KeyName("revoked", "example.org"), "v=DKIM1; k=rsa; p=")
	z.Set(KeyName("garbage", "example.org"), "v=DKIM1; k=rsa; p=!!!")
	z.Set(KeyName("edonly", "example.org"), strings.Replace(mustRecord(t, edKey), "k=ed25519", "k=rsa", 1))
	z.Set(KeyName("sha1only", "example.org"), strings.Replace(mustRecord(t, rsaKey), "k=rsa", "k=rsa; h=sha1", 1))
	z.Set(KeyName("tlsrpt", "example.org"), strings.Replace(mustRecord(t, rsaKey), "k=rsa", "k=rsa; s=tlsrpt", 1))
	z.Set(KeyName("strict", "example.org"), strings.Replace(mustRecord(t, rsaKey), "k=rsa", "k=rsa; t=s", 1))
	z.Fail(KeyName("slow", "example.org"))
	now := time.Unix(1700000000, 0)
	v := &Verifier{Resolver: z, Now: func() time.Time { return now }}

	tests := []struct {
		name      string
		msg       string
		status    Status
		err       error
		errString string
	}{
		{"pass", handSigned(t, testMessage, rsaKey), Pass, nil, ""},
		{"pass ed25519", handSigned(t, testMessage, edKey, "s", "ed"), Pass, nil, ""},
		{"body changed", alterBody(handSigned(t, testMessage, rsaKey)), Fail, ErrBodyHash, ""},
		{"header changed", alterHeader(handSigned(t, testMessage, rsaKey)), Fail, ErrBadSignature, ""},
		{"signed field added", "Subject: spoof\r\n" + handSigned(t, testMessage, rsaKey, "h", "from:to:subject:subject"), Fail, ErrBadSignature, ""},
		{"unsigned field added", "X-Spam: no\r\n" + handSigned(t, testMessage, rsaKey), Pass, nil, ""},
		{"l= covers what was signed", handSigned(t, testMessage, rsaKey, "l", "12") + "appended\r\n", Pass, nil, ""},
		{"l= longer than the body", handSigned(t, testMessage, rsaKey, "l", "100000"), Fail, msgauth.ErrBodyTooShort, ""},
		{"no key", handSigned(t, testMessage, rsaKey, "s", "missing"), PermError, ErrNoKey, ""},
		{"revoked key", handSigned(t, testMessage, rsaKey, "s", "revoked"), PermError, ErrKeyRevoked, ""},
		{"bad key record", handSigned(t, testMessage, rsaKey, "s", "garbage"), PermError, ErrKeySyntax, ""},
		{"key type mismatch", handSigned(t, testMessage, rsaKey, "s", "edonly"), PermError, ErrKeySyntax, ""},
		{"key allows sha1 only", handSigned(t, testMessage, rsaKey, "s", "sha1only"), PermError, ErrKeyUnusable, ""},
		{"key not for email", handSigned(t, testMessage, rsaKey, "s", "tlsrpt"), PermError, ErrKeyUnusable, ""},
		{"t=s, i= in a subdomain", handSigned(t, testMessage, rsaKey, "s", "strict", "i", "@news.example.org"), PermError, ErrKeyUnusable, ""},
		{"t=s, i= in d=", handSigned(t, testMessage, rsaKey, "s", "strict", "i", "alice@example.org"), Pass, nil, ""},
		{"DNS timeout", handSigned(t, testMessage, rsaKey, "s", "slow"), TempError, nil, "i/o timeout"},
		{"rsa-sha1", handSigned(t, testMessage, rsaKey, "a", "rsa-sha1"), Policy, ErrWeakAlgorithm, ""},
		{"expired", handSigned(t, testMessage, rsaKey, "t", "1600000000", "x", "1600000100"), PermError, ErrExpired, ""},
		{"not yet expired", handSigned(t, testMessage, rsaKey, "t", "1600000000", "x", "1800000000"), Pass, nil, ""},
		{"x= before t=", handSigned(t, testMessage, rsaKey, "t", "1600000100", "x", "1600000000"), PermError, ErrSignatureSyntax, "x= is not after t="},
		{"From not signed", handSigned(t, testMessage, rsaKey, "h", "to:subject"), PermError, ErrSignatureSyntax, "From"},
		{"wrong version", handSigned(t, testMessage, rsaKey, "v", "2"), PermError, ErrSignatureSyntax, "version"},
		{"no bh=", handSigned(t, testMessage, rsaKey, "bh", "-"), PermError, ErrSignatureSyntax, "bh="},
		{"i= outside d=", handSigned(t, testMessage, rsaKey, "i", "@example.com"), PermError, ErrSignatureSyntax, "i="},
		{"unknown algorithm", handSigned(t, testMessage, rsaKey, "a", "rsa-sha512"), PermError, ErrSignatureSyntax, "algorithm"},
		{"unknown canonicalization", handSigned(t, testMessage, rsaKey, "c", "relaxed/loose"), PermError, ErrSignatureSyntax, "canonicalization"},
		{"q= without dns/txt", handSigned(t, testMessage, rsaKey, "q", "http/well-known"), PermError, ErrSignatureSyntax, "q="},
		{"unknown tag ignored", handSigned(t, testMessage, rsaKey, "zz", "whatever"), Pass, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := verify(t, v, tt.msg)
			if len(res) != 1 {
				t.Fatalf("%d results", len(res))
			}
			r := res[0]
			if r.Status != tt.status || tt.err != nil && !errors.Is(r.Err, tt.err) ||
				tt.errString != "" && (r.Err == nil || !strings.Contains(r.Err.Error(), tt.errString)) ||
				tt.status == Pass && r.Err != nil {
				t.Errorf("got %s (%v), want %s (%v %q)", r.Status, r.Err, tt.status, tt.err, tt.errString)
			}
			if r.Domain != "example.org" {
				t.Errorf("domain %q", r.Domain)
			}
		})
	}
}

func mustRecord(t *testing.T, key crypto.Signer) string {
	t.Helper()
	rec, err := NewKeyRecord(key.Public())
	if err != nil {
		t.Fatal(err)
	}
	return rec.String()
}

// TestVerifyShortRSAKey: RFC 8301 3.2, keys under 1024 bits are refused
// (Policy) though the signature is good; a verifier configured lower
// accepts it, so it is our check that refuses, not the crypto.
func TestVerifyShortRSAKey(t *testing.T) {
	t.Setenv("GODEBUG", "rsa1024min=0") // Go refuses to make or use such keys otherwise
	short, err := rsa.GenerateKey(rand.Reader, 512)
	if err != nil {
		t.Fatal(err)
	}
	z := &authtest.Zone{}
	publish(t, z, "sel", "example.org", short)
	msg := handSigned(t, testMessage, short)
	res := verify(t, &Verifier{Resolver: z}, msg)
	if res[0].Status != Policy || !errors.Is(res[0].Err, ErrWeakKey) {
		t.Errorf("512-bit key: %s %v", res[0].Status, res[0].Err)
	}
	res = verify(t, &Verifier{Resolver: z, MinRSABits: 512}, msg)
	if res[0].Status != Pass {
		t.Errorf("512-bit key with MinRSABits 512: %s %v", res[0].Status, res[0].Err)
	}
}

// TestVerifySeveralSignatures: results in header order, each on its own;
// a key shared by two signatures is fetched once; signatures past
// MaxSignatures are not checked.
func TestVerifySeveralSignatures(t *testing.T) {
	s, _, z := testWorld(t)
	msg := signed(t, s, testMessage)                          // rsa, ed
	msg = handSigned(t, msg, rsaKey, "s", "rsa", "h", "from") // a third, same key as the first
	msg = "DKIM-Signature: v=1; this is not a signature\r\n" + msg
	v := &Verifier{Resolver: z}
	res := verify(t, v, msg)
	if got := statuses(res); got != "permerror pass pass pass" {
		t.Fatalf("statuses %q", got)
	}
	if res[2].Selector != "rsa" || res[3].Selector != "ed" {
		t.Errorf("selectors %q %q %q", res[1].Selector, res[2].Selector, res[3].Selector)
	}
	if q := z.Queries(); len(q) != 2 {
		t.Errorf("queries %q, want the two keys once each", q)
	}
	v.MaxSignatures = 2
	if got := statuses(verify(t, v, msg)); got != "permerror pass neutral neutral" {
		t.Errorf("with MaxSignatures 2: %q", got)
	}
}

func TestVerifyUnsigned(t *testing.T) {
	_, v, z := testWorld(t)
	if res := verify(t, v, testMessage); len(res) != 0 {
		t.Errorf("results for an unsigned message: %+v", res)
	}
	if q := z.Queries(); len(q) != 0 {
		t.Errorf("DNS queries for an unsigned message: %q", q)
	}
	if got := MethodResults(nil); len(got) != 1 || got[0].String() != "dkim=none" {
		t.Errorf("MethodResults(nil) = %v", got)
	}
}

// TestVerifyUnixLineEndings: a message stored with LF line endings
// verifies as its CRLF original (RFC 5322 mail on disk often is).
func TestVerifyUnixLineEndings(t *testing.T) {
	s, v, _ := testWorld(t)
	for name, msg := range canonMessages {
		m := strings.ReplaceAll(signed(t, s, msg), "\r\n", "\n")
		if got := statuses(verify(t, v, m)); got != "pass pass" {
			t.Errorf("%s: %q", name, got)
		}
	}
}

func TestVerifyHeaderTooLarge(t *testing.T) {
	_, v, _ := testWorld(t)
	v.MaxHeaderBytes = 1000
	msg := "X-Big: " + strings.Repeat("a", 2000) + "\r\n" + testMessage
	if _, err := v.Verify(context.Background(), strings.NewReader(msg)); !errors.Is(err, msgauth.ErrHeaderTooLarge) {
		t.Errorf("err %v", err)
	}
}

func TestMethodResult(t *testing.T) {
	s, v, _ := testWorld(t)
	res := verify(t, v, signed(t, s, testMessage))
	got := res[1].MethodResult().String()
	want := "dkim=pass header.d=example.org header.i=@example.org header.s=ed header.a=ed25519-sha256 header.b="
	if !strings.HasPrefix(got, want) {
		t.Errorf("got  %s\nwant %s...", got, want)
	}
	// header.b is quoted when the base64 has a '/'; it reads back as written.
	h, err := authres.Parse("mx.example.net; " + got)
	if err != nil || h.Results[0].Get("header", "b") != res[1].Signature.B[:8] {
		t.Errorf("header.b of %s reads back as %v, %v", got, h, err)
	}
	res = verify(t, v, alterBody(signed(t, s, testMessage)))
	if got := res[0].MethodResult().String(); !strings.HasPrefix(got, `dkim=fail reason="body hash did not verify" header.d=example.org`) {
		t.Errorf("fail: %s", got)
	}
}

// TestKeyMemo: parsed keys are remembered by their record's text, so a
// key rotated in DNS takes effect at once.
func TestKeyMemo(t *testing.T) {
	s, v, z := testWorld(t)
	msg := signed(t, s, testMessage)
	for range 3 {
		if got := statuses(verify(t, v, msg)); got != "pass pass" {
			t.Fatalf("%q", got)
		}
	}
	if len(v.keys.m) != 2 {
		t.Errorf("memo holds %d records, want 2", len(v.keys.m))
	}
	publish(t, z, "rsa", "example.org", rsaKey2) // rotated
	if got := statuses(verify(t, v, msg)); got != "fail pass" {
		t.Errorf("after rotation: %q", got)
	}
	s.Keys["example.org"][0].PrivateKey = rsaKey2
	if got := statuses(verify(t, v, signed(t, s, testMessage))); got != "pass pass" {
		t.Errorf("signed with the new key: %q", got)
	}
}
