package imap

import (
	"context"
	"slices"
)

// VanishedReporter is an optional interface of a Mailbox that remembers
// which messages were expunged, by mod-sequence, for QRESYNC (RFC 7162
// 3.2): SELECT/EXAMINE (QRESYNC ...) and UID FETCH (CHANGEDSINCE
// n VANISHED) report the UIDs expunged since the client last looked.
// Each expunge must raise HIGHESTMODSEQ (RFC 7162 3.2).
type VanishedReporter interface {
	// ExpungedSince returns the UIDs of the messages expunged with a
	// mod-sequence above modSeq, without "*". A backend that has
	// forgotten expunges that old may return more (UIDs expunged before,
	// or never used: RFC 7162 3.2.5.2 allows it), never fewer.
	// The server leaves out the UIDs of messages in the session's view.
	ExpungedSince(ctx context.Context, modSeq uint64) (SeqSet, error)
}

// QResyncUser is an optional interface of a User whose mailboxes implement
// VanishedReporter. The server advertises QRESYNC after login, and
// accepts ENABLE QRESYNC, only for a User whose QResync returns true.
type QResyncUser interface {
	User
	// QResync reports whether the mailboxes Open returns implement
	// VanishedReporter.
	QResync() bool
}

// qresyncOffered reports whether QRESYNC is advertised to this session:
// only once logged in, to a user whose store remembers expunges.
func (c *conn) qresyncOffered() bool {
	if c.user == nil {
		return false
	}
	q, ok := c.user.(QResyncUser)
	return ok && q.QResync()
}

// expungedSince asks the mailbox for the UIDs expunged above modSeq; a
// mailbox that cannot tell answers with every UID below UIDNEXT (RFC 7162
// 3.2.5.2: UIDs that never existed may be reported).
func (c *conn) expungedSince(modSeq uint64) (SeqSet, error) {
	s := c.mbox
	if vr, ok := s.mb.(VanishedReporter); ok {
		set, err := vr.ExpungedSince(c.ctx, modSeq)
		if err != nil {
			return SeqSet{}, err
		}
		return set.Resolve(s.maxUID()), nil
	}
	if n := s.mb.UIDNext(); n > 1 {
		return SeqSet{Ranges: []SeqRange{{1, n - 1}}}, nil
	}
	return SeqSet{}, nil
}

// vanishedFilter narrows a resolved set of expunged UIDs (ascending,
// disjoint ranges) to those the client may be told about: within `within`
// (resolved; no restriction when empty), above `above`, and not in the
// session's view. It runs in time linear in the ranges and the view, and
// never expands the set.
func (s *selected) vanishedFilter(set, within SeqSet, restrict bool, above uint32) SeqSet {
	var b SeqSetBuilder
	emit := func(lo, hi uint32) {
		if uint64(lo) <= uint64(above) {
			if above == ^uint32(0) {
				return
			}
			lo = above + 1
		}
		if lo == 0 || lo > hi {
			return
		}
		// Cut out the UIDs of the view.
		i, _ := slices.BinarySearchFunc(s.msgs, lo, func(m MessageInfo, u uint32) int {
			switch {
			case m.UID < u:
				return -1
			case m.UID > u:
				return 1
			}
			return 0
		})
		for ; i < len(s.msgs) && s.msgs[i].UID <= hi; i++ {
			u := s.msgs[i].UID
			if u > lo {
				b.AddRange(lo, u-1)
			}
			if u == hi {
				return
			}
			lo = u + 1
		}
		b.AddRange(lo, hi)
	}
	if !restrict {
		for _, r := range set.Ranges {
			emit(r.Start, r.Stop)
		}
		return b.Set()
	}
	j := 0
	for _, r := range set.Ranges {
		for j < len(within.Ranges) && within.Ranges[j].Stop < r.Start {
			j++
		}
		for k := j; k < len(within.Ranges) && within.Ranges[k].Start <= r.Stop; k++ {
			emit(max(r.Start, within.Ranges[k].Start), min(r.Stop, within.Ranges[k].Stop))
		}
	}
	return b.Set()
}

// writeVanished writes "* VANISHED (EARLIER) set" (RFC 7162 3.2.10), or nothing for an empty set.
func (c *conn) writeVanishedEarlier(set SeqSet) {
	if len(set.Ranges) == 0 {
		return
	}
	c.w.Raw("* VANISHED (EARLIER) ")
	c.w.SeqSet(set)
	c.w.CRLF()
}

