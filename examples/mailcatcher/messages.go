package main

import (
	"context"
	"io"
	"net/http"
	"strconv"

	"github.com/mailwright/mailwright/mailbox"
)

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
