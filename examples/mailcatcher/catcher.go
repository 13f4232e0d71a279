package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	// Decode non-UTF-8 charsets in subjects and text parts.
	_ "github.com/emersion/go-message/charset"
	gomail "github.com/emersion/go-message/mail"

	"github.com/mailwright/mailwright/mailbox"
	"github.com/mailwright/mailwright/smtp"
)

// User is the mailbox that catches all mail.
const User = "catcher"

// Catcher stores every message it receives over SMTP in User's INBOX and
// serves the INBOX over HTTP.
type Catcher struct {
	Store *mailbox.Store
	// MaxSize bounds the bytes of a message the API reads.
	MaxSize int64
}

// NewSession implements smtp.Backend: every sender and recipient is
// accepted.
func (c *Catcher) NewSession(ctx context.Context, conn *smtp.Conn) (smtp.Session, error) {
	return &session{c: c}, nil
}

type session struct {
	c    *Catcher
	from string
	to   []string
}

func (s *session) Mail(_ context.Context, from string, _ *smtp.MailOptions) error {
	s.from = from
	return nil
}

func (s *session) Rcpt(_ context.Context, to string, _ *smtp.RcptOptions) error {
	s.to = append(s.to, to)
	return nil
}

// Data stores the message, streamed, after the trace fields a delivery
// agent adds (RFC 5321 section 4.4: Return-Path carries the reverse-path).
func (s *session) Data(ctx context.Context, r io.Reader) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Return-Path: <%s>\r\n", s.from)
	for _, to := range s.to {
		fmt.Fprintf(&b, "Delivered-To: %s\r\n", to)
	}
	_, err := s.c.Store.Append(ctx, User, "INBOX", io.MultiReader(strings.NewReader(b.String()), r), nil)
	return err
}

func (s *session) Reset(context.Context)        { s.from, s.to = "", nil }
func (s *session) Logout(context.Context) error { return nil }

// Summary is one message in the list.
type Summary struct {
	ID      uint32    `json:"id"`
	From    string    `json:"from"`    // envelope sender (Return-Path)
	To      []string  `json:"to"`      // envelope recipients (Delivered-To)
	Subject string    `json:"subject"` // decoded
	Date    time.Time `json:"date"`    // when it was received
	Size    int64     `json:"size"`    // bytes, CRLF line endings, trace fields included
}

// Detail is one message with its content.
type Detail struct {
	Summary
	Headers map[string][]string `json:"headers"`
	Text    string              `json:"text"` // the first inline text part, decoded
}

// Handler returns the HTTP API.
func (c *Catcher) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/messages", c.list)
	mux.HandleFunc("GET /api/messages/{id}", c.get)
	mux.HandleFunc("DELETE /api/messages", c.deleteAll)
	mux.HandleFunc("GET /api/wait", c.wait)
	return mux
}

func (c *Catcher) list(w http.ResponseWriter, r *http.Request) {
	sums, err := c.summaries(r.Context())
	if err != nil {
		httpError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, sums)
}

func (c *Catcher) get(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseUint(r.PathValue("id"), 10, 32)
	if err != nil {
		http.Error(w, "bad message id", http.StatusBadRequest)
		return
	}
	f, err := c.Store.OpenFolder(r.Context(), User, "INBOX")
	if err != nil {
		httpError(w, err)
		return
	}
	defer f.Close()
	for _, m := range f.Messages() {
		if m.UID != uint32(id) {
			continue
		}
		if r.URL.Query().Get("raw") != "" {
			mr, err := f.Open(r.Context(), m.UID)
			if err != nil {
				httpError(w, err)
				return
			}
			defer mr.Close()
			w.Header().Set("Content-Type", "message/rfc822")
			w.Header().Set("Content-Length", strconv.FormatInt(mr.Size(), 10))
			io.Copy(w, mr)
			return
		}
		d, err := c.detail(r.Context(), f, m, true)
		if err != nil {
			httpError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, d)
		return
	}
	http.Error(w, "no such message", http.StatusNotFound)
}

