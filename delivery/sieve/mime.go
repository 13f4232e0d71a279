package sieve

import (
	"bytes"
	"encoding/base64"
	"html"
	"io"
	"mime"
	"mime/quotedprintable"
	"regexp"
	"strings"

	"github.com/emersion/go-message/charset"
)

// bodyPart is one part of the message body as the body test sees it
// (RFC 5173 5): its content type and its decoded content.
type bodyPart struct {
	contentType string // "type/subtype", lower case
	content     string
	container   bool // a multipart's preamble or epilogue
}

const maxMIMEDepth = 20

// parts returns the body parts, read once per run: the body is read up
// to Limits.MaxBodySize and split into at most Limits.MaxMIMEParts
// parts.
func (r *run) parts() []bodyPart {
	if r.bodyRead {
		return r.bodyParts
	}
	r.bodyRead = true
	body, _ := io.ReadAll(io.LimitReader(r.msg.Body(), int64(r.limits().maxBodySize())))
	p := &mimeParser{max: r.limits().maxMIMEParts()}
	p.entity(r.header, body, "text/plain", 0)
	r.bodyParts = p.out
	return p.out
}

// rawBody returns the undecoded body, up to Limits.MaxBodySize.
func (r *run) rawBody() string {
	body, _ := io.ReadAll(io.LimitReader(r.msg.Body(), int64(r.limits().maxBodySize())))
	return string(body)
}

type mimeParser struct {
	max int
	out []bodyPart
}

func (p *mimeParser) add(b bodyPart) bool {
	if len(p.out) >= p.max {
		return false
	}
	p.out = append(p.out, b)
	return true
}

// entity adds the parts of one MIME entity with the given header and
// body (RFC 2045, RFC 2046).
func (p *mimeParser) entity(header []Field, body []byte, defaultType string, depth int) {
	ctype, params := defaultType, map[string]string{}
	cte := ""
	for _, f := range header {
		switch strings.ToLower(f.Name) {
		case "content-type":
			if t, ps, err := mime.ParseMediaType(unfold(f.Value)); err == nil && strings.Contains(t, "/") {
				ctype, params = t, ps
			}
		case "content-transfer-encoding":
			cte = strings.ToLower(unfold(f.Value))
		}
	}
	switch {
	case strings.HasPrefix(ctype, "multipart/") && params["boundary"] != "" && depth < maxMIMEDepth:
		sub := "text/plain"
		if ctype == "multipart/digest" {
			sub = "message/rfc822"
		}
		preamble, parts, epilogue := splitMultipart(body, params["boundary"])
		if !p.add(bodyPart{contentType: ctype, content: string(preamble), container: true}) {
			return
		}
		for _, part := range parts {
			m := NewMessage(part)
			p.entity(m.Header, part[m.bodyOff:], sub, depth+1)
		}
		if len(epilogue) > 0 {
			p.add(bodyPart{contentType: ctype, content: string(epilogue), container: true})
		}
	case ctype == "message/rfc822" && depth < maxMIMEDepth:
		// As Pigeonhole: the enclosed header is the content of this
		// part, and its body the next parts.
		m := NewMessage(body)
		if !p.add(bodyPart{contentType: ctype, content: string(body[:m.bodyOff])}) {
			return
		}
		p.entity(m.Header, body[m.bodyOff:], "text/plain", depth+1)
	default:
		p.add(bodyPart{contentType: ctype, content: decodeContent(body, cte, ctype, params["charset"])})
	}
}

// splitMultipart splits a multipart body at its boundary delimiter lines
// (RFC 2046 5.1.1).
func splitMultipart(body []byte, boundary string) (preamble []byte, parts [][]byte, epilogue []byte) {
	delim := []byte("--" + boundary)
	var starts []int // offset of each delimiter line
	var ends []int   // offset after each delimiter line
	closed := -1
	for off := 0; off < len(body); {
		lineEnd := bytes.IndexByte(body[off:], '\n')
		next := len(body)
		if lineEnd >= 0 {
			next = off + lineEnd + 1
		}
		line := bytes.TrimRight(body[off:next], " \t\r\n")
		if bytes.HasPrefix(line, delim) {
			rest := line[len(delim):]
			if len(rest) == 0 || bytes.Equal(rest, []byte("--")) {
				starts, ends = append(starts, off), append(ends, next)
				if len(rest) == 2 {
					closed = len(starts) - 1
					break
				}
			}
		}
		off = next
	}
	if len(starts) == 0 {
		return body, nil, nil
	}
	preamble = trimDelimiterCRLF(body[:starts[0]])
	for i := 0; i+1 < len(starts); i++ {
		parts = append(parts, trimDelimiterCRLF(body[ends[i]:starts[i+1]]))
	}
	if closed < 0 {
		// No close delimiter: the last part runs to the end.
		parts = append(parts, body[ends[len(ends)-1]:])
		return preamble, parts, nil
	}
	return preamble, parts, body[ends[closed]:]
}

// trimDelimiterCRLF removes the line break that belongs to the next
// delimiter (RFC 2046 5.1.1).
func trimDelimiterCRLF(b []byte) []byte {
	b = bytes.TrimSuffix(b, []byte("\n"))
	return bytes.TrimSuffix(b, []byte("\r"))
}

// decodeContent undoes the transfer encoding and, for text, converts the
// charset to UTF-8.
func decodeContent(body []byte, cte, ctype, cs string) string {
	var r io.Reader = bytes.NewReader(body)
	switch cte {
	case "base64":
		r = base64.NewDecoder(base64.StdEncoding, &base64Cleaner{r: r})
	case "quoted-printable":
		r = quotedprintable.NewReader(r)
	}
	if strings.HasPrefix(ctype, "text/") && cs != "" && !strings.EqualFold(cs, "utf-8") && !strings.EqualFold(cs, "us-ascii") {
		if cr, err := charset.Reader(cs, r); err == nil {
			r = cr
		}
	}
	out, _ := io.ReadAll(io.LimitReader(r, int64(len(body))*4+16))
	return string(out)
}

// base64Cleaner drops what is not base64 (line breaks, white space), as
// RFC 2045 6.8 has decoders ignore.
type base64Cleaner struct{ r io.Reader }

func (c *base64Cleaner) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	j := 0
	for _, b := range p[:n] {
		if isAlpha(int(b)) && b != '_' || isDigit(int(b)) || b == '+' || b == '/' || b == '=' {
			p[j] = b
			j++
		}
	}
	return j, err
}

var (
	htmlSkip = regexp.MustCompile(`(?is)<(script|style)\b.*?</(script|style)\s*>|<!--.*?-->`)
	htmlTag  = regexp.MustCompile(`(?s)<[^>]*>`)
)

// htmlToText extracts the text of HTML for :text, as Pigeonhole does for
// text/html: markup, scripts and styles removed, entities decoded.
func htmlToText(s string) string {
	s = htmlSkip.ReplaceAllString(s, "")
	s = htmlTag.ReplaceAllString(s, " ")
	return html.UnescapeString(s)
}

// contentMatches reports whether a part's content type is one of the
// :content types (RFC 5173 5.2): "" matches all, "type" its subtypes,
// "type/subtype" itself.
func contentMatches(ctype string, wanted []string) bool {
	for _, w := range wanted {
		w = strings.ToLower(strings.TrimSpace(w))
		switch {
		case w == "":
			return true
		case strings.Contains(w, "/"):
			if w == ctype {
				return true
			}
		case strings.HasPrefix(ctype, w+"/"):
			return true
		}
	}
	return false
}
