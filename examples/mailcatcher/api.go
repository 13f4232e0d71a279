package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"

	"github.com/mailwright/mailwright/mailbox"
)

// Detail is one message with its content.
type Detail struct {
	Summary
	Headers     map[string][]string `json:"headers"`
	Text        string              `json:"text"` // the text body, decoded; the HTML body when there is no text
	HTML        string              `json:"html"` // the HTML body, decoded, as sent
	Attachments []Attachment        `json:"attachments"`
}

// maxAPIBody bounds the JSON bodies the API reads.
const maxAPIBody = 64 << 10

func (c *Catcher) routeAPI(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/messages", c.apiList)
	mux.HandleFunc("GET /api/messages/{id}", c.withMessage(c.apiGet))
	mux.HandleFunc("DELETE /api/messages", c.apiDeleteAll)
	mux.HandleFunc("DELETE /api/messages/{id}", c.withMessage(c.apiDelete))
	mux.HandleFunc("POST /api/messages/{id}/release", c.withMessage(c.apiRelease))
	mux.HandleFunc("GET /api/wait", c.apiWait)
	mux.HandleFunc("GET /api/faults", c.apiFaults)
	mux.HandleFunc("POST /api/faults", c.apiAddFault)
	mux.HandleFunc("DELETE /api/faults", c.apiClearFaults)
	mux.HandleFunc("DELETE /api/faults/{i}", c.apiRemoveFault)
}

// apiList lists the messages, oldest first, all of them or those that
// match the search q, from offset on, at most limit.
func (c *Catcher) apiList(w http.ResponseWriter, r *http.Request) {
	q, err := parseQuery(r.URL.Query().Get("q"))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	offset, okOffset := formInt(r, "offset", 0, 1<<30)
	limit, okLimit := formInt(r, "limit", 0, 1<<30)
	if !okOffset || !okLimit {
		http.Error(w, "bad offset or limit (a number)", http.StatusBadRequest)
		return
	}
	l, err := c.list(r.Context(), q, false, offset, limit)
	if err != nil {
		httpError(w, err)
		return
	}
	sums := make([]Summary, len(l.Items))
	for i, it := range l.Items {
		sums[i] = it.Summary
	}
	writeJSON(w, http.StatusOK, sums)
}

func (c *Catcher) apiGet(w http.ResponseWriter, r *http.Request, f *mailbox.Folder, m mailbox.MessageInfo) {
	if r.URL.Query().Get("raw") != "" {
		c.serveRaw(w, r, f, m, false)
		return
	}
	d, err := c.detail(r.Context(), f, m)
	if err != nil {
		httpError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, d)
}

// serveRaw writes the message's bytes; as a download, with a file name.
func (c *Catcher) serveRaw(w http.ResponseWriter, r *http.Request, f *mailbox.Folder, m mailbox.MessageInfo, download bool) {
	mr, err := f.Open(r.Context(), m.UID)
	if err != nil {
		httpError(w, err)
		return
	}
	defer mr.Close()
	w.Header().Set("Content-Type", "message/rfc822")
	w.Header().Set("Content-Length", strconv.FormatInt(mr.Size(), 10))
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if download {
		w.Header().Set("Content-Disposition", contentDisposition("message-"+strconv.FormatUint(uint64(m.UID), 10)+".eml"))
	}
	io.Copy(w, mr)
}

// detail reads a message's header fields, bodies and attachments.
func (c *Catcher) detail(ctx context.Context, f *mailbox.Folder, m mailbox.MessageInfo) (*Detail, error) {
	e, ct, err := c.readMessage(ctx, f, m, false)
	if err != nil {
		return nil, err
	}
	d := &Detail{Summary: e.Summary, Headers: map[string][]string{}, Text: ct.Text, HTML: ct.HTML, Attachments: ct.Files}
	if d.Text == "" {
		d.Text = ct.HTML
	}
	if d.Attachments == nil {
		d.Attachments = []Attachment{}
	}
	for _, f := range headerFields(ct.Header) {
		d.Headers[f.Name] = append(d.Headers[f.Name], f.Value)
	}
	return d, nil
}

func (c *Catcher) apiDeleteAll(w http.ResponseWriter, r *http.Request) {
	n, err := c.deleteAll(r.Context())
	if err != nil {
		httpError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]int{"deleted": n})
}

func (c *Catcher) apiDelete(w http.ResponseWriter, r *http.Request, f *mailbox.Folder, m mailbox.MessageInfo) {
	if err := deleteMessages(r.Context(), f, m.UID); err != nil {
		httpError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]int{"deleted": 1})
}

// releaseRequest is the body of POST /api/messages/{id}/release.
type releaseRequest struct {
	To []string `json:"to"` // recipients; none: the message's envelope recipients
}

func (c *Catcher) apiRelease(w http.ResponseWriter, r *http.Request, f *mailbox.Folder, m mailbox.MessageInfo) {
	var req releaseRequest
	if err := readJSON(w, r, &req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	res, err := c.release(r.Context(), f, m, req.To)
	if err != nil {
		releaseError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// formInt reads a non-negative integer parameter up to max; def when
// absent.
func formInt(r *http.Request, name string, def, max int) (int, bool) {
	s := r.FormValue(name)
	if s == "" {
		return def, true
	}
	n, err := strconv.Atoi(s)
	return n, err == nil && n >= 0 && n <= max
}

// readJSON decodes a JSON request body of at most maxAPIBody bytes; an
// empty body leaves v as it is.
func readJSON(w http.ResponseWriter, r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxAPIBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil && err != io.EOF {
		return errors.New("bad JSON body: " + err.Error())
	}
	if dec.More() {
		return errors.New("bad JSON body: more than one value")
	}
	return nil
}

func httpError(w http.ResponseWriter, err error) {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		http.Error(w, err.Error(), http.StatusServiceUnavailable)
		return
	}
	http.Error(w, err.Error(), http.StatusInternalServerError)
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}
