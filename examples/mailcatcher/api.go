package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

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

// withMessage runs h for the message named by the path's {id}, or
// answers 400 or 404.
func (c *Catcher) withMessage(h func(http.ResponseWriter, *http.Request, *mailbox.Folder, mailbox.MessageInfo)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := strconv.ParseUint(r.PathValue("id"), 10, 32)
		if err != nil {
			http.Error(w, "bad message id", http.StatusBadRequest)
			return
		}
		f, err := c.Store.OpenFolder(r.Context(), User, mailbox.Inbox)
		if err != nil {
			httpError(w, err)
			return
		}
		defer f.Close()
		if m, ok := findMessage(f, uint32(id)); ok {
			h(w, r, f, m)
			return
		}
		http.Error(w, "no such message", http.StatusNotFound)
	}
}

// findMessage returns the message with the UID in f.
func findMessage(f *mailbox.Folder, uid uint32) (mailbox.MessageInfo, bool) {
	msgs := f.Messages()
	// Messages are in UID order.
	lo, hi := 0, len(msgs)
	for lo < hi {
		mid := (lo + hi) / 2
		if msgs[mid].UID < uid {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	if lo < len(msgs) && msgs[lo].UID == uid {
		return msgs[lo], true
	}
	return mailbox.MessageInfo{}, false
}

// open returns the raw message, bounded by MaxSize.
func (c *Catcher) open(ctx context.Context, f *mailbox.Folder, m mailbox.MessageInfo) (io.ReadCloser, error) {
	mr, err := f.Open(ctx, m.UID)
	if err != nil {
		return nil, err
	}
	return struct {
		io.Reader
		io.Closer
	}{io.LimitReader(mr, c.maxSize()), mr}, nil
}

// readMessage returns a message's entry and content; with images, the
// content keeps the inline images for the HTML view.
func (c *Catcher) readMessage(ctx context.Context, f *mailbox.Folder, m mailbox.MessageInfo, images bool) (*entry, *content, error) {
	e, err := c.index.get(ctx, f, m)
	if err != nil {
		return nil, nil, err
	}
	mr, err := c.open(ctx, f, m)
	if err != nil {
		return nil, nil, err
	}
	defer mr.Close()
	return e, readContent(mr, images), nil
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

// deleteAll expunges every message and returns how many.
func (c *Catcher) deleteAll(ctx context.Context) (int, error) {
	f, err := c.Store.OpenFolder(ctx, User, mailbox.Inbox)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	var uids []uint32
	for _, m := range f.Messages() {
		uids = append(uids, m.UID)
	}
	return len(uids), deleteMessages(ctx, f, uids...)
}

// deleteMessages expunges the messages with the UIDs.
func deleteMessages(ctx context.Context, f *mailbox.Folder, uids ...uint32) error {
	if len(uids) == 0 {
		return nil
	}
	set := mailbox.UIDSetOf(uids...)
	if _, err := f.SetFlags(ctx, set, mailbox.FlagsAdd, []string{`\Deleted`}, nil); err != nil {
		return err
	}
	_, err := f.Expunge(ctx, set)
	return err
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

// apiWait long-polls for a message matching the to and subject parameters
// (case-insensitive substrings of an envelope recipient and of the subject;
// empty matches all). It looks at messages already there first, so a test
// may start waiting after sending.
func (c *Catcher) apiWait(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	to, subject := strings.ToLower(q.Get("to")), strings.ToLower(q.Get("subject"))
	timeout := 10 * time.Second
	if t := q.Get("timeout"); t != "" {
		d, err := time.ParseDuration(t)
		if err != nil || d < 0 || d > 10*time.Minute {
			http.Error(w, "bad timeout (a Go duration up to 10m)", http.StatusBadRequest)
			return
		}
		timeout = d
	}
	ctx, cancel := context.WithTimeout(r.Context(), timeout)
	defer cancel()
	// Subscribe before looking, so that nothing arrives unseen between.
	sub := c.Store.Watch(User, mailbox.Inbox)
	defer sub.Close()
	var after uint32 // UIDs up to after have been looked at
	for {
		f, err := c.Store.OpenFolder(ctx, User, mailbox.Inbox)
		if err != nil {
			break
		}
		for _, m := range f.Messages() {
			if m.UID <= after {
				continue
			}
			after = m.UID
			e, err := c.index.get(ctx, f, m)
			if err != nil || !waitMatches(e, to, subject) {
				continue // expunged meanwhile, or another message
			}
			d, err := c.detail(ctx, f, m)
			f.Close()
			if err != nil {
				httpError(w, err)
				return
			}
			writeJSON(w, http.StatusOK, d)
			return
		}
		f.Close()
		select {
		case <-sub.Ready():
			sub.Changes()
			continue
		case <-ctx.Done():
		}
		break
	}
	if r.Context().Err() == nil {
		http.Error(w, "no matching message before the timeout", http.StatusGatewayTimeout)
	}
}

func waitMatches(e *entry, to, subject string) bool {
	if subject != "" && !strings.Contains(e.subject, subject) {
		return false
	}
	if to == "" {
		return true
	}
	for _, t := range e.To {
		if strings.Contains(strings.ToLower(t), to) {
			return true
		}
	}
	return false
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
