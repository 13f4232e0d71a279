package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/mailwright/mailwright/mailbox"
)

// eventsHeartbeat is how often an idle event stream sends a comment, so
// that proxies and browsers keep it open.
const eventsHeartbeat = 25 * time.Second

// newMessageEvent is the data of a "new" event: enough for the page to
// announce the message.
type newMessageEvent struct {
	ID      uint32 `json:"id"`
	Sender  string `json:"sender"`
	Subject string `json:"subject"`
}

// maxMissedEvents bounds the "new" events for messages that arrived
// before a stream started; older ones are in the list all the same.
const maxMissedEvents = 20

// events streams the changes of the mailbox as Server-Sent Events (HTML
// Living Standard 9.2): "new" with a newMessageEvent for each message
// that arrives, with the message's UID as the event's id, and "change"
// when messages are deleted or flagged. The stream starts with the
// messages after the UID in the after parameter (the newest the page
// showed) or in Last-Event-ID (the last event of a stream that broke), so
// that a message that comes while the page loads is not missed.
func (c *Catcher) events(w http.ResponseWriter, r *http.Request) {
	sub := c.Store.Watch(User, mailbox.Inbox)
	defer sub.Close()
	after, _ := strconv.ParseUint(r.FormValue("after"), 10, 32)
	if id, err := strconv.ParseUint(r.Header.Get("Last-Event-ID"), 10, 32); err == nil {
		after = max(after, id)
	}
	st := &eventStream{c: c, w: w, sent: uint32(after)}
	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	io.WriteString(w, "retry: 2000\n\n")
	st.missed(r.Context())
	if rc.Flush() != nil {
		return
	}
	heartbeat := time.NewTicker(eventsHeartbeat)
	defer heartbeat.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-c.done():
			return
		case <-heartbeat.C:
			io.WriteString(w, ": heartbeat\n\n")
		case <-sub.Ready():
			changes, resync := sub.Changes()
			st.write(r.Context(), changes, resync)
		}
		if rc.Flush() != nil {
			return
		}
	}
}

// eventStream is one client's stream of events.
type eventStream struct {
	c    *Catcher
	w    io.Writer
	sent uint32 // the newest UID announced
}

// missed announces the messages newer than sent, at most maxMissedEvents.
func (st *eventStream) missed(ctx context.Context) {
	f, err := st.c.Store.OpenFolder(ctx, User, mailbox.Inbox)
	if err != nil {
		return
	}
	msgs := f.Messages()
	f.Close()
	var uids []uint32
	for i := len(msgs) - 1; i >= 0 && msgs[i].UID > st.sent && len(uids) < maxMissedEvents; i-- {
		uids = append(uids, msgs[i].UID)
	}
	slices.Reverse(uids)
	st.announce(ctx, uids)
}

// write writes the events of a batch of changes: one per new message, and
// one "change" for all the others.
func (st *eventStream) write(ctx context.Context, changes []mailbox.Change, resync bool) {
	var appended []uint32
	changed := resync
	for _, ch := range changes {
		if ch.Kind == mailbox.ChangeAppend {
			appended = append(appended, ch.UIDs...)
		} else {
			changed = true
		}
	}
	st.announce(ctx, appended)
	if changed {
		io.WriteString(st.w, "event: change\ndata: {}\n\n")
	}
}

// announce writes a "new" event for each message not announced yet.
func (st *eventStream) announce(ctx context.Context, uids []uint32) {
	uids = slices.DeleteFunc(uids, func(uid uint32) bool { return uid <= st.sent })
	for _, e := range st.c.entries(ctx, uids) {
		data, _ := json.Marshal(newMessageEvent{ID: e.ID, Sender: e.Sender, Subject: e.Subject})
		fmt.Fprintf(st.w, "event: new\nid: %d\ndata: %s\n\n", e.ID, data)
		st.sent = max(st.sent, e.ID)
	}
}

// entries returns the entries of the messages with the UIDs that are
// still there.
func (c *Catcher) entries(ctx context.Context, uids []uint32) []*entry {
	if len(uids) == 0 {
		return nil
	}
	f, err := c.Store.OpenFolder(ctx, User, mailbox.Inbox)
	if err != nil {
		return nil
	}
	defer f.Close()
	var list []*entry
	for _, uid := range uids {
		if m, ok := findMessage(f, uid); ok {
			if e, err := c.index.get(ctx, f, m); err == nil {
				list = append(list, e)
			}
		}
	}
	return list
}
