package managesieve

import (
	"strconv"
	"unicode/utf8"
)

// Responses are data: a kind, an optional response code and a text.
const (
	respOK  = "OK"
	respNO  = "NO"
	respBYE = "BYE"
)

// Response codes (RFC 5804 1.3).
const (
	codeEncryptNeeded = "ENCRYPT-NEEDED"
	codeMaxSize       = "QUOTA/MAXSIZE"
	codeMaxScripts    = "QUOTA/MAXSCRIPTS"
	codeTryLater      = "TRYLATER"
	codeWarnings      = "WARNINGS"
)

// quotable reports whether s can be sent as a quoted string: short, UTF-8,
// without the characters a quoted string cannot hold.
func quotable(s string) bool {
	if len(s) > maxQuoted || !utf8.ValidString(s) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] == '\r' || s[i] == '\n' || s[i] == 0 {
			return false
		}
	}
	return true
}

// appendString appends s as a quoted string, or as a literal when it
// cannot be one (RFC 5804 4: literal-s2c, "{n}" CRLF and the octets).
func appendString(b []byte, s string) []byte {
	if !quotable(s) {
		b = append(b, '{')
		b = strconv.AppendInt(b, int64(len(s)), 10)
		b = append(b, "}\r\n"...)
		return append(b, s...)
	}
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' || s[i] == '\\' {
			b = append(b, '\\')
		}
		b = append(b, s[i])
	}
	return append(b, '"')
}

// appendResponse appends "OK", "NO" or "BYE", the response code in
// parentheses if any, and the text as a string if any.
func appendResponse(b []byte, kind, code, text string) []byte {
	b = append(b, kind...)
	if code != "" {
		b = append(b, " ("...)
		b = append(b, code...)
		b = append(b, ')')
	}
	if text != "" {
		b = append(b, ' ')
		b = appendString(b, text)
	}
	return append(b, "\r\n"...)
}
