package main

import (
	"context"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-message"
	gomail "github.com/emersion/go-message/mail"
	"github.com/emersion/go-message/textproto"

	"github.com/mailwright/mailwright/mailbox"
	"github.com/mailwright/mailwright/smtp/smtptest"
)

// Sizes of the page: a page of the list, and the start of the source that
// the Source view shows (the download has all of it).
const (
	pageSize       = 50
	maxSourceBytes = 1 << 20
)

// The views of a message, as the tabs name them.
var messageViews = []string{"html", "text", "headers", "source"}

// pageView is what the page template shows.
type pageView struct {
	List       *listView
	Message    *messageView // nil on the list alone
	SMTPAddr   string
	Relay      *Relay
	Faults     []FaultSpec
	FaultForm  FaultSpec // the form's values after an error
	FaultError string
	Stages     []string
	Back       string // this page, for the forms to come back to
}

// listView is the message list as the page shows it.
type listView struct {
	listing
	Query      string
	QueryError string
	Page       int // from 1
	Pages      int
	Selected   uint32
}

// messageView is one message as the page shows it.
type messageView struct {
	*entry
	View            string // one of messageViews
	Views           []string
	Content         *content
	Headers         []headerField
	HeaderFrom      string
	HeaderTo        string
	HeaderCc        string
	HeaderDate      string
	Remote          int // remote references in the HTML, blocked
	Source          string
	SourceTruncated bool
	Released        *ReleaseResult
	ReleaseError    string
}

// headerField is one header field, decoded.
type headerField struct{ Name, Value string }

// headerFields returns the fields of a header in order, their encoded
// words decoded (RFC 2047); a field that does not decode stays as it is.
func headerFields(th textproto.Header) []headerField {
	h := gomail.Header{Header: message.Header{Header: th}}
	var list []headerField
	for fields := h.Fields(); fields.Next(); {
		v, err := fields.Text()
		if err != nil {
			v = fields.Value()
		}
		list = append(list, headerField{fields.Key(), v})
	}
	return list
}

func (c *Catcher) newPageView(r *http.Request, selected uint32) (*pageView, error) {
	lv, err := c.newListView(r, selected)
	if err != nil {
		return nil, err
	}
	v := &pageView{List: lv, SMTPAddr: c.SMTPAddr, Relay: c.Relay, Faults: c.faultSpecs(), Back: r.URL.RequestURI()}
	for st := smtptest.AtConnect; st <= smtptest.AtData; st++ {
		v.Stages = append(v.Stages, st.String())
	}
	if r.Method != http.MethodGet {
		v.Back = "/"
	}
	return v, nil
}

// newListView lists the page of messages that the request's q and page
// parameters ask for; a bad search shows its error and every message.
func (c *Catcher) newListView(r *http.Request, selected uint32) (*listView, error) {
	v := &listView{Query: r.FormValue("q"), Selected: selected}
	q, err := parseQuery(v.Query)
	if err != nil {
		v.QueryError = err.Error()
	}
	v.Page, _ = formInt(r, "page", 1, 1<<20)
	v.Page = max(v.Page, 1)
	v.listing, err = c.list(r.Context(), q, true, (v.Page-1)*pageSize, pageSize)
	if err != nil {
		return nil, err
	}
	v.Pages = max(1, (v.Total+pageSize-1)/pageSize)
	return v, nil
}

// params returns the list's search and page as URL parameters.
func (v *listView) params(page int) url.Values {
	p := url.Values{}
	if v.Query != "" {
		p.Set("q", v.Query)
	}
	if page > 1 {
		p.Set("page", strconv.Itoa(page))
	}
	return p
}

// MessageURL is the link to a message that keeps the list's search and
// page.
func (v *listView) MessageURL(id uint32) template.URL {
	return template.URL(withParams("/messages/"+strconv.FormatUint(uint64(id), 10), v.params(v.Page)))
}

