package sieve

import (
	"errors"
	"strings"
	"time"
)

// Action is one thing a script decided: *Keep, *FileInto, *Redirect,
// *Reject, *Discard, *Vacation, *Notify or *TrackDuplicate.
type Action interface {
	isAction()
}

// Keep is an explicit keep: store the message into INBOX
// (RFC 5228 4.3).
type Keep struct {
	// Flags are the IMAP flags to set (RFC 5232).
	Flags []string
	// Header is the edited header to store instead of the message's
	// own, or nil (RFC 5293).
	Header []Field
}

// FileInto stores the message into a mailbox (RFC 5228 4.1).
type FileInto struct {
	Mailbox string // the mailbox name, in UTF-8
	Flags   []string
	// Copy is set by :copy (RFC 3894): this action does not cancel the
	// implicit keep.
	Copy bool
	// Create is set by :create (RFC 5490 3.2): create the mailbox when
	// it does not exist, rather than keep the message in INBOX.
	Create bool
	Header []Field
}

// Redirect forwards the message to an address (RFC 5228 4.2), with the
// same envelope sender.
type Redirect struct {
	Address string
	Copy    bool
	Header  []Field
}

// Reject refuses the message with a reason (RFC 5429): during SMTP when
// the recipient's answer is still open (ereject, Extended, must do that
// where it can), by an MDN or a DSN after.
type Reject struct {
	Reason   string
	Extended bool
}

// Discard drops the message silently (RFC 5228 4.4): it only cancels the
// implicit keep.
type Discard struct{}

// Vacation asks for an auto-reply (RFC 5230, RFC 6131). Whether one is
// sent is up to a Responder, which tracks replies per sender and skips
// lists and automatic mail.
type Vacation struct {
	Reason  string        // the body of the reply
	Subject string        // "" for "Auto: " + the original subject
	From    string        // "" for the recipient's address
	Period  time.Duration // no second reply to a sender within it
	// Addresses are the user's other addresses (:addresses).
	Addresses []string
	// MIME is set when Reason is a MIME entity with its own header.
	MIME bool
	// Handle identifies the vacation for response tracking: the
	// :handle, or one derived from the arguments.
	Handle string
}

// Notify sends a notification (RFC 5435) by Method, a URI (mailto:,
// RFC 5436).
type Notify struct {
	Method     string
	From       string
	Importance int // 1 high, 2 normal, 3 low
	Options    []string
	Message    string // "" for the default
}

// TrackDuplicate asks the caller to record ID in the duplicate Tracker
// for Period once the message has been delivered (RFC 7352 3: only a
// script that ran to its end marks a message as seen).
type TrackDuplicate struct {
	ID     string
	Period time.Duration
	// Handle and Last are the :handle and :last of the test.
	Handle string
	Last   bool
}

func (*Keep) isAction()           {}
func (*FileInto) isAction()       {}
func (*Redirect) isAction()       {}
func (*Reject) isAction()         {}
func (*Discard) isAction()        {}
func (*Vacation) isAction()       {}
func (*Notify) isAction()         {}
func (*TrackDuplicate) isAction() {}

// isInbox reports whether a mailbox name is INBOX, which is
// case-insensitive (RFC 3501 5.1).
func isInbox(name string) bool { return strings.EqualFold(name, "INBOX") }

// storeTarget returns the mailbox an action stores into, if it stores.
func storeTarget(a Action) (string, bool) {
	switch a := a.(type) {
	case *Keep:
		return "INBOX", true
	case *FileInto:
		return a.Mailbox, true
	}
	return "", false
}

func sameMailbox(a, b string) bool { return a == b || isInbox(a) && isInbox(b) }

// cancelsKeep reports whether an action cancels the implicit keep
// (RFC 5228 2.10.2).
func cancelsKeep(a Action) bool {
	switch a := a.(type) {
	case *Keep, *Reject, *Discard:
		return true
	case *FileInto:
		return !a.Copy
	case *Redirect:
		return !a.Copy
	}
	return false
}

// deliversMessage is true for the actions that reject conflicts with
// (RFC 5429 2.1, 2.2: reject cannot be combined with actions that
// deliver the message); respondsToSender for those vacation conflicts
// with (RFC 5230 4.7).
func deliversMessage(a Action) bool {
	switch a.(type) {
	case *Keep, *FileInto, *Redirect:
		return true
	}
	return false
}

