package main

import (
	"context"
	"io"
	"strings"
	"sync"

	"github.com/emersion/go-message"
	gomail "github.com/emersion/go-message/mail"

	"github.com/mailwright/mailwright/mailbox"
)

// entry is what the list and the search know about one message. It is
// read from the message once and kept (index), so that a list of
// thousands of messages is sorted, searched and paged without opening
// them.
type entry struct {
	Summary
	// Sender is the From field as the list shows it: the display name, or
	// the address; the envelope sender when there is no From.
	Sender      string
	Attachments int // leaf parts that are not the text or HTML body

	from, to, subject string // lower case, for the search
}

// index caches the entries of the catcher's INBOX by UID.
type index struct {
	mu          sync.Mutex
	uidValidity uint32
	entries     map[uint32]*entry
}

// get returns the entry of m, reading the message the first time.
func (x *index) get(ctx context.Context, f *mailbox.Folder, m mailbox.MessageInfo) (*entry, error) {
	x.mu.Lock()
	if x.uidValidity != f.UIDValidity() {
		x.uidValidity, x.entries = f.UIDValidity(), nil
	}
	e, ok := x.entries[m.UID]
	x.mu.Unlock()
	if ok {
		return e, nil
	}
	mr, err := f.Open(ctx, m.UID)
	if err != nil {
		return nil, err
	}
	defer mr.Close()
	e = readEntry(mr, m)
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.entries == nil {
		x.entries = make(map[uint32]*entry)
	}
	x.entries[m.UID] = e
	return e, nil
}

// prune forgets the entries of messages that are gone, once some are.
func (x *index) prune(msgs []mailbox.MessageInfo) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if len(x.entries) <= len(msgs) {
		return
	}
	kept := make(map[uint32]*entry, len(msgs))
	for _, m := range msgs {
		if e, ok := x.entries[m.UID]; ok {
			kept[m.UID] = e
		}
	}
	x.entries = kept
}

// readEntry reads a message's header fields and counts its files. A
// malformed message gives what could be read.
func readEntry(r io.Reader, m mailbox.MessageInfo) *entry {
	e := &entry{Summary: Summary{ID: m.UID, Date: m.InternalDate, Size: m.Size, To: []string{}}}
	var picked bodies
	th, _ := walkParts(r, func(p *part, _ io.Reader) bool {
		if picked.pick(p) == "" {
			e.Attachments++
		}
		return true
	})
	h := gomail.Header{Header: message.Header{Header: th}}
	e.From = strings.Trim(h.Get("Return-Path"), "<> ")
	e.To = append(e.To, h.Values("Delivered-To")...)
	e.Subject, _ = h.Subject()
	if e.Subject == "" {
		e.Subject = h.Get("Subject")
	}
	fromField, _ := h.Text("From")
	e.Sender = e.From
	if addrs, err := h.AddressList("From"); err == nil && len(addrs) > 0 {
		e.Sender = addrs[0].Name
		if e.Sender == "" {
			e.Sender = addrs[0].Address
		}
	} else if fromField != "" {
		e.Sender = fromField
	}
	toField, _ := h.Text("To")
	ccField, _ := h.Text("Cc")
	e.from = strings.ToLower(e.From + "\n" + fromField)
	e.to = strings.ToLower(strings.Join(e.To, "\n") + "\n" + toField + "\n" + ccField)
	e.subject = strings.ToLower(e.Subject)
	return e
}

// listing is one page of the message list.
type listing struct {
	Items  []listItem
	Total  int // messages that match the search
	Count  int // messages in the mailbox
	Offset int // of Items[0] among the matches
	Limit  int
	Newest uint32 // the UID of the newest message in the mailbox
}

// listItem is one message of a listing.
type listItem struct {
	*entry
	Seen bool
}

// list returns the messages that match q, newest or oldest first, from
// offset on, at most limit (0: all).
func (c *Catcher) list(ctx context.Context, q query, newestFirst bool, offset, limit int) (listing, error) {
	f, err := c.Store.OpenFolder(ctx, User, mailbox.Inbox)
	if err != nil {
		return listing{}, err
	}
	defer f.Close()
	msgs := f.Messages()
	c.index.prune(msgs)
	l := listing{Count: len(msgs), Offset: offset, Limit: limit, Items: []listItem{}}
	if len(msgs) > 0 {
		l.Newest = msgs[len(msgs)-1].UID
	}
	for i := range msgs {
		m := msgs[i]
		if newestFirst {
			m = msgs[len(msgs)-1-i]
		}
		e, err := c.index.get(ctx, f, m)
		if err != nil {
			if ctx.Err() != nil {
				return listing{}, ctx.Err()
			}
			continue // expunged meanwhile
		}
		seen := m.HasFlag(mailbox.FlagSeen)
		if !q.empty() && !q.matches(e, seen, c.bodyReader(ctx, f, m.UID, q)) {
			continue
		}
		l.Total++
		if l.Total > offset && (limit == 0 || len(l.Items) < limit) {
			l.Items = append(l.Items, listItem{entry: e, Seen: seen})
		}
	}
	return l, nil
}

// bodyReader returns the function that gives a query the text of a
// message, read once for any number of body: words; nil when the query
// has none.
func (c *Catcher) bodyReader(ctx context.Context, f *mailbox.Folder, uid uint32, q query) func() string {
	if !q.needsBody() {
		return nil
	}
	var text *string
	return func() string {
		if text == nil {
			s := c.bodyText(ctx, f, uid)
			text = &s
		}
		return *text
	}
}

// bodyText returns the text and HTML of a message in lower case, for a
// body: search.
func (c *Catcher) bodyText(ctx context.Context, f *mailbox.Folder, uid uint32) string {
	mr, err := f.Open(ctx, uid)
	if err != nil {
		return ""
	}
	defer mr.Close()
	ct := readContent(io.LimitReader(mr, c.maxSize()), false)
	return strings.ToLower(ct.Text + "\n" + ct.HTML)
}
