package mailbox

import (
	"context"
	"sort"
	"strings"
)

// FolderInfo describes a folder in a listing.
type FolderInfo struct {
	Name string // canonical name, "/" delimited
	// SpecialUse is the RFC 6154 attribute (`\Sent` ...), or "".
	SpecialUse string
	// NoSelect is set for a name that only exists because it has children
	// (created by another program): IMAP \Noselect.
	NoSelect bool
	// HasChildren: IMAP \HasChildren (else \HasNoChildren), RFC 3348.
	HasChildren bool
	// Subscribed: IMAP \Subscribed (RFC 5258).
	Subscribed bool
}

// Status is a folder's IMAP STATUS (RFC 3501 section 6.3.10, RFC 7162),
// computed from the folder's index without reading message files.
type Status struct {
	Messages      uint32
	Unseen        uint32
	UIDNext       uint32
	UIDValidity   uint32
	Size          int64 // total RFC822.SIZE (RFC 8438 STATUS=SIZE)
	Deleted       uint32
	HighestModSeq uint64
	// Recent is the number of messages no handle has taken \Recent
	// from (Folder.TakeRecent; RFC 3501 section 6.3.10).
	Recent uint32
}

// CreateFolder creates a folder, and its missing parents (RFC 3501 section
// 6.3.3). It fails with ErrFolderExists if the folder exists.
func (s *Store) CreateFolder(ctx context.Context, user, name string) error {
	if err := checkCtx(ctx); err != nil {
		return err
	}
	canon, err := CanonicalName(name)
	if err != nil {
		return err
	}
	us, err := s.user(user)
	if err != nil {
		return err
	}
	if canon == Inbox {
		return ErrFolderExists
	}
	us.mu.Lock()
	defer us.mu.Unlock()
	if s.folderExists(user, canon) {
		return ErrFolderExists
	}
	if err := s.createWithParents(user, canon); err != nil {
		return err
	}
	s.notifier.Publish(Change{Kind: ChangeFolderCreated, User: user, Folder: canon})
	return nil
}

