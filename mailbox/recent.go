package mailbox

import "sort"

// \Recent (RFC 3501 section 2.3.2) is kept per folder as the lowest UID
// that no session has taken it from (folderState.firstRecent): the
// messages at or above it are recent. A session that may take \Recent
// (IMAP SELECT) raises it past the messages it is told of; one that may
// not (EXAMINE) only looks. It is shared by every handle of the store
// (one process per store root) and saved with the folder's index, so it
// survives a restart that closed the store; after a crash, messages
// taken since the index was last written are recent again. Mail that
// another program drops into the Maildir gets UIDs above it, so it is
// recent, whether it landed in new/ or cur/.

// Recent returns the UIDs among uids (ascending, messages of the handle's
// view) that are \Recent: no handle has taken them.
func (f *Folder) Recent(uids []uint32) []uint32 { return f.recent(uids, false) }

// TakeRecent returns what Recent returns and takes those messages: they
// are recent for no other handle from now on.
func (f *Folder) TakeRecent(uids []uint32) []uint32 { return f.recent(uids, true) }

func (f *Folder) recent(uids []uint32, take bool) []uint32 {
	if len(uids) == 0 || f.check() != nil {
		return nil
	}
	st := f.st
	st.mu.Lock()
	defer st.mu.Unlock()
	i := sort.Search(len(uids), func(i int) bool { return uint64(uids[i]) >= st.firstRecent })
	if take && i < len(uids) {
		st.firstRecent = uint64(uids[len(uids)-1]) + 1
		st.dirty = true // written with the index, at the latest on Close
	}
	return uids[i:]
}

// recentCount is the number of visible messages that are \Recent.
// Called with st.mu held.
func (st *folderState) recentCount() uint32 {
	lim := min(st.visibleLimit(), 1<<32)
	i := sort.Search(len(st.msgs), func(i int) bool { return uint64(st.msgs[i].uid) >= st.firstRecent })
	j := sort.Search(len(st.msgs), func(j int) bool { return uint64(st.msgs[j].uid) >= lim })
	return uint32(max(j-i, 0))
}