func (c *Catcher) deleteAll(w http.ResponseWriter, r *http.Request) {
	f, err := c.Store.OpenFolder(r.Context(), User, "INBOX")
	if err != nil {
		httpError(w, err)
		return
	}
	defer f.Close()
	var uids []uint32
	for _, m := range f.Messages() {
		uids = append(uids, m.UID)
	}
	all := mailbox.UIDSetOf(uids...)
	if len(uids) == 0 {
		writeJSON(w, http.StatusOK, map[string]int{"deleted": 0})
		return
	}
	if _, err := f.SetFlags(r.Context(), all, mailbox.FlagsAdd, []string{`\Deleted`}, nil); err != nil {
		httpError(w, err)
		return
	}
	n, err := f.Expunge(r.Context(), all)
	if err != nil {
		httpError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]int{"deleted": len(n)})
}

// wait long-polls for a message matching the to and subject parameters
// (case-insensitive substrings; empty matches all). It looks at messages
// already there first, so a test may start waiting after sending.
func (c *Catcher) wait(w http.ResponseWriter, r *http.Request) {
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
	sub := c.Store.Watch(User, "INBOX")
	defer sub.Close()
	var after uint32 // UIDs up to after have been looked at
	for {
		f, err := c.Store.OpenFolder(ctx, User, "INBOX")
		if err != nil {
			break
		}
		for _, m := range f.Messages() {
			if m.UID <= after {
				continue
			}
			after = m.UID
			d, err := c.detail(ctx, f, m, false)
			if err != nil {
				continue // expunged meanwhile
			}
			if matches(d, to, subject) {
				d, err = c.detail(ctx, f, m, true)
				f.Close()
				if err != nil {
					httpError(w, err)
					return
				}
				writeJSON(w, http.StatusOK, d)
				return
			}
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

func matches(d *Detail, to, subject string) bool {
	if subject != "" && !strings.Contains(strings.ToLower(d.Subject), subject) {
		return false
	}
	if to == "" {
		return true
	}
	for _, t := range d.To {
		if strings.Contains(strings.ToLower(t), to) {
			return true
		}
	}
	return false
}

func (c *Catcher) summaries(ctx context.Context) ([]Summary, error) {
	f, err := c.Store.OpenFolder(ctx, User, "INBOX")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sums := []Summary{}
	for _, m := range f.Messages() {
		d, err := c.detail(ctx, f, m, false)
		if err != nil {
			continue // expunged meanwhile
		}
		sums = append(sums, d.Summary)
	}
	return sums, nil
}

// detail reads a message's header and, with text, its first text part.
func (c *Catcher) detail(ctx context.Context, f *mailbox.Folder, m mailbox.MessageInfo, text bool) (*Detail, error) {
	mr, err := f.Open(ctx, m.UID)
	if err != nil {
		return nil, err
	}
	defer mr.Close()
	max := c.MaxSize
	if max <= 0 {
		max = 32 << 20
	}
	rd, err := gomail.CreateReader(bufio.NewReader(io.LimitReader(mr, max)))
	if err != nil && rd == nil {
		return nil, err
	}
	h := rd.Header
	d := &Detail{Summary: Summary{ID: m.UID, Date: m.InternalDate, Size: m.Size, To: []string{}}}
	d.From = strings.Trim(h.Get("Return-Path"), "<> ")
	d.To = append(d.To, h.Values("Delivered-To")...)
	d.Subject, _ = h.Subject()
	if d.Subject == "" {
		d.Subject = h.Get("Subject")
	}
	if !text {
		return d, nil
	}
	d.Headers = map[string][]string{}
	fields := h.Fields()
	for fields.Next() {
		v, err := fields.Text()
		if err != nil {
			v = fields.Value()
		}
		d.Headers[fields.Key()] = append(d.Headers[fields.Key()], v)
	}
	for {
		p, err := rd.NextPart()
		if err != nil {
			break // io.EOF, or a malformed body: show what was read
		}
		if ih, ok := p.Header.(*gomail.InlineHeader); ok {
			ct, _, _ := ih.ContentType()
			if ct == "" || strings.HasPrefix(ct, "text/") {
				b, _ := io.ReadAll(p.Body)
				d.Text = string(b)
				break
			}
		}
	}
	return d, nil
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
