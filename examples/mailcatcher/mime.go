package main

import (
	"bufio"
	"errors"
	"io"
	"strings"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-message/textproto"
)

// Bounds of a MIME walk: a message is a tree that the sender shapes, so
// its depth and its number of parts are capped (DESIGN.md: bad input).
const (
	maxPartDepth = 20
	maxParts     = 1000
)

var errTooManyParts = errors.New("mailcatcher: MIME structure nested too deep or with too many parts")

// part is one leaf of a message's MIME tree.
type part struct {
	Index       int    // position among the leaves, from 1
	Type        string // media type in lower case, "text/plain" when absent
	Filename    string // decoded; "" when none
	ContentID   string // without the angle brackets; "" when none
	Disposition string // "attachment", "inline" or ""

	header message.Header
}

// isBody reports whether the part can be the text or HTML body of the
// message: a text part that the sender did not mark as an attachment.
func (p *part) isBody(mediaType string) bool {
	return p.Type == mediaType && p.Disposition != "attachment" && p.Filename == ""
}

// decode returns the part's content with its transfer encoding undone.
// With charset, a text part is converted to UTF-8 too; without, the bytes
// are those the sender encoded, as an attachment is downloaded.
func (p *part) decode(body io.Reader, charset bool) io.Reader {
	h := message.Header{Header: p.header.Header.Copy()}
	if !charset {
		// message.New converts only what the Content-Type names.
		t, params, _ := h.ContentType()
		delete(params, "charset")
		h.SetContentType(t, params)
	}
	// An unknown encoding or charset still gives a readable entity.
	e, _ := message.New(h, body)
	if e == nil {
		return body
	}
	return e.Body
}

// walkParts calls visit for each leaf part of the message in r, in order,
// with the part's body still transfer-encoded; it stops when visit returns
// false. A message/rfc822 part is a leaf: an attached message is offered
// as a file, not opened. It returns the message's header. A malformed
// header line ends the header and the walk goes on with the rest, as a
// reader would see it: the error says what was wrong.
func walkParts(r io.Reader, visit func(p *part, body io.Reader) bool) (textproto.Header, error) {
	br := bufio.NewReader(r)
	h, herr := textproto.ReadHeader(br)
	if herr == io.EOF {
		herr = nil // a message without a body
	}
	w := &partWalker{visit: visit}
	_, err := w.walk(h, br, 0)
	if herr != nil {
		err = herr
	}
	return h, err
}

type partWalker struct {
	visit func(*part, io.Reader) bool
	n     int
}

// walk visits the entity with header h and body r; it returns false when
// the visit is to stop.
func (w *partWalker) walk(h textproto.Header, r io.Reader, depth int) (bool, error) {
	mh := message.Header{Header: h}
	t, params, err := mh.ContentType()
	if err != nil {
		t = "application/octet-stream" // unparsable: offered as a file
	}
	t = strings.ToLower(t)
	if strings.HasPrefix(t, "multipart/") && params["boundary"] != "" {
		if depth >= maxPartDepth {
			return false, errTooManyParts
		}
		mr := textproto.NewMultipartReader(r, params["boundary"])
		for {
			p, err := mr.NextPart()
			if err == io.EOF {
				return true, nil
			}
			if err != nil {
				return false, err
			}
			if more, err := w.walk(p.Header, p, depth+1); !more || err != nil {
				return more, err
			}
		}
	}
	if w.n++; w.n > maxParts {
		return false, errTooManyParts
	}
	p := &part{Index: w.n, Type: t, header: mh}
	p.Disposition, _, _ = mh.ContentDisposition()
	p.Disposition = strings.ToLower(p.Disposition)
	ah := mail.AttachmentHeader{Header: mh}
	p.Filename, _ = ah.Filename()
	p.ContentID = strings.Trim(mh.Get("Content-Id"), "<> \t")
	return w.visit(p, r), nil
}
