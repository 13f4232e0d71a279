package dkim

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/mailwright/mailwright/delivery/internal/msgauth"
)

// KeyRecord is a DKIM public key record, the TXT record published at
// SELECTOR._domainkey.DOMAIN (RFC 6376 3.6.1).
type KeyRecord struct {
	// KeyType is k=: "rsa" (the default) or "ed25519" (RFC 8463).
	KeyType string
	// PublicKey is p=: *rsa.PublicKey or ed25519.PublicKey.
	PublicKey crypto.PublicKey
	// Hashes is h=, the hash algorithms the key may be used with; nil
	// allows all.
	Hashes []string
	// Services is s=, the service types ("email"); nil means "*", all.
	Services []string
	// Flags is t=: "y" (the domain is testing DKIM), "s" (i= must be
	// exactly d=, not a subdomain).
	Flags []string
	// Notes is n=, for people reading the record.
	Notes string
}

// Errors about key records. A verifier turns all of them into permerror.
var (
	// ErrNoKey: no TXT record at the key's name (RFC 6376 6.1.2).
	ErrNoKey = errors.New("dkim: no key record")
	// ErrKeyRevoked: the record has an empty p= (RFC 6376 3.6.1).
	ErrKeyRevoked = errors.New("dkim: key revoked")
	// ErrKeySyntax is wrapped by every key record syntax error.
	ErrKeySyntax = errors.New("dkim: malformed key record")
)

// NewKeyRecord returns the record to publish for a public key
// (key.Public() of a private key from GenerateKey).
func NewKeyRecord(pub crypto.PublicKey) (*KeyRecord, error) {
	switch pub.(type) {
	case *rsa.PublicKey:
		return &KeyRecord{KeyType: "rsa", PublicKey: pub}, nil
	case ed25519.PublicKey:
		return &KeyRecord{KeyType: "ed25519", PublicKey: pub}, nil
	}
	return nil, fmt.Errorf("dkim: unsupported public key type %T", pub)
}

// String formats the record as its TXT data: "v=DKIM1; k=ed25519; p=...".
func (k *KeyRecord) String() string {
	var b strings.Builder
	b.WriteString("v=DKIM1; k=")
	b.WriteString(k.KeyType)
	if k.Hashes != nil {
		b.WriteString("; h=" + strings.Join(k.Hashes, ":"))
	}
	if k.Services != nil {
		b.WriteString("; s=" + strings.Join(k.Services, ":"))
	}
	if k.Flags != nil {
		b.WriteString("; t=" + strings.Join(k.Flags, ":"))
	}
	if k.Notes != "" {
		b.WriteString("; n=" + k.Notes)
	}
	b.WriteString("; p=")
	b.WriteString(encodePublicKey(k.PublicKey))
	return b.String()
}

func encodePublicKey(pub crypto.PublicKey) string {
	switch p := pub.(type) {
	case ed25519.PublicKey:
		// RFC 8463 4.2: the raw 32-byte key.
		return base64.StdEncoding.EncodeToString(p)
	case *rsa.PublicKey:
		// RFC 6376 3.6.1 says RSAPublicKey, but every implementation
		// publishes and reads SubjectPublicKeyInfo (as openssl writes it).
		der, err := x509.MarshalPKIXPublicKey(p)
		if err == nil {
			return base64.StdEncoding.EncodeToString(der)
		}
	}
	return ""
}

// ZoneEntry is the record as a line of a DNS zone file: its name, and the
// TXT data cut into strings of at most 255 bytes (RFC 1035 3.3.14; an
// RSA-2048 key does not fit in one).
func (k *KeyRecord) ZoneEntry(selector, domain string) string {
	txt := k.String()
	var parts []string
	for len(txt) > 255 {
		parts = append(parts, `"`+txt[:255]+`"`)
		txt = txt[255:]
	}
	parts = append(parts, `"`+txt+`"`)
	return fmt.Sprintf("%s._domainkey.%s.\tIN\tTXT\t( %s )", selector, strings.TrimSuffix(domain, "."), strings.Join(parts, " "))
}

// Allows reports whether the record may verify a signature made with
// algorithm ("rsa-sha256", an a= value) on email: its k= matches, its h=
// (if any) lists the hash, its s= (if any) allows email (RFC 6376 6.1.2
// and 3.6.1). The error wraps ErrKeyUnusable.
func (k *KeyRecord) Allows(algorithm string) error {
	keyType, hash, _ := strings.Cut(strings.ToLower(algorithm), "-")
	switch {
	case k.KeyType != keyType:
		return fmt.Errorf("%w: k=%s for a=%s", ErrKeyUnusable, k.KeyType, algorithm)
	case k.Hashes != nil && !slices.Contains(k.Hashes, hash):
		return fmt.Errorf("%w: h=%s", ErrKeyUnusable, strings.Join(k.Hashes, ":"))
	case k.Services != nil && !slices.Contains(k.Services, "*") && !slices.Contains(k.Services, "email"):
		return fmt.Errorf("%w: s=%s", ErrKeyUnusable, strings.Join(k.Services, ":"))
	}
	return nil
}

// Testing reports the t=y flag: the domain is testing DKIM.
func (k *KeyRecord) Testing() bool { return slices.Contains(k.Flags, "y") }

