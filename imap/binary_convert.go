package imap

import (
	"io"
)

// cteBinary replaces the Content-Transfer-Encoding field of a part whose
// body BINARY decodes.
const cteBinary = "Content-Transfer-Encoding: binary\r\n"

// binarySegment is one piece of a converted body: raw bytes [start, end)
// of the message, or, for part, its decoded body (hdr false) or its header
// without Content-Transfer-Encoding and with cteBinary (hdr true).
type binarySegment struct {
	start, end int64
	part       *Part
	hdr        bool
}

// binaryBody returns the content of BINARY[part] (RFC 3516 4.1, and the
// BINARY of URLFETCH, RFC 5524): a leaf's body decoded from its
// Content-Transfer-Encoding; for a multipart or message/rfc822 part (and
// the whole message) its body with every leaf inside decoded and that
// leaf's Content-Transfer-Encoding field rewritten to "binary", as
// Dovecot does, so that the result is still a valid MIME entity. Only
// what needs decoding is decoded: a part with no encoded leaf comes back
// as a byte range of the message. errUnknownCTE reports a leaf the server
// cannot decode.
func (m *message) binaryBody(p *Part, includeHdr bool) (io.Reader, error) {
	segs, err := appendBinarySegments(nil, p, includeHdr)
	if err != nil {
		return nil, err
	}
	if len(segs) == 1 && segs[0].part == nil {
		r, _ := m.rangeOf(segs[0].start, segs[0].end)
		return r, nil
	}
	return &binaryReader{m: m, segs: segs}, nil
}

// appendBinarySegments lists the pieces of p's converted form.
func appendBinarySegments(segs []binarySegment, p *Part, includeHdr bool) ([]binarySegment, error) {
	leaf := !p.IsMultipart() && p.Message == nil
	decode := false
	if leaf && p.Encoding != "" && !identityEncoding(p.Encoding) {
		if !equalFoldASCII(p.Encoding, "base64") && !equalFoldASCII(p.Encoding, "quoted-printable") {
			return nil, errUnknownCTE
		}
		decode = true
	}
	if includeHdr {
		if decode {
			segs = append(segs, binarySegment{part: p, hdr: true})
		} else {
			segs = appendRaw(segs, p.HeaderStart, p.BodyStart)
		}
	}
	switch {
	case p.IsMultipart():
		cur := p.BodyStart
		for _, c := range p.Children {
			segs = appendRaw(segs, cur, c.HeaderStart)
			var err error
			if segs, err = appendBinarySegments(segs, c, true); err != nil {
				return nil, err
			}
			cur = c.End
		}
		segs = appendRaw(segs, cur, p.End)
	case p.Message != nil:
		segs = appendRaw(segs, p.BodyStart, p.Message.HeaderStart)
		var err error
		if segs, err = appendBinarySegments(segs, p.Message, true); err != nil {
			return nil, err
		}
		segs = appendRaw(segs, p.Message.End, p.End)
	case decode:
		if p.End > p.BodyStart {
			segs = append(segs, binarySegment{part: p})
		}
	default:
		segs = appendRaw(segs, p.BodyStart, p.End)
	}
	return segs, nil
}

// appendRaw adds the byte range [start, end), merged with a raw range it
// continues.
func appendRaw(segs []binarySegment, start, end int64) []binarySegment {
	if end <= start {
		return segs
	}
	if n := len(segs); n > 0 && segs[n-1].part == nil && segs[n-1].end == start {
		segs[n-1].end = end
		return segs
	}
	return append(segs, binarySegment{start: start, end: end})
}

// binaryReader reads the segments in turn, opening each when it is
// reached, so that only one decoder is alive at a time.
type binaryReader struct {
	m    *message
	segs []binarySegment
	cur  io.Reader
}

func (r *binaryReader) Read(b []byte) (int, error) {
	for {
		if r.cur == nil {
			if len(r.segs) == 0 {
				return 0, io.EOF
			}
			r.cur = r.m.openSegment(r.segs[0])
			r.segs = r.segs[1:]
		}
		n, err := r.cur.Read(b)
		if err == io.EOF {
			r.cur = nil
			if n > 0 {
				return n, nil
			}
			continue
		}
		return n, err
	}
}

func (m *message) openSegment(s binarySegment) io.Reader {
	switch {
	case s.part == nil:
		r, _ := m.rangeOf(s.start, s.end)
		return r
	case s.hdr:
		h := newHeaderFilter(m.r, s.part.HeaderStart, s.part.BodyStart, []string{"Content-Transfer-Encoding"}, true)
		h.beforeBlank = []byte(cteBinary)
		return h
	}
	body, _ := m.rangeOf(s.part.BodyStart, s.part.End)
	r, _ := decodeTransfer(body, s.part.Encoding, s.part.Size())
	return r
}

// binaryStructure returns a copy of the structure of p in which the size
// and line count of every part are those of its BINARY form, for
// URLFETCH BODYPARTSTRUCTURE with BINARY (RFC 5524 3, as Dovecot reports
// it: the encoding names stay as written).
func (m *message) binaryStructure(p *Part) (*Part, error) {
	c := *p
	if p.IsMultipart() {
		c.Children = make([]*Part, len(p.Children))
		for i, ch := range p.Children {
			var err error
			if c.Children[i], err = m.binaryStructure(ch); err != nil {
				return nil, err
			}
		}
		return &c, nil
	}
	if p.Message != nil {
		var err error
		if c.Message, err = m.binaryStructure(p.Message); err != nil {
			return nil, err
		}
	}
	r, err := m.binaryBody(p, false)
	if err != nil {
		return nil, err
	}
	size, lines, err := countLines(r)
	if err != nil {
		return nil, err
	}
	c.BodyStart, c.End, c.Lines = 0, size, lines
	return &c, nil
}

// countLines reads r to its end and counts its bytes and line feeds.
func countLines(r io.Reader) (size, lines int64, err error) {
	buf := make([]byte, 8<<10)
	for {
		n, err := r.Read(buf)
		size += int64(n)
		for _, c := range buf[:n] {
			if c == '\n' {
				lines++
			}
		}
		if err == io.EOF {
			return size, lines, nil
		}
		if err != nil {
			return size, lines, err
		}
	}
}