// seqMatchFloor applies the sequence match data of SELECT (QRESYNC ...)
// (RFC 7162 3.2.5.2): while the client's message numbers still
// name the same UIDs in the session's view, nothing at or below those
// UIDs was expunged from what the client knew, so VANISHED (EARLIER)
// need not mention them. It returns the highest such UID, or 0. Pairs are
// walked in order and the walk stops at the first mismatch; the sets are
// never expanded beyond the view.
func (s *selected) seqMatchFloor(seqs, uids SeqSet) uint32 {
	var floor uint32
	uidNext := func() func() (uint32, bool) {
		ri, cur := 0, uint32(0)
		return func() (uint32, bool) {
			for ri < len(uids.Ranges) {
				r := uids.Ranges[ri]
				if cur == 0 {
					cur = r.Start
				} else if cur < r.Stop {
					cur++
				} else {
					ri, cur = ri+1, 0
					continue
				}
				return cur, true
			}
			return 0, false
		}
	}()
	n := uint32(len(s.msgs))
	for _, r := range seqs.Ranges {
		for q := r.Start; ; q++ {
			u, ok := uidNext()
			if !ok || q == 0 || q > n || s.msgs[q-1].UID != u {
				return floor
			}
			floor = u
			if q == r.Stop {
				break
			}
		}
	}
	return floor
}

// selectQResync answers the QRESYNC select parameter (RFC 7162 3.2.5) once the mailbox is selected: VANISHED (EARLIER) for what was
// expunged since the client's mod-sequence, then a FETCH with UID, FLAGS
// and MODSEQ for each message changed since. With a different
// UIDVALIDITY, or a mailbox without mod-sequences, the client must
// resynchronize in full and gets nothing more.
func (c *conn) selectQResync(q *qresyncArgs) result {
	s := c.mbox
	if q.UIDValidity != s.mb.UIDValidity() || s.mb.HighestModSeq() == 0 {
		return result{}
	}
	known := q.KnownUIDs.Resolve(s.maxUID())
	restrict := len(known.Ranges) > 0
	exp, err := c.expungedSince(q.ModSeq)
	if err != nil {
		return c.backendError("SELECT", err)
	}
	var above uint32
	if len(q.SeqMatchSeqs.Ranges) > 0 {
		above = s.seqMatchFloor(q.SeqMatchSeqs, q.SeqMatchUIDs)
	}
	c.writeVanishedEarlier(s.vanishedFilter(exp, known, restrict, above))
	// Both the view and known are ascending: one walk, not a search per
	// message (known may hold thousands of ranges).
	k := 0
	for i := range s.msgs {
		m := &s.msgs[i]
		if restrict {
			for k < len(known.Ranges) && known.Ranges[k].Stop < m.UID {
				k++
			}
			if k == len(known.Ranges) {
				break
			}
			if m.UID < known.Ranges[k].Start {
				continue
			}
		}
		if m.ModSeq > q.ModSeq {
			c.writeChangedFetch(i)
		}
	}
	return result{}
}

// writeChangedFetch writes "* n FETCH (UID u FLAGS (...) MODSEQ (m))" for
// the message at index i of the view.
func (c *conn) writeChangedFetch(i int) {
	m := &c.mbox.msgs[i]
	c.w.Raw("* ")
	c.w.Number(uint32(i + 1))
	c.w.Raw(" FETCH (UID ")
	c.w.Number(m.UID)
	c.w.Raw(" FLAGS ")
	c.w.Flags(c.flagsOf(m))
	c.w.Raw(" MODSEQ (")
	c.w.Number64(m.ModSeq)
	c.w.Raw("))")
	c.w.CRLF()
}

// fetchVanished writes the VANISHED (EARLIER) response of UID FETCH ...
// (CHANGEDSINCE n VANISHED) (RFC 7162 3.2.6): the UIDs of the
// requested set expunged above n. "*" in the set stands for the highest
// UID the mailbox has allocated, so that expunged UIDs above the view's
// last message are included.
func (c *conn) fetchVanished(set SeqSet, changedSince uint64) *result {
	s := c.mbox
	top := s.maxUID()
	if n := s.mb.UIDNext(); n > 1 {
		top = max(top, n-1)
	}
	exp, err := c.expungedSince(changedSince)
	if err != nil {
		r := c.backendError("FETCH", err)
		return &r
	}
	c.writeVanishedEarlier(s.vanishedFilter(exp, set.Resolve(top), true, 0))
	return nil
}
