package imap

import (
	"cmp"
	"iter"
	"slices"
	"strings"
)

// selected is the session's state of its selected mailbox: its own copy
// of the message list as the client knows it, which changes only when the
// server tells the client (EXISTS, EXPUNGE, FETCH FLAGS).
type selected struct {
	mb       Mailbox
	name     string
	readOnly bool
	msgs     []MessageInfo
	recent   map[uint32]struct{}
	// pending are UIDs expunged by others, not told to the client yet
	// (held back during FETCH, STORE and SEARCH by sequence number).
	pending map[uint32]struct{}
	// flags are the flags announced in the last untagged FLAGS response.
	flags   []string
	permAny bool // \* announced in PERMANENTFLAGS
	// saved is the search result variable of RFC 5182 ("$"), as UIDs in
	// ascending order. It lives here so that SELECT, EXAMINE, UNSELECT
	// and CLOSE, which replace or drop the selected state, reset it to
	// empty (RFC 5182 2.1).
	saved []uint32
	// contexts are the searches that asked for updates (RFC 5267 4.3);
	// they end with the selection.
	contexts []*searchContext
	// quiet is a mod-sequence below every expunge held back in pending:
	// everything up to it has been told to the client. With QRESYNC it
	// is announced while expunges are held back (RFC 7162 3.2).
	quiet uint64
}

var mailboxFlags = []string{FlagAnswered, FlagFlagged, FlagDeleted, FlagSeen, FlagDraft}

// index returns the index of uid in msgs, or -1.
func (s *selected) index(uid uint32) int {
	i, found := slices.BinarySearchFunc(s.msgs, uid, func(m MessageInfo, u uint32) int {
		switch {
		case m.UID < u:
			return -1
		case m.UID > u:
			return 1
		}
		return 0
	})
	if !found {
		return -1
	}
	return i
}

func (s *selected) maxUID() uint32 {
	if len(s.msgs) == 0 {
		return 0
	}
	return s.msgs[len(s.msgs)-1].UID
}

// msgRun is a run of messages of the selected mailbox: the indexes lo to
// hi into selected.msgs, both included.
type msgRun struct{ lo, hi int }

// msgRuns are the messages a command names, as ascending runs of
// indexes: as many runs as the command's set has ranges (or fewer), never
// an entry per message, so that FETCH 1:* costs the same memory on a
// folder of any size.
type msgRuns []msgRun

// All yields the indexes in order.
func (x msgRuns) All() iter.Seq[int] {
	return func(yield func(int) bool) {
		for _, r := range x {
			for i := r.lo; i <= r.hi; i++ {
				if !yield(i) {
					return
				}
			}
		}
	}
}

// Len is the number of messages.
func (x msgRuns) Len() int {
	n := 0
	for _, r := range x {
		n += r.hi - r.lo + 1
	}
	return n
}

// add appends index i, extending the last run when i follows it.
func (x msgRuns) add(i int) msgRuns {
	if n := len(x); n > 0 && x[n-1].hi == i-1 {
		x[n-1].hi = i
		return x
	}
	return append(x, msgRun{i, i})
}

// resolve returns the messages that set names, ascending, each once.
// Sequence numbers beyond the mailbox make the command BAD (RFC 9051
// 6.4.5 has them invalid); UIDs that are not there are ignored
// (RFC 9051 6.4.9). The set is never expanded.
func (s *selected) resolve(set SeqSet, uid bool) (msgRuns, bool) {
	n := uint32(len(s.msgs))
	var out msgRuns
	if set.saved {
		// RFC 5182 2.1: "$" names the messages of the saved
		// result, the same in FETCH and UID FETCH. It is never invalid:
		// when empty the command does nothing and succeeds.
		for _, u := range s.saved {
			if i := s.index(u); i >= 0 {
				out = out.add(i)
			}
		}
		return out, true
	}
	if !uid {
		r := set.Resolve(n)
		for lo, hi := range r.All(n) {
			if hi > n || lo == 0 {
				return nil, false
			}
			out = append(out, msgRun{int(lo - 1), int(hi - 1)})
		}
		return out, true
	}
	byUID := func(m MessageInfo, u uint32) int { return cmp.Compare(m.UID, u) }
	max := s.maxUID()
	r := set.Resolve(max)
	for lo, hi := range r.All(max) {
		i, _ := slices.BinarySearchFunc(s.msgs, lo, byUID)
		j, found := slices.BinarySearchFunc(s.msgs, hi, byUID)
		if found {
			j++
		}
		if i < j {
			out = append(out, msgRun{i, j - 1})
		}
	}
	return out, true
}

// uidSet returns the UIDs at the given indexes as a set, skipping those
// expunged by others.
func (s *selected) uidSet(idx msgRuns) (SeqSet, int) {
	var b SeqSetBuilder
	n := 0
	for i := range idx.All() {
		u := s.msgs[i].UID
		if _, gone := s.pending[u]; gone {
			continue
		}
		b.Add(u)
		n++
	}
	return b.Set(), n
}

