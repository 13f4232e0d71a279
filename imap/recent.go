package imap

import (
	"sort"
	"strconv"
	"sync"
)

// \Recent (RFC 3501 2.3.2): a message is recent in the first session
// that is told of it; a read-write session takes \Recent away from every
// later one, a read-only one (EXAMINE) leaves it for them. SELECT and
// EXAMINE report the session's recent messages (RFC 3501 6.3.1, 6.3.2),
// and STATUS (RECENT) counts the messages no session has taken yet
// (6.3.10). IMAP4rev2 (RFC 9051) drops \Recent; the server then says
// nothing of it.

// RecentMailbox is an optional interface of a Mailbox whose store keeps
// \Recent, so that it is shared by every session and every server (or
// process) that opens the mailbox, and survives a restart if the store
// keeps it. Without it the server keeps \Recent in memory, shared by the
// sessions of one Server (by User.Username and mailbox name).
type RecentMailbox interface {
	// Recent returns the UIDs among uids (ascending; the view at Open,
	// then the messages each Poll added) that no session has taken.
	// A mailbox opened read-write takes them: they are recent for no
	// other session from then on. One opened read-only takes nothing.
	Recent(uids []uint32) []uint32
}

// RecentUser is an optional interface of a User whose mailboxes implement
// RecentMailbox. When KeepsRecent returns true, Status fills
// MailboxStatus.Recent with the number of messages no session has taken;
// otherwise the server counts them itself, by opening the mailbox
// read-only, for STATUS (RECENT) of a mailbox that is not selected.
type RecentUser interface {
	User
	KeepsRecent() bool
}

// recentOf returns the UIDs among uids (ascending) that are recent in this
// session, taking them when the mailbox is read-write.
func (c *conn) recentOf(s *selected, uids []uint32) []uint32 {
	if len(uids) == 0 {
		return nil
	}
	if rm, ok := s.mb.(RecentMailbox); ok {
		return rm.Recent(uids)
	}
	return c.srv.recent.claim(recentKey(c.user.Username(), s.name, s.mb.UIDValidity()), uids, !s.readOnly)
}

// statusRecent is STATUS (RECENT) of a mailbox: in the session that has
// it selected, its recent messages (as SELECT reported them); otherwise
// the messages no session has taken.
func (c *conn) statusRecent(name string, st *MailboxStatus) uint32 {
	if c.mbox != nil && c.mbox.name == name {
		return uint32(len(c.mbox.recent))
	}
	if ru, ok := c.user.(RecentUser); ok && ru.KeepsRecent() {
		return st.Recent
	}
	mb, err := c.user.Open(c.ctx, name, true)
	if err != nil {
		return 0
	}
	defer mb.Close()
	msgs := mb.Messages()
	uids := make([]uint32, len(msgs))
	for i := range msgs {
		uids[i] = msgs[i].UID
	}
	return uint32(len(c.srv.recent.claim(recentKey(c.user.Username(), name, mb.UIDValidity()), uids, false)))
}

// recentTracker keeps \Recent in memory for a backend whose mailboxes do
// not (RecentMailbox): per user and mailbox, the highest UID some
// read-write session has taken.
type recentTracker struct {
	mu   sync.Mutex
	seen map[string]uint32
}

// claim returns the UIDs among uids (ascending) that no session has
// taken, and with take records them as taken.
func (t *recentTracker) claim(key string, uids []uint32, take bool) []uint32 {
	if len(uids) == 0 {
		return nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	last := t.seen[key]
	i := sort.Search(len(uids), func(i int) bool { return uids[i] > last })
	if take && uids[len(uids)-1] > last {
		if t.seen == nil {
			t.seen = make(map[string]uint32)
		}
		t.seen[key] = uids[len(uids)-1]
	}
	return uids[i:]
}

func recentKey(user, mailbox string, uidValidity uint32) string {
	return user + "\x00" + mailbox + "\x00" + strconv.FormatUint(uint64(uidValidity), 10)
}
