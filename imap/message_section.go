package imap

import (
	"bytes"
	"errors"
	"io"
	"strings"
)

// errNoSection is returned for a section that does not exist in the
// message, or a section specifier that does not apply to the part.
var errNoSection = errors.New("imap: no such body section")

// errUnknownCTE is returned by BINARY fetches for a part whose
// Content-Transfer-Encoding the server cannot decode: the client gets
// NO [UNKNOWN-CTE] (RFC 3516 4.3).
var errUnknownCTE = errors.New("imap: unknown content transfer encoding")

// FetchSection returns the data of a BODY[section] (or BODY.PEEK),
// BINARY[section], RFC822, RFC822.HEADER or RFC822.TEXT item, with its
// partial range applied, and its length, to be sent as a literal. Parts
// are sliced from the raw message; only HEADER.FIELDS (read twice: once to
// size the result, once to send it) and BINARY (decoded twice) do more.
// A section that does not exist gives errNoSection; BINARY of an encoding
// the server cannot decode gives errUnknownCTE.
func (m *message) FetchSection(it fetchItem) (io.Reader, int64, error) {
	var r io.Reader
	var n int64
	var err error
	switch it.Kind {
	case fetchRFC822:
		r, n, err = m.section(section{})
	case fetchRFC822Header:
		r, n, err = m.section(section{Specifier: sectionHeader})
	case fetchRFC822Text:
		r, n, err = m.section(section{Specifier: sectionText})
	case fetchBodySection:
		r, n, err = m.section(it.Section)
	case fetchBinarySection:
		return m.binary(it.Section.Part, it.Partial)
	default:
		return nil, 0, errors.New("imap: FetchSection: not a section item")
	}
	if err != nil {
		return nil, 0, err
	}
	return applyPartial(r, n, it.Partial)
}

// rangeReader is a byte range of the message, which a partial fetch can
// narrow without reading what it skips.
type rangeReader struct {
	*io.SectionReader
	r     io.ReaderAt
	start int64
}

func (m *message) rangeOf(start, end int64) (io.Reader, int64) {
	if end < start {
		end = start
	}
	return &rangeReader{io.NewSectionReader(m.r, start, end-start), m.r, start}, end - start
}

// applyPartial narrows r (n bytes) to a partial range <offset.count>.
func applyPartial(r io.Reader, n int64, pt partial) (io.Reader, int64, error) {
	if pt.Count <= 0 {
		return r, n, nil
	}
	if pt.Offset >= n {
		return strings.NewReader(""), 0, nil
	}
	count := min(pt.Count, n-pt.Offset)
	if rr, ok := r.(*rangeReader); ok {
		return io.NewSectionReader(rr.r, rr.start+pt.Offset, count), count, nil
	}
	if _, err := io.CopyN(io.Discard, r, pt.Offset); err != nil {
		return nil, 0, err
	}
	return io.LimitReader(r, count), count, nil
}

func (m *message) section(sec section) (io.Reader, int64, error) {
	if len(sec.Part) == 0 {
		// The top level: only the header needs reading.
		bs, err := m.bodyStart()
		if err != nil {
			return nil, 0, err
		}
		switch sec.Specifier {
		case "":
			r, n := m.rangeOf(0, m.size)
			return r, n, nil
		case sectionHeader:
			r, n := m.rangeOf(0, bs)
			return r, n, nil
		case sectionText:
			r, n := m.rangeOf(bs, m.size)
			return r, n, nil
		case sectionHeaderFields, sectionHeaderFieldsNot:
			return m.filteredHeader(0, bs, sec)
		}
		return nil, 0, errNoSection
	}
	root, err := m.Structure()
	if err != nil {
		return nil, 0, err
	}
	p := findPart(root, sec.Part)
	if p == nil {
		return nil, 0, errNoSection
	}
	switch sec.Specifier {
	case "":
		r, n := m.rangeOf(p.BodyStart, p.End)
		return r, n, nil
	case sectionMIME:
		r, n := m.rangeOf(p.HeaderStart, p.BodyStart)
		return r, n, nil
	}
	// HEADER, HEADER.FIELDS[.NOT] and TEXT need a message/rfc822 part.
	msg := p.Message
	if msg == nil {
		return nil, 0, errNoSection
	}
	switch sec.Specifier {
	case sectionHeader:
		r, n := m.rangeOf(msg.HeaderStart, msg.BodyStart)
		return r, n, nil
	case sectionText:
		r, n := m.rangeOf(msg.BodyStart, msg.End)
		return r, n, nil
	case sectionHeaderFields, sectionHeaderFieldsNot:
		return m.filteredHeader(msg.HeaderStart, msg.BodyStart, sec)
	}
	return nil, 0, errNoSection
}

