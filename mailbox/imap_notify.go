package mailbox

import (
	"context"

	"github.com/mailwright/mailwright/imap"
)

// imapNotifyUser is the imap.User of a store whose Notifier can watch a
// user's folders: it offers NOTIFY (imap.NotifyUser).
type imapNotifyUser struct{ *imapUser }

var _ imap.NotifyUser = imapNotifyUser{}

// newIMAPUser returns u as an imap.NotifyUser when the store can watch all
// of a user's folders.
func (s *Store) newIMAPUser(u *imapUser) imap.User {
	s.init()
	if _, ok := s.notifier.(UserNotifier); ok {
		return imapNotifyUser{u}
	}
	return u
}

// WatchMailboxes implements imap.NotifyUser with Store.WatchUser.
func (u imapNotifyUser) WatchMailboxes(ctx context.Context) (imap.MailboxWatch, error) {
	w, ok := u.s.WatchUser(u.user)
	if !ok {
		return nil, &imap.Error{Code: "NOTIFICATIONOVERFLOW", Text: "NOTIFY is not available"}
	}
	return imapWatch{w}, nil
}

type imapWatch struct{ w UserWatch }

func (w imapWatch) Ready() <-chan struct{} { return w.w.Ready() }
func (w imapWatch) Close() error           { w.w.Close(); return nil }

// kindMap turns the changes of a folder into IMAP mailbox events.
var kindMap = [...]struct {
	change ChangeKind
	event  imap.MailboxEventKind
}{
	{ChangeAppend, imap.MailboxMessagesAdded},
	{ChangeExpunge, imap.MailboxMessagesExpunged},
	{ChangeFlags, imap.MailboxFlagsChanged},
	{ChangeFolderCreated, imap.MailboxCreated},
	{ChangeFolderDeleted, imap.MailboxDeleted},
	{ChangeFolderRenamed, imap.MailboxRenamed},
	{ChangeSubscription, imap.MailboxSubscription},
}

func (w imapWatch) Events() ([]imap.MailboxEvent, bool) {
	evs, overflow := w.w.Events()
	out := make([]imap.MailboxEvent, 0, len(evs))
	for _, e := range evs {
		ie := imap.MailboxEvent{Name: e.Folder, OldName: e.OldFolder}
		for _, k := range kindMap {
			if e.Kinds.Has(k.change) {
				ie.Kind |= k.event
			}
		}
		out = append(out, ie)
	}
	return out, overflow
}
