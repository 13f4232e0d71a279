package imap

import (
	"cmp"
	"net/mail"
	"slices"
	"strings"
	"time"
)

// baseSubject extracts the base subject of a Subject header value as RFC
// 5256 2.1 defines it for SORT and THREAD: encoded words decoded,
// whitespace collapsed, "(fwd)" trailers, "Re:"/"Fw:"/"Fwd:" leaders,
// "[blob]" prefixes and "[Fwd: ...]" wrappers removed. The result is not
// case-folded.
func baseSubject(subject string) string {
	s, _ := baseSubjectReply(subject)
	return s
}

// baseSubjectReply is baseSubject, also reporting whether a reply or forward
// marker was removed (RFC 5256 2.1, steps 2, 3 and 5).
func baseSubjectReply(subject string) (string, bool) {
	reply := false
	// Step 1: decode RFC 2047 words and turn every run of whitespace into
	// a single space.
	s := strings.Join(strings.FieldsFunc(decodeHeaderValue(subject), func(r rune) bool {
		return r == ' ' || r == '\t' || r == '\r' || r == '\n'
	}), " ")
	for {
		// Step 2: subj-trailer = "(fwd)" / WSP, repeatedly.
		for {
			t := strings.TrimRight(s, " ")
			if n := len(t) - len("(fwd)"); n >= 0 && strings.EqualFold(t[n:], "(fwd)") {
				t, reply = t[:n], true
			}
			if t == s {
				break
			}
			s = t
		}
		// Steps 3 and 4: leaders and leading blobs, until nothing changes.
		for {
			t := strings.TrimLeft(s, " ")
			if l := stripLeader(t); l != t {
				t, reply = l, true
			}
			if b, ok := cutBlob(t); ok && b != "" {
				// Step 4: a leading blob goes only if something is left.
				t = b
			}
			if t == s {
				break
			}
			s = t
		}
		// Step 5: "[fwd:" subject "]" is unwrapped and the steps rerun.
		if len(s) >= 6 && strings.EqualFold(s[:5], "[fwd:") && s[len(s)-1] == ']' {
			s, reply = s[5:len(s)-1], true
			continue
		}
		return s, reply
	}
}

// cutBlob removes one leading subj-blob ("[" *BLOBCHAR "]" *WSP) from s.
func cutBlob(s string) (string, bool) {
	if !strings.HasPrefix(s, "[") {
		return s, false
	}
	end := strings.IndexAny(s[1:], "[]")
	if end < 0 || s[1+end] != ']' {
		return s, false
	}
	return strings.TrimLeft(s[end+2:], " "), true
}

// stripLeader removes subj-leader repeatedly: *subj-blob subj-refwd, where
// subj-refwd = ("re" / ("fw" ["d"])) *WSP [subj-blob] ":".
func stripLeader(s string) string {
	for {
		t := s
		for {
			b, ok := cutBlob(t)
			if !ok {
				break
			}
			t = b
		}
		var n int
		switch {
		case len(t) >= 3 && strings.EqualFold(t[:3], "fwd"):
			n = 3
		case len(t) >= 2 && (strings.EqualFold(t[:2], "fw") || strings.EqualFold(t[:2], "re")):
			n = 2
		default:
			return s
		}
		t = strings.TrimLeft(t[n:], " ")
		if b, ok := cutBlob(t); ok {
			t = b
		}
		if !strings.HasPrefix(t, ":") {
			return s
		}
		s = strings.TrimLeft(t[1:], " ")
	}
}

// sortItem is one matched message with the keys SORT and THREAD compare.
type sortItem struct {
	seq, uid uint32
	arrival  time.Time
	date     time.Time // sent date, INTERNALDATE when Date is unusable
	size     int64
	subject  string // base subject, case-folded
	from, to string // RFC 5256 3: first address's mailbox, folded
	cc       string
	dispFrom string // RFC 5957 3.1: display name or addr-spec
	dispTo   string
	reply    bool     // RFC 5256 2.1: the subject is a reply or forward
	msgID    string   // Message-ID, "" when missing
	refs     []string // References, else the first In-Reply-To
}

// firstMailbox is the local part of the first address of a header value.
func firstMailbox(h *Header, field string) string {
	v, _ := h.Get(field)
	if as := parseAddressList(v); len(as) > 0 {
		// RFC 5256 3: the addr-mailbox of the first address; for a
		// group, the start marker's, which holds the group name (RFC
		// 3501 7.4.2).
		return strings.ToLower(as[0].Mailbox)
	}
	return ""
}

// displayOf is the RFC 5957 3 display key of the first address: its
// decoded display name, else mailbox@host, else (a group, whose start
// marker has no host) the group name.
func displayOf(h *Header, field string) string {
	v, _ := h.Get(field)
	as := parseAddressList(v)
	if len(as) == 0 {
		return ""
	}
	a := as[0]
	if n := decodeHeaderValue(a.Name); n != "" {
		return strings.ToLower(n)
	}
	if a.Host == "" {
		return strings.ToLower(a.Mailbox)
	}
	return strings.ToLower(a.Mailbox + "@" + a.Host)
}

