package main

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/mailwright/mailwright/mailbox"
)

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
