package testmailbox

import (
	"context"
	"errors"
	"io"
	"sort"

	"github.com/mailwright/mailwright/internal/testserver"
	"github.com/mailwright/mailwright/mailbox"
	"github.com/mailwright/mailwright/smtp/smtptest"
)

// NewStore returns an in-memory store (mailbox.NewMemoryStore) that logs
// the messages appended to it, however they arrive (Deliver, IMAP APPEND,
// COPY), so that Wait can find them.
func NewStore() *mailbox.Store {
	s := mailbox.NewMemoryStore()
	s.Notifier = &appendLog{Notifier: mailbox.NewNotifier()}
	return s
}

// ErrForeignStore reports a Wait on a store that NewStore did not make.
var ErrForeignStore = errors.New("the store was not made by a test server, so its messages cannot be waited for")

// appendLog is the Notifier of a NewStore store: the store's notifier,
// plus a log of every message appended, in order.
type appendLog struct {
	mailbox.Notifier
	log testserver.Log[logEntry]
}

type logEntry struct {
	user, folder string
	uidValidity  uint32
	uid          uint32
}

func (l *appendLog) Publish(c mailbox.Change) {
	l.Notifier.Publish(c)
	if c.Kind != mailbox.ChangeAppend {
		return
	}
	entries := make([]logEntry, len(c.UIDs))
	for i, uid := range c.UIDs {
		entries[i] = logEntry{c.User, c.Folder, c.UIDValidity, uid}
	}
	l.log.Append(entries...)
}

// Wait returns the first message appended to store (in folder, or in any
// folder when folder is ""), already there or arriving later, that every
// matcher accepts; or ctx's error when ctx ends first. The matchers see
// the message as an smtptest.Message whose To is the user who has it and
// Received its internal date. Messages expunged since they arrived are
// passed over. store must come from NewStore.
func Wait(ctx context.Context, store *mailbox.Store, folder string, match []smtptest.Matcher) (*smtptest.Message, error) {
	var found *smtptest.Message
	l, ok := store.Notifier.(*appendLog)
	if !ok {
		return nil, ErrForeignStore
	}
	err := l.log.Wait(ctx, func(e logEntry) bool {
		if folder != "" && e.folder != folder {
			return false
		}
		m, err := read(ctx, store, e)
		if err != nil {
			return false // expunged, or its folder deleted
		}
		for _, f := range match {
			if !f(m) {
				return false
			}
		}
		found = m
		return true
	})
	return found, err
}

// read returns the message of a log entry, if it is still in its folder.
func read(ctx context.Context, store *mailbox.Store, e logEntry) (*smtptest.Message, error) {
	f, err := store.OpenFolder(ctx, e.user, e.folder)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	msgs := f.Messages()
	i := sort.Search(len(msgs), func(i int) bool { return msgs[i].UID >= e.uid })
	if f.UIDValidity() != e.uidValidity || i == len(msgs) || msgs[i].UID != e.uid {
		return nil, mailbox.ErrNoSuchMessage
	}
	r, err := f.Open(ctx, e.uid)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	raw, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	return &smtptest.Message{To: []string{e.user}, Raw: raw, Received: msgs[i].InternalDate}, nil
}
