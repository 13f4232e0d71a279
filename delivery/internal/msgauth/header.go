// Package msgauth holds the wire pieces that the message-authentication
// packages (delivery/dkim, delivery/arc, delivery/authres) share: a
// bounded header reader, DKIM tag lists, the simple and relaxed
// canonicalizations, streaming body hashes, and the signature field
// that DKIM-Signature, ARC-Message-Signature and ARC-Seal have in common.
// It is not API: the public packages wrap what their users need.
package msgauth

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// DefaultMaxHeaderBytes bounds a message header read by ReadHeader when
// the caller gives no limit. Real headers are a few KB; long Received
// chains and several ARC sets stay well under this.
const DefaultMaxHeaderBytes = 256 << 10

// ErrHeaderTooLarge is returned when a header is longer than the limit.
var ErrHeaderTooLarge = errors.New("message header too large")

// ErrMalformedHeader is returned for a header line that is neither a
// field ("name:") nor a continuation.
var ErrMalformedHeader = errors.New("malformed message header")

// Field is one header field as it appeared in the message, line endings
// normalized to CRLF (a bare LF counts as one, as mail stored on Unix
// systems has them).
type Field struct {
	// Raw is the whole field: name, colon, folded value and final CRLF.
	Raw []byte
	// nameLen is the length of the name in Raw, without whitespace
	// before the colon.
	nameLen int
}

// Name is the field name as written.
func (f Field) Name() []byte { return f.Raw[:f.nameLen] }

// Value is everything after the colon, folding included, without the
// final CRLF.
func (f Field) Value() []byte {
	colon := bytes.IndexByte(f.Raw, ':')
	return bytes.TrimSuffix(f.Raw[colon+1:], crlf)
}

// Is reports whether the field's name is name, ignoring case.
func (f Field) Is(name string) bool { return asciiEqualFold(f.Name(), name) }

// Header is a message header, fields in message order.
type Header []Field

var crlf = []byte("\r\n")

// ReadHeader reads a message header up to and including the empty line
// that ends it, leaving br at the first byte of the body. A message that
// ends without the empty line has an empty body. maxBytes bounds the
// header (0 means DefaultMaxHeaderBytes); over it, ReadHeader returns
// ErrHeaderTooLarge without reading further.
func ReadHeader(br *bufio.Reader, maxBytes int) (Header, error) {
	if maxBytes <= 0 {
		maxBytes = DefaultMaxHeaderBytes
	}
	// One buffer holds the whole header; fields slice into it, so a header
	// costs two allocations whatever its field count.
	buf := make([]byte, 0, min(4096, maxBytes))
	var starts []int
	for {
		raw, err := NextField(br, maxBytes-len(buf))
		if err == io.EOF || IsBlankLine(raw) {
			break
		}
		if err != nil {
			return nil, err
		}
		starts = append(starts, len(buf))
		buf = appendCRLF(buf, raw)
	}
	h := make(Header, len(starts))
	for i, start := range starts {
		end := len(buf)
		if i+1 < len(starts) {
			end = starts[i+1]
		}
		raw := buf[start:end:end]
		name, ok := FieldName(raw)
		if !ok {
			return nil, fmt.Errorf("%w: %q is not a header field", ErrMalformedHeader, truncate(raw))
		}
		h[i] = Field{Raw: raw, nameLen: len(name)}
	}
	return h, nil
}

// FieldName returns the name of field raw, if raw starts with a valid one
// (RFC 5322 2.2: printable US-ASCII except colon, then the colon;
// whitespace before the colon is tolerated, RFC 5322 4.5.8 obs-optional).
func FieldName(raw []byte) ([]byte, bool) {
	colon := bytes.IndexByte(raw, ':')
	if colon <= 0 {
		return nil, false
	}
	name := bytes.TrimRight(raw[:colon], " \t")
	return name, len(name) > 0 && isFieldName(name)
}

// NextField reads one header field with its continuation lines, exactly
// as written, line endings included. At the empty line that ends the
// header it returns that line (see IsBlankLine); at the end of input,
// io.EOF (with a last field that lacks its line ending, if any). A field
// longer than maxBytes is ErrHeaderTooLarge.
func NextField(br *bufio.Reader, maxBytes int) ([]byte, error) {
	var field []byte
	for {
		line, err := readLine(br, maxBytes-len(field))
		if err != nil && err != io.EOF {
			return nil, err
		}
		field = append(field, line...)
		if err == io.EOF {
			if len(field) == 0 {
				return nil, io.EOF
			}
			return field, nil
		}
		if IsBlankLine(field) {
			return field, nil
		}
		// RFC 5322 2.2.3: a line that starts with whitespace continues the field.
		if next, _ := br.Peek(1); len(next) == 0 || (next[0] != ' ' && next[0] != '\t') {
			return field, nil
		}
	}
}