// flagsOf returns a message's flags as the session shows them: with
// \Recent for a rev1 client when the message is recent in this session.
func (c *conn) flagsOf(m *MessageInfo) []string {
	if c.rev2 {
		return m.Flags
	}
	if _, ok := c.mbox.recent[m.UID]; ok {
		return append(slices.Clip(m.Flags), FlagRecent)
	}
	return m.Flags
}

// enableCondStore turns CONDSTORE on for the rest of the session (RFC
// 7162 3.1: ENABLE CONDSTORE or a CONDSTORE enabling command).
// When a mailbox is selected, the client learns its HIGHESTMODSEQ at once
// (RFC 7162 3.1.2.1: the first enabling command in the selected state).
func (c *conn) enableCondStore() {
	if c.condStore {
		return
	}
	c.condStore = true
	if c.mbox != nil {
		c.writeHighestModSeq()
	}
}

// writeHighestModSeq writes the HIGHESTMODSEQ (or NOMODSEQ for a mailbox
// without mod-sequences) response code of RFC 7162 3.1.2.
func (c *conn) writeHighestModSeq() {
	if hm := c.mbox.mb.HighestModSeq(); hm > 0 {
		c.w.Raw("* OK [HIGHESTMODSEQ ")
		c.w.Number64(hm)
		c.w.Raw("] Highest")
	} else {
		c.w.Raw("* OK [NOMODSEQ] No mod-sequences in this mailbox")
	}
	c.w.CRLF()
}

// writeFlagsResponses writes FLAGS and PERMANENTFLAGS (RFC 9051 7.3.5 and 7.1: PERMANENTFLAGS).
func (c *conn) writeFlagsResponses() {
	s := c.mbox
	c.w.Raw("* FLAGS ")
	c.w.Flags(s.flags)
	c.w.CRLF()
	c.w.Raw("* OK [PERMANENTFLAGS ")
	if s.readOnly {
		c.w.Raw("()")
	} else {
		perm := s.flags
		if s.permAny {
			perm = append(slices.Clip(perm), `\*`)
		}
		c.w.Flags(perm)
	}
	c.w.Raw("] Flags permitted")
	c.w.CRLF()
}

