package imap

import (
	"errors"
	"strings"
	"unicode/utf8"
)

// errMailboxName reports a mailbox name that is not valid modified UTF-7
// (RFC 3501 5.1.3), or not valid UTF-8 in UTF8=ACCEPT mode.
var errMailboxName = errors.New("imap: mailbox name is not valid modified UTF-7")

// RFC 3501 5.1.3: modified BASE64 uses "," in place of "/".
const mutf7Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,"

var mutf7Decode = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	for i := 0; i < len(mutf7Alphabet); i++ {
		t[mutf7Alphabet[i]] = int8(i)
	}
	return t
}()

// decodeMailboxName decodes a mailbox name from modified UTF-7 (RFC 3501
// 5.1.3) to UTF-8. It is strict, so that every valid name has
// exactly one encoding and encodeMailboxName(name) gives the input back:
// raw characters must be printable US-ASCII; a shifted sequence must encode
// only characters that cannot represent themselves, end with "-", carry no
// leftover non-zero bits, hold well-formed UTF-16 and not follow another
// shifted sequence directly ("-&" null shifts). Control characters (C0, DEL,
// C1) are refused even when encoded.
func decodeMailboxName(s string) (string, error) {
	// Fast path: plain printable ASCII without "&" decodes to itself.
	plain := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '&' {
			plain = false
			break
		}
	}
	if plain {
		return s, nil
	}
	var b strings.Builder
	b.Grow(len(s))
	afterShift := false // the previous byte closed a base64 sequence
	for i := 0; i < len(s); {
		c := s[i]
		if c < 0x20 || c > 0x7e {
			return "", errMailboxName
		}
		if c != '&' {
			b.WriteByte(c)
			i++
			afterShift = false
			continue
		}
		i++
		if i < len(s) && s[i] == '-' {
			b.WriteByte('&')
			i++
			afterShift = false
			continue
		}
		if afterShift {
			return "", errMailboxName // "-&" null shift
		}
		var bits uint32
		nbits := 0
		var high rune // pending high surrogate
		units := 0
		closed := false
		for i < len(s) {
			c := s[i]
			i++
			if c == '-' {
				closed = true
				break
			}
			v := mutf7Decode[c]
			if v < 0 {
				return "", errMailboxName
			}
			bits = bits<<6 | uint32(v)
			nbits += 6
			if nbits < 16 {
				continue
			}
			nbits -= 16
			u := rune(bits >> nbits & 0xffff)
			bits &= 1<<nbits - 1
			units++
			switch {
			case high != 0:
				if u < 0xdc00 || u > 0xdfff {
					return "", errMailboxName
				}
				b.WriteRune((high-0xd800)<<10 | (u - 0xdc00) + 0x10000)
				high = 0
			case u >= 0xd800 && u <= 0xdbff:
				high = u
			case u >= 0xdc00 && u <= 0xdfff:
				return "", errMailboxName
			case u >= 0x20 && u <= 0x7e:
				return "", errMailboxName // must represent itself
			case isControl(u):
				return "", errMailboxName
			default:
				b.WriteRune(u)
			}
		}
		if !closed || units == 0 || high != 0 || nbits >= 6 || bits != 0 {
			return "", errMailboxName
		}
		afterShift = true
	}
	return b.String(), nil
}

func isControl(r rune) bool { return r < 0x20 || (r >= 0x7f && r < 0xa0) }

// encodeMailboxName encodes a UTF-8 mailbox name in modified UTF-7 (RFC 3501
// 5.1.3). Invalid UTF-8 bytes are encoded as U+FFFD.
func encodeMailboxName(s string) string {
	plain := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '&' {
			plain = false
			break
		}
	}
	if plain {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) * 2)
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c <= 0x7e {
			if c == '&' {
				b.WriteString("&-")
			} else {
				b.WriteByte(c)
			}
			i++
			continue
		}
		b.WriteByte('&')
		var bits uint32
		nbits := 0
		emit := func(u uint32) {
			bits = bits<<16 | u
			nbits += 16
			for nbits >= 6 {
				nbits -= 6
				b.WriteByte(mutf7Alphabet[bits>>nbits&0x3f])
			}
			bits &= 1<<nbits - 1
		}
		for i < len(s) && (s[i] < 0x20 || s[i] > 0x7e) {
			r, size := utf8.DecodeRuneInString(s[i:])
			i += size
			if r >= 0x10000 {
				r -= 0x10000
				emit(uint32(0xd800 + r>>10))
				emit(uint32(0xdc00 + r&0x3ff))
			} else {
				emit(uint32(r))
			}
		}
		if nbits > 0 {
			b.WriteByte(mutf7Alphabet[bits<<(6-nbits)&0x3f])
		}
		b.WriteByte('-')
	}
	return b.String()
}

// validUTF8MailboxName checks a raw UTF-8 mailbox name (RFC 6855 3):
// valid UTF-8 without control characters.
func validUTF8MailboxName(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if isControl(r) {
			return false
		}
	}
	return true
}