func (s *Store) createWithParents(user, canon string) error {
	comps := strings.Split(canon, Delimiter)
	for i := 1; i <= len(comps); i++ {
		p := strings.Join(comps[:i], Delimiter)
		if p == Inbox || (i < len(comps) && s.folderExists(user, p)) {
			continue
		}
		if err := s.makeFolderDirs(user, p); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) folderExists(user, canon string) bool {
	fi, err := s.fs.Stat(folderDir(user, canon) + "/cur")
	return err == nil && fi.isDir
}

// DeleteFolder deletes a folder and its messages (RFC 3501 section
// 6.3.4). Its children stay. INBOX cannot be deleted (ErrNotAllowed).
// Sessions that have the folder open get ErrFolderDeleted from then on.
// Subscriptions are kept, as RFC 3501 section 6.3.9 asks.
func (s *Store) DeleteFolder(ctx context.Context, user, name string) error {
	if err := checkCtx(ctx); err != nil {
		return err
	}
	canon, err := CanonicalName(name)
	if err != nil {
		return err
	}
	if canon == Inbox {
		return ErrNotAllowed
	}
	us, err := s.user(user)
	if err != nil {
		return err
	}
	us.mu.Lock()
	defer us.mu.Unlock()
	if !s.folderExists(user, canon) {
		return ErrNoSuchFolder
	}
	// Rename first (atomic: the folder is gone at once for everyone,
	// including other programs), then remove at leisure. The trash name
	// has no leading dot, so it is never listed as a folder.
	trash := userDir(user) + "/mailwright-deleted-" + newFileID()
	if err := s.fs.Rename(folderDir(user, canon), trash); err != nil {
		return err
	}
	if err := s.fs.SyncDir(userDir(user)); err != nil {
		return err
	}
	s.dropFolderStates(user, canon, false)
	if err := s.fs.RemoveAll(trash); err != nil {
		s.logger().Warn("mailbox: removing deleted folder", "dir", trash, "err", err)
	}
	uses, _ := s.readSpecialUse(user)
	if _, ok := uses[canon]; ok {
		delete(uses, canon)
		s.writeSpecialUseMap(user, uses)
	}
	return nil
}

// dropFolderStates forgets the loaded state of a folder (and its children
// if withChildren, for a rename) and tells its watchers.
func (s *Store) dropFolderStates(user, canon string, withChildren bool) {
	renaming := withChildren
	var states []*folderState
	for _, st := range s.statesUnder(user, canon) {
		if st.name == canon || withChildren {
			states = append(states, st)
		}
	}
	s.forget(states)
	for _, st := range states {
		s.notifier.Publish(Change{Kind: ChangeFolderDeleted, User: user, Folder: st.name, Renaming: renaming})
	}
	if len(states) == 0 {
		s.notifier.Publish(Change{Kind: ChangeFolderDeleted, User: user, Folder: canon, Renaming: renaming})
	}
}

// RenameFolder renames a folder and its children (RFC 3501 section
// 6.3.5), keeping UIDs and UIDVALIDITY. Renaming INBOX moves all its
// messages into the new folder and leaves INBOX empty. The new name must
// not exist (ErrFolderExists); missing parents of it are created.
func (s *Store) RenameFolder(ctx context.Context, user, oldName, newName string) error {
	if err := checkCtx(ctx); err != nil {
		return err
	}
	from, err := CanonicalName(oldName)
	if err != nil {
		return err
	}
	to, err := CanonicalName(newName)
	if err != nil {
		return err
	}
	if to == Inbox {
		return ErrFolderExists
	}
	if strings.HasPrefix(to, from+Delimiter) {
		return ErrNotAllowed // into itself
	}
	us, err := s.user(user)
	if err != nil {
		return err
	}
	us.mu.Lock()
	defer us.mu.Unlock()
	if !s.folderExists(user, from) {
		return ErrNoSuchFolder
	}
	if s.folderExists(user, to) {
		return ErrFolderExists
	}
	if from == Inbox {
		return s.renameInbox(user, to)
	}
	if i := strings.LastIndex(to, Delimiter); i > 0 {
		if err := s.createWithParents(user, to[:i]); err != nil {
			return err
		}
	}
	// Children first is not needed: in Maildir++ every folder is its own
	// directory at the top, so each rename is independent.
	ents, err := s.fs.ReadDir(userDir(user))
	if err != nil {
		return err
	}
	oldDisk := diskName(from)
	type mv struct{ from, to string }
	var moves []mv
	for _, e := range ents {
		if !e.isDir {
			continue
		}
		if e.name == oldDisk || strings.HasPrefix(e.name, oldDisk+".") {
			name, ok := folderFromDisk(e.name)
			if !ok {
				continue
			}
			nn := to + strings.TrimPrefix(name, from)
			if _, err := CanonicalName(nn); err != nil {
				return err
			}
			if s.folderExists(user, nn) {
				return ErrFolderExists
			}
			moves = append(moves, mv{e.name, diskName(nn)})
		}
	}
	// Write the indexes first, so that the folders load cleanly under
	// their new names: MODSEQs stay as they are and the expunge log stays
	// exact (an unclean load forgets it, expungelog.go).
	for _, st := range s.statesUnder(user, from) {
		st.mu.Lock()
		if st.loaded && !st.deleted && st.dirty {
			st.writeIndex()
		}
		st.mu.Unlock()
	}
	s.dropFolderStates(user, from, true)
	for _, m := range moves {
		if err := s.fs.Rename(userDir(user)+"/"+m.from, userDir(user)+"/"+m.to); err != nil {
			return err
		}
	}
	if err := s.fs.SyncDir(userDir(user)); err != nil {
		return err
	}
	s.notifier.Publish(Change{Kind: ChangeFolderRenamed, User: user, Folder: to, OldFolder: from})
	if uses, err := s.readSpecialUse(user); err == nil {
		changed := false
		for name, use := range uses {
			if name == from || strings.HasPrefix(name, from+Delimiter) {
				delete(uses, name)
				uses[to+strings.TrimPrefix(name, from)] = use
				changed = true
			}
		}
		if changed {
			s.writeSpecialUseMap(user, uses)
		}
	}
	return nil
}

// renameInbox implements RFC 3501 section 6.3.5 for INBOX: the messages
// move to a new folder; INBOX stays, empty.
func (s *Store) renameInbox(user, to string) error {
	if err := s.createWithParents(user, to); err != nil {
		return err
	}
	st, err := s.acquireCanon(user, Inbox)
	if err != nil {
		return err
	}
	defer s.release(st)
	st.mu.Lock()
	if _, err := st.refresh(); err != nil {
		st.mu.Unlock()
		return err
	}
	dst := folderDir(user, to)
	var moved []uint32
	var firstErr error
	lim := st.visibleLimit()
	drop := map[uint32]bool{}
	for i := range st.msgs {
		m := &st.msgs[i]
		if uint64(m.uid) >= lim {
			break
		}
		if err := s.fs.Rename(st.dir+subdir(m.inNew)+m.name, dst+subdir(m.inNew)+m.name); err != nil {
			if firstErr == nil && !isNotExist(err) {
				firstErr = err
			}
			continue
		}
		moved = append(moved, m.uid)
		drop[m.uid] = true
	}
	for _, d := range []string{dst + "/new", dst + "/cur", st.dir + "/new", st.dir + "/cur"} {
		if err := s.fs.SyncDir(d); err != nil && firstErr == nil {
			firstErr = err
		}
	}
	var ch *Change
	if len(moved) > 0 {
		msgs := st.msgs[:0]
		for _, m := range st.msgs {
			if drop[m.uid] {
				delete(st.byBase, m.base())
			} else {
				msgs = append(msgs, m)
			}
		}
		st.msgs = msgs
		var buf []byte
		var ms uint64
		ms, buf = st.nextModSeq(buf)
		st.logWriteSync(buf)
		st.expRecord(moved, ms) // RFC 7162 section 3.2, expungelog.go
		st.touched(len(moved))
		st.compactUidlist()
		ch = &Change{Kind: ChangeExpunge, User: user, Folder: Inbox, UIDValidity: st.uidValidity, UIDs: moved, ModSeq: ms}
	}
	st.mu.Unlock()
	if ch != nil {
		s.notifier.Publish(*ch)
	}
	// RFC 5465 5.4: INBOX renamed is a new folder with INBOX's old
	// messages, and an INBOX that is still there.
	s.notifier.Publish(Change{Kind: ChangeFolderRenamed, User: user, Folder: to, OldFolder: Inbox})
	return firstErr
}

// ListFolders lists a user's folders, INBOX first, then by name. Names
// that only exist as parents of other folders are listed with NoSelect.
func (s *Store) ListFolders(ctx context.Context, user string) ([]FolderInfo, error) {
	if err := checkCtx(ctx); err != nil {
		return nil, err
	}
	if _, err := s.user(user); err != nil {
		return nil, err
	}
	ents, err := s.fs.ReadDir(userDir(user))
	if err != nil {
		return nil, err
	}
	names := map[string]bool{Inbox: true} // name -> selectable
	for _, e := range ents {
		if !e.isDir {
			continue
		}
		name, ok := folderFromDisk(e.name)
		if !ok {
			continue
		}
		if fi, err := s.fs.Stat(userDir(user) + "/" + e.name + "/cur"); err != nil || !fi.isDir {
			continue
		}
		names[name] = true
		comps := strings.Split(name, Delimiter)
		for i := 1; i < len(comps); i++ {
			p := strings.Join(comps[:i], Delimiter)
			if !names[p] {
				names[p] = false
			}
		}
	}
	subs, _ := s.Subscriptions(ctx, user)
	subscribed := map[string]bool{}
	for _, n := range subs {
		subscribed[n] = true
	}
	uses, _ := s.readSpecialUse(user)
	out := make([]FolderInfo, 0, len(names))
	for n, sel := range names {
		out = append(out, FolderInfo{Name: n, NoSelect: !sel, Subscribed: subscribed[n], SpecialUse: uses[n]})
	}
	sort.Slice(out, func(i, j int) bool {
		if (out[i].Name == Inbox) != (out[j].Name == Inbox) {
			return out[i].Name == Inbox
		}
		return out[i].Name < out[j].Name
	})
	for i := range out {
		for j := range out {
			if strings.HasPrefix(out[j].Name, out[i].Name+Delimiter) {
				out[i].HasChildren = true
				break
			}
		}
	}
	return out, nil
}

// Status returns a folder's counters without opening any message file.
func (s *Store) Status(ctx context.Context, user, name string) (Status, error) {
	if err := checkCtx(ctx); err != nil {
		return Status{}, err
	}
	st, err := s.acquire(user, name)
	if err != nil {
		return Status{}, err
	}
	defer s.release(st)
	st.mu.Lock()
	defer st.mu.Unlock()
	if _, err := st.refresh(); err != nil {
		return Status{}, err
	}
	out := Status{UIDNext: st.uidNextVisible(), UIDValidity: st.uidValidity, HighestModSeq: st.hms, Recent: st.recentCount()}
	lim := st.visibleLimit()
	for i := range st.msgs {
		m := &st.msgs[i]
		if uint64(m.uid) >= lim {
			break
		}
		out.Messages++
		out.Size += m.size
		if m.bits&bitSeen == 0 {
			out.Unseen++
		}
		if m.bits&bitDeleted != 0 {
			out.Deleted++
		}
	}
	return out, nil
}

// Subscribe adds a folder name to the user's subscriptions (RFC 3501
// section 6.3.6). The folder need not exist.
func (s *Store) Subscribe(ctx context.Context, user, name string) error {
	return s.editSubscriptions(ctx, user, name, true)
}

// Unsubscribe removes a folder name from the user's subscriptions.
func (s *Store) Unsubscribe(ctx context.Context, user, name string) error {
	return s.editSubscriptions(ctx, user, name, false)
}

func (s *Store) editSubscriptions(ctx context.Context, user, name string, add bool) error {
	if err := checkCtx(ctx); err != nil {
		return err
	}
	canon, err := CanonicalName(name)
	if err != nil {
		return err
	}
	us, err := s.user(user)
	if err != nil {
		return err
	}
	us.mu.Lock()
	defer us.mu.Unlock()
	subs, err := s.readSubscriptions(user)
	if err != nil {
		return err
	}
	out := subs[:0]
	found := false
	for _, n := range subs {
		if n == canon {
			found = true
			if !add {
				continue
			}
		}
		out = append(out, n)
	}
	if add && !found {
		out = append(out, canon)
	}
	if add == found && len(out) == len(subs) {
		return nil
	}
	if err := s.writeSubscriptions(user, out); err != nil {
		return err
	}
	s.notifier.Publish(Change{Kind: ChangeSubscription, User: user, Folder: canon})
	return nil
}

// Subscriptions returns the user's subscribed folder names.
func (s *Store) Subscriptions(ctx context.Context, user string) ([]string, error) {
	if err := checkCtx(ctx); err != nil {
		return nil, err
	}
	if _, err := s.user(user); err != nil {
		return nil, err
	}
	return s.readSubscriptions(user)
}

// The subscriptions file holds one folder name per line, UTF-8, "/"
// delimited.
func (s *Store) readSubscriptions(user string) ([]string, error) {
	data, err := s.fs.ReadFile(userDir(user) + "/" + subscriptionsFile)
	if err != nil {
		if isNotExist(err) {
			return nil, nil
		}
		return nil, err
	}
	var out []string
	seen := map[string]bool{}
	for _, line := range strings.Split(string(data), "\n") {
		if canon, err := CanonicalName(line); err == nil && !seen[canon] {
			seen[canon] = true
			out = append(out, canon)
		}
	}
	return out, nil
}

func (s *Store) writeSubscriptions(user string, names []string) error {
	var b strings.Builder
	for _, n := range names {
		b.WriteString(n)
		b.WriteByte('\n')
	}
	return writeAtomicBytes(s.fs, userDir(user), subscriptionsFile, []byte(b.String()))
}

// SpecialUse returns the user's special-use folders: name -> attribute.
func (s *Store) SpecialUse(ctx context.Context, user string) (map[string]string, error) {
	if err := checkCtx(ctx); err != nil {
		return nil, err
	}
	if _, err := s.user(user); err != nil {
		return nil, err
	}
	return s.readSpecialUse(user)
}

// SetSpecialUse sets (or with use "" clears) the special-use attribute of
// an existing folder (RFC 6154 CREATE-SPECIAL-USE, or METADATA).
func (s *Store) SetSpecialUse(ctx context.Context, user, name, use string) error {
	if err := checkCtx(ctx); err != nil {
		return err
	}
	canon, err := CanonicalName(name)
	if err != nil {
		return err
	}
	switch use {
	case "", UseAll, UseArchive, UseDrafts, UseFlagged, UseJunk, UseSent, UseTrash:
	default:
		return flagErr(use)
	}
	us, err := s.user(user)
	if err != nil {
		return err
	}
	us.mu.Lock()
	defer us.mu.Unlock()
	if !s.folderExists(user, canon) {
		return ErrNoSuchFolder
	}
	uses, err := s.readSpecialUse(user)
	if err != nil {
		return err
	}
	if use == "" {
		delete(uses, canon)
	} else {
		uses[canon] = use
	}
	return s.writeSpecialUseMap(user, uses)
}

// The special-use file holds "<attribute> <folder name>" lines.
func (s *Store) readSpecialUse(user string) (map[string]string, error) {
	out := map[string]string{}
	data, err := s.fs.ReadFile(userDir(user) + "/" + specialUseFile)
	if err != nil {
		if isNotExist(err) {
			return out, nil
		}
		return out, err
	}
	for _, line := range strings.Split(string(data), "\n") {
		sp := strings.IndexByte(line, ' ')
		if sp < 0 {
			continue
		}
		if canon, err := CanonicalName(line[sp+1:]); err == nil {
			out[canon] = line[:sp]
		}
	}
	return out, nil
}

func (s *Store) writeSpecialUse(user string, list []SpecialFolder) error {
	m := map[string]string{}
	for _, sf := range list {
		m[sf.Name] = sf.Use
	}
	return s.writeSpecialUseMap(user, m)
}

func (s *Store) writeSpecialUseMap(user string, m map[string]string) error {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		b.WriteString(m[n] + " " + n + "\n")
	}
	return writeAtomicBytes(s.fs, userDir(user), specialUseFile, []byte(b.String()))
}
