package mailbox

// syncMask names what a change to a folder leaves to fsync once the
// folder's lock is released: its message directories new/ and cur/, and
// the expunge log.
type syncMask uint8

const (
	syncNew syncMask = 1 << iota
	syncCur
	syncExpLog // not a directory: the expunge log's last record
)

// maskOf is the directory a message file is in, as a syncMask.
func maskOf(inNew bool) syncMask {
	if inNew {
		return syncNew
	}
	return syncCur
}

// syncChanges makes the renames and unlinks made in the directories of
// mask durable, and with syncExpLog the records appended to the expunge
// log. It is called without st.mu, after the change is applied in memory:
// sessions changing flags or expunging at the same time share the fsyncs,
// and readers of the folder do not wait for the disk meanwhile.
func (st *folderState) syncChanges(mask syncMask) error {
	if mask&syncExpLog != 0 {
		// A failure does not fail the expunge (see remove): the log in
		// memory is exact, and the file is rewritten from it.
		if err := st.expSync.Do(st.expSyncFile); err != nil {
			st.mu.Lock()
			st.expRewrite()
			st.mu.Unlock()
			st.s.logger().Warn("mailbox: syncing the expunge log", "folder", st.dir, "err", err)
		}
	}
	var firstErr error
	for i, sub := range [2]string{"/new", "/cur"} {
		if mask&(1<<i) == 0 {
			continue
		}
		err := st.dirSync[i].Do(func() error { return st.fs().SyncDir(st.dir + sub) })
		if err != nil && firstErr == nil {
			firstErr = err
		}
	}
	return firstErr
}

// ownBegin and ownEnd bracket changes this process makes to new/ and cur/
// (with st.mu held). If a directory's mtime was still the one last
// observed before the changes, the mtime after them is taken as observed
// too, so that refresh does not list the directory again for changes it
// made itself. A change by another process in that window is hidden by
// this, but not for long: an mtime this recent is not quiet, and refresh
// lists a directory that is not quiet at least every recheckAfter.
func (st *folderState) ownBegin(mask syncMask) (clean syncMask) {
	for i, sub := range [2]string{"/new", "/cur"} {
		if mask&(1<<i) == 0 {
			continue
		}
		if fi, err := st.fs().Stat(st.dir + sub); err == nil && fi.mtime.UnixNano() == st.obs[i].mtime {
			clean |= 1 << i
		}
	}
	return clean
}

func (st *folderState) ownEnd(clean syncMask) {
	for i, sub := range [2]string{"/new", "/cur"} {
		if clean&(1<<i) == 0 {
			continue
		}
		if fi, err := st.fs().Stat(st.dir + sub); err == nil {
			st.obs[i].mtime = fi.mtime.UnixNano()
		}
	}
}

// expSyncFile fsyncs the expunge log file. A file closed meanwhile was
// replaced by a rewrite, which synced the whole log.
func (st *folderState) expSyncFile() error {
	st.mu.Lock()
	f := st.exp.file
	st.mu.Unlock()
	if f == nil {
		return nil
	}
	if err := f.Sync(); err != nil && !errIsClosed(err) {
		return err
	}
	return nil
}