// IsBlankLine reports whether raw is the empty line that ends a header.
func IsBlankLine(raw []byte) bool {
	return string(raw) == "\r\n" || string(raw) == "\n"
}

// readLine returns one line with its line ending, failing with
// ErrHeaderTooLarge once it is longer than room.
func readLine(br *bufio.Reader, room int) ([]byte, error) {
	var line []byte
	for {
		chunk, err := br.ReadSlice('\n')
		if len(line)+len(chunk) > room {
			return nil, ErrHeaderTooLarge
		}
		if err == bufio.ErrBufferFull {
			line = append(line, chunk...)
			continue
		}
		if line == nil {
			line = append([]byte(nil), chunk...)
		} else {
			line = append(line, chunk...)
		}
		return line, err
	}
}

// appendCRLF appends raw with every line ending made CRLF; a field that
// ended the input without one gets one.
func appendCRLF(dst, raw []byte) []byte {
	for len(raw) > 0 {
		i := bytes.IndexByte(raw, '\n')
		if i < 0 {
			dst = append(dst, raw...)
			break
		}
		dst = append(dst, bytes.TrimSuffix(raw[:i], []byte{'\r'})...)
		dst = append(dst, '\r', '\n')
		raw = raw[i+1:]
	}
	if !bytes.HasSuffix(dst, crlf) {
		dst = append(dst, crlf...)
	}
	return dst
}

// isFieldName: RFC 5322 2.2: printable US-ASCII except colon.
func isFieldName(b []byte) bool {
	for _, c := range b {
		if c <= ' ' || c > '~' || c == ':' {
			return false
		}
	}
	return true
}

func truncate(b []byte) []byte {
	if len(b) > 40 {
		return b[:40]
	}
	return b
}

// asciiEqualFold compares a field name with a name, ignoring ASCII case,
// without allocating.
func asciiEqualFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := 0; i < len(b); i++ {
		if lower(b[i]) != lower(s[i]) {
			return false
		}
	}
	return true
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// Index maps lower-case field names to the positions of their fields,
// bottom first, so that picking the fields a signature names costs one
// map lookup per name however hostile its h= list is.
type Index map[string][]int

// NewIndex indexes h.
func NewIndex(h Header) Index {
	ix := make(Index)
	for i := len(h) - 1; i >= 0; i-- {
		key := lowerString(h[i].Name())
		ix[key] = append(ix[key], i)
	}
	return ix
}

// Picker hands out the fields that a signature's h= list names, in the
// order RFC 6376 5.4.2 sets: each occurrence of a name takes the lowest
// field of that name not taken yet; a name with none left contributes
// nothing (which is how oversigning works). Build one per signature.
type Picker struct {
	h     Header
	ix    Index
	taken map[string]int // lower-case name -> fields of that name taken so far
}

// NewPicker returns a Picker over h, indexed by ix (NewIndex(h)).
func NewPicker(h Header, ix Index) *Picker {
	return &Picker{h: h, ix: ix, taken: make(map[string]int)}
}

// Pick returns the next field named name, or nil.
func (p *Picker) Pick(name string) *Field {
	key := lowerString([]byte(name))
	n := p.taken[key]
	p.taken[key] = n + 1
	if at := p.ix[key]; n < len(at) {
		return &p.h[at[n]]
	}
	return nil
}

// lowerString returns b with ASCII letters lower-cased.
func lowerString(b []byte) string {
	for _, c := range b {
		if 'A' <= c && c <= 'Z' {
			return string(bytes.ToLower(b))
		}
	}
	return string(b)
}

// Count returns how many fields are named name.
func (h Header) Count(name string) int {
	n := 0
	for _, f := range h {
		if f.Is(name) {
			n++
		}
	}
	return n
}

// Get returns the value of the first field named name, or nil.
func (h Header) Get(name string) []byte {
	for _, f := range h {
		if f.Is(name) {
			return f.Value()
		}
	}
	return nil
}

// NewField makes a Field of raw, a whole field ending in CRLF (one that we
// generate, not one read from a message).
func NewField(raw []byte) (Field, error) {
	name, ok := FieldName(raw)
	if !ok || !bytes.HasSuffix(raw, crlf) {
		return Field{}, fmt.Errorf("%w: %q is not a header field", ErrMalformedHeader, truncate(raw))
	}
	return Field{Raw: raw, nameLen: len(name)}, nil
}