func respondsToSender(a Action) bool {
	switch a.(type) {
	case *Reject, *Vacation:
		return true
	}
	return false
}

var (
	errDuplicateReject   = errors.New("more than one reject or ereject")
	errDuplicateVacation = errors.New("more than one vacation")
)

// addAction adds an action, merging it with an equal earlier one
// (RFC 5228 2.10.3: a message is kept or filed into a mailbox, or
// redirected to an address, once) and refusing conflicts, as Pigeonhole
// does. A merged store takes the flags of the later action and keeps
// :copy only if the first had it.
func (r *run) addAction(a Action) error {
	for i, old := range r.actions {
		if err := conflict(a, old); err != nil {
			return r.errorf("%w", err)
		}
		if dst, ok := storeTarget(a); ok {
			if odst, ook := storeTarget(old); ook && sameMailbox(dst, odst) {
				r.actions[i] = mergeStore(old, a)
				r.updateKeep(r.actions[i])
				return nil
			}
		}
		switch a := a.(type) {
		case *Redirect:
			if o, ok := old.(*Redirect); ok && sameAddress(o.Address, a.Address) {
				o.Header = a.Header
				return nil
			}
		case *Discard:
			if _, ok := old.(*Discard); ok {
				return nil
			}
		case *Notify:
			if o, ok := old.(*Notify); ok && o.Method == a.Method {
				return nil
			}
		}
	}
	if len(r.actions) >= r.limits().maxActions() {
		return r.errorf("%w: more than %d actions", ErrLimit, r.limits().maxActions())
	}
	if _, ok := a.(*Redirect); ok {
		if r.redirects >= r.limits().maxRedirects() {
			return r.errorf("%w: more than %d redirects", ErrLimit, r.limits().maxRedirects())
		}
		r.redirects++
	}
	r.actions = append(r.actions, a)
	r.updateKeep(a)
	return nil
}

func (r *run) updateKeep(a Action) {
	if cancelsKeep(a) {
		r.keep = false
	}
}

// conflict returns the error of adding a next to old.
func conflict(a, old Action) error {
	_, aRej := a.(*Reject)
	_, oRej := old.(*Reject)
	_, aVac := a.(*Vacation)
	_, oVac := old.(*Vacation)
	switch {
	case aRej && oRej:
		return errDuplicateReject
	case aVac && oVac:
		return errDuplicateVacation
	case aRej && deliversMessage(old), oRej && deliversMessage(a):
		return errors.New("reject conflicts with an action that delivers the message")
	case aRej && respondsToSender(old), oRej && respondsToSender(a):
		return errors.New("reject conflicts with vacation: both respond to the sender")
	}
	return nil
}

// mergeStore merges a later store into an earlier one to the same
// mailbox: an explicit keep wins over fileinto; the flags and header are
// the later action's; :copy stays only if the earlier action had it.
func mergeStore(old, a Action) Action {
	flags, header := storeFlags(a)
	copied, create := false, false
	if f, ok := old.(*FileInto); ok {
		copied, create = f.Copy, f.Create
	}
	if f, ok := a.(*FileInto); ok {
		create = create || f.Create
	}
	if _, ok := a.(*Keep); ok {
		return &Keep{Flags: flags, Header: header}
	}
	if k, ok := old.(*Keep); ok {
		k.Flags, k.Header = flags, header
		return k
	}
	f := old.(*FileInto)
	f.Flags, f.Header, f.Copy, f.Create = flags, header, copied, create
	return f
}

func storeFlags(a Action) ([]string, []Field) {
	switch a := a.(type) {
	case *Keep:
		return a.Flags, a.Header
	case *FileInto:
		return a.Flags, a.Header
	}
	return nil, nil
}

// sameAddress compares addresses with the domain case-insensitively.
func sameAddress(a, b string) bool {
	ai, bi := strings.LastIndexByte(a, '@'), strings.LastIndexByte(b, '@')
	if ai < 0 || bi < 0 {
		return a == b
	}
	return a[:ai] == b[:bi] && strings.EqualFold(a[ai:], b[bi:])
}
