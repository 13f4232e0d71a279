package main

import (
	"bytes"
	"io"
	"strconv"
	"strings"

	"github.com/emersion/go-message/textproto"
)

// Bounds of what a view holds in memory: the page shows the start of a long
// body (the raw source has the rest), and the images that an HTML body
// shows inline are sent with it.
const (
	maxBodyBytes   = 2 << 20
	maxInlineBytes = 8 << 20
)

// content is what the message view shows of a message.
type content struct {
	Header    textproto.Header
	Text      string       // the first text/plain body, in UTF-8
	HTML      string       // the first text/html body, in UTF-8
	Truncated bool         // Text or HTML stops at maxBodyBytes
	Files     []Attachment // every other leaf part, attachments and inline images
	// Damage says why the MIME structure was not read to its end (a
	// malformed or over-deep message); what was read before is shown.
	Damage string
	images map[string]inlineImage
}

// Attachment describes one part that the page offers as a download, at
// /messages/{id}/parts/{part}.
type Attachment struct {
	Part      int    `json:"part"`     // the part's index among the leaves, from 1
	Filename  string `json:"filename"` // as the sender named it; "" when none
	Type      string `json:"content_type"`
	Size      int64  `json:"size"` // decoded bytes
	ContentID string `json:"content_id,omitempty"`
}

// inlineImage is an image part that the HTML body refers to by cid:.
type inlineImage struct {
	Type string
	Data []byte
}

// Name returns the attachment's file name, or one made from its part
// number and media type.
func (a Attachment) Name() string {
	if a.Filename != "" {
		return a.Filename
	}
	ext := "bin"
	if _, sub, ok := strings.Cut(a.Type, "/"); ok && isToken(sub) && len(sub) <= 10 {
		ext = sub
	}
	return "part" + strconv.Itoa(a.Part) + "." + ext
}

// readContent reads a message's bodies and the list of its other parts;
// with images it also keeps the images that have a Content-ID, for the
// HTML view. A malformed message gives what could be read (and Damage):
// the catcher shows what applications send, broken or not.
func readContent(r io.Reader, images bool) *content {
	c := &content{}
	inlineBudget := int64(maxInlineBytes)
	var picked bodies
	var err error
	c.Header, err = walkParts(r, func(p *part, body io.Reader) bool {
		switch picked.pick(p) {
		case "text/plain":
			c.Text = c.readBody(p, body)
			return true
		case "text/html":
			c.HTML = c.readBody(p, body)
			return true
		}
		a := Attachment{Part: p.Index, Filename: p.Filename, Type: p.Type, ContentID: p.ContentID}
		var data bytes.Buffer
		var sink io.Writer = io.Discard
		keep := images && p.ContentID != "" && strings.HasPrefix(p.Type, "image/")
		if keep {
			sink = &data
		}
		// A decoding error (bad base64) ends the part: the size is what
		// decoded.
		a.Size, _ = io.Copy(sink, p.decode(body, false))
		if keep && a.Size <= inlineBudget {
			inlineBudget -= a.Size
			if c.images == nil {
				c.images = map[string]inlineImage{}
			}
			c.images[p.ContentID] = inlineImage{Type: p.Type, Data: data.Bytes()}
		}
		c.Files = append(c.Files, a)
		return true
	})
	if err != nil {
		c.Damage = err.Error()
	}
	return c
}

// bodies picks the bodies of a message as a walk meets its parts: the
// first text/plain and the first text/html part that are not attachments.
// Every other leaf is a file.
type bodies struct{ text, html bool }

// pick returns the body type p is, "text/plain" or "text/html", or "" for
// a file.
func (b *bodies) pick(p *part) string {
	switch {
	case !b.text && p.isBody("text/plain"):
		b.text = true
		return p.Type
	case !b.html && p.isBody("text/html"):
		b.html = true
		return p.Type
	}
	return ""
}

// readBody reads a body part as UTF-8, up to maxBodyBytes; a decoding
// error ends it.
func (c *content) readBody(p *part, body io.Reader) string {
	b, _ := io.ReadAll(io.LimitReader(p.decode(body, true), maxBodyBytes+1))
	if len(b) > maxBodyBytes {
		b = b[:maxBodyBytes]
		c.Truncated = true
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}

// isToken reports whether s is a short run of letters and digits, safe in
// a file name.
func isToken(s string) bool {
	for _, r := range s {
		if !('a' <= r && r <= 'z' || '0' <= r && r <= '9') {
			return false
		}
	}
	return s != ""
}
