package imap

import (
	"cmp"
	"slices"
)

// maxSearchContexts bounds the updating contexts of a session (RFC 5267
// 4.3.1: at least one, more SHOULD be offered); beyond it a SEARCH or
// SORT with UPDATE is answered without updates and an untagged
// NO [NOUPDATE]. It also bounds the tags of one CANCELUPDATE.
const maxSearchContexts = 8

// searchContext is a SEARCH or SORT issued with RETURN (UPDATE) (RFC
// 5267 4.3): the server keeps its result and tells the client, with
// ESEARCH ADDTO and REMOVEFROM, how it changes as messages arrive, change
// flags or are expunged. It holds UIDs only (4 or 8 bytes a result); sort
// keys are read again, from the header, when a new message must be placed.
type searchContext struct {
	tag   string
	uid   bool // UID SEARCH / UID SORT: updates carry UIDs
	key   *searchKey
	sort  []sortCriterion // nil for SEARCH: results in mailbox order
	items []fetchItem     // RFC 5465 7: FETCH items for each new result
	// members are the UIDs of the result, ascending; order is the same
	// UIDs in sort order (SORT contexts only).
	members []uint32
	order   []uint32
}

// context returns the updating context of a tag, or nil.
func (s *selected) context(tag string) *searchContext {
	for _, x := range s.contexts {
		if x.tag == tag {
			return x
		}
	}
	return nil
}

func (x *searchContext) has(uid uint32) bool {
	_, ok := slices.BinarySearch(x.members, uid)
	return ok
}

// addContext starts updates for a search whose result is uids (ascending
// for a SEARCH, in sort order for a SORT).
func (c *conn) addContext(x *searchContext, uids []uint32) {
	s := c.mbox
	if len(s.contexts) >= maxSearchContexts {
		// RFC 5267 4.3.1: refused; the other return options were
		// honoured all the same.
		c.w.Raw("* NO [NOUPDATE ")
		c.w.String(x.tag)
		c.w.Raw("] Too many updating searches; CANCELUPDATE one")
		c.w.CRLF()
		return
	}
	x.members = slices.Clone(uids)
	if x.sort != nil {
		x.order = x.members
		x.members = slices.Clone(uids)
		slices.Sort(x.members)
	}
	s.contexts = append(s.contexts, x)
}

// cmdCancelUpdate ends the updates of the named searches (RFC 5267
// 4.3.5).
func cmdCancelUpdate(c *conn, cmd *command) result {
	s := c.mbox
	tags := cmd.Args.(*cancelUpdateArgs).Tags
	for _, t := range tags {
		if s.context(t) == nil {
			return bad("No updating search with tag " + t)
		}
	}
	s.contexts = slices.DeleteFunc(s.contexts, func(x *searchContext) bool { return slices.Contains(tags, x.tag) })
	return ok("")
}

// contextMatch evaluates a context's search key on the message at index
// i. A message that cannot be read matches nothing.
func (c *conn) contextMatch(x *searchContext, i int) bool {
	s := c.mbox
	m := newMatcher(x.key)
	m.MaxSeq = uint32(len(s.msgs))
	m.MaxUID = s.maxUID()
	m.Saved = SeqSetFromNumbers(s.saved)
	m.Location = c.srv.location()
	v := &messageView{c: c, seq: uint32(i + 1), m: &s.msgs[i]}
	hit, err := m.Match(v)
	v.close()
	return err == nil && hit
}

// num is how a context names the message with a UID: the UID, or its
// sequence number now.
func (c *conn) num(x *searchContext, uid uint32) uint32 {
	if x.uid {
		return uid
	}
	return uint32(c.mbox.index(uid) + 1)
}

// contextsChanged re-evaluates the updating searches on messages whose
// flags changed (uids, in the view): a message that joins a result is
// announced with ADDTO, one that leaves it with REMOVEFROM (RFC 5267
// 4.3.3, 4.3.4). Called after the FETCH responses that told the change
// (RFC 5465 5.1).
func (c *conn) contextsChanged(uids []uint32) {
	s := c.mbox
	if len(s.contexts) == 0 || len(uids) == 0 {
		return
	}
	uids = slices.Sorted(slices.Values(uids))
	for _, x := range s.contexts {
		var added, removed []uint32
		for _, u := range uids {
			i := s.index(u)
			if i < 0 {
				continue
			}
			if _, gone := s.pending[u]; gone {
				continue // its REMOVEFROM goes with the EXPUNGE
			}
			hit := c.contextMatch(x, i)
			switch was := x.has(u); {
			case hit && !was:
				added = append(added, u)
			case !hit && was:
				removed = append(removed, u)
			}
		}
		c.contextRemove(x, removed)
		c.contextAdd(x, added)
	}
}

// contextsAdded evaluates the updating searches on new messages (uids
// ascending, already announced with EXISTS: RFC 5267 4.3.3 has ADDTO
// follow it). New messages that join a result with UPDATE (fetch-att)
// get a FETCH first (RFC 5465 7).
func (c *conn) contextsAdded(uids []uint32) {
	s := c.mbox
	if len(s.contexts) == 0 || len(uids) == 0 {
		return
	}
	for _, x := range s.contexts {
		var added []uint32
		for _, u := range uids {
			if i := s.index(u); i >= 0 && c.contextMatch(x, i) && !x.has(u) {
				added = append(added, u)
			}
		}
		if len(added) > 0 && len(x.items) > 0 {
			c.fetchUnsolicited(added, x.items)
		}
		c.contextAdd(x, added)
	}
}

