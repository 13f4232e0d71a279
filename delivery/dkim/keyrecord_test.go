package dkim

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/mailwright/mailwright/delivery/internal/authtest"
)

// RFC 8463 A.2: the Ed25519 key of the RFC's example.
const rfc8463Key = "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="

func TestParseKeyRecord(t *testing.T) {
	testKeys(t)
	rsaDER, _ := x509.MarshalPKIXPublicKey(rsaKey.Public())
	rsaP := base64.StdEncoding.EncodeToString(rsaDER)
	pkcs1P := base64.StdEncoding.EncodeToString(x509.MarshalPKCS1PublicKey(rsaKey.Public().(*rsa.PublicKey)))
	tests := []struct {
		txt  string
		err  error
		want func(*KeyRecord) bool
	}{
		{rfc8463Key, nil, func(k *KeyRecord) bool { return k.KeyType == "ed25519" && len(k.PublicKey.(ed25519.PublicKey)) == 32 }},
		{"p=" + rsaP, nil, func(k *KeyRecord) bool { return k.KeyType == "rsa" && k.Bits() == 2048 }}, // k=rsa is the default
		{"v=DKIM1; p=" + pkcs1P, nil, func(k *KeyRecord) bool { return k.Bits() == 2048 }},            // RFC 6376's letter: RSAPublicKey
		{"v=DKIM1; h=sha256:SHA1; s=email; t=y:s; n=a note; p=" + rsaP, nil, func(k *KeyRecord) bool {
			return slices.Equal(k.Hashes, []string{"sha256", "sha1"}) && slices.Equal(k.Services, []string{"email"}) &&
				k.Testing() && k.Strict() && k.Notes == "a note"
		}},
		{"v=DKIM1; k=rsa; p=" + rsaP[:40] + "\r\n\t" + rsaP[40:] + " ; future=tag", nil, func(k *KeyRecord) bool { return k.Bits() == 2048 }},
		{"v=DKIM1; k=rsa; p=", ErrKeyRevoked, nil},
		{"v=DKIM1; k=rsa", ErrKeySyntax, nil},
		{"k=rsa; v=DKIM1; p=" + rsaP, ErrKeySyntax, nil}, // v= must come first
		{"v=DKIM2; p=" + rsaP, ErrKeySyntax, nil},
		{"v=DKIM1; k=dsa; p=" + rsaP, ErrKeySyntax, nil},
		{"v=DKIM1; k=ed25519; p=" + rsaP, ErrKeySyntax, nil},
		{"v=DKIM1; k=rsa; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=", ErrKeySyntax, nil},
		{"v=DKIM1; p=!!", ErrKeySyntax, nil},
		{"v=DKIM1; p=a; p=b", ErrKeySyntax, nil},
		{"garbage", ErrKeySyntax, nil},
	}
	for _, tt := range tests {
		k, err := ParseKeyRecord(tt.txt)
		if !errors.Is(err, tt.err) || tt.err == nil && (err != nil || !tt.want(k)) {
			t.Errorf("ParseKeyRecord(%.60q) = %+v, %v; want %v", tt.txt, k, err, tt.err)
		}
	}
}

func TestKeyRecordRoundTrip(t *testing.T) {
	testKeys(t)
	for _, key := range []any{rsaKey.Public(), edKey.Public()} {
		rec, err := NewKeyRecord(key)
		if err != nil {
			t.Fatal(err)
		}
		back, err := ParseKeyRecord(rec.String())
		if err != nil || encodePublicKey(back.PublicKey) != encodePublicKey(key) {
			t.Errorf("%s: %v", rec, err)
		}
	}
	rec, _ := NewKeyRecord(edKey.Public())
	if s := rec.String(); !strings.HasPrefix(s, "v=DKIM1; k=ed25519; p=") || len(s) != len("v=DKIM1; k=ed25519; p=")+44 {
		t.Errorf("ed25519 record %q", s)
	}
	if _, err := NewKeyRecord("not a key"); err == nil {
		t.Error("NewKeyRecord took a string")
	}
}

// TestZoneEntry: an RSA-2048 record is longer than one TXT string can
// hold (255 bytes); the zone line cuts it, and the strings join back.
func TestZoneEntry(t *testing.T) {
	testKeys(t)
	rec, _ := NewKeyRecord(rsaKey.Public())
	line := rec.ZoneEntry("sel", "example.org.")
	if !strings.HasPrefix(line, "sel._domainkey.example.org.\tIN\tTXT\t( \"v=DKIM1; k=rsa; p=") {
		t.Errorf("line %q", line)
	}
	var joined string
	for i, part := range strings.Split(line, `"`) {
		if i%2 == 1 {
			if len(part) > 255 {
				t.Errorf("string of %d bytes", len(part))
			}
			joined += part
		}
	}
	if joined != rec.String() {
		t.Errorf("strings join to %q", joined)
	}
}

func TestLookupKey(t *testing.T) {
	testKeys(t)
	z := &authtest.Zone{}
	z.Set("multi._domainkey.example.org", "some other TXT record", mustRecord(t, edKey))
	z.Set("none._domainkey.example.org")
	z.Fail("slow._domainkey.example.org")
	ctx := context.Background()
	if k, err := LookupKey(ctx, z, "multi", "example.org"); err != nil || k.KeyType != "ed25519" {
		t.Errorf("several records: %v, %v", k, err)
	}
	if _, err := LookupKey(ctx, z, "none", "example.org"); !errors.Is(err, ErrNoKey) {
		t.Errorf("empty answer: %v", err)
	}
	if _, err := LookupKey(ctx, z, "absent", "example.org"); !errors.Is(err, ErrNoKey) {
		t.Errorf("NXDOMAIN: %v", err)
	}
	if _, err := LookupKey(ctx, z, "slow", "example.org"); err == nil || errors.Is(err, ErrNoKey) {
		t.Errorf("timeout: %v", err)
	}
}

func TestPrivateKeyPEM(t *testing.T) {
	testKeys(t)
	for _, key := range []crypto.Signer{rsaKey, edKey} {
		pemBytes, err := MarshalPrivateKey(key)
		if err != nil {
			t.Fatal(err)
		}
		back, err := ParsePrivateKey(pemBytes)
		if err != nil || !back.Public().(interface{ Equal(crypto.PublicKey) bool }).Equal(key.Public()) {
			t.Errorf("round trip: %v", err)
		}
	}
	pkcs1 := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rsaKey.(*rsa.PrivateKey))})
	if k, err := ParsePrivateKey(pkcs1); err != nil || !k.(*rsa.PrivateKey).Equal(rsaKey) {
		t.Errorf("PKCS #1: %v", err)
	}
	for _, bad := range []string{"", "not pem", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
		"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"} {
		if _, err := ParsePrivateKey([]byte(bad)); err == nil {
			t.Errorf("ParsePrivateKey(%q) took it", bad)
		}
	}
	if _, err := GenerateKey("dsa"); err == nil {
		t.Error("GenerateKey(dsa)")
	}
}
