package mailbox

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"strings"
	"sync"

	"github.com/mailwright/mailwright/internal/saslmech"
)

// DefaultSCRAMIterations is the iteration count of the SCRAM-SHA-256
// credentials that AccountsFile and MemoryAccounts make when their
// SCRAMIterations is 0, and the least they make: RFC 7677 4 asks for at
// least 4096. A count of 4096 costs about 2 ms of CPU at each derivation
// (a password change, or the first login of an account without
// credentials), none at a SCRAM login, where the client does that work.
const DefaultSCRAMIterations = saslmech.MinIterations

// SCRAMCredentials are the SCRAM-SHA-256 keys of an account (RFC 5802 3,
// RFC 7677): what a server needs to check a SCRAM login, without the
// password. StoredKey is H(ClientKey) and ServerKey is HMAC(SaltedPassword,
// "Server Key"), each 32 bytes.
type SCRAMCredentials struct {
	Salt       []byte
	Iterations int
	StoredKey  []byte
	ServerKey  []byte
}

// NewSCRAMCredentials derives the SCRAM-SHA-256 credentials of password
// with a random salt and iterations (at least DefaultSCRAMIterations).
// The password is used as its UTF-8 bytes, without SASLprep (RFC 4013),
// as Dovecot does; for printable ASCII the two are the same.
func NewSCRAMCredentials(password string, iterations int) SCRAMCredentials {
	salt := make([]byte, 16)
	rand.Read(salt)
	return newSCRAMCredentials(password, salt, iterations)
}

func newSCRAMCredentials(password string, salt []byte, iterations int) SCRAMCredentials {
	return SCRAMCredentials(saslmech.SHA256.NewCredentials(password, salt, scramIterations(iterations)))
}

// scramIterations is the count to use for a configured n.
func scramIterations(n int) int {
	return min(max(n, DefaultSCRAMIterations), saslmech.MaxIterations)
}

// String formats the credentials as Dovecot's SCRAM-SHA-256 scheme, so
// that they can move to and from a Dovecot passwd-file:
//
//	{SCRAM-SHA-256}4096,<salt>,<StoredKey>,<ServerKey>
//
// with the byte strings in base64.
func (c SCRAMCredentials) String() string {
	return saslmech.SHA256.Format(saslmech.Credentials(c))
}

// ParseSCRAMCredentials reads what SCRAMCredentials.String writes.
func ParseSCRAMCredentials(s string) (SCRAMCredentials, error) {
	c, err := saslmech.SHA256.ParseCredentials(s)
	return SCRAMCredentials(c), err
}

// SCRAMAuthenticator is an Authenticator that keeps SCRAM-SHA-256
// credentials next to its password hashes, so that IMAPBackend,
// POP3Backend and delivery.Agent offer SCRAM-SHA-256 and
// SCRAM-SHA-256-PLUS (see SASL). AccountsFile and MemoryAccounts are
// SCRAMAuthenticators; another store (PostgreSQL) implements it with a
// column for SCRAMCredentials.String.
//
// An account gets its credentials when its password is set, and an
// account that has none (made before SCRAM, or by a tool that writes the
// hash only) gets them at its next successful password login, from the
// password the client sent: Authenticate derives and stores them.
type SCRAMAuthenticator interface {
	Authenticator
	// SCRAMCredentials returns the account username names (resolved as
	// Authenticate resolves names) and its credentials. When there are
	// none to use (an unknown user, an account that cannot log in, one
	// without credentials yet) it returns an error wrapping ErrAuthFailed,
	// and cred.Iterations still holds the count that new credentials get:
	// the exchange then goes on with made-up credentials of that count and
	// fails at the proof, so that a client cannot tell these cases from a
	// wrong password. Other errors are failures of the store.
	SCRAMCredentials(ctx context.Context, username string) (user string, cred SCRAMCredentials, err error)
}

// decoyKey makes the salts of the made-up credentials for users without
// any: random per process, so that a client cannot compute them, and the
// same for every server of the process, so that IMAP and POP3 give the
// same salt for the same name.
var decoyKey = sync.OnceValue(func() []byte {
	k := make([]byte, 32)
	rand.Read(k)
	return k
})

// decoyCredentials are the made-up credentials of a name without any.
func decoyCredentials(username string, iterations int) saslmech.Credentials {
	return saslmech.SHA256.DecoyCredentials(decoyKey(), username, scramIterations(iterations))
}

var errNoSCRAM = errors.New("no SCRAM credentials")

// errUnchanged ends an accounts file change that has nothing to write.
var errUnchanged = errors.New("unchanged")

// bcryptSalt returns the 22-character salt of a bcrypt hash
// ("$2a$10$" + salt + checksum), nil for anything else.
func bcryptSalt(hash string) []byte {
	hash = strings.TrimPrefix(hash, "!")
	if len(hash) != 60 || hash[0] != '$' || hash[3] != '$' || hash[6] != '$' {
		return nil
	}
	return []byte(hash[7:29])
}

// accountSCRAM derives the SCRAM credentials of an account with the
// bcrypt hash hash and password. Their salt is the hash's, which ties
// them to it (usableSCRAM).
func accountSCRAM(hash, password string, iterations int) SCRAMCredentials {
	return newSCRAMCredentials(password, bcryptSalt(hash), iterations)
}

// usableSCRAM returns the credentials of the SCRAM field of an account
// with hash, if the account may log in and they belong to the hash.
func usableSCRAM(hash, field string) (SCRAMCredentials, bool) {
	if field == "" || !loginHash(hash) {
		return SCRAMCredentials{}, false
	}
	c, err := ParseSCRAMCredentials(field)
	salt := bcryptSalt(hash)
	if err != nil || salt == nil || !bytes.Equal(c.Salt, salt) {
		return SCRAMCredentials{}, false
	}
	return c, true
}

// needsSCRAM tells whether an account with hash and the SCRAM field
// should get new credentials at a password login: it has none that
// belong to the hash, or fewer iterations than configured.
func needsSCRAM(hash, field string, iterations int) bool {
	c, ok := usableSCRAM(hash, field)
	return bcryptSalt(hash) != nil && (!ok || c.Iterations < scramIterations(iterations))
}
