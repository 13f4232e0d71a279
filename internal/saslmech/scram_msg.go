package saslmech

import (
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
)

// The messages of a SCRAM exchange (RFC 5802 7), parsed. Each parser
// checks the syntax only; the exchange checks the values.

// clientFirst is client-first-message.
type clientFirst struct {
	gs2      GS2Header
	username string // decoded
	nonce    string
	bare     string // client-first-message-bare, for AuthMessage
}

// clientFinal is client-final-message.
type clientFinal struct {
	cbind        []byte // c=, decoded: the GS2 header and channel binding data
	nonce        string
	proof        []byte
	withoutProof string // client-final-message-without-proof, for AuthMessage
}

// serverFirst is server-first-message.
type serverFirst struct {
	nonce      string
	salt       []byte
	iterations int
}

// serverFinal is server-final-message: a verifier or an error.
type serverFinal struct {
	verifier []byte
	err      string // e=, "" if none
}

// errExtension reports the mandatory extension "m" (RFC 5802 5.1: a
// server or client that does not support it fails).
var errExtension = errors.New("unsupported mandatory extension m=")

func malformed(why string) error { return &Failure{Code: "invalid-encoding", Why: why} }

// attrs splits a message into its attributes: a letter, '=', a value.
func attrs(msg string) ([]string, error) {
	if len(msg) > MaxMessage {
		return nil, malformed("message too long")
	}
	parts := strings.Split(msg, ",")
	for _, p := range parts {
		if len(p) < 2 || p[1] != '=' || !('a' <= p[0] && p[0] <= 'z' || 'A' <= p[0] && p[0] <= 'Z') {
			return nil, malformed("attribute is not a letter, '=' and a value")
		}
	}
	return parts, nil
}

// validNonce: printable = %x21-2B / %x2D-7E.
func validNonce(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e || s[i] == ',' {
			return false
		}
	}
	return true
}

func decodeB64(s string) ([]byte, error) { return base64.StdEncoding.Strict().DecodeString(s) }

// parseClientFirst parses client-first-message:
//
//	gs2-header [reserved-mext ","] username "," nonce ["," extensions]
func parseClientFirst(msg string) (clientFirst, error) {
	var m clientFirst
	if len(msg) > MaxMessage {
		return m, malformed("message too long")
	}
	h, bare, err := ParseGS2Header(msg)
	if err != nil {
		return m, malformed(err.Error())
	}
	m.gs2, m.bare = h, bare
	a, err := attrs(bare)
	if err != nil {
		return m, err
	}
	if a[0][0] == 'm' {
		return m, &Failure{Code: "extensions-not-supported", Why: errExtension.Error()}
	}
	if len(a) < 2 || a[0][0] != 'n' || a[1][0] != 'r' {
		return m, malformed("client-first-message needs n= and r=")
	}
	if m.username, err = DecodeSASLName(a[0][2:]); err != nil {
		return m, &Failure{Code: "invalid-username-encoding", Why: err.Error()}
	}
	m.nonce = a[1][2:]
	if !validNonce(m.nonce) {
		return m, malformed("bad nonce")
	}
	return m, nil
}

// parseClientFinal parses client-final-message:
//
//	channel-binding "," nonce ["," extensions] "," proof
func parseClientFinal(msg string) (clientFinal, error) {
	var m clientFinal
	a, err := attrs(msg)
	if err != nil {
		return m, err
	}
	if len(a) < 3 || a[0][0] != 'c' || a[1][0] != 'r' || a[len(a)-1][0] != 'p' {
		return m, malformed("client-final-message needs c=, r= and p=")
	}
	if m.cbind, err = decodeB64(a[0][2:]); err != nil {
		return m, malformed("c= is not base64")
	}
	m.nonce = a[1][2:]
	if !validNonce(m.nonce) {
		return m, malformed("bad nonce")
	}
	if m.proof, err = decodeB64(a[len(a)-1][2:]); err != nil {
		return m, malformed("p= is not base64")
	}
	m.withoutProof = msg[:len(msg)-len(a[len(a)-1])-1]
	return m, nil
}

// parseServerFirst parses server-first-message:
//
//	[reserved-mext ","] nonce "," salt "," iteration-count ["," extensions]
func parseServerFirst(msg string) (serverFirst, error) {
	var m serverFirst
	a, err := attrs(msg)
	if err != nil {
		return m, err
	}
	if a[0][0] == 'm' {
		return m, errExtension
	}
	if len(a) < 3 || a[0][0] != 'r' || a[1][0] != 's' || a[2][0] != 'i' {
		return m, malformed("server-first-message needs r=, s= and i=")
	}
	m.nonce = a[0][2:]
	if !validNonce(m.nonce) {
		return m, malformed("bad nonce")
	}
	if m.salt, err = decodeB64(a[1][2:]); err != nil || len(m.salt) == 0 {
		return m, malformed("s= is not base64")
	}
	i := a[2][2:]
	if i == "" || i[0] == '0' || len(i) > 10 {
		return m, malformed("bad iteration count")
	}
	if m.iterations, err = strconv.Atoi(i); err != nil {
		return m, malformed("bad iteration count")
	}
	return m, nil
}

// parseServerFinal parses server-final-message:
//
//	(server-error / verifier) ["," extensions]
func parseServerFinal(msg string) (serverFinal, error) {
	var m serverFinal
	a, err := attrs(msg)
	if err != nil {
		return m, err
	}
	switch a[0][0] {
	case 'e':
		m.err = a[0][2:]
		if m.err == "" {
			m.err = "other-error"
		}
	case 'v':
		if m.verifier, err = decodeB64(a[0][2:]); err != nil {
			return m, malformed("v= is not base64")
		}
	default:
		return m, malformed("server-final-message needs v= or e=")
	}
	return m, nil
}