// sentDate is RFC 5256 2.2's sent date: the Date header, or the
// INTERNALDATE when it is missing or unparsable.
func sentDate(h *Header, internal time.Time) time.Time {
	if v, ok := h.Get("Date"); ok {
		if t, err := mail.ParseDate(unfold(v)); err == nil {
			return t
		}
	}
	return internal
}

// foldCase is the i;unicode-casemap comparator's fold, near enough.
func foldCase(s string) string {
	return strings.ToUpper(s)
}

// matchForSort runs key over the selected mailbox and returns the matching
// messages with their sort keys. skip tells about the messages left out
// (expunged elsewhere, unreadable); bye that the connection is gone.
func (c *conn) matchForSort(key *searchKey) (items []sortItem, skip skipped, bye bool) {
	s := c.mbox
	m := newMatcher(key)
	m.MaxSeq = uint32(len(s.msgs))
	m.MaxUID = s.maxUID()
	m.Saved = SeqSetFromNumbers(s.saved)
	m.Location = c.srv.location()
	v := &messageView{c: c}
	for i := range s.msgs {
		if _, gone := s.pending[s.msgs[i].UID]; gone {
			skip.note(nil)
			continue
		}
		v.seq = uint32(i + 1)
		v.m = &s.msgs[i]
		hit, err := m.Match(v)
		var h *Header
		if err == nil && hit {
			h, err = v.Header()
		}
		if err != nil {
			v.close()
			if c.ctx.Err() != nil {
				return nil, skip, true
			}
			if !skip.note(err) {
				c.logger().Error("imap: sort could not read a message", "uid", s.msgs[i].UID, "err", err)
			}
			continue
		}
		if !hit {
			v.close()
			continue
		}
		it := newSortItem(uint32(i+1), &s.msgs[i], h)
		v.close()
		items = append(items, it)
	}
	return items, skip, false
}

// newSortItem gathers the sort and thread keys of message m, sequence
// number seq, from its header.
func newSortItem(seq uint32, m *MessageInfo, h *Header) sortItem {
	subj, _ := h.Get("Subject")
	base, reply := baseSubjectReply(subj)
	var msgID string
	if v, ok := h.Get("Message-ID"); ok {
		if ids := msgIDs(v); len(ids) > 0 {
			msgID = ids[0]
		}
	}
	var refs []string
	if v, ok := h.Get("References"); ok {
		refs = msgIDs(v)
	}
	if len(refs) == 0 {
		if v, ok := h.Get("In-Reply-To"); ok {
			if ids := msgIDs(v); len(ids) > 0 {
				refs = ids[:1]
			}
		}
	}
	return sortItem{
		seq:      seq,
		uid:      m.UID,
		arrival:  m.InternalDate,
		date:     sentDate(h, m.InternalDate),
		size:     m.Size,
		subject:  foldCase(base),
		reply:    reply,
		msgID:    msgID,
		refs:     refs,
		from:     firstMailbox(h, "From"),
		to:       firstMailbox(h, "To"),
		cc:       firstMailbox(h, "Cc"),
		dispFrom: displayOf(h, "From"),
		dispTo:   displayOf(h, "To"),
	}
}

func compareBy(a, b *sortItem, key string) int {
	switch key {
	case "ARRIVAL":
		return a.arrival.Compare(b.arrival)
	case "CC":
		return cmp.Compare(a.cc, b.cc)
	case "DATE":
		return a.date.Compare(b.date)
	case "FROM":
		return cmp.Compare(a.from, b.from)
	case "SIZE":
		return cmp.Compare(a.size, b.size)
	case "SUBJECT":
		return cmp.Compare(a.subject, b.subject)
	case "TO":
		return cmp.Compare(a.to, b.to)
	case "DISPLAYFROM":
		return cmp.Compare(a.dispFrom, b.dispFrom)
	case "DISPLAYTO":
		return cmp.Compare(a.dispTo, b.dispTo)
	}
	return 0
}

// compareSorted orders two messages by the criteria of a SORT.
func compareSorted(criteria []sortCriterion, x, y *sortItem) int {
	for _, k := range criteria {
		r := compareBy(x, y, k.Key)
		if k.Reverse {
			r = -r
		}
		if r != 0 {
			return r
		}
	}
	// RFC 5256 3: ties are broken by sequence number.
	return cmp.Compare(x.seq, y.seq)
}

