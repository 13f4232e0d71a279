package dkim

import (
	"bufio"
	"crypto"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"strconv"
	"strings"
	"time"

	"github.com/mailwright/mailwright/delivery/internal/msgauth"
)

// Key is one signing key of a domain.
type Key struct {
	// Selector names the key in DNS: SELECTOR._domainkey.DOMAIN.
	Selector string
	// PrivateKey is an *rsa.PrivateKey or an ed25519.PrivateKey.
	PrivateKey crypto.Signer
}

// Signer signs outbound mail with the keys of its sending domain. Its
// zero value signs nothing; set Keys. A Signer is safe for concurrent use
// once configured.
type Signer struct {
	// Keys lists each sending domain's keys (map keys in lower case).
	// Each key adds one signature, so a domain with an RSA and an Ed25519
	// key signs twice and verifiers use the one they know (RFC 8463 6).
	Keys map[string][]Key
	// Headers are the fields signed when present. nil means the default:
	// From, Sender, Reply-To, Subject, Date, Message-ID, To, Cc,
	// MIME-Version, the Content-* fields, In-Reply-To, References, the
	// Resent-* fields and the List-* fields of RFC 2369, 2919 and 8058.
	Headers []string
	// Oversign are fields signed once more than they occur, so that no
	// such field can be added on the way without breaking the signature
	// (RFC 6376 8.15). nil means the default: From, Sender, Reply-To,
	// Subject, Date, Message-ID, To, Cc, MIME-Version, Content-Type,
	// Content-Transfer-Encoding, In-Reply-To, References,
	// List-Unsubscribe, List-Unsubscribe-Post. Oversigned fields are
	// signed even when absent.
	Oversign []string
	// HeaderCanonicalization and BodyCanonicalization default to Relaxed.
	HeaderCanonicalization, BodyCanonicalization Canonicalization
	// Expiration, if set, adds x= that far after t=.
	Expiration time.Duration
	// Now is the clock (for t=); nil means time.Now.
	Now func() time.Time
	// MaxHeaderBytes bounds the header read; 0 means 256 KiB.
	MaxHeaderBytes int
}

// ErrNoSigningKey is returned when the Signer has no key for the domain.
var ErrNoSigningKey = errors.New("dkim: no signing key for the domain")

// Sign reads a message and returns the DKIM-Signature fields to put on
// top of it (CRLF line endings), one per key. It signs as the domain of
// the From address, or the closest parent domain with keys (which DMARC
// relaxed alignment accepts); ErrNoSigningKey if there is none. The body
// is hashed as it streams; only the header is held in memory.
func (s *Signer) Sign(r io.Reader) ([]byte, error) {
	return s.sign("", r)
}

// SignAs is Sign with the signing domain d= chosen by the caller.
func (s *Signer) SignAs(domain string, r io.Reader) ([]byte, error) {
	return s.sign(domain, r)
}

func (s *Signer) sign(domain string, r io.Reader) ([]byte, error) {
	br := bufio.NewReader(r)
	h, err := msgauth.ReadHeader(br, s.MaxHeaderBytes)
	if err != nil {
		return nil, fmt.Errorf("dkim: %w", err)
	}
	if h.Count("From") == 0 {
		return nil, errors.New("dkim: message has no From field") // RFC 6376 5.4
	}
	var keys []Key
	if domain == "" {
		domain, keys, err = s.keysForFrom(h)
	} else {
		domain = strings.ToLower(strings.TrimSuffix(domain, "."))
		keys = s.Keys[domain]
	}
	if err != nil {
		return nil, err
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("%w %s", ErrNoSigningKey, domain)
	}

	bodyCanon := s.BodyCanonicalization.internal()
	var bodies msgauth.BodyHashes
	bh := bodies.Add(msgauth.BodyHash{Canon: bodyCanon, Hash: crypto.SHA256, Limit: -1})
	if _, err := io.Copy(&bodies, br); err != nil {
		return nil, fmt.Errorf("dkim: reading the body: %w", err)
	}
	bodies.Close()
	bodyHash, _ := bodies.Sum(bh)

	names := s.signedNames(h)
	signed := msgauth.PickAll(h, msgauth.NewIndex(h), names)
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	t := now().Unix()
	headerCanon := s.HeaderCanonicalization.internal()
	var out []byte
	for _, k := range keys {
		alg, err := msgauth.AlgorithmFor(k.PrivateKey)
		if err != nil {
			return nil, fmt.Errorf("dkim: key %s: %w", k.Selector, err)
		}
		tags := []msgauth.Tag{
			{Name: "v", Value: "1"},
			{Name: "a", Value: alg.Name},
			{Name: "c", Value: headerCanon.String() + "/" + bodyCanon.String()},
			{Name: "d", Value: domain},
			{Name: "s", Value: k.Selector},
			{Name: "t", Value: strconv.FormatInt(t, 10)},
		}
		if s.Expiration > 0 {
			tags = append(tags, msgauth.Tag{Name: "x", Value: strconv.FormatInt(t+int64(s.Expiration/time.Second), 10)})
		}
		tags = append(tags,
			msgauth.Tag{Name: "h", Value: strings.Join(names, ":")},
			msgauth.Tag{Name: "bh", Value: base64.StdEncoding.EncodeToString(bodyHash)})
		field, err := msgauth.SignField(FieldName, tags, headerCanon, signed, k.PrivateKey, alg)
		if err != nil {
			return nil, fmt.Errorf("dkim: signing with %s: %w", k.Selector, err)
		}
		out = append(out, field...)
	}
	return out, nil
}

// keysForFrom finds the keys for the From domain or its closest parent.
func (s *Signer) keysForFrom(h msgauth.Header) (string, []Key, error) {
	domain := fromDomain(string(h.Get("From")))
	if domain == "" {
		return "", nil, errors.New("dkim: no domain in the From field")
	}
	for d := domain; d != ""; {
		if keys := s.Keys[d]; len(keys) > 0 {
			return d, keys, nil
		}
		_, parent, ok := strings.Cut(d, ".")
		if !ok {
			break
		}
		d = parent
	}
	return domain, nil, nil
}

func (s *Signer) signedNames(h msgauth.Header) []string {
	headers, oversign := s.Headers, s.Oversign
	if headers == nil {
		headers = msgauth.DefaultSignedHeaders
	}
	if oversign == nil {
		oversign = msgauth.DefaultOversigned
	}
	return msgauth.SignedNames(h, headers, oversign)
}

// fromDomain is the domain of the first From address. A field that
// net/mail cannot parse (raw UTF-8 in odd places, obsolete syntax) still
// yields the domain after its last '@'.
func fromDomain(from string) string {
	var addr string
	if addrs, err := mail.ParseAddressList(from); err == nil && len(addrs) > 0 {
		addr = addrs[0].Address
	} else {
		addr = strings.TrimRight(strings.TrimSpace(from), ">")
	}
	at := strings.LastIndexByte(addr, '@')
	if at < 0 {
		return ""
	}
	domain := strings.ToLower(strings.TrimSuffix(addr[at+1:], "."))
	if !msgauth.IsDomain(domain) {
		return ""
	}
	return domain
}