// Strict reports the t=s flag: an i= identity must be in d= itself, not a
// subdomain (RFC 6376 3.6.1).
func (k *KeyRecord) Strict() bool { return slices.Contains(k.Flags, "s") }

// Bits is the key's size: the modulus for RSA, 256 for Ed25519.
func (k *KeyRecord) Bits() int {
	if p, ok := k.PublicKey.(*rsa.PublicKey); ok {
		return p.N.BitLen()
	}
	return 256
}

// ParseKeyRecord parses a key record's TXT data. Unknown tags are ignored
// (RFC 6376 3.6.1). A record whose p= is empty is ErrKeyRevoked.
func ParseKeyRecord(txt string) (*KeyRecord, error) {
	tags, err := msgauth.ParseTags(txt)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrKeySyntax, err)
	}
	// RFC 6376 3.6.1 v=: if present it MUST be the first tag, and DKIM1.
	if v, ok := tags.Get("v"); ok && (tags[0].Name != "v" || v != "DKIM1") {
		return nil, fmt.Errorf("%w: v=%s", ErrKeySyntax, v)
	}
	k := &KeyRecord{KeyType: "rsa"}
	if v, ok := tags.Get("k"); ok {
		k.KeyType = strings.ToLower(v)
	}
	if v, ok := tags.Get("h"); ok {
		k.Hashes = lowerList(v)
	}
	if v, ok := tags.Get("s"); ok {
		k.Services = lowerList(v)
	}
	if v, ok := tags.Get("t"); ok {
		k.Flags = lowerList(v)
	}
	k.Notes, _ = tags.Get("n")
	p, ok := tags.Get("p")
	if !ok {
		return nil, fmt.Errorf("%w: no p= tag", ErrKeySyntax)
	}
	der, err := msgauth.DecodeBase64(p)
	if err != nil {
		return nil, fmt.Errorf("%w: p= is not base64", ErrKeySyntax)
	}
	if len(der) == 0 {
		return nil, ErrKeyRevoked
	}
	if k.PublicKey, err = decodePublicKey(k.KeyType, der); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrKeySyntax, err)
	}
	return k, nil
}

func decodePublicKey(keyType string, der []byte) (crypto.PublicKey, error) {
	switch keyType {
	case "ed25519":
		if len(der) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("ed25519 key of %d bytes", len(der))
		}
		return ed25519.PublicKey(der), nil
	case "rsa":
		if pub, err := x509.ParsePKIXPublicKey(der); err == nil {
			if rsaPub, ok := pub.(*rsa.PublicKey); ok {
				return rsaPub, nil
			}
			return nil, fmt.Errorf("k=rsa but p= holds a %T", pub)
		}
		// RFC 6376 3.6.1's letter: a bare RSAPublicKey.
		return x509.ParsePKCS1PublicKey(der)
	}
	return nil, fmt.Errorf("unknown key type k=%s", keyType)
}

func lowerList(v string) []string {
	l := msgauth.SplitList(strings.ToLower(v), ":")
	return slices.DeleteFunc(l, func(s string) bool { return s == "" })
}

// KeyName is the DNS name of a key: SELECTOR._domainkey.DOMAIN.
func KeyName(selector, domain string) string {
	return selector + "._domainkey." + strings.TrimSuffix(domain, ".")
}

// LookupKey fetches and parses the key record for selector and domain. A
// name without a TXT record is ErrNoKey. When several TXT records are
// there (RFC 6376 3.6.2.2 leaves this undefined), the first that parses
// as a key wins. Other resolver errors are returned as they are: they
// are temporary.
func LookupKey(ctx context.Context, r TXTResolver, selector, domain string) (*KeyRecord, error) {
	return lookupKey(ctx, r, selector, domain, ParseKeyRecord)
}

func lookupKey(ctx context.Context, r TXTResolver, selector, domain string, parse func(string) (*KeyRecord, error)) (*KeyRecord, error) {
	txts, err := r.LookupTXT(ctx, KeyName(selector, domain))
	if isNotFound(err) || err == nil && len(txts) == 0 {
		return nil, fmt.Errorf("%w at %s", ErrNoKey, KeyName(selector, domain))
	}
	if err != nil {
		return nil, err
	}
	var first error
	for _, txt := range txts {
		k, err := parse(txt)
		if err == nil {
			return k, nil
		}
		if first == nil {
			first = err
		}
	}
	return nil, first
}

// keyMemo remembers parsed key records by their text: with the resolver's
// cache warm, a verifier parses each key once, not once per message
// (parsing an RSA key is a sixth of verifying a message with it). Keyed
// by the text, it never outlives a DNS change. It holds at most
// keyMemoSize records and starts over when full.
type keyMemo struct {
	mu sync.Mutex
	m  map[string]*KeyRecord
}

const keyMemoSize = 256

func (k *keyMemo) parse(txt string) (*KeyRecord, error) {
	k.mu.Lock()
	rec := k.m[txt]
	k.mu.Unlock()
	if rec != nil {
		return rec, nil
	}
	rec, err := ParseKeyRecord(txt)
	if err != nil {
		return nil, err
	}
	k.mu.Lock()
	if k.m == nil || len(k.m) >= keyMemoSize {
		k.m = make(map[string]*KeyRecord)
	}
	k.m[txt] = rec
	k.mu.Unlock()
	return rec, nil
}
