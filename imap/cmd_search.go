package imap

import (
	"slices"
	"time"
)

// messageView is what SEARCH matches: the session's metadata of a message
// and, only when a key needs it, its content.
type messageView struct {
	c   *conn
	seq uint32
	m   *MessageInfo
	msg *message
	rd  MessageReader
	err error
}

func (v *messageView) SeqNum() uint32          { return v.seq }
func (v *messageView) UID() uint32             { return v.m.UID }
func (v *messageView) Flags() []string         { return v.c.flagsOf(v.m) }
func (v *messageView) InternalDate() time.Time { return v.m.InternalDate }
func (v *messageView) Size() int64             { return v.m.Size }
func (v *messageView) ModSeq() uint64          { return v.m.ModSeq }

func (v *messageView) open() error {
	if v.msg == nil && v.err == nil {
		v.msg, v.rd, v.err = v.c.openMessage(v.m.UID)
	}
	return v.err
}

func (v *messageView) Header() (*Header, error) {
	if hc, ok := v.c.mbox.mb.(HeaderCache); ok && v.msg == nil {
		if h, err := hc.Header(v.c.ctx, v.m.UID); h != nil || err != nil {
			return h, err
		}
	}
	if err := v.open(); err != nil {
		return nil, err
	}
	return v.msg.Header()
}

func (v *messageView) BodyText(fn func([]byte) error) error {
	if err := v.open(); err != nil {
		return err
	}
	return v.msg.BodyText(fn)
}

func (v *messageView) close() {
	if v.rd != nil {
		v.rd.Close()
	}
	*v = messageView{c: v.c}
}

func cmdSearch(c *conn, cmd *command) result {
	a := cmd.Args.(*searchArgs)
	s := c.mbox
	save := a.Return&searchReturnSave != 0
	update := a.Return&searchReturnUpdate != 0
	if update && s.context(cmd.Tag) != nil {
		// RFC 5267 4.3: a tag in use by an updating context.
		return bad("Tag reuse")
	}
	m := newMatcher(a.Key)
	m.MaxSeq = uint32(len(s.msgs))
	m.MaxUID = s.maxUID()
	// "$" inside the key is the result saved before this command.
	m.Saved = SeqSetFromNumbers(s.saved)
	var foundUIDs []uint32 // for SAVE and UPDATE
	m.Location = c.srv.location()
	var found []uint32 // sequence numbers or UIDs
	var minV, maxV uint32
	// RFC 7162 3.1.5: a search with MODSEQ is a CONDSTORE
	// enabling command, and its response carries the highest
	// mod-sequence of the messages found.
	withModSeq := a.Key != nil && hasModSeqKey(a.Key)
	if withModSeq {
		c.enableCondStore()
	}
	var highest, minMod, maxMod uint64
	v := &messageView{c: c}
	var skip skipped
	for i := range s.msgs {
		if _, gone := s.pending[s.msgs[i].UID]; gone {
			// RFC 5530 3: left out, and the OK says EXPUNGEISSUED.
			skip.note(nil)
			continue
		}
		v.seq = uint32(i + 1)
		v.m = &s.msgs[i]
		hit, err := m.Match(v)
		v.close()
		if err != nil {
			if c.ctx.Err() != nil {
				return result{bye: true}
			}
			// Expunged by another session, not yet announced here:
			// it matches nothing; or unreadable.
			if !skip.note(err) {
				c.logger().Error("imap: search could not read a message", "uid", s.msgs[i].UID, "err", err)
			}
			continue
		}
		if !hit {
			continue
		}
		n := uint32(i + 1)
		if cmd.UID {
			n = s.msgs[i].UID
		}
		if minV == 0 || n < minV {
			minV, minMod = n, s.msgs[i].ModSeq
		}
		if n >= maxV {
			maxV, maxMod = n, s.msgs[i].ModSeq
		}
		highest = max(highest, s.msgs[i].ModSeq)
		found = append(found, n)
		if save || update {
			foundUIDs = append(foundUIDs, s.msgs[i].UID)
		}
	}
	if save {
		s.saved = savedResult(a.Return, a.Partial, foundUIDs, skip.failed)
	}
	ret := a.Return &^ (searchReturnSave | searchReturnUpdate | searchReturnContext)
	if a.ESearch && ret == 0 && save && !update {
		// RFC 5182 2.1: RETURN (SAVE) alone asks for no
		// ESEARCH response, only for the result to be kept.
	} else if a.ESearch || c.rev2 {
		// RFC 4731 / RFC 9051 7.3.4: ESEARCH. RETURN (UPDATE) alone
		// answers with the correlator only (RFC 5267 4.3).
		if !a.ESearch {
			ret = searchReturnAll
		}
		c.w.Raw(`* ESEARCH (TAG `)
		c.w.String(cmd.Tag)
		c.w.Raw(")")
		if cmd.UID {
			c.w.Raw(" UID")
		}
		if len(found) > 0 {
			if ret&searchReturnMin != 0 {
				c.w.Raw(" MIN ")
				c.w.Number(minV)
			}
			if ret&searchReturnMax != 0 {
				c.w.Raw(" MAX ")
				c.w.Number(maxV)
			}
			if ret&searchReturnAll != 0 {
				c.w.Raw(" ALL ")
				c.w.SeqSet(SeqSetFromNumbers(found))
			}
		}
		if ret&searchReturnCount != 0 {
			c.w.Raw(" COUNT ")
			c.w.Number(uint32(len(found)))
		}
		if ret&searchReturnPartial != 0 {
			c.writePartial(a.Partial, found)
		}
		if withModSeq && len(found) > 0 {
			// RFC 7162 3.1.5 (with RFC 4731): MODSEQ after the
			// ESEARCH return data. RFC 4731 3.2: with MIN and/or MAX
			// alone, the highest mod-sequence of the message(s)
			// returned, not of all that matched.
			if ret&(searchReturnAll|searchReturnCount|searchReturnPartial) == 0 {
				highest = 0
				if ret&searchReturnMin != 0 {
					highest = minMod
				}
				if ret&searchReturnMax != 0 {
					highest = max(highest, maxMod)
				}
			}
			c.w.Raw(" MODSEQ ")
			c.w.Number64(highest)
		}
		c.w.CRLF()
	} else {
		c.w.Raw("* SEARCH")
		for _, n := range found {
			c.w.SP()
			c.w.Number(n)
		}
		if withModSeq && len(found) > 0 {
			// RFC 7162 3.1.5: "* SEARCH 2 5 (MODSEQ 917162500)".
			c.w.Raw(" (MODSEQ ")
			c.w.Number64(highest)
			c.w.Raw(")")
		}
		c.w.CRLF()
	}
	if update {
		c.addContext(&searchContext{tag: cmd.Tag, uid: cmd.UID, key: a.Key, items: a.UpdateItems}, foundUIDs)
	}
	return skip.done("searched")
}

