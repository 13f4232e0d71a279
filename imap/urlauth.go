package imap

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"strings"
)

// URLAuthBackend is an optional interface of a Backend whose Users keep
// mailbox access keys (AccessKeyUser). With it the server offers URLAUTH
// (RFC 4467) and URLAUTH=BINARY (RFC 5524): GENURLAUTH, RESETKEY and
// URLFETCH, CATENATE parts that name other users' messages through
// URLAUTH-authorized URLs, and FetchURL for a submission server (BURL,
// RFC 4468).
type URLAuthBackend interface {
	Backend
	// URLUser returns the session of the user an IMAP URL names (its
	// enc-user, resolved as a login name is), without a password: the
	// server calls it to read the user's mailbox access keys and, once a
	// URL's token has been verified, the message the URL names. An
	// unknown user gives an *Error (ErrNonexistent). The server calls
	// Logout when done.
	URLUser(ctx context.Context, name string) (User, error)
}

// AccessKeyUser is an optional interface of a User: it keeps the user's
// mailbox access keys (RFC 4467 3), the secrets that URLAUTH-authorized
// URLs are signed with.
type AccessKeyUser interface {
	User
	// AccessKey returns the mailbox access key of a mailbox: random bytes,
	// at least 128 bits (RFC 4467 7). With create set (GENURLAUTH), a
	// mailbox without a key gets a new one, stored durably before
	// AccessKey returns; without it (URLFETCH), a mailbox without a key
	// gives nil. A missing mailbox gives ErrNonexistent.
	AccessKey(ctx context.Context, mailbox string, create bool) ([]byte, error)
	// ResetAccessKeys removes the access key of a mailbox, or of every
	// mailbox of the user when mailbox is "" (RESETKEY, RFC 4467 6.2):
	// every URL signed with the old key stops working at once. A missing
	// mailbox gives ErrNonexistent.
	ResetAccessKeys(ctx context.Context, mailbox string) error
}

// urlAuthMechanism is the only URLAUTH authorization mechanism: RFC 4467
// 7 leaves the algorithm of INTERNAL to the server; this one is
// HMAC-SHA256 of the URL rump under the mailbox access key, in hex.
const urlAuthMechanism = "INTERNAL"

// urlAuthToken computes the INTERNAL token of a rump URL (RFC 4467 7).
func urlAuthToken(key []byte, rump string) string {
	mac := hmac.New(sha256.New, key)
	io.WriteString(mac, rump)
	return hex.EncodeToString(mac.Sum(nil))
}

// verifyURLAuthToken checks a token in constant time (hex digits in either
// case). A nil key is a mailbox without a key: RFC 4467 7 has the server
// still compute a token with a plausible key, so that the time taken does
// not tell which mailboxes exist.
func verifyURLAuthToken(key []byte, rump, token string) bool {
	valid := key != nil
	if key == nil {
		key = make([]byte, 32)
		rand.Read(key)
	}
	want := urlAuthToken(key, rump)
	return hmac.Equal([]byte(want), []byte(strings.ToLower(token))) && valid
}

// ErrBadURL reports an IMAP URL that cannot be resolved: bad syntax, a
// message, part or user that does not exist, a URLAUTH token that does
// not verify or has expired, or an access identifier that does not allow
// the requester (RFC 4467, RFC 4469 5: NO [BADURL]). The reason is in the
// wrapped error; it is logged, never sent to a client.
var ErrBadURL = &Error{Code: "BADURL"}

func badURL(reason string) error {
	return &Error{Code: "BADURL", Text: "Cannot resolve the URL", Err: errors.New(reason)}
}

// isBadURL tells a URL that cannot be resolved from a failure of the
// backend.
func isBadURL(err error) bool {
	return errors.Is(err, ErrBadURL) || errors.Is(err, errURL) || errors.Is(err, errNoSection) ||
		errors.Is(err, errUnknownCTE) || errors.Is(err, ErrNonexistent) || errors.Is(err, ErrTryCreate)
}
