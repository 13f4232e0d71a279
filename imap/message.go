package imap

import (
	"bytes"
	"io"
)

// message is a raw message (RFC 5322) read through an io.ReaderAt, so that
// it can stay in a file: what a command needs is read from it when asked
// (only the header for ENVELOPE, HEADER or a header search; one pass over
// the whole message for BODYSTRUCTURE), and kept for the next request. It
// implements the content part of searchView (Size, Header, BodyText).
// A message is not safe for concurrent use.
type message struct {
	// Limits bound the structure parsing; set them before first use.
	Limits structureLimits

	r    io.ReaderAt
	size int64

	root    *Part
	rootErr error

	hdr       *Header
	hdrEnd    int64
	hdrErr    error
	hdrLoaded bool

	buf []byte // scan buffer, shared by the passes that run to completion
}

func (m *message) scanBuf() []byte {
	if m.buf == nil {
		m.buf = make([]byte, scanBufSize(m.size))
	}
	return m.buf
}

// newMessage returns a message over the size bytes of r.
func newMessage(r io.ReaderAt, size int64) *message {
	return &message{r: r, size: size}
}

// Size returns the size of the message in bytes (RFC822.SIZE).
func (m *message) Size() int64 { return m.size }

// Structure returns the MIME structure, parsing it on first use.
func (m *message) Structure() (*Part, error) {
	if m.root == nil && m.rootErr == nil {
		m.root, m.rootErr = parseStructure(m.r, m.size, m.Limits, m.scanBuf())
	}
	return m.root, m.rootErr
}

// Header returns the top-level header, reading only the header on first
// use. Fields beyond structureLimits.MaxHeaderBytes are left out.
func (m *message) Header() (*Header, error) {
	if !m.hdrLoaded {
		m.hdr, m.hdrEnd, m.hdrErr = readHeader(m.r, 0, m.size, m.Limits, m.scanBuf())
		m.hdrLoaded = true
	}
	return m.hdr, m.hdrErr
}

// Envelope returns the ENVELOPE, from the header only.
func (m *message) Envelope() (*envelope, error) {
	h, err := m.Header()
	if err != nil {
		return nil, err
	}
	return envelopeOf(h), nil
}

// readHeader reads the header that starts at off: all its fields (within
// the limits) and the offset where the body starts.
func readHeader(r io.ReaderAt, off, size int64, limits structureLimits, buf []byte) (*Header, int64, error) {
	s := newScanner(r, off, size, buf)
	h := &Header{}
	budget := limits.maxHeader()
	maxField := limits.maxField()
	var cur []byte
	full := false
	flush := func() {
		if cur == nil {
			return
		}
		if colon := bytes.IndexByte(cur, ':'); colon > 0 {
			name := bytes.TrimRight(cur[:colon], " \t")
			h.Fields = append(h.Fields, HeaderField{Name: string(name), Value: string(trimEOLBytes(cur[colon+1:]))})
		}
		cur = nil
	}
	add := func(d []byte) {
		room := min(maxField-len(cur), budget)
		if room <= 0 {
			full = true
			return
		}
		if len(d) > room {
			d, full = d[:room], true
		}
		budget -= len(d)
		cur = append(cur, d...)
	}
	for {
		f, err := s.next()
		if err != nil {
			flush()
			if err == io.EOF {
				return h, s.off, nil
			}
			return h, s.off, err
		}
		d := f.data
		if !f.lineStart || d[0] == ' ' || d[0] == '\t' {
			if cur != nil && !full {
				add(d)
			}
			continue
		}
		flush()
		if isBlankLine(d) {
			return h, s.off, nil
		}
		if bytes.IndexByte(d, ':') > 0 && budget > 0 {
			cur, full = make([]byte, 0, min(len(d), 256)), false
			add(d)
		}
	}
}

// bodyStart returns where the top-level body starts, reading only the
// header.
func (m *message) bodyStart() (int64, error) {
	if m.root != nil {
		return m.root.BodyStart, nil
	}
	if _, err := m.Header(); err != nil {
		return 0, err
	}
	return m.hdrEnd, nil
}

// findPart resolves a section part number (RFC 9051 6.4.5): the
// parts of a multipart are numbered from 1; a non-multipart entity is its
// own part 1; the numbers after a message/rfc822 part address the parts of
// the encapsulated message.
func findPart(root *Part, path []int) *Part {
	ent := root
	var cur *Part
	for i, n := range path {
		switch {
		case ent.IsMultipart():
			if n < 1 || n > len(ent.Children) {
				return nil
			}
			cur = ent.Children[n-1]
		case n == 1:
			cur = ent
		default:
			return nil
		}
		if i+1 < len(path) {
			switch {
			case cur.Message != nil:
				ent = cur.Message
			case cur.IsMultipart() && cur != ent:
				ent = cur
			default:
				return nil
			}
		}
	}
	return cur
}
