package imap

import "context"

// NotifyUser is an optional interface of a User that reports changes to
// all of its mailboxes, made by any session: what NOTIFY (RFC 5465) needs
// beyond the selected mailbox's Updates. The server advertises NOTIFY
// only to users that implement it.
type NotifyUser interface {
	User
	// WatchMailboxes starts reporting changes to the user's mailboxes.
	// The server calls it at the first NOTIFY SET that names mailboxes
	// other than the selected one, and closes the watch at NOTIFY NONE or
	// when the session ends.
	WatchMailboxes(ctx context.Context) (MailboxWatch, error)
}

// MailboxWatch reports changes to a user's mailboxes. Events of one
// mailbox are coalesced until the server takes them, so that what waits
// is bounded by the number of mailboxes, whatever the rate of changes; a
// store that keeps a change log derives them from it. Ready and Events
// may be called from another goroutine than the User's methods.
type MailboxWatch interface {
	// Ready receives a value (at most one pending) when events wait.
	Ready() <-chan struct{}
	// Events returns and clears the waiting events, in the order their
	// mailboxes first changed. overflow reports events that were lost
	// (too many mailboxes changed): the server then stops NOTIFY with
	// NOTIFICATIONOVERFLOW (RFC 5465 5.8).
	Events() (events []MailboxEvent, overflow bool)
	// Close stops the watch.
	Close() error
}

// MailboxEventKind is a set of things that happened to a mailbox.
type MailboxEventKind uint8

// Mailbox events. The server looks up the mailbox's state when it tells
// the client (STATUS or LIST), so an event needs no counters, and events
// of one mailbox merge.
const (
	MailboxMessagesAdded    MailboxEventKind = 1 << iota // new messages (MessageNew)
	MailboxMessagesExpunged                              // expunged messages (MessageExpunge)
	MailboxFlagsChanged                                  // flags of messages changed (FlagChange)
	MailboxCreated                                       // the mailbox was created (MailboxName)
	MailboxDeleted                                       // the mailbox was deleted (MailboxName)
	MailboxRenamed                                       // OldName became Name (MailboxName)
	MailboxSubscription                                  // subscribed or unsubscribed (SubscriptionChange)
)

// MailboxEvent is what happened to one mailbox since the server last
// looked.
type MailboxEvent struct {
	Name    string // UTF-8, "/" delimited; the new name of a renamed mailbox
	OldName string // with MailboxRenamed
	Kind    MailboxEventKind
}
