package msgauth

import (
	"crypto"
	"encoding/base64"
	"strings"
)

// HeaderHash computes a signature's header hash (RFC 6376 3.7): the
// signed fields in order, canonicalized, then the signature field itself
// with its b= value deleted and without its final CRLF. Fields that the
// h= list names but the message lacks are nil and contribute nothing.
func HeaderHash(h crypto.Hash, c Canon, signed []*Field, sigField []byte) []byte {
	hh := h.New()
	buf := make([]byte, 0, 1024)
	for _, f := range signed {
		if f == nil {
			continue
		}
		buf = AppendHeader(buf[:0], c, f.Raw)
		hh.Write(buf)
	}
	buf = AppendSignatureField(buf[:0], c, sigField)
	hh.Write(buf)
	return hh.Sum(nil)
}

// foldWidth is where generated fields are folded (RFC 5322 2.1.1: lines
// SHOULD be at most 78 characters).
const foldWidth = 78

// SignField builds a signature field named name from tags (in order; b=
// is added last) and signs it over the signed fields. The b= tag always
// starts a line of its own, so the text up to "b=" does not depend on
// the signature's length; its value is folded only between base64
// characters, so verifiers that strip only the value and those that strip
// the whitespace around it (RFC 6376 3.7) hash the same bytes.
func SignField(name string, tags []Tag, c Canon, signed []*Field, key crypto.Signer, alg Algorithm) ([]byte, error) {
	var b strings.Builder
	b.WriteString(name)
	b.WriteString(":")
	col := len(name) + 1
	for i, t := range tags {
		pieces := []string{t.Name + "=" + t.Value}
		if t.Name == "h" {
			pieces = splitKeep(pieces[0], ':')
		}
		for j, p := range pieces {
			sep := ""
			if j == 0 {
				sep = " "
			}
			if j == 0 && i > 0 || j > 0 {
				if col+len(sep)+len(p)+1 > foldWidth {
					b.WriteString("\r\n\t")
					col, sep = 8, ""
				}
			}
			b.WriteString(sep)
			b.WriteString(p)
			col += len(sep) + len(p)
		}
		b.WriteString(";")
		col++
	}
	b.WriteString("\r\n\tb=")
	prefix := b.String()

	digest := HeaderHash(alg.Hash, c, signed, []byte(prefix))
	sig, err := SignDigest(key, alg, digest)
	if err != nil {
		return nil, err
	}
	value := base64.StdEncoding.EncodeToString(sig)
	out := make([]byte, 0, len(prefix)+len(value)+len(value)/64*3+2)
	out = append(out, prefix...)
	const first, rest = foldWidth - 8 - 2, foldWidth - 8
	for n := first; len(value) > 0; n = rest {
		n = min(n, len(value))
		if len(out) > len(prefix) {
			out = append(out, "\r\n\t"...)
		}
		out = append(out, value[:n]...)
		value = value[n:]
	}
	return append(out, "\r\n"...), nil
}

// splitKeep splits s after each sep, keeping the separators.
func splitKeep(s string, sep byte) []string {
	var parts []string
	for {
		i := strings.IndexByte(s, sep)
		if i < 0 {
			return append(parts, s)
		}
		parts = append(parts, s[:i+1])
		s = s[i+1:]
	}
}
