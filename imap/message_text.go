package imap

import (
	"errors"
	"io"
)

// BodyText calls fn with the decoded text of the body, piece by piece:
// every text/* part with its transfer encoding removed and its charset
// converted to UTF-8, and the header of every encapsulated message,
// decoded. Other parts are skipped. Pieces of different parts are
// separated by a line feed. A piece is valid only until fn returns. If fn
// returns an error, BodyText stops and returns it.
func (m *message) BodyText(fn func([]byte) error) error {
	root, err := m.Structure()
	if err != nil {
		return err
	}
	// The scan buffer is free again once the structure is known; the
	// pieces handed to fn are read into it.
	return m.walkText(root, true, m.scanBuf(), fn, 0)
}

func (m *message) walkText(p *Part, top bool, buf []byte, fn func([]byte) error, depth int) error {
	if depth > 2*m.Limits.maxDepth()+2 {
		return nil // deeper than the parser goes: a hand-made structure
	}
	switch {
	case p.IsMultipart():
		for _, c := range p.Children {
			if err := m.walkText(c, false, buf, fn, depth+1); err != nil {
				return err
			}
		}
		return nil
	case p.Message != nil:
		h, _, err := readHeader(m.r, p.Message.HeaderStart, p.Message.BodyStart, m.Limits, buf)
		if err != nil {
			return err
		}
		if err := fn(headerText(nil, h)); err != nil {
			return err
		}
		return m.walkText(p.Message, true, buf, fn, depth+1)
	case !equalFoldASCII(p.Type, "text"):
		return nil
	}
	body, _ := m.rangeOf(p.BodyStart, p.End)
	r, err := decodeTransfer(body, p.Encoding, p.Size())
	if err != nil {
		r = body // unknown encoding: search the raw text
	}
	if cs := p.Param("charset"); !isUTF8Charset(cs) {
		if cr, err := charsetReader(cs, r); err == nil {
			r = cr
		}
	}
	for {
		n, err := r.Read(buf)
		if n > 0 {
			if ferr := fn(buf[:n]); ferr != nil {
				return ferr
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			// A charset conversion error ends this part, not the search.
			if errors.Is(err, io.ErrUnexpectedEOF) || !isReadAtError(err) {
				break
			}
			return err
		}
	}
	return fn([]byte{'\n'})
}

// readAtError marks errors from the message's ReaderAt.
type readAtError struct{ err error }

func (e readAtError) Error() string { return e.err.Error() }
func (e readAtError) Unwrap() error { return e.err }

func isReadAtError(err error) bool {
	var re readAtError
	return errors.As(err, &re)
}
