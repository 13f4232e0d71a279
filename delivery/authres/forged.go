package authres

import (
	"bufio"
	"io"
	"strings"

	"github.com/mailwright/mailwright/delivery/internal/msgauth"
)

// RemoveForged copies a message from src to dst without the
// Authentication-Results fields that claim authServID (compared without
// regard to case or a final dot). RFC 8601 5: a receiver MUST delete
// them before adding its own, or mail programs that trust our results
// would trust a sender's claims. A field is removed when its authserv-id
// can be read, even if the rest of it is malformed. It reports how many
// fields it removed.
//
// The header is streamed a field at a time (each field at most
// msgauth.DefaultMaxHeaderBytes long) and the body is copied as is; the
// message is otherwise unchanged, line endings included.
func RemoveForged(dst io.Writer, src io.Reader, authServID string) (removed int, err error) {
	br := bufio.NewReader(src)
	for {
		raw, err := msgauth.NextField(br, msgauth.DefaultMaxHeaderBytes)
		if err == io.EOF && raw == nil {
			return removed, nil
		}
		if err != nil && err != io.EOF {
			return removed, err
		}
		if isForged(raw, authServID) {
			removed++
		} else if _, werr := dst.Write(raw); werr != nil {
			return removed, werr
		}
		if err == io.EOF {
			return removed, nil
		}
		if msgauth.IsBlankLine(raw) {
			_, err := io.Copy(dst, br)
			return removed, err
		}
	}
}

func isForged(raw []byte, authServID string) bool {
	name, ok := msgauth.FieldName(raw)
	if !ok || !strings.EqualFold(string(name), FieldName) {
		return false
	}
	colon := len(name)
	for raw[colon] != ':' {
		colon++
	}
	id, ok := ServID(string(raw[colon+1:]))
	return ok && sameServID(id, authServID)
}

// ServID reads only the authserv-id at the start of an
// Authentication-Results value, so that a field too malformed for Parse
// can still be attributed.
func ServID(value string) (string, bool) {
	l := &lexer{s: value}
	if l.cfws() != nil {
		return "", false
	}
	id, err := l.value()
	return id, err == nil && id != ""
}

func sameServID(a, b string) bool {
	return strings.EqualFold(strings.TrimSuffix(a, "."), strings.TrimSuffix(b, "."))
}