// contextsExpunged drops expunged messages (uids ascending) from the
// updating searches. It is called before the EXPUNGE responses, so that
// the sequence numbers in REMOVEFROM are still valid (RFC 5267 4.3.4).
func (c *conn) contextsExpunged(uids []uint32) {
	for _, x := range c.mbox.contexts {
		var removed []uint32
		for _, u := range uids {
			if x.has(u) {
				removed = append(removed, u)
			}
		}
		c.contextRemove(x, removed)
	}
}

// contextAdd adds uids (ascending, not members) to a result and writes
// the ADDTO response.
func (c *conn) contextAdd(x *searchContext, uids []uint32) {
	if len(uids) == 0 {
		return
	}
	for _, u := range uids {
		i, _ := slices.BinarySearch(x.members, u)
		x.members = slices.Insert(x.members, i, u)
	}
	c.contextResponse(x, "ADDTO")
	if x.sort == nil {
		// RFC 5267 4.3.3: a SEARCH result may use position 0, the
		// client keeping it in mailbox order.
		c.w.Raw("0 ")
		c.contextSet(x, uids)
		c.w.Raw(")")
		c.w.CRLF()
		return
	}
	// A SORT result: each message is inserted at its place in sort order;
	// a pair covers a run of insertions at consecutive positions.
	var pairs []contextPair
	for _, u := range uids {
		it, ok := c.sortItemOf(u)
		pos := len(x.order)
		if ok {
			pos, _ = slices.BinarySearchFunc(x.order, it, func(v uint32, it sortItem) int {
				o, found := c.sortItemOf(v)
				if !found {
					return cmp.Compare(v, it.uid)
				}
				return compareSorted(x.sort, &o, &it)
			})
		}
		x.order = slices.Insert(x.order, pos, u)
		pairs = appendPair(pairs, pos+1, 1, u)
	}
	c.writePairs(x, pairs)
}

// contextRemove removes uids (ascending, members) from a result and
// writes the REMOVEFROM response.
func (c *conn) contextRemove(x *searchContext, uids []uint32) {
	if len(uids) == 0 {
		return
	}
	x.members = slices.DeleteFunc(x.members, func(u uint32) bool {
		_, found := slices.BinarySearch(uids, u)
		return found
	})
	c.contextResponse(x, "REMOVEFROM")
	if x.sort == nil {
		// RFC 5267 4.3.4: position 0, wherever they are.
		c.w.Raw("0 ")
		c.contextSet(x, uids)
		c.w.Raw(")")
		c.w.CRLF()
		return
	}
	// A SORT result: removed at their positions, first to last, so that
	// a run of neighbours is one pair at one position.
	var pairs []contextPair
	kept := x.order[:0]
	for i, u := range x.order {
		if _, found := slices.BinarySearch(uids, u); found {
			pairs = appendPair(pairs, len(kept)+1, 0, u)
			continue
		}
		kept = append(kept, x.order[i])
	}
	clear(x.order[len(kept):])
	x.order = kept
	c.writePairs(x, pairs)
}

// contextPair is one (context-position sequence-set) of ADDTO or
// REMOVEFROM: uids placed (or removed) from position pos on.
type contextPair struct {
	pos  int
	uids []uint32
}

// appendPair adds u at position pos, extending the last pair when u
// follows it: at the next position for an insertion (step 1), at the
// same position for a removal (step 0).
func appendPair(pairs []contextPair, pos, step int, u uint32) []contextPair {
	if n := len(pairs); n > 0 {
		last := &pairs[n-1]
		if last.pos+step*len(last.uids) == pos {
			last.uids = append(last.uids, u)
			return pairs
		}
	}
	return append(pairs, contextPair{pos: pos, uids: []uint32{u}})
}

func (c *conn) contextResponse(x *searchContext, item string) {
	c.w.Raw("* ESEARCH (TAG ")
	c.w.String(x.tag)
	c.w.Raw(")")
	if x.uid {
		c.w.Raw(" UID")
	}
	c.w.SP()
	c.w.Raw(item)
	c.w.Raw(" (")
}

func (c *conn) writePairs(x *searchContext, pairs []contextPair) {
	for i, p := range pairs {
		if i > 0 {
			c.w.SP()
		}
		c.w.Number(uint32(p.pos))
		c.w.SP()
		c.contextSet(x, p.uids)
	}
	c.w.Raw(")")
	c.w.CRLF()
}

// contextSet writes uids as the context names them, in the order given.
func (c *conn) contextSet(x *searchContext, uids []uint32) {
	var b SeqSetBuilder
	for _, u := range uids {
		b.Add(c.num(x, u))
	}
	c.w.SeqSet(b.Set())
}

// sortItemOf reads the sort keys of a message of the view.
func (c *conn) sortItemOf(uid uint32) (sortItem, bool) {
	s := c.mbox
	i := s.index(uid)
	if i < 0 {
		return sortItem{}, false
	}
	v := &messageView{c: c, seq: uint32(i + 1), m: &s.msgs[i]}
	defer v.close()
	h, err := v.Header()
	if err != nil {
		return sortItem{}, false
	}
	return newSortItem(uint32(i+1), &s.msgs[i], h), true
}

// messageUIDs returns the UIDs of ms.
func messageUIDs(ms []MessageInfo) []uint32 {
	out := make([]uint32, len(ms))
	for i := range ms {
		out[i] = ms[i].UID
	}
	return out
}
