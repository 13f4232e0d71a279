package mailbox

import "sync"

// ChangeKind says what a Change is about.
type ChangeKind uint8

const (
	// ChangeAppend: new messages (UIDs) were added to the folder.
	ChangeAppend ChangeKind = iota + 1
	// ChangeFlags: flags or keywords of the messages changed; ModSeq is
	// their new modification sequence.
	ChangeFlags
	// ChangeExpunge: the messages were removed.
	ChangeExpunge
	// ChangeFolderDeleted: the folder was deleted or renamed away
	// (Renaming); open handles on it fail from now on.
	ChangeFolderDeleted
	// ChangeFolderCreated: the folder was created.
	ChangeFolderCreated
	// ChangeFolderRenamed: the folder OldFolder, with its children, is
	// now Folder.
	ChangeFolderRenamed
	// ChangeSubscription: the folder name was subscribed or
	// unsubscribed.
	ChangeSubscription
)

// Change describes one change to a folder, as published to the sessions
// that watch it.
type Change struct {
	Kind        ChangeKind
	User        string
	Folder      string
	UIDValidity uint32
	UIDs        []uint32 // ascending
	// ModSeq is the folder's highest modification sequence after the change.
	ModSeq uint64
	// Origin identifies the Folder handle that made the change (0 for
	// Append and for changes found on disk), so a session can skip its own.
	Origin uint64
	// OldFolder is the former name, with ChangeFolderRenamed.
	OldFolder string
	// Renaming marks the ChangeFolderDeleted of a folder renamed away: a
	// ChangeFolderRenamed follows.
	Renaming bool
}

// Notifier carries changes between the sessions of a store. The store
// publishes every change it makes; sessions subscribe to the folders they
// have selected. The in-process implementation is NewNotifier; a store
// shared by several front ends can plug in one backed by its database.
type Notifier interface {
	// Publish delivers c to the subscribers of its folder. It never blocks
	// on a slow subscriber.
	Publish(c Change)
	// Subscribe starts watching a folder of a user.
	Subscribe(user, folder string) Subscription
}

// Subscription is one watcher's view of a Notifier.
type Subscription interface {
	// Ready receives a value (coalesced: at most one pending) when changes
	// are waiting; an IMAP IDLE loop selects on it.
	Ready() <-chan struct{}
	// Changes returns and clears the waiting changes. resync is true when
	// changes were dropped because the subscriber fell behind; the
	// subscriber must then compare its state with the folder as a whole
	// (Folder.Poll always does).
	Changes() (changes []Change, resync bool)
	// Close stops the subscription.
	Close()
}

// maxQueuedChanges bounds the changes kept per subscriber.
const maxQueuedChanges = 1024

// NewNotifier returns an in-process Notifier. Each subscriber has a
// bounded queue; when it overflows the queue is dropped and the subscriber
// is told to resynchronize, so a publisher never waits.
func NewNotifier() Notifier {
	return &hub{subs: map[string]map[*hubSub]struct{}{}, users: map[string]map[*userWatch]struct{}{}}
}

type hub struct {
	mu    sync.Mutex
	subs  map[string]map[*hubSub]struct{}
	users map[string]map[*userWatch]struct{} // notify_user.go
}

type hubSub struct {
	h      *hub
	key    string
	ready  chan struct{}
	mu     sync.Mutex
	queue  []Change
	resync bool
	closed bool
}

func hubKey(user, folder string) string { return user + "\x00" + folder }

func (h *hub) Subscribe(user, folder string) Subscription {
	canon, err := CanonicalName(folder)
	if err != nil {
		canon = folder
	}
	s := &hubSub{h: h, key: hubKey(user, canon), ready: make(chan struct{}, 1)}
	h.mu.Lock()
	m := h.subs[s.key]
	if m == nil {
		m = map[*hubSub]struct{}{}
		h.subs[s.key] = m
	}
	m[s] = struct{}{}
	h.mu.Unlock()
	return s
}

func (h *hub) Publish(c Change) {
	h.mu.Lock()
	m := h.subs[hubKey(c.User, c.Folder)]
	subs := make([]*hubSub, 0, len(m))
	for s := range m {
		subs = append(subs, s)
	}
	watches := make([]*userWatch, 0, len(h.users[c.User]))
	for w := range h.users[c.User] {
		watches = append(watches, w)
	}
	h.mu.Unlock()
	for _, w := range watches {
		w.add(c)
	}
	for _, s := range subs {
		s.mu.Lock()
		if !s.closed {
			if len(s.queue) >= maxQueuedChanges {
				s.queue = nil
				s.resync = true
			} else if !s.resync {
				s.queue = append(s.queue, c)
			}
		}
		s.mu.Unlock()
		select {
		case s.ready <- struct{}{}:
		default:
		}
	}
}

func (s *hubSub) Ready() <-chan struct{} { return s.ready }

func (s *hubSub) Changes() ([]Change, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q, r := s.queue, s.resync
	s.queue, s.resync = nil, false
	return q, r
}

func (s *hubSub) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	s.queue = nil
	s.mu.Unlock()
	s.h.mu.Lock()
	if m := s.h.subs[s.key]; m != nil {
		delete(m, s)
		if len(m) == 0 {
			delete(s.h.subs, s.key)
		}
	}
	s.h.mu.Unlock()
}

// Watch subscribes to the changes of a user's folder made through this
// store (or, with a shared Notifier, through any store using it).
// Folder.Updates does the same for an open handle.
func (s *Store) Watch(user, folder string) Subscription {
	s.init()
	return s.notifier.Subscribe(user, folder)
}
