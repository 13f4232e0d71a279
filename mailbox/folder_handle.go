package mailbox

import (
	"cmp"
	"context"
	"io"
	"iter"
	"slices"
	"sort"
	"time"
)

// MessageInfo is what a folder listing says about one message.
type MessageInfo struct {
	UID    uint32
	ModSeq uint64 // RFC 7162 per-message modification sequence
	// Size is RFC822.SIZE: octets with CRLF line endings.
	Size int64
	// InternalDate is the IMAP internal date (the file's mtime).
	InternalDate time.Time
	// Flags are the system flags (\Seen ...) then the keywords. The slice
	// is shared: do not modify it.
	Flags []string
}

// HasFlag reports whether the message has flag f (system flags match
// case-insensitively).
func (m *MessageInfo) HasFlag(f string) bool {
	for _, g := range m.Flags {
		if g == f || (len(f) > 0 && f[0] == '\\' && equalFoldASCII(f, g)) {
			return true
		}
	}
	return false
}

func equalFoldASCII(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// UIDRange is the UIDs from Start to Stop inclusive. Stop 0 means no upper
// bound (IMAP "*" as the end of a range, RFC 3501 section 9 seq-range).
type UIDRange struct {
	Start, Stop uint32
}

// UIDSet is a set of UIDs as ranges; it is never expanded into a list.
// A nil UIDSet, where a method allows it, means every message.
type UIDSet []UIDRange

// Contains reports whether uid is in the set.
func (s UIDSet) Contains(uid uint32) bool {
	for _, r := range s {
		lo, hi := r.Start, r.Stop
		if hi == 0 {
			hi = 1<<32 - 1
		}
		if lo > hi {
			lo, hi = hi, lo
		}
		if uid >= lo && uid <= hi {
			return true
		}
	}
	return false
}

// UIDSetOf returns a set holding exactly the given UIDs.
func UIDSetOf(uids ...uint32) UIDSet {
	s := make(UIDSet, len(uids))
	for i, u := range uids {
		s[i] = UIDRange{u, u}
	}
	return s
}

// Update is what changed in a folder since a handle last looked (Poll).
type Update struct {
	// Expunged messages, ascending UIDs.
	Expunged []uint32
	// Added messages, ascending UIDs, all above those seen before.
	Added []MessageInfo
	// Changed messages whose flags or keywords changed (new ModSeq).
	Changed []MessageInfo
}

// Empty reports whether nothing changed.
func (u *Update) Empty() bool {
	return len(u.Expunged) == 0 && len(u.Added) == 0 && len(u.Changed) == 0
}

// Folder is one session's open handle on a folder (an IMAP SELECT or a
// POP3 maildrop). It keeps the session's view of the folder, which moves
// forward only when the session calls Poll, as IMAP requires (RFC 3501
// section 7.4.1: no EXPUNGE while a command that uses sequence numbers
// runs). Operations affect the shared folder at once. A Folder is meant for
// one session: its methods are not for concurrent use, except Updates.
type Folder struct {
	s       *Store
	st      *folderState
	id      uint64
	sub     Subscription
	view    []MessageInfo
	version uint64
	closed  bool
}

// OpenFolder opens a handle on a user's folder. It fails with
// ErrNoSuchFolder if the folder does not exist. Close the handle when done.
func (s *Store) OpenFolder(ctx context.Context, user, name string) (*Folder, error) {
	if err := checkCtx(ctx); err != nil {
		return nil, err
	}
	st, err := s.acquire(user, name)
	if err != nil {
		return nil, err
	}
	f := &Folder{s: s, st: st, id: s.nextHandleID()}
	f.sub = s.notifier.Subscribe(user, st.name)
	st.mu.Lock()
	_, err = st.refresh()
	if err == nil {
		f.view, f.version = st.snapshot()
	}
	st.mu.Unlock()
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// snapshot returns the visible messages. Called with st.mu held.
func (st *folderState) snapshot() ([]MessageInfo, uint64) {
	lim := st.visibleLimit()
	out := make([]MessageInfo, 0, len(st.msgs))
	for i := range st.msgs {
		m := &st.msgs[i]
		if uint64(m.uid) >= lim {
			break
		}
		out = append(out, st.info(m))
	}
	return out, st.version
}

// ID identifies the handle in Change.Origin.
func (f *Folder) ID() uint64 { return f.id }

// Name returns the canonical folder name.
func (f *Folder) Name() string { return f.st.name }

// Close releases the handle.
func (f *Folder) Close() error {
	if f.closed {
		return ErrClosed
	}
	f.closed = true
	f.sub.Close()
	f.s.release(f.st)
	return nil
}

// Messages returns the session's view: the messages in ascending UID
// order as of the last Poll (or OpenFolder). Message sequence number n is
// element n-1. Do not modify the slice; it is valid until the next call
// that changes the view (Poll, or this handle's own SetFlags, Expunge or
// Move), which may reuse it: copy what you keep.
func (f *Folder) Messages() []MessageInfo { return f.view }

// UIDValidity returns the folder's UIDVALIDITY (RFC 3501 section 2.3.1.1).
func (f *Folder) UIDValidity() uint32 {
	f.st.mu.Lock()
	defer f.st.mu.Unlock()
	return f.st.uidValidity
}

// UIDNext returns the UIDNEXT value: every message added from now on will
// have a UID at least this large.
func (f *Folder) UIDNext() uint32 {
	f.st.mu.Lock()
	defer f.st.mu.Unlock()
	return f.st.uidNextVisible()
}

// HighestModSeq returns the folder's HIGHESTMODSEQ (RFC 7162 section 3.1.1).
func (f *Folder) HighestModSeq() uint64 {
	f.st.mu.Lock()
	defer f.st.mu.Unlock()
	return f.st.hms
}

// Keywords returns the keywords defined in the folder (for the IMAP FLAGS
// and PERMANENTFLAGS responses).
func (f *Folder) Keywords() []string {
	f.st.mu.Lock()
	defer f.st.mu.Unlock()
	var out []string
	for _, k := range f.st.keywords {
		if k != "" {
			out = append(out, k)
		}
	}
	return out
}

// CanCreateKeywords reports whether a new keyword can still be stored
// (Maildir has 26 keyword letters per folder). An IMAP server lists \* in
// PERMANENTFLAGS only when it is true.
func (f *Folder) CanCreateKeywords() bool {
	f.st.mu.Lock()
	defer f.st.mu.Unlock()
	if len(f.st.keywords) < 26 {
		return true
	}
	for _, k := range f.st.keywords {
		if k == "" {
			return true
		}
	}
	return false
}

// Updates returns a channel that receives a value when the folder may have
// changed (another session or a delivery); call Poll to see what changed.
// Changes made by other programs directly in the Maildir are only seen by
// Poll.
func (f *Folder) Updates() <-chan struct{} { return f.sub.Ready() }

func (f *Folder) check() error {
	if f.closed {
		return ErrClosed
	}
	return nil
}

// Poll brings the session's view up to date, including messages that other
// programs dropped into (or removed from) the Maildir, and reports what
// changed since the last Poll.
func (f *Folder) Poll(ctx context.Context) (Update, error) {
	if err := f.check(); err != nil {
		return Update{}, err
	}
	if err := checkCtx(ctx); err != nil {
		return Update{}, err
	}
	f.sub.Changes() // the diff below covers them
	st := f.st
	st.mu.Lock()
	if _, err := st.refresh(); err != nil {
		st.mu.Unlock()
		return Update{}, err
	}
	if st.version == f.version {
		st.mu.Unlock()
		return Update{}, nil
	}
	defer st.mu.Unlock()
	var u Update
	switch {
	case st.otherVersion <= f.version:
		u = f.pollAppended()
	case st.unloggedVersion <= f.version && st.flagLogFrom <= f.version:
		u = f.pollFlagLog()
	case !f.pollInPlace(&u):
		u = f.pollSnapshot()
	}
	f.version = st.version
	return u, nil
}

// pollAppended brings the view up to date when only appends happened
// since it was taken: the new visible messages are those above the view's
// last UID. It costs a binary search and the new messages, not the folder.
// Called with st.mu held.
func (f *Folder) pollAppended() Update {
	st := f.st
	var last uint32
	if n := len(f.view); n > 0 {
		last = f.view[n-1].UID
	}
	lim := st.visibleLimit()
	var u Update
	for j := sort.Search(len(st.msgs), func(k int) bool { return st.msgs[k].uid > last }); j < len(st.msgs) && uint64(st.msgs[j].uid) < lim; j++ {
		m := st.info(&st.msgs[j])
		u.Added = append(u.Added, m)
		f.view = append(f.view, m)
	}
	return u
}

// pollFlagLog brings the view up to date when only appends and flag
// changes logged by SetFlags happened since it was taken: it looks at the
// logged messages and above the view, not at the whole folder. Called with
// st.mu held.
func (f *Folder) pollFlagLog() Update {
	st := f.st
	log := st.flagLog
	first := sort.Search(len(log), func(i int) bool { return log[i].version > f.version })
	var u Update
	var seen map[uint32]bool
	for _, e := range log[first:] {
		if seen[e.uid] {
			continue
		}
		if seen == nil {
			seen = map[uint32]bool{}
		}
		seen[e.uid] = true
		vi, ci := f.viewIndex(e.uid), st.find(e.uid)
		if vi < 0 || ci < 0 || f.view[vi].ModSeq == st.msgs[ci].modseq {
			continue // new (pollAppended finds it), or already known
		}
		m := st.info(&st.msgs[ci])
		u.Changed = append(u.Changed, m)
		f.view[vi] = m
	}
	slices.SortFunc(u.Changed, func(a, b MessageInfo) int { return cmp.Compare(a.UID, b.UID) })
	u.Added = f.pollAppended().Added
	return u
}

// pollInPlace compares the view with the folder message by message and
// updates it in place: changed messages replaced, expunged ones removed,
// new ones (above the view's last UID) appended. It reports false, with
// the view untouched, if a message appeared below the view's last UID (a
// file another program put back under a UID it had before), which
// pollSnapshot handles. Called with st.mu held.
func (f *Folder) pollInPlace(u *Update) bool {
	st := f.st
	lim := st.visibleLimit()
	cur := st.msgs
	for len(cur) > 0 && uint64(cur[len(cur)-1].uid) >= lim {
		cur = cur[:len(cur)-1]
	}
	// First pass, read-only: find what changed.
	type pos struct{ view, cur int }
	var changed []pos
	var expunged []int // positions in the view
	j := 0
	for i, v := range f.view {
		if j < len(cur) && cur[j].uid < v.UID {
			return false
		}
		if j < len(cur) && cur[j].uid == v.UID {
			if cur[j].modseq != v.ModSeq {
				changed = append(changed, pos{i, j})
			}
			j++
		} else {
			expunged = append(expunged, i)
		}
	}
	// Second pass: apply, in UID order.
	for _, i := range expunged {
		u.Expunged = append(u.Expunged, f.view[i].UID)
	}
	for _, p := range changed {
		m := st.info(&cur[p.cur])
		u.Changed = append(u.Changed, m)
		f.view[p.view] = m
	}
	if len(expunged) > 0 {
		w, k := 0, 0
		for i, v := range f.view {
			if k < len(expunged) && expunged[k] == i {
				k++
				continue
			}
			f.view[w] = v
			w++
		}
		clear(f.view[w:])
		f.view = f.view[:w]
	}
	for ; j < len(cur); j++ {
		m := st.info(&cur[j])
		u.Added = append(u.Added, m)
		f.view = append(f.view, m)
	}
	return true
}

// pollSnapshot replaces the view with a new snapshot of the folder and
// reports the difference. Called with st.mu held.
func (f *Folder) pollSnapshot() Update {
	cur, _ := f.st.snapshot()
	var u Update
	i, j := 0, 0
	for i < len(f.view) || j < len(cur) {
		switch {
		case j == len(cur) || (i < len(f.view) && f.view[i].UID < cur[j].UID):
			u.Expunged = append(u.Expunged, f.view[i].UID)
			i++
		case i == len(f.view) || f.view[i].UID > cur[j].UID:
			u.Added = append(u.Added, cur[j])
			j++
		default:
			if f.view[i].ModSeq != cur[j].ModSeq {
				u.Changed = append(u.Changed, cur[j])
			}
			i++
			j++
		}
	}
	f.view = cur
	return u
}

// inSet yields the indexes in st.msgs of the visible messages whose UIDs
// are in uids (every visible message if uids is nil), in ascending order
// and once each. It costs a binary search per range of the set and the
// messages found, not a look at every message of the folder with every
// range. Called with st.mu held; st.msgs must not change meanwhile.
func (st *folderState) inSet(uids UIDSet) iter.Seq[int] {
	lim := st.visibleLimit()
	n := sort.Search(len(st.msgs), func(i int) bool { return uint64(st.msgs[i].uid) >= lim })
	return indexesInSet(n, func(i int) uint32 { return st.msgs[i].uid }, uids)
}

// inView is inSet for the handle's view.
func (f *Folder) inView(uids UIDSet) iter.Seq[int] {
	return indexesInSet(len(f.view), func(i int) uint32 { return f.view[i].UID }, uids)
}

// indexesInSet yields the indexes below n, ascending and once each, whose
// UIDs (uidAt, ascending) are in uids (all of them if uids is nil).
func indexesInSet(n int, uidAt func(int) uint32, uids UIDSet) iter.Seq[int] {
	return func(yield func(int) bool) {
		ranges := []UIDRange{{0, 1<<32 - 1}}
		if uids != nil {
			ranges = make([]UIDRange, 0, len(uids))
			for _, r := range uids {
				lo, hi := r.Start, r.Stop
				if hi == 0 {
					hi = 1<<32 - 1
				}
				if lo > hi {
					lo, hi = hi, lo
				}
				ranges = append(ranges, UIDRange{lo, hi})
			}
			slices.SortFunc(ranges, func(a, b UIDRange) int { return cmp.Compare(a.Start, b.Start) })
		}
		next := 0 // the messages before it were yielded or passed
		for _, r := range ranges {
			i := next + sort.Search(n-next, func(k int) bool { return uidAt(next+k) >= r.Start })
			for ; i < n && uidAt(i) <= r.Stop; i++ {
				if !yield(i) {
					return
				}
			}
			next = i
		}
	}
}

// viewIndex returns the position of uid in the view, or -1.
func (f *Folder) viewIndex(uid uint32) int {
	i := sort.Search(len(f.view), func(i int) bool { return f.view[i].UID >= uid })
	if i < len(f.view) && f.view[i].UID == uid {
		return i
	}
	return -1
}

// updateView replaces or removes entries of the view after the session's
// own operation, so that Poll does not report them back.
func (f *Folder) updateView(changed []MessageInfo, removed []uint32) {
	if len(changed) == 0 && len(removed) == 0 {
		return
	}
	view := f.view // updated in place: Messages' slice is valid until now
	for _, m := range changed {
		if i := sort.Search(len(view), func(i int) bool { return view[i].UID >= m.UID }); i < len(view) && view[i].UID == m.UID {
			view[i] = m
		}
	}
	if len(removed) > 0 {
		rm := make(map[uint32]bool, len(removed))
		for _, u := range removed {
			rm[u] = true
		}
		out := view[:0]
		for _, m := range view {
			if !rm[m.UID] {
				out = append(out, m)
			}
		}
		clear(view[len(out):])
		view = out
	}
	f.view = view
}

// Open returns the content of the message with the given UID.
func (f *Folder) Open(ctx context.Context, uid uint32) (MessageReader, error) {
	if err := f.check(); err != nil {
		return nil, err
	}
	if err := checkCtx(ctx); err != nil {
		return nil, err
	}
	return f.st.open(uid)
}

func (st *folderState) open(uid uint32) (MessageReader, error) {
	for attempt := 0; ; attempt++ {
		st.mu.Lock()
		if err := st.usable(); err != nil {
			st.mu.Unlock()
			return nil, err
		}
		i := st.find(uid)
		if i < 0 || uint64(uid) >= st.visibleLimit() {
			st.mu.Unlock()
			return nil, ErrNoSuchMessage
		}
		m := st.msgs[i]
		st.mu.Unlock()
		file, err := st.fs().Open(st.dir + subdir(m.inNew) + m.name)
		if err != nil {
			if isNotExist(err) && attempt == 0 {
				// Another program renamed it (flags) or moved it to cur/.
				st.mu.Lock()
				_, err = st.refresh()
				st.mu.Unlock()
				if err != nil {
					return nil, err
				}
				continue
			}
			if isNotExist(err) {
				return nil, ErrNoSuchMessage
			}
			return nil, err
		}
		if m.size == m.raw {
			return &rawReader{f: file, size: m.size}, nil
		}
		return &lfReader{f: file, size: m.size}, nil
	}
}

// StoreOptions are the options of SetFlags.
type StoreOptions struct {
	// UnchangedSince, with CheckUnchanged, makes SetFlags leave alone the
	// messages whose MODSEQ is above it and report them in
	// FlagResult.Modified (RFC 7162 section 3.1.3, UNCHANGEDSINCE).
	UnchangedSince uint64
	CheckUnchanged bool
}

// FlagResult is the outcome of SetFlags.
type FlagResult struct {
	// Messages are the matched messages (ascending UID) with their flags
	// after the operation; those that changed have a new ModSeq.
	Messages []MessageInfo
	// Modified are the UIDs left alone by the UNCHANGEDSINCE check.
	Modified []uint32
	// ModSeq is the modification sequence given to the changed messages.
	ModSeq uint64
}

// SetFlags changes the flags of the messages in uids (messages of the
// session's view, or any visible message) and renames their files so the
// Maildir info (":2,FS...") carries the flags; keywords use the letters a
// to z as listed in the folder's dovecot-keywords file. Messages still in
// new/ move to cur/. Messages whose flags do not change keep their
// MODSEQ.
func (f *Folder) SetFlags(ctx context.Context, uids UIDSet, op FlagOp, flags []string, opts *StoreOptions) (FlagResult, error) {
	if err := f.check(); err != nil {
		return FlagResult{}, err
	}
	if err := checkCtx(ctx); err != nil {
		return FlagResult{}, err
	}
	if opts == nil {
		opts = &StoreOptions{}
	}
	fl, err := parseFlags(flags)
	if err != nil {
		return FlagResult{}, err
	}
	st := f.st
	var res FlagResult
	var ch *Change
	var unsynced syncMask
	for attempt := 0; ; attempt++ {
		var u syncMask
		st.mu.Lock()
		res, ch, u, err = st.setFlags(uids, op, fl, opts, f.id)
		unsynced |= u // a first attempt may have renamed some files
		if err != nil && isNotExist(err) && attempt == 0 {
			_, rerr := st.refresh()
			st.mu.Unlock()
			if rerr != nil {
				return FlagResult{}, rerr
			}
			continue
		}
		st.mu.Unlock()
		break
	}
	// Flags are acknowledged to the client: make the renames durable.
	if serr := st.syncChanges(unsynced); serr != nil && err == nil {
		err = serr
	}
	if ch != nil {
		f.s.notifier.Publish(*ch)
	}
	if err != nil {
		return FlagResult{}, err
	}
	f.updateView(res.Messages, nil)
	return res, nil
}

// setFlags applies a flag change and returns the directories whose
// renames the caller must make durable (syncChanges, after unlocking).
func (st *folderState) setFlags(uids UIDSet, op FlagOp, fl flagSet, opts *StoreOptions, origin uint64) (FlagResult, *Change, syncMask, error) {
	var res FlagResult
	if err := st.usable(); err != nil {
		return res, nil, 0, err
	}
	kw, err := st.keywordBits(fl.keywords, op != FlagsRemove)
	if err != nil {
		return res, nil, 0, err
	}
	type change struct {
		i             int
		bits          uint8
		kw            uint32
		newName, from string
		inNew         bool
	}
	var todo []change
	var matched []int
	for i := range st.inSet(uids) {
		m := &st.msgs[i]
		bits, k := m.bits, m.kw
		switch op {
		case FlagsReplace:
			bits, k = fl.bits, kw
		case FlagsAdd:
			bits, k = bits|fl.bits, k|kw
		case FlagsRemove:
			bits, k = bits&^fl.bits, k&^kw
		}
		if bits == m.bits && k == m.kw {
			matched = append(matched, i)
			continue
		}
		if opts.CheckUnchanged && m.modseq > opts.UnchangedSince {
			res.Modified = append(res.Modified, m.uid)
			continue
		}
		_, info := parseInfo(m.name)
		nn := m.base() + ":2," + makeInfo(info, bits, k)
		todo = append(todo, change{i: i, bits: bits, kw: k, newName: nn, from: st.dir + subdir(m.inNew) + m.name, inNew: m.inNew})
		matched = append(matched, i)
	}
	if len(todo) > 0 {
		var buf []byte
		var ms uint64
		ms, buf = st.nextModSeq(buf)
		if err := st.logWriteSync(buf); err != nil {
			return res, nil, 0, err
		}
		movedFromNew := false
		var uids []uint32
		var firstErr error
		clean := st.ownBegin(syncNew | syncCur)
		for _, c := range todo {
			if err := st.fs().Rename(c.from, st.dir+"/cur/"+c.newName); err != nil {
				if firstErr == nil {
					firstErr = err
				}
				continue
			}
			m := &st.msgs[c.i]
			m.name, m.inNew, m.bits, m.kw, m.modseq = c.newName, false, c.bits, c.kw, ms
			movedFromNew = movedFromNew || c.inNew
			uids = append(uids, m.uid)
		}
		st.ownEnd(clean)
		unsynced := syncCur
		if movedFromNew {
			unsynced |= syncNew
		}
		res.ModSeq = ms
		var ch *Change
		if len(uids) > 0 {
			st.touchedFlags(uids)
			st.maybeMaintain()
			ch = &Change{Kind: ChangeFlags, User: st.user, Folder: st.name, UIDValidity: st.uidValidity, UIDs: uids, ModSeq: ms, Origin: origin}
		}
		if firstErr != nil {
			return res, ch, unsynced, firstErr
		}
		sort.Ints(matched)
		for _, i := range matched {
			res.Messages = append(res.Messages, st.info(&st.msgs[i]))
		}
		return res, ch, unsynced, nil
	}
	for _, i := range matched {
		res.Messages = append(res.Messages, st.info(&st.msgs[i]))
	}
	return res, nil, 0, nil
}

// Expunge removes the messages flagged \Deleted; with a non-nil uids,
// only those among them that are in uids (RFC 4315 UID EXPUNGE). It
// returns the expunged UIDs in ascending order and removes them from the
// session's view.
func (f *Folder) Expunge(ctx context.Context, uids UIDSet) ([]uint32, error) {
	if err := f.check(); err != nil {
		return nil, err
	}
	if err := checkCtx(ctx); err != nil {
		return nil, err
	}
	return f.remove(uids, true)
}

func (f *Folder) remove(uids UIDSet, onlyDeleted bool) ([]uint32, error) {
	st := f.st
	st.mu.Lock()
	gone, ch, unsynced, err := st.remove(uids, onlyDeleted, f.id)
	st.mu.Unlock()
	// The expunge is acknowledged to the client: make the unlinks durable.
	if serr := st.syncChanges(unsynced); serr != nil && err == nil {
		err = serr
	}
	if ch != nil {
		f.s.notifier.Publish(*ch)
	}
	f.updateView(nil, gone)
	return gone, err
}

// remove deletes message files. Called with st.mu held; the caller makes
// the unlinks in the directories returned durable (syncChanges) after
// unlocking.
func (st *folderState) remove(uids UIDSet, onlyDeleted bool, origin uint64) ([]uint32, *Change, syncMask, error) {
	if err := st.usable(); err != nil {
		return nil, nil, 0, err
	}
	var gone []uint32
	var dirs syncMask
	var firstErr error
	drop := map[uint32]bool{}
	clean := st.ownBegin(syncNew | syncCur)
	for i := range st.inSet(uids) {
		m := &st.msgs[i]
		if onlyDeleted && m.bits&bitDeleted == 0 {
			continue
		}
		if err := st.fs().Remove(st.dir + subdir(m.inNew) + m.name); err != nil && !isNotExist(err) {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		dirs |= maskOf(m.inNew)
		gone = append(gone, m.uid)
		drop[m.uid] = true
	}
	st.ownEnd(clean)
	if len(gone) == 0 {
		return nil, nil, 0, firstErr
	}
	msgs := st.msgs[:0]
	for _, m := range st.msgs {
		if drop[m.uid] {
			delete(st.byBase, m.base())
			continue
		}
		msgs = append(msgs, m)
	}
	for i := len(msgs); i < len(st.msgs); i++ {
		st.msgs[i] = msgRec{}
	}
	st.msgs = msgs
	// RFC 7162 section 3.1.1: an expunge raises HIGHESTMODSEQ too.
	var buf []byte
	var ms uint64
	ms, buf = st.nextModSeq(buf)
	if err := st.logWriteSync(buf); err != nil && firstErr == nil {
		firstErr = err
	}
	// RFC 7162 section 3.2: remember the expunged UIDs with their MODSEQ
	// for QRESYNC (expungelog.go). A failure there does not fail the
	// expunge: the log stays right in memory, and on disk it falls back
	// to answering conservatively.
	if f, err := st.expAppend(gone, ms); err != nil {
		st.s.logger().Warn("mailbox: writing the expunge log", "folder", st.dir, "err", err)
	} else if f != nil {
		dirs |= syncExpLog
	}
	st.touched(len(gone))
	st.maybeMaintain()
	return gone, &Change{Kind: ChangeExpunge, User: st.user, Folder: st.name, UIDValidity: st.uidValidity, UIDs: gone, ModSeq: ms, Origin: origin}, dirs, firstErr
}

// CopyResult maps source UIDs to the UIDs of the copies, for an IMAP
// COPYUID response (RFC 4315).
type CopyResult struct {
	UIDValidity uint32   // of the destination
	SourceUIDs  []uint32 // ascending
	DestUIDs    []uint32 // DestUIDs[i] is the copy of SourceUIDs[i]
}

// Copy copies the messages in uids to the folder dest of the same user,
// with their flags, keywords and internal dates (RFC 3501 section 6.4.7).
// Files are hard-linked where the file system allows. It fails with
// ErrNoSuchFolder if dest does not exist (IMAP [TRYCREATE]), and with
// ErrNoSuchMessage, copying nothing, if a message of the handle's view in
// uids was expunged since the last Poll (IMAP [EXPUNGEISSUED]).
func (f *Folder) Copy(ctx context.Context, uids UIDSet, dest string) (CopyResult, error) {
	if err := f.check(); err != nil {
		return CopyResult{}, err
	}
	if err := checkCtx(ctx); err != nil {
		return CopyResult{}, err
	}
	return f.copy(ctx, uids, dest)
}

// Move moves the messages in uids to dest (RFC 6851): it copies them, then
// expunges them from this folder, and removes them from the session's
// view. The IMAP server sends the EXPUNGE responses for SourceUIDs.
func (f *Folder) Move(ctx context.Context, uids UIDSet, dest string) (CopyResult, error) {
	if err := f.check(); err != nil {
		return CopyResult{}, err
	}
	if err := checkCtx(ctx); err != nil {
		return CopyResult{}, err
	}
	res, err := f.copy(ctx, uids, dest)
	if err != nil {
		return res, err
	}
	if len(res.SourceUIDs) > 0 {
		if _, err := f.remove(UIDSetOf(res.SourceUIDs...), false); err != nil {
			return res, err
		}
	}
	return res, nil
}

func (f *Folder) copy(ctx context.Context, uids UIDSet, dest string) (CopyResult, error) {
	src := f.st
	type item struct {
		m    msgRec
		kws  []string
		path string
	}
	var items []item
	src.mu.Lock()
	if err := src.usable(); err != nil {
		src.mu.Unlock()
		return CopyResult{}, err
	}
	for i := range src.inSet(uids) {
		m := src.msgs[i]
		items = append(items, item{m: m, kws: flagStrings(0, m.kw, src.keywords), path: src.dir + subdir(m.inNew) + m.name})
	}
	// All or nothing (RFC 3501 section 6.4.7): a message of this
	// session's view that another session expunged since the last Poll
	// fails the copy (IMAP NO [EXPUNGEISSUED]).
	for i := range f.inView(uids) {
		if src.find(f.view[i].UID) < 0 {
			src.mu.Unlock()
			return CopyResult{}, ErrNoSuchMessage
		}
	}
	src.mu.Unlock()
	if len(items) == 0 {
		return CopyResult{}, nil
	}
	dst, err := f.s.acquire(src.user, dest)
	if err != nil {
		return CopyResult{}, err
	}
	defer f.s.release(dst)

	var reqs []*appendReq
	fail := func(err error) (CopyResult, error) {
		for _, r := range reqs {
			f.s.fs.Remove(r.tmp)
		}
		return CopyResult{}, err
	}
	for _, it := range items {
		if err := checkCtx(ctx); err != nil {
			return fail(err)
		}
		var kw uint32
		if len(it.kws) > 0 {
			dst.mu.Lock()
			kw, err = dst.keywordBits(it.kws, true)
			dst.mu.Unlock()
			if err != nil {
				return fail(err)
			}
		}
		name := f.s.uniqueName()
		tmp := dst.dir + "/tmp/" + name
		if err := f.s.linkOrCopy(it.path, tmp, time.Unix(0, it.m.date)); err != nil {
			return fail(err)
		}
		_, info := parseInfo(it.m.name)
		reqs = append(reqs, &appendReq{
			st: dst, tmp: tmp, base: withSizes(name, it.m.raw, it.m.size),
			toCur: true, info: makeInfo(info, it.m.bits, kw),
			size: it.m.size, raw: it.m.raw, date: it.m.date,
		})
	}
	f.s.commit(reqs)
	res := CopyResult{UIDValidity: dst.uidValidity}
	var firstErr error
	for i, r := range reqs {
		if r.err != nil {
			if firstErr == nil {
				firstErr = r.err
			}
			continue
		}
		res.SourceUIDs = append(res.SourceUIDs, items[i].m.uid)
		res.DestUIDs = append(res.DestUIDs, r.uid)
		res.UIDValidity = r.uidValidity
	}
	if firstErr != nil {
		// All or nothing (RFC 3501 section 6.4.7): undo the copies made.
		if len(res.DestUIDs) > 0 {
			dst.mu.Lock()
			_, ch, unsynced, _ := dst.remove(UIDSetOf(res.DestUIDs...), false, 0)
			dst.mu.Unlock()
			dst.syncChanges(unsynced)
			if ch != nil {
				f.s.notifier.Publish(*ch)
			}
		}
		return CopyResult{}, firstErr
	}
	return res, nil
}

// linkOrCopy puts the content of src at dst (a tmp/ path): a hard link
// (the data is already durable), or a copy that is fsync'd.
func (s *Store) linkOrCopy(src, dst string, date time.Time) error {
	if err := s.fs.Link(src, dst); err == nil {
		return nil
	} else if isNotExist(err) {
		return ErrNoSuchMessage
	}
	in, err := s.fs.Open(src)
	if err != nil {
		if isNotExist(err) {
			return ErrNoSuchMessage
		}
		return err
	}
	defer in.Close()
	out, err := s.fs.Create(dst)
	if err != nil {
		return err
	}
	buf := make([]byte, 32<<10)
	for off := int64(0); ; {
		n, rerr := in.ReadAt(buf, off)
		if n > 0 {
			if _, err = out.Write(buf[:n]); err != nil {
				break
			}
			off += int64(n)
		}
		if rerr != nil {
			if rerr != io.EOF {
				err = rerr
			}
			break
		}
	}
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = s.fs.Chtimes(dst, date)
	}
	if err != nil {
		s.fs.Remove(dst)
	}
	return err
}
