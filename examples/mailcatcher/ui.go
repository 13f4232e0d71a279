package main

import (
	"bytes"
	"embed"
	"html/template"
	"io"
	"io/fs"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/mailwright/mailwright/mailbox"
	"github.com/mailwright/mailwright/smtp/smtptest"
)

//go:embed ui/templates/*.html ui/static/*
var uiFiles embed.FS

var pageTemplates = template.Must(template.New("").Funcs(templateFuncs).ParseFS(uiFiles, "ui/templates/*.html"))

// pageCSP is the Content-Security-Policy of the catcher's own pages: only
// their own scripts, styles and frames.
const pageCSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"frame-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"

func (c *Catcher) routeUI(mux *http.ServeMux) {
	static, _ := fs.Sub(uiFiles, "ui/static")
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	mux.HandleFunc("GET /{$}", c.pageList)
	mux.HandleFunc("GET /list", c.listFragment)
	mux.HandleFunc("GET /events", c.events)
	mux.HandleFunc("GET /messages/{id}", c.withMessage(c.pageMessage))
	mux.HandleFunc("GET /messages/{id}/body.html", c.withMessage(c.frameHTML))
	mux.HandleFunc("GET /messages/{id}/parts/{part}", c.withMessage(c.downloadPart))
	mux.HandleFunc("GET /messages/{id}/source.eml", c.withMessage(func(w http.ResponseWriter, r *http.Request, f *mailbox.Folder, m mailbox.MessageInfo) {
		c.serveRaw(w, r, f, m, true)
	}))
	mux.HandleFunc("POST /messages/{id}/delete", c.withMessage(c.formDelete))
	mux.HandleFunc("POST /messages/{id}/release", c.withMessage(c.formRelease))
	mux.HandleFunc("POST /messages/delete", c.formDeleteAll)
	mux.HandleFunc("POST /faults", c.formAddFault)
	mux.HandleFunc("POST /faults/clear", c.formClearFaults)
	mux.HandleFunc("POST /faults/{i}/delete", c.formRemoveFault)
}

// pageList shows the list alone.
func (c *Catcher) pageList(w http.ResponseWriter, r *http.Request) {
	v, err := c.newPageView(r, 0)
	if err != nil {
		httpError(w, err)
		return
	}
	c.render(w, http.StatusOK, "page", v)
}

// listFragment renders the list as the page shows it, for the page's
// script to replace the list when mail arrives.
func (c *Catcher) listFragment(w http.ResponseWriter, r *http.Request) {
	selected, _ := strconv.ParseUint(r.FormValue("selected"), 10, 32)
	lv, err := c.newListView(r, uint32(selected))
	if err != nil {
		httpError(w, err)
		return
	}
	c.render(w, http.StatusOK, "list", lv)
}

// pageMessage shows the list and one message, which it marks as read.
func (c *Catcher) pageMessage(w http.ResponseWriter, r *http.Request, f *mailbox.Folder, m mailbox.MessageInfo) {
	c.renderMessage(w, r, f, m, http.StatusOK, nil)
}

// renderMessage renders the message page; edit, if not nil, adds to the
// view (the outcome of a form).
func (c *Catcher) renderMessage(w http.ResponseWriter, r *http.Request, f *mailbox.Folder, m mailbox.MessageInfo, status int, edit func(*messageView)) {
	if !m.HasFlag(mailbox.FlagSeen) {
		f.SetFlags(r.Context(), mailbox.UIDSetOf(m.UID), mailbox.FlagsAdd, []string{mailbox.FlagSeen}, nil)
	}
	v, err := c.newPageView(r, m.UID)
	if err != nil {
		httpError(w, err)
		return
	}
	if v.Message, err = c.newMessageView(r.Context(), f, m, r.FormValue("view")); err != nil {
		httpError(w, err)
		return
	}
	if edit != nil {
		edit(v.Message)
	}
	c.render(w, status, "page", v)
}

// render executes a template into a buffer, so that an error is a 500
// and not half a page, and writes it with the page's security headers.
func (c *Catcher) render(w http.ResponseWriter, status int, name string, data any) {
	var b bytes.Buffer
	if err := pageTemplates.ExecuteTemplate(&b, name, data); err != nil {
		slog.Error("mailcatcher: template", "name", name, "err", err)
		http.Error(w, "template error", http.StatusInternalServerError)
		return
	}
	setHTMLHeaders(w, pageCSP, "same-origin")
	w.WriteHeader(status)
	w.Write(b.Bytes())
}

// setHTMLHeaders sets the headers of an HTML response: its policy and
// referrer policy, no type sniffing, no caching (the mailbox changes).
func setHTMLHeaders(w http.ResponseWriter, csp, referrer string) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", csp)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", referrer)
	h.Set("Cache-Control", "no-store")
}

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

func (c *Catcher) formDelete(w http.ResponseWriter, r *http.Request, f *mailbox.Folder, m mailbox.MessageInfo) {
	if err := deleteMessages(r.Context(), f, m.UID); err != nil {
		httpError(w, err)
		return
	}
	http.Redirect(w, r, "/?"+listParams(r).Encode(), http.StatusSeeOther)
}

func (c *Catcher) formDeleteAll(w http.ResponseWriter, r *http.Request) {
	if _, err := c.deleteAll(r.Context()); err != nil {
		httpError(w, err)
		return
	}
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// formRelease releases the message to the recipients of the form and
// shows the outcome on the message's page.
func (c *Catcher) formRelease(w http.ResponseWriter, r *http.Request, f *mailbox.Folder, m mailbox.MessageInfo) {
	to := strings.FieldsFunc(r.PostFormValue("to"), isListSeparator)
	res, err := c.release(r.Context(), f, m, to)
	status := http.StatusOK
	if err != nil {
		status = http.StatusBadGateway
	}
	c.renderMessage(w, r, f, m, status, func(v *messageView) {
		v.Released = res
		if err != nil {
			v.ReleaseError = err.Error()
		}
	})
}

func (c *Catcher) formAddFault(w http.ResponseWriter, r *http.Request) {
	spec, err := faultForm(r)
	if err == nil {
		var f smtptest.Fault
		if f, err = spec.fault(c.Faults.Messages()); err == nil {
			c.Faults.Inject(f)
		}
	}
	if err != nil {
		v, verr := c.newPageView(r, 0)
		if verr != nil {
			httpError(w, verr)
			return
		}
		v.FaultError, v.FaultForm = err.Error(), spec
		c.render(w, http.StatusBadRequest, "page", v)
		return
	}
	http.Redirect(w, r, backURL(r), http.StatusSeeOther)
}

func (c *Catcher) formClearFaults(w http.ResponseWriter, r *http.Request) {
	c.Faults.Clear()
	http.Redirect(w, r, backURL(r), http.StatusSeeOther)
}

func (c *Catcher) formRemoveFault(w http.ResponseWriter, r *http.Request) {
	i, err := strconv.Atoi(r.PathValue("i"))
	if err != nil || !c.Faults.Remove(i) {
		http.Error(w, "no such fault", http.StatusNotFound)
		return
	}
	http.Redirect(w, r, backURL(r), http.StatusSeeOther)
}

// backURL is the page a form returns to: its "back" field when that is a
// path of this site (never another site's URL: no open redirect).
func backURL(r *http.Request) string {
	b := r.PostFormValue("back")
	if !strings.HasPrefix(b, "/") || strings.HasPrefix(b, "//") || strings.HasPrefix(b, `/\`) || strings.ContainsAny(b, "\r\n") {
		return "/"
	}
	return b
}
