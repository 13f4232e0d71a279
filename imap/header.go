package imap

import (
	"io"
	"mime"
	"strings"

	"github.com/emersion/go-message/charset"
)

// Header is a message (or MIME part) header as written: its fields in
// order, with raw values.
type Header struct {
	Fields []HeaderField
}

// HeaderField is one header field. Value is the raw text after the colon,
// folding line breaks included, without the final line break.
type HeaderField struct {
	Name  string
	Value string
}

// Get returns the raw value of the first field with the given name
// (case-insensitive), and whether there is one.
func (h *Header) Get(name string) (string, bool) {
	if h == nil {
		return "", false
	}
	for _, f := range h.Fields {
		if equalFoldASCII(f.Name, name) {
			return f.Value, true
		}
	}
	return "", false
}

// Values returns the raw values of every field with the given name.
func (h *Header) Values(name string) []string {
	if h == nil {
		return nil
	}
	var vs []string
	for _, f := range h.Fields {
		if equalFoldASCII(f.Name, name) {
			vs = append(vs, f.Value)
		}
	}
	return vs
}

// unfold removes the line breaks of a folded header value (RFC 5322
// 2.2.3) and trims the surrounding white space.
func unfold(v string) string {
	if strings.IndexByte(v, '\n') < 0 && strings.IndexByte(v, '\r') < 0 {
		return strings.Trim(v, " \t")
	}
	var b strings.Builder
	b.Grow(len(v))
	for i := 0; i < len(v); i++ {
		if c := v[i]; c != '\r' && c != '\n' {
			b.WriteByte(c)
		}
	}
	return strings.Trim(b.String(), " \t")
}

var wordDecoder = &mime.WordDecoder{CharsetReader: charsetReader}

func charsetReader(cs string, r io.Reader) (io.Reader, error) {
	if isUTF8Charset(cs) {
		return r, nil
	}
	return charset.Reader(cs, r)
}

func isUTF8Charset(cs string) bool {
	return cs == "" || equalFoldASCII(cs, "utf-8") || equalFoldASCII(cs, "us-ascii") ||
		equalFoldASCII(cs, "utf8") || equalFoldASCII(cs, "ascii")
}

// decodeHeaderValue unfolds a raw header value and decodes its RFC 2047
// encoded words to UTF-8. Words it cannot decode (an unknown charset, bad
// encoding) are left as they are.
func decodeHeaderValue(v string) string {
	v = unfold(v)
	if !strings.Contains(v, "=?") {
		return v
	}
	d, err := wordDecoder.DecodeHeader(v)
	if err != nil {
		return v
	}
	return d
}

// headerText appends the header fields unfolded and decoded, one per line,
// for a TEXT search.
func headerText(dst []byte, h *Header) []byte {
	for _, f := range h.Fields {
		dst = append(dst, f.Name...)
		dst = append(dst, ": "...)
		dst = append(dst, decodeHeaderValue(f.Value)...)
		dst = append(dst, '\n')
	}
	return dst
}

// fieldNameIs compares a field name, case-insensitively.
func fieldNameIs(name []byte, want string) bool {
	return len(name) == len(want) && equalFoldASCII(string(name), want)
}