// knowFlags announces keywords that the client has not been told about yet
// with a new FLAGS response, before they appear in a FETCH (RFC 9051
// 7.3.5: FLAGS lists the flags applicable to the mailbox).
func (c *conn) knowFlags(flags []string) {
	s := c.mbox
	var added bool
	for _, f := range flags {
		if strings.HasPrefix(f, `\`) {
			continue
		}
		if !slices.ContainsFunc(s.flags, func(g string) bool { return strings.EqualFold(f, g) }) {
			s.flags = append(s.flags, f)
			added = true
		}
	}
	if added {
		s.permAny = s.mb.CanCreateKeywords()
		c.writeFlagsResponses()
	}
}

// sendUpdates polls the mailbox and tells the client what changed: flag
// changes, new messages (EXISTS, RECENT) and, when allowed, expunges.
func (c *conn) sendUpdates(allowExpunge bool) {
	s := c.mbox
	// Read before the Poll: every change up to it is in what Poll
	// reports, so every expunge Poll reports from now on is above it.
	var before uint64
	if c.qresync {
		before = s.mb.HighestModSeq()
	}
	u, err := s.mb.Poll(c.ctx)
	if err != nil {
		c.logger().Warn("imap: poll failed", "mailbox", s.name, "err", err)
	} else {
		c.applyUpdate(u)
	}
	if allowExpunge {
		c.flushExpunges()
	}
	if !c.qresync || err != nil {
		return
	}
	if len(s.pending) == 0 {
		s.quiet = before
	} else if s.quiet > 0 {
		// RFC 7162 3.2: while a VANISHED is held back, the
		// MODSEQs the client may have seen (FETCH, STORE) can be above
		// the expunge's; a HIGHESTMODSEQ below the expunge tells the
		// client where to resynchronize from should the connection drop.
		c.w.Raw("* OK [HIGHESTMODSEQ ")
		c.w.Number64(s.quiet)
		c.w.Raw("] Expunges pending")
		c.w.CRLF()
	}
}

func (c *conn) applyUpdate(u Update) {
	s := c.mbox
	for _, uid := range u.Expunged {
		if s.index(uid) >= 0 {
			if s.pending == nil {
				s.pending = make(map[uint32]struct{})
			}
			s.pending[uid] = struct{}{}
		}
	}
	var changed []uint32
	for i := range u.Changed {
		m := &u.Changed[i]
		idx := s.index(m.UID)
		if idx < 0 {
			continue
		}
		if _, gone := s.pending[m.UID]; gone {
			continue
		}
		changed = append(changed, m.UID)
		s.msgs[idx].Flags = slices.Clone(m.Flags)
		s.msgs[idx].ModSeq = m.ModSeq
		if c.quietFlags {
			continue
		}
		c.knowFlags(m.Flags)
		c.w.Raw("* ")
		c.w.Number(uint32(idx + 1))
		c.w.Raw(" FETCH (")
		if c.rev2 || c.condStore {
			// RFC 9051 7.5.2: unsolicited FETCH carries UID
			// when the client may need it; it always helps. RFC 7162
			// 3.2 requires it once CONDSTORE is enabled.
			c.w.Raw("UID ")
			c.w.Number(m.UID)
			c.w.SP()
		}
		c.w.Raw("FLAGS ")
		c.w.Flags(c.flagsOf(&s.msgs[idx]))
		c.writeModSeq(&s.msgs[idx])
		c.w.Raw(")")
		c.w.CRLF()
	}
	c.contextsChanged(changed)
	if len(u.Added) > 0 {
		uids := make([]uint32, 0, len(u.Added))
		for _, m := range u.Added {
			if len(s.msgs) > 0 && m.UID <= s.maxUID() {
				continue
			}
			m.Flags = slices.Clone(m.Flags)
			s.msgs = append(s.msgs, m)
			uids = append(uids, m.UID)
			c.knowFlags(m.Flags)
		}
		for _, r := range c.recentOf(s, uids) {
			s.recent[r] = struct{}{}
		}
		if len(uids) > 0 {
			c.w.Raw("* ")
			c.w.Number(uint32(len(s.msgs)))
			c.w.Raw(" EXISTS")
			c.w.CRLF()
			if !c.rev2 {
				c.w.Raw("* ")
				c.w.Number(uint32(len(s.recent)))
				c.w.Raw(" RECENT")
				c.w.CRLF()
			}
			c.newMessagesFetched(uids)
			c.contextsAdded(uids)
		}
	}
}

// flushExpunges sends the EXPUNGE responses held back, highest sequence
// number first so that the numbers of the others do not shift.
func (c *conn) flushExpunges() {
	s := c.mbox
	if len(s.pending) == 0 {
		return
	}
	uids := make([]uint32, 0, len(s.pending))
	for u := range s.pending {
		uids = append(uids, u)
	}
	s.pending = nil
	c.expunged(uids)
}

// expunged removes messages from the session's list and sends EXPUNGE
// for each, in descending order; once QRESYNC is enabled, one VANISHED
// response with their UIDs instead (RFC 7162 3.2.10).
func (c *conn) expunged(uids []uint32) {
	s := c.mbox
	slices.Sort(uids)
	c.contextsExpunged(uids)
	if c.qresync {
		// One pass over the view (both lists ascending), not a delete per
		// message: an expunge of many messages stays linear.
		var b SeqSetBuilder
		kept := s.msgs[:0]
		j := 0
		for _, m := range s.msgs {
			for j < len(uids) && uids[j] < m.UID {
				j++
			}
			if j < len(uids) && uids[j] == m.UID {
				delete(s.recent, m.UID)
				delete(s.pending, m.UID)
				b.Add(m.UID)
				continue
			}
			kept = append(kept, m)
		}
		clear(s.msgs[len(kept):])
		s.msgs = kept
		set := b.Set()
		// RFC 5182 2.1: expunged messages leave the saved result.
		saved := s.saved[:0]
		j = 0
		for _, u := range s.saved {
			for j < len(uids) && uids[j] < u {
				j++
			}
			if j == len(uids) || uids[j] != u {
				saved = append(saved, u)
			}
		}
		s.saved = saved
		if len(set.Ranges) > 0 {
			c.w.Raw("* VANISHED ")
			c.w.SeqSet(set)
			c.w.CRLF()
		}
		return
	}
	for i := len(uids) - 1; i >= 0; i-- {
		idx := s.index(uids[i])
		if idx < 0 {
			continue
		}
		s.msgs = slices.Delete(s.msgs, idx, idx+1)
		// RFC 5182 2.1: an expunged message leaves the saved
		// search result.
		if j, ok := slices.BinarySearch(s.saved, uids[i]); ok {
			s.saved = slices.Delete(s.saved, j, j+1)
		}
		delete(s.recent, uids[i])
		delete(s.pending, uids[i])
		c.w.Raw("* ")
		c.w.Number(uint32(idx + 1))
		c.w.Raw(" EXPUNGE")
		c.w.CRLF()
	}
}

// writeModSeq appends " MODSEQ (n)" to a FETCH response carrying flags
// once CONDSTORE is enabled (RFC 7162 3.2: after a CONDSTORE
// enabling command, all FETCH responses reporting flag changes include
// the mod-sequence).
func (c *conn) writeModSeq(m *MessageInfo) {
	if !c.condStore {
		return
	}
	c.w.Raw(" MODSEQ (")
	c.w.Number64(m.ModSeq)
	c.w.Raw(")")
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
