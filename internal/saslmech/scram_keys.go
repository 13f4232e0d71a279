package saslmech

import (
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"strconv"
	"strings"
)

// SCRAM names a SCRAM mechanism family: its name and hash function.
type SCRAM struct {
	// Name is the mechanism name without "-PLUS".
	Name string
	// Hash is the hash function H of RFC 5802 2.2.
	Hash func() hash.Hash
}

var (
	// SHA256 is SCRAM-SHA-256 (RFC 7677), the mechanism the servers offer.
	SHA256 = SCRAM{Name: "SCRAM-SHA-256", Hash: sha256.New}
	// SHA1 is SCRAM-SHA-1 (RFC 5802), kept for its test vectors only.
	SHA1 = SCRAM{Name: "SCRAM-SHA-1", Hash: sha1.New}
)

// PlusSuffix ends the name of a SCRAM mechanism with channel binding.
const PlusSuffix = "-PLUS"

const (
	// MinIterations is the least iteration count a server stores and a
	// client accepts: RFC 7677 4 asks for at least 4096.
	MinIterations = 4096
	// MaxIterations bounds the count a client computes for a server, so
	// that a hostile server cannot make it hash for minutes; it is seven
	// times the 600,000 that OWASP advises for PBKDF2-SHA256 today.
	MaxIterations = 1 << 22
	// saltLen is the length of the salts this package makes.
	saltLen = 16
)

// Credentials are what a SCRAM server stores for a user instead of the
// password (RFC 5802 3).
type Credentials struct {
	Salt       []byte
	Iterations int
	StoredKey  []byte // H(ClientKey)
	ServerKey  []byte // HMAC(SaltedPassword, "Server Key")
}

// saltedPassword is Hi(Normalize(password), salt, i) (RFC 5802 2.2),
// PBKDF2 with HMAC-H. The password is used as its UTF-8 bytes, without
// the SASLprep of RFC 4013, as Dovecot does: for passwords of printable
// ASCII the two are the same.
func (m SCRAM) saltedPassword(password string, salt []byte, iterations int) []byte {
	k, err := pbkdf2.Key(m.Hash, password, salt, iterations, m.Hash().Size())
	if err != nil {
		// Only FIPS 140-only mode refuses (short salts or keys): not a
		// state this package can go on from.
		panic("saslmech: PBKDF2: " + err.Error())
	}
	return k
}

func (m SCRAM) hmac(key []byte, msg ...string) []byte {
	h := hmac.New(m.Hash, key)
	for _, s := range msg {
		h.Write([]byte(s))
	}
	return h.Sum(nil)
}

func (m SCRAM) h(b []byte) []byte {
	h := m.Hash()
	h.Write(b)
	return h.Sum(nil)
}

// clientKey is HMAC(SaltedPassword, "Client Key").
func (m SCRAM) clientKey(salted []byte) []byte { return m.hmac(salted, "Client Key") }

// NewCredentials derives the credentials of password with salt and
// iterations.
func (m SCRAM) NewCredentials(password string, salt []byte, iterations int) Credentials {
	salted := m.saltedPassword(password, salt, iterations)
	return Credentials{
		Salt:       append([]byte(nil), salt...),
		Iterations: iterations,
		StoredKey:  m.h(m.clientKey(salted)),
		ServerKey:  m.hmac(salted, "Server Key"),
	}
}

// Format writes credentials as Dovecot stores them, so that they can be
// moved to and from a Dovecot passwd-file:
//
//	{SCRAM-SHA-256}4096,<salt>,<StoredKey>,<ServerKey>
//
// with the byte strings in base64.
func (m SCRAM) Format(c Credentials) string {
	enc := base64.StdEncoding.EncodeToString
	return "{" + m.Name + "}" + strconv.Itoa(c.Iterations) + "," + enc(c.Salt) + "," + enc(c.StoredKey) + "," + enc(c.ServerKey)
}

// ParseCredentials reads what Format writes.
func (m SCRAM) ParseCredentials(s string) (Credentials, error) {
	var c Credentials
	rest, ok := strings.CutPrefix(s, "{"+m.Name+"}")
	if !ok {
		return c, fmt.Errorf("SCRAM credentials do not start with {%s}", m.Name)
	}
	f := strings.Split(rest, ",")
	if len(f) != 4 {
		return c, errors.New("SCRAM credentials need 4 fields: iterations, salt, StoredKey, ServerKey")
	}
	n, err := strconv.Atoi(f[0])
	if err != nil || n < 1 || n > MaxIterations {
		return c, errors.New("SCRAM credentials: bad iteration count")
	}
	c.Iterations = n
	dec := base64.StdEncoding.Strict().DecodeString
	size := m.Hash().Size()
	if c.Salt, err = dec(f[1]); err != nil || len(c.Salt) == 0 {
		return c, errors.New("SCRAM credentials: bad salt")
	}
	if c.StoredKey, err = dec(f[2]); err != nil || len(c.StoredKey) != size {
		return c, errors.New("SCRAM credentials: bad StoredKey")
	}
	if c.ServerKey, err = dec(f[3]); err != nil || len(c.ServerKey) != size {
		return c, errors.New("SCRAM credentials: bad ServerKey")
	}
	return c, nil
}
