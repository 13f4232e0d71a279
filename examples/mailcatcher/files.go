package main

import (
	"html/template"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/mailwright/mailwright/mailbox"
)

// frameHTML serves a message's HTML for the sandboxed frame (frameCSP).
func (c *Catcher) frameHTML(w http.ResponseWriter, r *http.Request, f *mailbox.Folder, m mailbox.MessageInfo) {
	_, ct, err := c.readMessage(r.Context(), f, m, true)
	if err != nil {
		httpError(w, err)
		return
	}
	if ct.HTML == "" {
		http.Error(w, "no HTML body", http.StatusNotFound)
		return
	}
	s, err := sanitizeHTML(ct.HTML, ct.images)
	if err != nil {
		s.HTML = "<p>This HTML cannot be shown safely (" + template.HTMLEscapeString(err.Error()) + "); its source is in the Source view.</p>"
	}
	setHTMLHeaders(w, frameCSP, "no-referrer")
	w.Header().Set("X-DNS-Prefetch-Control", "off")
	io.WriteString(w, s.HTML)
}

// downloadPart serves a leaf part's content, transfer encoding undone and
// byte for byte otherwise, as an attachment that the browser saves and
// does not render.
func (c *Catcher) downloadPart(w http.ResponseWriter, r *http.Request, f *mailbox.Folder, m mailbox.MessageInfo) {
	n, err := strconv.Atoi(r.PathValue("part"))
	if err != nil || n < 1 {
		http.Error(w, "bad part number", http.StatusBadRequest)
		return
	}
	mr, err := c.open(r.Context(), f, m)
	if err != nil {
		httpError(w, err)
		return
	}
	defer mr.Close()
	found := false
	walkParts(mr, func(p *part, body io.Reader) bool {
		if p.Index != n {
			return true
		}
		found = true
		a := Attachment{Part: p.Index, Filename: p.Filename, Type: p.Type}
		h := w.Header()
		h.Set("Content-Type", downloadType(p.Type))
		h.Set("Content-Disposition", contentDisposition(a.Name()))
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Content-Security-Policy", "sandbox; default-src 'none'")
		h.Set("Cache-Control", "no-store")
		io.Copy(w, p.decode(body, false))
		return false
	})
	if !found {
		http.Error(w, "no such part", http.StatusNotFound)
	}
}

// downloadType is the Content-Type of a download: the part's own when it
// is a well-formed media type.
func downloadType(t string) string {
	if _, _, err := mime.ParseMediaType(t); err != nil || mime.FormatMediaType(t, nil) == "" {
		return "application/octet-stream"
	}
	return t
}

// contentDisposition is an attachment disposition with the file name,
// RFC 2231-encoded when it is not ASCII (RFC 6266 4.3), without the path
// separators and controls a file name must not have.
func contentDisposition(name string) string {
	name = strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f || r == '/' || r == '\\' {
			return '_'
		}
		return r
	}, name)
	if d := mime.FormatMediaType("attachment", map[string]string{"filename": name}); d != "" {
		return d
	}
	return "attachment"
}
