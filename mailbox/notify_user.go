package mailbox

import "sync"

// UserNotifier is a Notifier that can also watch every folder of a user
// at once, as IMAP NOTIFY (RFC 5465) needs. NewNotifier's implements it.
//
// A Notifier backed by a database shared by several front ends implements
// it from the same change log as Subscribe: every Change names its user,
// folder and kind, so a watcher of a user reads that user's changes in
// order (a LISTEN on the user, or a poll of the log above the last
// sequence number seen) and coalesces them as UserWatch describes.
type UserNotifier interface {
	Notifier
	// WatchUser starts watching all the folders of a user.
	WatchUser(user string) UserWatch
}

// UserWatch is one watcher of all of a user's folders. What waits is
// coalesced per folder, one FolderEvent each, so its memory is bounded by
// the number of folders changed (at most MaxWatchedFolders), not by the
// number of changes.
type UserWatch interface {
	// Ready receives a value (at most one pending) when events wait.
	Ready() <-chan struct{}
	// Events returns and clears the waiting events, in the order their
	// folders first changed. overflow reports that more than
	// MaxWatchedFolders folders changed since the last call: the events
	// were dropped, and the watcher must look at every folder again.
	Events() (events []FolderEvent, overflow bool)
	// Close stops the watch.
	Close()
}

// MaxWatchedFolders bounds the folders whose events a UserWatch keeps
// between two calls of Events.
const MaxWatchedFolders = 1024

// FolderEvent is what happened to one folder since the watcher last
// looked.
type FolderEvent struct {
	Folder string
	// OldFolder is the folder's former name when Kinds has
	// ChangeFolderRenamed.
	OldFolder string
	Kinds     ChangeKinds
}

// ChangeKinds is a set of ChangeKind.
type ChangeKinds uint16

// Has reports whether k holds kind.
func (k ChangeKinds) Has(kind ChangeKind) bool { return k&(1<<kind) != 0 }

// WatchUser starts watching all the folders of a user; ok is false when
// the store's Notifier is not a UserNotifier.
func (s *Store) WatchUser(user string) (w UserWatch, ok bool) {
	s.init()
	un, ok := s.notifier.(UserNotifier)
	if !ok {
		return nil, false
	}
	return un.WatchUser(user), true
}

// userWatch is the in-process UserWatch of a hub.
type userWatch struct {
	h     *hub
	user  string
	ready chan struct{}

	mu       sync.Mutex
	events   []FolderEvent
	index    map[string]int // folder -> position in events
	overflow bool
	closed   bool
}

func (h *hub) WatchUser(user string) UserWatch {
	w := &userWatch{h: h, user: user, ready: make(chan struct{}, 1), index: map[string]int{}}
	h.mu.Lock()
	m := h.users[user]
	if m == nil {
		m = map[*userWatch]struct{}{}
		h.users[user] = m
	}
	m[w] = struct{}{}
	h.mu.Unlock()
	return w
}

// add records a change, merging it into the event of its folder.
func (w *userWatch) add(c Change) {
	if c.Kind == ChangeFolderDeleted && c.Renaming {
		return // the ChangeFolderRenamed that follows tells it
	}
	w.mu.Lock()
	if w.closed || w.overflow {
		w.mu.Unlock()
		return
	}
	folder := c.Folder
	if canon, err := CanonicalName(folder); err == nil {
		folder = canon
	}
	i, found := w.index[folder]
	if !found {
		if len(w.events) >= MaxWatchedFolders {
			w.events, w.index, w.overflow = nil, map[string]int{}, true
			w.mu.Unlock()
			w.signal()
			return
		}
		i = len(w.events)
		w.index[folder] = i
		w.events = append(w.events, FolderEvent{Folder: folder})
	}
	w.events[i].Kinds |= 1 << c.Kind
	if c.Kind == ChangeFolderRenamed {
		w.events[i].OldFolder = c.OldFolder
	}
	w.mu.Unlock()
	w.signal()
}

func (w *userWatch) signal() {
	select {
	case w.ready <- struct{}{}:
	default:
	}
}

func (w *userWatch) Ready() <-chan struct{} { return w.ready }

func (w *userWatch) Events() ([]FolderEvent, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	ev, o := w.events, w.overflow
	w.events, w.overflow = nil, false
	clear(w.index)
	return ev, o
}

func (w *userWatch) Close() {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return
	}
	w.closed, w.events = true, nil
	w.mu.Unlock()
	w.h.mu.Lock()
	if m := w.h.users[w.user]; m != nil {
		delete(m, w)
		if len(m) == 0 {
			delete(w.h.users, w.user)
		}
	}
	w.h.mu.Unlock()
}
