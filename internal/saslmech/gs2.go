package saslmech

import (
	"errors"
	"strings"
	"unicode/utf8"
)

// GS2Header is the header that SCRAM and OAUTHBEARER messages start with
// (RFC 5801 4):
//
//	gs2-header = gs2-cb-flag "," [gs2-authzid] ","
//	gs2-cb-flag = ("p=" cb-name) / "n" / "y"
//
// The non-standard flag "F" of GSS-API mechanisms is refused: neither
// mechanism allows it.
type GS2Header struct {
	// Flag is 'n' (the client does not support channel binding), 'y' (it
	// does, but thinks the server does not) or 'p' (it uses CBName).
	Flag byte
	// CBName is the channel binding type of a 'p' flag, e.g.
	// "tls-exporter".
	CBName string
	// AuthzID is the authorization identity, decoded ("" if absent).
	AuthzID string
	// Raw is the header as sent, with its final ','; SCRAM binds it into
	// the client's final message.
	Raw string
}

var errGS2 = errors.New("malformed GS2 header")

// ParseGS2Header parses the header at the start of msg and returns it and
// the rest of msg.
func ParseGS2Header(msg string) (GS2Header, string, error) {
	var h GS2Header
	flag, rest, ok := strings.Cut(msg, ",")
	if !ok {
		return h, "", errGS2
	}
	switch {
	case flag == "n" || flag == "y":
		h.Flag = flag[0]
	case strings.HasPrefix(flag, "p="):
		h.Flag, h.CBName = 'p', flag[2:]
		if !validCBName(h.CBName) {
			return h, "", errors.New("malformed channel binding name")
		}
	default:
		return h, "", errGS2
	}
	authz, rest, ok := strings.Cut(rest, ",")
	if !ok {
		return h, "", errGS2
	}
	if authz != "" {
		name, ok := strings.CutPrefix(authz, "a=")
		if !ok {
			return h, "", errGS2
		}
		var err error
		if h.AuthzID, err = DecodeSASLName(name); err != nil {
			return h, "", err
		}
	}
	h.Raw = msg[:len(msg)-len(rest)]
	return h, rest, nil
}

// cb-name = 1*(ALPHA / DIGIT / "." / "-") (RFC 5056 7).
func validCBName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '-') {
			return false
		}
	}
	return true
}

// GS2 returns the header for flag ('n', 'y' or 'p' with cbName) and
// authzid.
func GS2(flag byte, cbName, authzid string) string {
	h := string(flag)
	if flag == 'p' {
		h = "p=" + cbName
	}
	h += ","
	if authzid != "" {
		h += "a=" + EncodeSASLName(authzid)
	}
	return h + ","
}

var errSASLName = errors.New("malformed saslname")

// DecodeSASLName decodes a saslname (RFC 5802 7, RFC 5801 4): UTF-8
// without NUL, where "=2C" stands for ',' and "=3D" for '='. RFC 5802
// 5.1: any other '=' fails the exchange.
func DecodeSASLName(s string) (string, error) {
	if s == "" || !utf8.ValidString(s) || strings.IndexByte(s, 0) >= 0 || strings.IndexByte(s, ',') >= 0 {
		return "", errSASLName
	}
	if strings.IndexByte(s, '=') < 0 {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '=' {
			b.WriteByte(s[i])
			continue
		}
		switch {
		case strings.HasPrefix(s[i:], "=2C"):
			b.WriteByte(',')
		case strings.HasPrefix(s[i:], "=3D"):
			b.WriteByte('=')
		default:
			return "", errSASLName
		}
		i += 2
	}
	return b.String(), nil
}

// EncodeSASLName escapes ',' and '=' in a name (RFC 5802 5.1).
func EncodeSASLName(s string) string {
	return strings.NewReplacer("=", "=3D", ",", "=2C").Replace(s)
}
