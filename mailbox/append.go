package mailbox

import (
	"bytes"
	"context"
	"io"
	"io/fs"
	"strconv"
	"sync"
	"time"
)

// AppendOptions are the optional attributes of an appended message.
type AppendOptions struct {
	// Flags to set (system flags and keywords). With no flags the message
	// goes to new/ (a new, unseen message); with flags, to cur/.
	Flags []string
	// InternalDate is the IMAP internal date (RFC 3501 section 2.3.3),
	// kept as the file's mtime. Zero means now.
	InternalDate time.Time
}

// AppendResult is what the store assigned to an appended message: enough
// for an IMAP APPENDUID response (RFC 4315).
type AppendResult struct {
	UID         uint32
	UIDValidity uint32
	ModSeq      uint64
	Size        int64 // octets with CRLF line endings (RFC822.SIZE)
}

// Append stores a message in a user's folder and returns once the message
// and its directory entry are on disk. The content is streamed from r (never
// held in memory); bare LF line endings are written as CRLF, so that the
// stored size is the size IMAP and POP3 announce. It fails with
// ErrNoSuchFolder if the folder does not exist (IMAP [TRYCREATE]); INBOX
// always exists. If writing fails, nothing is left behind.
func (s *Store) Append(ctx context.Context, user, folder string, r io.Reader, opts *AppendOptions) (AppendResult, error) {
	if err := checkCtx(ctx); err != nil {
		return AppendResult{}, err
	}
	if opts == nil {
		opts = &AppendOptions{}
	}
	fl, err := parseFlags(opts.Flags)
	if err != nil {
		return AppendResult{}, err
	}
	st, err := s.acquire(user, folder)
	if err != nil {
		return AppendResult{}, err
	}
	defer s.release(st)

	var kw uint32
	if len(fl.keywords) > 0 {
		st.mu.Lock()
		kw, err = st.keywordBits(fl.keywords, true)
		st.mu.Unlock()
		if err != nil {
			return AppendResult{}, err
		}
	}
	name := s.uniqueName()
	tmp := st.dir + "/tmp/" + name
	size, date, err := s.writeTmp(ctx, tmp, r, opts.InternalDate)
	if err != nil {
		return AppendResult{}, err
	}
	req := &appendReq{
		st: st, tmp: tmp, base: withSizes(name, size, size),
		toCur: fl.bits != 0 || kw != 0, info: makeInfo("", fl.bits, kw),
		size: size, raw: size, date: date.UnixNano(),
	}
	s.commit([]*appendReq{req})
	if req.err != nil {
		return AppendResult{}, req.err
	}
	return AppendResult{UID: req.uid, UIDValidity: req.uidValidity, ModSeq: req.modseq, Size: size}, nil
}

// withSizes adds Dovecot's ",S=<file size>,W=<CRLF size>" to a base name,
// so that sizes are known from the name alone.
func withSizes(name string, raw, size int64) string {
	return name + ",S=" + strconv.FormatInt(raw, 10) + ",W=" + strconv.FormatInt(size, 10)
}

// writeTmp writes r into a new tmp/ file with CRLF line endings and
// returns its size and internal date (date, or the file's mtime). Unless
// the group committer syncs the whole file system per batch, it also
// fsyncs the file. On error the file is removed.
func (s *Store) writeTmp(ctx context.Context, tmp string, r io.Reader, date time.Time) (int64, time.Time, error) {
	f, err := s.fs.Create(tmp)
	if err != nil {
		return 0, date, err
	}
	setDate := !date.IsZero()
	size, err := copyCRLF(ctx, f, r)
	if err == nil && setDate {
		// Before the fsync, so that the date is durable with the data.
		err = s.fs.Chtimes(tmp, date)
	}
	if err == nil && (s.com == nil || !s.syncfs) {
		err = f.Sync()
	}
	if err == nil && !setDate {
		// fstat rather than utimes: it does not dirty the inode.
		var fi fs.FileInfo
		if fi, err = f.Stat(); err == nil {
			date = fi.ModTime()
		}
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		s.fs.Remove(tmp)
		return 0, date, err
	}
	return size, date, nil
}

var copyBufs = sync.Pool{New: func() any { b := make([]byte, 3*copyChunk); return &b }}

const copyChunk = 16 << 10