// filteredHeader returns the fields of the header [start, end) that
// HEADER.FIELDS (or .NOT) selects, followed by the blank line (RFC 9051
// 6.4.5: the blank line is always included). It reads the header
// once to count the result, and returns a reader that reads it again.
func (m *message) filteredHeader(start, end int64, sec section) (io.Reader, int64, error) {
	not := sec.Specifier == sectionHeaderFieldsNot
	n, err := io.Copy(io.Discard, newHeaderFilter(m.r, start, end, sec.Fields, not))
	if err != nil {
		return nil, 0, err
	}
	return newHeaderFilter(m.r, start, end, sec.Fields, not), n, nil
}

// headerFilter streams the selected fields of a header.
type headerFilter struct {
	s       *scanner
	end     int64
	fields  []string
	not     bool
	include bool
	pending []byte
	done    bool
	// beforeBlank, when set, is sent before the blank line that ends
	// the header (the field that BINARY puts in place of a removed one).
	beforeBlank []byte
}

func newHeaderFilter(r io.ReaderAt, start, end int64, fields []string, not bool) *headerFilter {
	return &headerFilter{s: newScanner(r, start, end, nil), end: end, fields: fields, not: not}
}

func (h *headerFilter) Read(p []byte) (int, error) {
	for len(h.pending) == 0 {
		if h.done {
			return 0, io.EOF
		}
		f, err := h.s.next()
		if err == io.EOF {
			h.done = true
			continue
		}
		if err != nil {
			return 0, err
		}
		d := f.data
		if f.lineStart {
			switch {
			case isBlankLine(d):
				h.include = true // the blank line is always sent
				h.done = true
				if h.beforeBlank != nil {
					d = append(h.beforeBlank[:len(h.beforeBlank):len(h.beforeBlank)], d...)
				}
			case d[0] == ' ' || d[0] == '\t':
				// a continuation keeps the field's choice
			default:
				name := d
				if colon := bytes.IndexByte(d, ':'); colon >= 0 {
					name = bytes.TrimRight(d[:colon], " \t")
				} else {
					name = nil // not a field: only .NOT keeps it
				}
				h.include = h.not
				if name != nil {
					for _, f := range h.fields {
						if fieldNameIs(name, f) {
							h.include = !h.not
							break
						}
					}
				}
			}
		}
		if h.include {
			h.pending = d
		}
	}
	n := copy(p, h.pending)
	h.pending = h.pending[n:]
	return n, nil
}

// binary returns the decoded content of a BINARY[part] (RFC 3516).
func (m *message) binary(path []int, pt partial) (io.Reader, int64, error) {
	n, err := m.BinarySize(path)
	if err != nil {
		return nil, 0, err
	}
	r, err := m.binaryReader(path)
	if err != nil {
		return nil, 0, err
	}
	if rr, ok := r.(*rangeReader); ok {
		return applyPartial(rr, n, pt)
	}
	return applyPartial(r, n, pt)
}

// BinarySize returns the size of the decoded content of a part, for
// BINARY.SIZE[part] (RFC 3516 4.2). It decodes the part to count.
func (m *message) BinarySize(path []int) (int64, error) {
	r, err := m.binaryReader(path)
	if err != nil {
		return 0, err
	}
	if rr, ok := r.(*rangeReader); ok {
		return rr.Size(), nil
	}
	return io.Copy(io.Discard, r)
}

func (m *message) binaryReader(path []int) (io.Reader, error) {
	if len(path) == 0 {
		// BINARY[]: the whole message, which has no transfer encoding.
		r, _ := m.rangeOf(0, m.size)
		return r, nil
	}
	root, err := m.Structure()
	if err != nil {
		return nil, err
	}
	p := findPart(root, path)
	if p == nil {
		return nil, errNoSection
	}
	if p.IsMultipart() || p.Message != nil {
		// The leaves inside are decoded (RFC 5524 and Dovecot's FETCH
		// BINARY agree on message/rfc822 parts).
		return m.binaryBody(p, false)
	}
	body, _ := m.rangeOf(p.BodyStart, p.End)
	return decodeTransfer(body, p.Encoding, p.Size())
}

// decodeTransfer decodes a Content-Transfer-Encoding; size is the size of
// the encoded data, to size buffers.
func decodeTransfer(r io.Reader, enc string, size int64) (io.Reader, error) {
	switch {
	case identityEncoding(enc) || enc == "":
		return r, nil
	case equalFoldASCII(enc, "base64"):
		return newBase64Decoder(r, size), nil
	case equalFoldASCII(enc, "quoted-printable"):
		return newQPDecoder(r, size), nil
	}
	return nil, errUnknownCTE
}