// cmdSort serves SORT and UID SORT (RFC 5256 3).
func cmdSort(c *conn, cmd *command) result {
	a := cmd.Args.(*sortArgs)
	if a.ESearch && a.Return&searchReturnSave != 0 {
		// RFC 5267 3 defines MIN, MAX, COUNT and ALL for SORT;
		// SAVE there is CONTEXT=SORT's business, not offered.
		return bad("SORT RETURN (SAVE) is not supported")
	}
	update := a.Return&searchReturnUpdate != 0
	if update && c.mbox.context(cmd.Tag) != nil {
		// RFC 5267 4.3: a tag in use by an updating context.
		return bad("Tag reuse")
	}
	items, skip, bye := c.matchForSort(a.Key)
	if bye {
		return result{bye: true}
	}
	slices.SortFunc(items, func(x, y sortItem) int { return compareSorted(a.Criteria, &x, &y) })
	if update {
		uids := make([]uint32, len(items))
		for i := range items {
			uids[i] = items[i].uid
		}
		defer c.addContext(&searchContext{tag: cmd.Tag, uid: cmd.UID, key: a.Key, sort: a.Criteria, items: a.UpdateItems}, uids)
	}
	if a.ESearch {
		c.writeESort(cmd, a, items)
		return skip.done("sorted")
	}
	c.w.Raw("* SORT")
	for _, it := range items {
		c.w.SP()
		if cmd.UID {
			c.w.Number(it.uid)
		} else {
			c.w.Number(it.seq)
		}
	}
	c.w.CRLF()
	return skip.done("sorted")
}

// cmdThread serves THREAD and UID THREAD (RFC 5256 4).
func cmdThread(c *conn, cmd *command) result {
	a := cmd.Args.(*threadArgs)
	if a.Algorithm != "ORDEREDSUBJECT" && a.Algorithm != "REFERENCES" {
		return bad("Unsupported threading algorithm " + a.Algorithm)
	}
	items, skip, bye := c.matchForSort(a.Key)
	if bye {
		return result{bye: true}
	}
	if a.Algorithm == "REFERENCES" {
		roots := threadReferences(items)
		c.w.Raw("* THREAD")
		if len(roots) > 0 {
			c.w.SP()
		}
		for _, r := range roots {
			c.writeThread(r, cmd.UID)
		}
		c.w.CRLF()
		return skip.done("threaded")
	}
	num := func(it *sortItem) uint32 {
		if cmd.UID {
			return it.uid
		}
		return it.seq
	}
	// RFC 5256 2.2 ORDEREDSUBJECT: sort by base subject, then sent
	// date; each run of one base subject is a thread whose first message
	// is the parent of the others; threads are ordered by the sent date
	// of their first message. Ties fall back to sequence order.
	slices.SortFunc(items, func(x, y sortItem) int {
		return cmp.Or(cmp.Compare(x.subject, y.subject), x.date.Compare(y.date), cmp.Compare(x.seq, y.seq))
	})
	var threads [][]sortItem
	for i := 0; i < len(items); {
		j := i + 1
		for j < len(items) && items[j].subject == items[i].subject {
			j++
		}
		threads = append(threads, items[i:j])
		i = j
	}
	slices.SortStableFunc(threads, func(x, y []sortItem) int {
		return cmp.Or(x[0].date.Compare(y[0].date), cmp.Compare(x[0].seq, y[0].seq))
	})
	c.w.Raw("* THREAD")
	if len(threads) > 0 {
		c.w.SP()
	}
	for _, t := range threads {
		c.w.Raw("(")
		c.w.Number(num(&t[0]))
		switch {
		case len(t) == 2:
			c.w.SP()
			c.w.Number(num(&t[1]))
		case len(t) > 2:
			// Several children of the first message are siblings.
			c.w.SP()
			for k := 1; k < len(t); k++ {
				c.w.Raw("(")
				c.w.Number(num(&t[k]))
				c.w.Raw(")")
			}
		}
		c.w.Raw(")")
	}
	c.w.CRLF()
	return skip.done("threaded")
}

// writeESort answers SORT RETURN (...) with an ESEARCH response (RFC 5267
// 3): MIN and MAX are the first and last messages in sort order,
// ALL the matches in sort order (ranges only where consecutive numbers
// follow each other in that order), COUNT their number. RETURN () means
// ALL, as for SEARCH (RFC 4731 3.1).
func (c *conn) writeESort(cmd *command, a *sortArgs, items []sortItem) {
	ret := a.Return
	num := func(it *sortItem) uint32 {
		if cmd.UID {
			return it.uid
		}
		return it.seq
	}
	c.w.Raw(`* ESEARCH (TAG `)
	c.w.String(cmd.Tag)
	c.w.Raw(")")
	if cmd.UID {
		c.w.Raw(" UID")
	}
	if len(items) > 0 {
		if ret&searchReturnMin != 0 {
			c.w.Raw(" MIN ")
			c.w.Number(num(&items[0]))
		}
		if ret&searchReturnMax != 0 {
			c.w.Raw(" MAX ")
			c.w.Number(num(&items[len(items)-1]))
		}
		if ret&searchReturnAll != 0 {
			var b SeqSetBuilder
			for i := range items {
				b.Add(num(&items[i]))
			}
			c.w.Raw(" ALL ")
			c.w.SeqSet(b.Set())
		}
	}
	if ret&searchReturnCount != 0 {
		c.w.Raw(" COUNT ")
		c.w.Number(uint32(len(items)))
	}
	if ret&searchReturnPartial != 0 {
		// RFC 5267 4.4: positions in sort order.
		nums := make([]uint32, len(items))
		for i := range items {
			nums[i] = num(&items[i])
		}
		c.writePartial(a.Partial, nums)
	}
	c.w.CRLF()
}