// copyCRLF copies r to w, turning bare LF into CRLF, and returns the number
// of bytes written. A message that does not end with a line ending is
// stored as it is: IMAP's BODY[] must give back what APPEND was given. It
// checks ctx between chunks. Memory is two pooled buffers, whatever the
// message size; the output is gathered into writes of at least
// copyChunk bytes (an SMTP body arrives a line per Read, and a write per
// line cost a system call each).
func copyCRLF(ctx context.Context, w io.Writer, r io.Reader) (int64, error) {
	bp := copyBufs.Get().(*[]byte)
	defer copyBufs.Put(bp)
	in, o := (*bp)[:copyChunk], (*bp)[copyChunk:copyChunk]
	var n int64
	flush := func() error {
		if len(o) == 0 {
			return nil
		}
		k, err := w.Write(o)
		n += int64(k)
		o = o[:0]
		return err
	}
	prev := byte('\n') // the byte before the next one read; "\n" at the start
	for {
		if err := checkCtx(ctx); err != nil {
			return n, err
		}
		// Each byte read becomes at most two: read no more than fits.
		room := (cap(o) - len(o)) / 2
		if room < copyChunk/2 {
			if err := flush(); err != nil {
				return n, err
			}
			room = cap(o) / 2
		}
		m, rerr := r.Read(in[:min(len(in), room)])
		for seg := in[:m]; len(seg) > 0; {
			i := bytes.IndexByte(seg, '\n')
			if i < 0 {
				o = append(o, seg...)
				prev = seg[len(seg)-1]
				break
			}
			before := prev
			if i > 0 {
				before = seg[i-1]
			}
			o = append(o, seg[:i]...)
			if before != '\r' {
				o = append(o, '\r')
			}
			o = append(o, '\n')
			prev = '\n'
			seg = seg[i+1:]
		}
		if rerr == io.EOF {
			return n, flush()
		}
		if rerr != nil {
			return n, rerr
		}
	}
}

