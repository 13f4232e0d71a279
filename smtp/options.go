package smtp

import (
	"errors"
	"strings"
)

// BodyType is the BODY parameter of MAIL FROM (RFC 6152, RFC 3030).
type BodyType string

// Body types.
const (
	Body7Bit       BodyType = "7BIT"
	Body8BitMIME   BodyType = "8BITMIME"
	BodyBinaryMIME BodyType = "BINARYMIME" // needs BDAT (RFC 3030)
)

// DSNReturn is the RET parameter of MAIL FROM (RFC 3461 4.3).
type DSNReturn string

// RET values.
const (
	DSNReturnFull    DSNReturn = "FULL"
	DSNReturnHeaders DSNReturn = "HDRS"
)

// DSNNotify is one value of the NOTIFY parameter of RCPT TO (RFC 3461 4.1).
type DSNNotify string

// NOTIFY values. NEVER stands alone; the others may be combined.
const (
	DSNNotifyNever   DSNNotify = "NEVER"
	DSNNotifySuccess DSNNotify = "SUCCESS"
	DSNNotifyFailure DSNNotify = "FAILURE"
	DSNNotifyDelay   DSNNotify = "DELAY"
)

// MailOptions are the parameters of MAIL FROM.
type MailOptions struct {
	Body       BodyType  // BODY=; empty when absent
	Size       int64     // SIZE= as declared by the client (RFC 1870); 0 when absent
	UTF8       bool      // SMTPUTF8 (RFC 6531)
	Return     DSNReturn // RET= (RFC 3461); empty when absent
	EnvelopeID string    // ENVID= (RFC 3461), xtext-decoded
	// Auth is the AUTH= parameter (RFC 4954 section 5), xtext-decoded: the
	// identity that submitted the message, or "<>" for unknown. Empty when absent.
	Auth string
	// RequireTLS is REQUIRETLS (RFC 8689): the message must travel only
	// over TLS with a verified certificate (on the server, only accepted
	// on a TLS session with Server.EnableRequireTLS).
	RequireTLS bool
}

// RcptOptions are the parameters of RCPT TO.
type RcptOptions struct {
	Notify []DSNNotify // NOTIFY= (RFC 3461 4.1); nil when absent
	// OriginalRecipientType and OriginalRecipient are ORCPT= (RFC 3461 4.2),
	// split at the first ';' with the address xtext-decoded,
	// e.g. "rfc822" and "user@example.org".
	OriginalRecipientType string
	OriginalRecipient     string
}

// errBadXtext reports a malformed xtext string.
var errBadXtext = errors.New("malformed xtext")

// decodeXtext decodes RFC 3461 4 xtext: printable ASCII from '!' to '~'
// except '+' and '=', with "+XX" (uppercase hex) for any other octet.
func decodeXtext(s string) (string, error) {
	if strings.IndexByte(s, '+') < 0 {
		for i := 0; i < len(s); i++ {
			if c := s[i]; c < '!' || c > '~' || c == '=' {
				return "", errBadXtext
			}
		}
		return s, nil
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '+':
			if i+2 >= len(s) {
				return "", errBadXtext
			}
			hi, ok1 := unhexUpper(s[i+1])
			lo, ok2 := unhexUpper(s[i+2])
			if !ok1 || !ok2 {
				return "", errBadXtext
			}
			b.WriteByte(hi<<4 | lo)
			i += 2
		case c < '!' || c > '~' || c == '=':
			return "", errBadXtext
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), nil
}

// encodeXtext encodes s as RFC 3461 xtext.
func encodeXtext(s string) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '!' || c > '~' || c == '+' || c == '=' {
			b.WriteByte('+')
			b.WriteByte(hexDigits[c>>4])
			b.WriteByte(hexDigits[c&0xf])
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

func unhexUpper(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}