// PageURL is the link to another page of the list.
func (v *listView) PageURL(page int) template.URL {
	return template.URL(withParams("/", v.params(page)))
}

// First and Last number the page's messages among the matches, from 1.
func (v *listView) First() int { return v.Offset + 1 }
func (v *listView) Last() int  { return v.Offset + len(v.Items) }

// listParams returns a form's list parameters (q and page), to return to
// the same list.
func listParams(r *http.Request) url.Values {
	p := url.Values{}
	for _, k := range []string{"q", "page"} {
		if s := r.FormValue(k); s != "" {
			p.Set(k, s)
		}
	}
	return p
}

func withParams(path string, p url.Values) string {
	if len(p) == 0 {
		return path
	}
	return path + "?" + p.Encode()
}

func (c *Catcher) newMessageView(ctx context.Context, f *mailbox.Folder, m mailbox.MessageInfo, view string) (*messageView, error) {
	e, ct, err := c.readMessage(ctx, f, m, false)
	if err != nil {
		return nil, err
	}
	v := &messageView{entry: e, Content: ct, Views: messageViews}
	v.Headers = headerFields(ct.Header)
	h := gomail.Header{Header: message.Header{Header: ct.Header}}
	v.HeaderFrom, _ = h.Text("From")
	v.HeaderTo, _ = h.Text("To")
	v.HeaderCc, _ = h.Text("Cc")
	v.HeaderDate = h.Get("Date")
	if ct.HTML != "" {
		s, _ := sanitizeHTML(ct.HTML, nil)
		v.Remote = s.Remote
	}
	v.View = view
	if !contains(messageViews, view) {
		v.View = "text"
		if ct.HTML != "" {
			v.View = "html"
		}
	}
	if v.View == "source" {
		if err := v.readSource(ctx, c, f, m); err != nil {
			return nil, err
		}
	}
	return v, nil
}

// readSource reads the start of the raw message for the Source view.
func (v *messageView) readSource(ctx context.Context, c *Catcher, f *mailbox.Folder, m mailbox.MessageInfo) error {
	mr, err := f.Open(ctx, m.UID)
	if err != nil {
		return err
	}
	defer mr.Close()
	b, err := io.ReadAll(io.LimitReader(mr, maxSourceBytes+1))
	if len(b) > maxSourceBytes {
		b, v.SourceTruncated = b[:maxSourceBytes], true
	}
	v.Source = strings.ToValidUTF8(string(b), "\uFFFD")
	return err
}

// ViewURL is the link to another view of the message.
func (v *messageView) ViewURL(list *listView, view string) template.URL {
	p := list.params(list.Page)
	p.Set("view", view)
	return template.URL(withParams("/messages/"+strconv.FormatUint(uint64(v.ID), 10), p))
}

var templateFuncs = template.FuncMap{
	"size": formatSize,
	"iso":  func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	"when": formatWhen,
	"join": strings.Join,
	"add":  func(a, b int) int { return a + b },
	"sub":  func(a, b int) int { return a - b },
	"viewName": func(v string) string {
		return map[string]string{"html": "HTML", "text": "Text", "headers": "Headers", "source": "Source"}[v]
	},
}

// formatSize writes a size for people: 812 B, 12.5 kB, 3.1 MB.
func formatSize(n int64) string {
	switch {
	case n < 1000:
		return strconv.FormatInt(n, 10) + " B"
	case n < 1000*1000:
		return fmt.Sprintf("%.1f kB", float64(n)/1000)
	default:
		return fmt.Sprintf("%.1f MB", float64(n)/1000/1000)
	}
}

// formatWhen writes when a message came: the time today, the date before.
func formatWhen(t time.Time) string {
	now := time.Now()
	if t.Year() == now.Year() && t.YearDay() == now.YearDay() {
		return t.Format("15:04:05")
	}
	return t.Format("2 Jan 2006 15:04")
}