// crlfSize returns the size of r's content with bare LF counted as CRLF.
func crlfSize(r io.Reader) (int64, error) {
	buf := make([]byte, 32<<10)
	var n int64
	prevCR := false
	for {
		m, err := r.Read(buf)
		for _, c := range buf[:m] {
			if c == '\n' && !prevCR {
				n++
			}
			prevCR = c == '\r'
			n++
		}
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}

// appendReq is one message on its way from tmp/ into a folder.
type appendReq struct {
	st    *folderState
	tmp   string // file in tmp/, written and closed
	base  string // unique base name in the folder
	info  string // ":2," letters, used when toCur
	toCur bool
	size  int64
	raw   int64
	date  int64

	final       string
	staged      bool
	uid         uint32
	uidValidity uint32
	modseq      uint64
	err         error
	done        chan struct{}
}

// commit makes the requests durable and visible, through the group
// committer or, without group commit, right here.
func (s *Store) commit(reqs []*appendReq) {
	if s.com == nil {
		s.process(reqs, false)
		return
	}
	for _, r := range reqs {
		r.done = make(chan struct{})
	}
	s.com.submit(reqs)
	for _, r := range reqs {
		<-r.done
	}
}

// committer batches the appends that arrive while it is syncing: all
// appends of a batch share one syncfs (or one fsync per directory and UID
// list), which is what makes many concurrent deliveries fast.
type committer struct {
	s       *Store
	mu      sync.Mutex
	queue   []*appendReq
	stopped bool
	wake    chan struct{}
	quit    chan struct{}
	exited  chan struct{}
}

func newCommitter(s *Store) *committer {
	c := &committer{s: s, wake: make(chan struct{}, 1), quit: make(chan struct{}), exited: make(chan struct{})}
	go c.loop()
	return c
}

func (c *committer) submit(reqs []*appendReq) {
	c.mu.Lock()
	if c.stopped {
		c.mu.Unlock()
		c.s.process(reqs, c.s.syncfs)
		for _, r := range reqs {
			close(r.done)
		}
		return
	}
	c.queue = append(c.queue, reqs...)
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

func (c *committer) loop() {
	defer close(c.exited)
	for {
		select {
		case <-c.wake:
		case <-c.quit:
			c.mu.Lock()
			c.stopped = true
			batch := c.queue
			c.queue = nil
			c.mu.Unlock()
			c.run(batch)
			return
		}
		c.mu.Lock()
		batch := c.queue
		c.queue = nil
		c.mu.Unlock()
		c.run(batch)
	}
}

func (c *committer) run(batch []*appendReq) {
	if len(batch) == 0 {
		return
	}
	c.s.process(batch, c.s.syncfs)
	for _, r := range batch {
		close(r.done)
	}
}

// process moves a batch of written tmp/ files into their folders:
//
//  1. make the file data durable (one syncfs; or the writers already
//     fsync'd each file);
//  2. per folder, under its lock: assign UIDs and MODSEQs, rename tmp/ ->
//     new/ or cur/, append the UID list records;
//  3. make the renames and records durable: an fsync of each directory
//     renamed into and of each UID list, in parallel (a second syncfs
//     would also flush whatever else was written meanwhile);
//  4. per folder: make the messages visible, or on failure remove them.
//
// A crash before 3 completes leaves whole files (data synced in 1) that the
// next load picks up or cleans from tmp/; never a partial message.
func (s *Store) process(batch []*appendReq, useSyncFS bool) {
	if useSyncFS {
		if err := s.fs.SyncFS(); err != nil {
			for _, r := range batch {
				r.err = err
				s.fs.Remove(r.tmp)
			}
			return
		}
	}
	groups, order := s.stageAll(batch)
	var syncErr error
	var wg sync.WaitGroup
	var mu sync.Mutex
	note := func(err error) {
		if err != nil && !errIsClosed(err) {
			mu.Lock()
			if syncErr == nil {
				syncErr = err
			}
			mu.Unlock()
		}
	}
	for _, st := range order {
		g := groups[st]
		if g.log != nil {
			wg.Add(1)
			go func() { defer wg.Done(); note(g.log.Sync()) }()
		}
		for _, d := range g.dirs {
			wg.Add(1)
			go func() { defer wg.Done(); note(s.fs.SyncDir(d)) }()
		}
	}
	wg.Wait()
	s.finishAll(groups, order, syncErr)
}

// stageGroup is one folder's part of a batch.
type stageGroup struct {
	reqs []*appendReq
	log  wfile    // the UID list written to
	dirs []string // directories renamed into
}

// stageAll stages a batch, folder by folder.
func (s *Store) stageAll(batch []*appendReq) (map[*folderState]*stageGroup, []*folderState) {
	var order []*folderState
	groups := map[*folderState]*stageGroup{}
	for _, r := range batch {
		g := groups[r.st]
		if g == nil {
			g = &stageGroup{}
			groups[r.st] = g
			order = append(order, r.st)
		}
		g.reqs = append(g.reqs, r)
	}
	for _, st := range order {
		g := groups[st]
		st.mu.Lock()
		st.stage(g.reqs)
		g.log = st.ulFile
		newDir, curDir := false, false
		for _, r := range g.reqs {
			if r.staged {
				newDir = newDir || !r.toCur
				curDir = curDir || r.toCur
			}
		}
		if newDir {
			g.dirs = append(g.dirs, st.dir+"/new")
		}
		if curDir {
			g.dirs = append(g.dirs, st.dir+"/cur")
		}
		st.mu.Unlock()
	}
	return groups, order
}

// finishAll makes a synced batch visible (or undoes it after err) and
// publishes the changes.
func (s *Store) finishAll(groups map[*folderState]*stageGroup, order []*folderState, err error) {
	for _, st := range order {
		st.mu.Lock()
		ch := st.finish(groups[st].reqs, err)
		st.mu.Unlock()
		if ch != nil {
			s.notifier.Publish(*ch)
		}
	}
}

// stage assigns UIDs and renames the files into place (not yet durable,
// not yet visible). Called with st.mu held.
func (st *folderState) stage(reqs []*appendReq) {
	var buf []byte
	var into syncMask
	for _, r := range reqs {
		into |= maskOf(!r.toCur)
	}
	clean := st.ownBegin(into)
	defer st.ownEnd(clean)
	for _, r := range reqs {
		if r.err != nil {
			continue
		}
		if st.deleted || st.evicted {
			r.err = ErrFolderDeleted
			st.fs().Remove(r.tmp)
			continue
		}
		var m uint64
		m, buf = st.nextModSeq(buf)
		name := r.base
		if r.toCur {
			name += ":2," + r.info
		}
		final := st.dir + subdir(!r.toCur) + name
		if err := st.fs().Rename(r.tmp, final); err != nil {
			r.err = err
			st.fs().Remove(r.tmp)
			continue
		}
		uid := st.uidNext
		st.uidNext++
		rec := msgRec{uid: uid, inNew: !r.toCur, pending: true, modseq: m, size: r.size, raw: r.raw, date: r.date, name: name}
		rec.setFlagsFromName()
		st.msgs = append(st.msgs, rec)
		if st.byBase != nil { // else built from msgs when a scan needs it
			st.byBase[r.base] = uid
		}
		st.pending = append(st.pending, uid)
		buf = appendUidRecord(buf, uid, r.base)
		r.final, r.uid, r.modseq, r.uidValidity, r.staged = final, uid, m, st.uidValidity, true
	}
	if err := st.logAppend(buf); err != nil {
		for _, r := range reqs {
			if r.staged {
				r.err = err
			}
		}
	}
}

// finish makes staged messages visible, or removes them if err is set or
// their own step failed. Called with st.mu held; returns the change to
// publish.
func (st *folderState) finish(reqs []*appendReq, err error) *Change {
	var uids []uint32
	drop := map[uint32]bool{}
	for _, r := range reqs {
		if !r.staged {
			continue
		}
		if r.err == nil && err != nil {
			r.err = err
		}
		if r.err != nil {
			st.fs().Remove(r.final)
			drop[r.uid] = true
			delete(st.byBase, r.base)
		} else if i := st.find(r.uid); i >= 0 {
			st.msgs[i].pending = false
			uids = append(uids, r.uid)
		}
	}
	if len(drop) > 0 {
		msgs := st.msgs[:0]
		for _, m := range st.msgs {
			if !drop[m.uid] {
				msgs = append(msgs, m)
			}
		}
		st.msgs = msgs
	}
	pend := st.pending[:0]
	for _, u := range st.pending {
		done := drop[u]
		for _, v := range uids {
			if v == u {
				done = true
				break
			}
		}
		if !done {
			pend = append(pend, u)
		}
	}
	st.pending = pend
	if len(uids) == 0 {
		return nil
	}
	st.touchedByAppend(len(uids))
	st.maybeMaintain()
	return &Change{Kind: ChangeAppend, User: st.user, Folder: st.name, UIDValidity: st.uidValidity, UIDs: uids, ModSeq: st.hms}
}

func (c *committer) stop() {
	close(c.quit)
	<-c.exited
}
