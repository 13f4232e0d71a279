package main

import (
	"bytes"
	"embed"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/mailwright/mailwright/mailbox"
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