// hasModSeqKey reports whether a search key uses MODSEQ anywhere.
func hasModSeqKey(k *searchKey) bool {
	if k.Op == searchModSeq {
		return true
	}
	for i := range k.Children {
		if hasModSeqKey(&k.Children[i]) {
			return true
		}
	}
	return false
}

// savedResult is what SEARCH RETURN (SAVE ...) keeps as "$" (RFC 5182
// 2.4): with MIN and/or MAX and neither ALL nor COUNT, only the
// lowest and/or highest message; with PARTIAL and no COUNT, the messages
// PARTIAL returns, and MIN and MAX if asked (RFC 9394 3.2); otherwise all
// the matches. uids are the UIDs of the matches in mailbox order, hence
// ascending. A search that fails leaves an empty result (RFC 5182 2.1).
func savedResult(ret searchReturn, part partialRange, uids []uint32, failed bool) []uint32 {
	if failed || len(uids) == 0 {
		return nil
	}
	if ret&(searchReturnAll|searchReturnCount) != 0 || ret&(searchReturnMin|searchReturnMax|searchReturnPartial) == 0 {
		return uids
	}
	var out []uint32
	if ret&searchReturnPartial != 0 {
		if lo, hi, ok := part.window(len(uids)); ok {
			out = append(out, uids[lo:hi]...)
		}
	}
	if ret&searchReturnMin != 0 {
		out = append(out, uids[0])
	}
	if ret&searchReturnMax != 0 {
		out = append(out, uids[len(uids)-1])
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// writePartial writes the PARTIAL return data of RFC 9394 3.1: the range
// asked for and the results in it (ordered as results is: mailbox order
// for SEARCH, sort order for SORT), or NIL when it holds none.
func (c *conn) writePartial(r partialRange, results []uint32) {
	c.w.Raw(" PARTIAL (")
	c.w.Raw(r.String())
	c.w.SP()
	if lo, hi, ok := r.window(len(results)); ok {
		c.w.SeqSet(SeqSetFromNumbers(results[lo:hi]))
	} else {
		c.w.Nil()
	}
	c.w.Raw(")")
}
