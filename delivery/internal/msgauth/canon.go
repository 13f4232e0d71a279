package msgauth

import (
	"bytes"
	"fmt"
	"strings"
)

// Canon is a canonicalization algorithm (RFC 6376 3.4).
type Canon uint8

const (
	Simple Canon = iota
	Relaxed
)

func (c Canon) String() string {
	if c == Relaxed {
		return "relaxed"
	}
	return "simple"
}

// ParseCanon parses a c= value: "header/body", "header" alone meaning
// "header/simple", and an absent tag "simple/simple" (RFC 6376 3.5 c=).
func ParseCanon(v string) (header, body Canon, err error) {
	if v == "" {
		return Simple, Simple, nil
	}
	h, b, twoParts := strings.Cut(v, "/")
	if header, err = canonByName(h); err != nil {
		return 0, 0, err
	}
	if !twoParts {
		return header, Simple, nil
	}
	body, err = canonByName(b)
	return header, body, err
}

func canonByName(s string) (Canon, error) {
	switch s {
	case "simple":
		return Simple, nil
	case "relaxed":
		return Relaxed, nil
	}
	return 0, fmt.Errorf("unknown canonicalization %q", clip(s))
}

// AppendHeader appends field raw (as in Field.Raw, ending in CRLF),
// canonicalized by c, to dst.
func AppendHeader(dst []byte, c Canon, raw []byte) []byte {
	if c == Simple {
		return append(dst, raw...)
	}
	// RFC 6376 3.4.2: lower-case the name, unfold, reduce whitespace runs
	// to one space, drop whitespace at the end of the value and around
	// the colon.
	colon := bytes.IndexByte(raw, ':')
	name := bytes.TrimRight(raw[:colon], " \t")
	for _, ch := range name {
		dst = append(dst, lower(ch))
	}
	dst = append(dst, ':')
	space, started := false, false
	for _, ch := range raw[colon+1:] {
		switch ch {
		case '\r', '\n':
		case ' ', '\t':
			space = true
		default:
			if space && started {
				dst = append(dst, ' ')
			}
			dst = append(dst, ch)
			space, started = false, true
		}
	}
	return append(dst, '\r', '\n')
}

// AppendSignatureField appends the signature field raw as it enters its
// own hash: b= value deleted with the whitespace around it, canonicalized
// by c, without the final CRLF (RFC 6376 3.7, step 2).
func AppendSignatureField(dst []byte, c Canon, raw []byte) []byte {
	start := len(dst)
	dst = AppendHeader(dst, c, StripB(raw))
	if bytes.HasSuffix(dst[start:], crlf) {
		dst = dst[:len(dst)-2]
	}
	return dst
}

// StripB returns raw with the value of its b= tag removed, whitespace
// around the value included (RFC 6376 3.7: "including all surrounding
// whitespace"). The bh= tag is left alone. raw is not modified.
func StripB(raw []byte) []byte {
	colon := bytes.IndexByte(raw, ':')
	if colon < 0 {
		return raw
	}
	end := len(raw)
	if bytes.HasSuffix(raw, crlf) {
		end -= 2
	}
	for pos := colon + 1; pos < end; {
		specEnd := bytes.IndexByte(raw[pos:end], ';')
		if specEnd < 0 {
			specEnd = end
		} else {
			specEnd += pos
		}
		spec := raw[pos:specEnd]
		if eq := bytes.IndexByte(spec, '='); eq >= 0 && string(bytes.Trim(spec[:eq], " \t\r\n")) == "b" {
			out := make([]byte, 0, len(raw))
			out = append(out, raw[:pos+eq+1]...)
			return append(out, raw[specEnd:]...)
		}
		pos = specEnd + 1
	}
	return raw
}
