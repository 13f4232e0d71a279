package imap

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"
)

// messageView is what SEARCH matches: the session's metadata of a message
// and, only when a key needs it, its content.
type messageView struct {
	c   *conn
	seq uint32
	m   *MessageInfo
	msg *Message
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

func cmdSearch(c *conn, cmd *Command) result {
	a := cmd.Args.(*SearchArgs)
	s := c.mbox
	save := a.Return&SearchReturnSave != 0
	m := NewMatcher(a.Key)
	m.MaxSeq = uint32(len(s.msgs))
	m.MaxUID = s.maxUID()
	// "$" inside the key is the result saved before this command.
	m.Saved = SeqSetFromNumbers(s.saved)
	var foundUIDs []uint32 // for SAVE
	m.Location = c.srv.location()
	var found []uint32 // sequence numbers or UIDs
	var minV, maxV uint32
	// RFC 7162 section 3.1.5: a search with MODSEQ is a CONDSTORE
	// enabling command, and its response carries the highest
	// mod-sequence of the messages found.
	withModSeq := a.Key != nil && hasModSeqKey(a.Key)
	if withModSeq {
		c.enableCondStore()
	}
	var highest uint64
	v := &messageView{c: c}
	failed := false
	for i := range s.msgs {
		if _, gone := s.pending[s.msgs[i].UID]; gone {
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
			var ie *Error
			if errors.As(err, &ie) && ie.Code == "EXPUNGEISSUED" {
				// Expunged by another session, not yet announced here:
				// it matches nothing (RFC 2180 section 4.1.2 lets the
				// server leave it out).
				continue
			}
			c.logger().Info("imap: search could not read a message", "uid", s.msgs[i].UID, "err", err)
			failed = true
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
			minV = n
		}
		maxV = max(maxV, n)
		highest = max(highest, s.msgs[i].ModSeq)
		found = append(found, n)
		if save {
			foundUIDs = append(foundUIDs, s.msgs[i].UID)
		}
	}
	if save {
		s.saved = savedResult(a.Return, foundUIDs, failed)
	}
	ret := a.Return &^ SearchReturnSave
	if a.ESearch && ret == 0 && save {
		// RFC 5182 section 2.1: RETURN (SAVE) alone asks for no
		// ESEARCH response, only for the result to be kept.
	} else if a.ESearch || c.rev2 {
		// RFC 4731 / RFC 9051 section 7.3.4: ESEARCH.
		if !a.ESearch || ret == 0 {
			ret = SearchReturnAll
		}
		c.w.Raw(`* ESEARCH (TAG `)
		c.w.String(cmd.Tag)
		c.w.Raw(")")
		if cmd.UID {
			c.w.Raw(" UID")
		}
		if len(found) > 0 {
			if ret&SearchReturnMin != 0 {
				c.w.Raw(" MIN ")
				c.w.Number(minV)
			}
			if ret&SearchReturnMax != 0 {
				c.w.Raw(" MAX ")
				c.w.Number(maxV)
			}
			if ret&SearchReturnAll != 0 {
				c.w.Raw(" ALL ")
				c.w.SeqSet(SeqSetFromNumbers(found))
			}
		}
		if ret&SearchReturnCount != 0 {
			c.w.Raw(" COUNT ")
			c.w.Number(uint32(len(found)))
		}
		if withModSeq && len(found) > 0 {
			// RFC 7162 section 3.1.5 (with RFC 4731): MODSEQ after the
			// ESEARCH return data.
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
			// RFC 7162 section 3.1.5: "* SEARCH 2 5 (MODSEQ 917162500)".
			c.w.Raw(" (MODSEQ ")
			c.w.Number64(highest)
			c.w.Raw(")")
		}
		c.w.CRLF()
	}
	if failed {
		return no("", "Some messages could not be searched")
	}
	return ok("")
}

// hasModSeqKey reports whether a search key uses MODSEQ anywhere.
func hasModSeqKey(k *SearchKey) bool {
	if k.Op == SearchModSeq {
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
// section 2.4): with MIN and/or MAX and neither ALL nor COUNT, only the
// lowest and/or highest message; otherwise all the matches. uids are the
// UIDs of the matches in mailbox order, hence ascending. A search that
// fails leaves an empty result (RFC 5182 section 2.1).
func savedResult(ret SearchReturn, uids []uint32, failed bool) []uint32 {
	if failed || len(uids) == 0 {
		return nil
	}
	if ret&(SearchReturnAll|SearchReturnCount) == 0 && ret&(SearchReturnMin|SearchReturnMax) != 0 {
		var out []uint32
		if ret&SearchReturnMin != 0 {
			out = append(out, uids[0])
		}
		if ret&SearchReturnMax != 0 && (len(out) == 0 || out[0] != uids[len(uids)-1]) {
			out = append(out, uids[len(uids)-1])
		}
		return out
	}
	return uids
}

func cmdStore(c *conn, cmd *Command) result {
	a := cmd.Args.(*StoreArgs)
	s := c.mbox
	idx, valid := s.resolve(a.Set, cmd.UID)
	if !valid {
		return bad("Invalid sequence number")
	}
	if s.readOnly {
		return no("READ-ONLY", "Mailbox is read-only")
	}
	for _, f := range a.Flags {
		if strings.EqualFold(f, FlagRecent) {
			return bad(`\Recent cannot be stored`)
		}
	}
	set, n := s.uidSet(idx)
	if n == 0 {
		return ok("")
	}
	var opts *StoreOptions
	if a.HasUnchangedSince {
		// RFC 7162 section 3.1: STORE (UNCHANGEDSINCE) is an enabling
		// command.
		c.enableCondStore()
		opts = &StoreOptions{UnchangedSince: a.UnchangedSince, CheckUnchanged: true}
	}
	res, err := s.mb.SetFlags(c.ctx, set, a.Mode, a.Flags, opts)
	if err != nil {
		return c.backendError("STORE", err)
	}
	for _, m := range res.Messages {
		c.knowFlags(m.Flags)
	}
	for _, m := range res.Messages {
		j := s.index(m.UID)
		if j < 0 {
			continue
		}
		s.msgs[j].Flags = append(s.msgs[j].Flags[:0:0], m.Flags...)
		s.msgs[j].ModSeq = m.ModSeq
		if a.Silent && !c.condStore {
			continue
		}
		c.w.Raw("* ")
		c.w.Number(uint32(j + 1))
		c.w.Raw(" FETCH (")
		if cmd.UID || c.condStore {
			c.w.Raw("UID ")
			c.w.Number(m.UID)
		}
		if !a.Silent {
			if cmd.UID || c.condStore {
				c.w.SP()
			}
			c.w.Raw("FLAGS ")
			c.w.Flags(c.flagsOf(&s.msgs[j]))
		}
		// RFC 7162 section 3.1.3: with CONDSTORE the new mod-sequence
		// is reported, even for .SILENT (then without FLAGS).
		c.writeModSeq(&s.msgs[j])
		c.w.Raw(")")
		c.w.CRLF()
	}
	if len(res.Modified) > 0 {
		// RFC 7162 section 3.1.3: MODIFIED lists message sequence
		// numbers for STORE, UIDs for UID STORE.
		mod := res.Modified
		if !cmd.UID {
			mod = make([]uint32, 0, len(res.Modified))
			for _, u := range res.Modified {
				if j := s.index(u); j >= 0 {
					mod = append(mod, uint32(j+1))
				}
			}
			slices.Sort(mod)
		}
		if len(mod) > 0 {
			return okCode("MODIFIED "+SeqSetFromNumbers(mod).String(), "Conditional STORE failed for some messages")
		}
	}
	return ok("")
}

func cmdCopy(c *conn, cmd *Command) result {
	a := cmd.Args.(*CopyArgs)
	s := c.mbox
	idx, valid := s.resolve(a.Set, cmd.UID)
	if !valid {
		return bad("Invalid sequence number")
	}
	dest, r := checkName(a.Mailbox)
	if r != nil {
		return *r
	}
	move := cmd.Name == "MOVE"
	if move && s.readOnly {
		return no("READ-ONLY", "Mailbox is read-only")
	}
	set, n := s.uidSet(idx)
	if n == 0 {
		if idx.Len() > 0 {
			return no("EXPUNGEISSUED", "Messages were expunged")
		}
		return ok("")
	}
	var res CopyResult
	var err error
	if move {
		res, err = s.mb.Move(c.ctx, set, dest)
	} else {
		res, err = s.mb.Copy(c.ctx, set, dest)
	}
	if err != nil {
		r := c.backendError(cmd.Name, err)
		if r.code == "NONEXISTENT" {
			r.code = "TRYCREATE"
		}
		return r
	}
	code := ""
	if res.UIDValidity != 0 && len(res.SourceUIDs) > 0 && len(res.SourceUIDs) == len(res.DestUIDs) {
		code = "COPYUID " + utoa(res.UIDValidity) + " " + SeqSetFromNumbers(res.SourceUIDs).String() +
			" " + SeqSetFromNumbers(res.DestUIDs).String()
	}
	if !move {
		return okCode(code, "COPY completed")
	}
	// RFC 6851 section 4.3: COPYUID goes in an untagged OK before the
	// EXPUNGE responses.
	if code != "" {
		c.untagged("OK [" + code + "] Moved")
	}
	c.expunged(slices.Clone(res.SourceUIDs))
	return ok("MOVE completed")
}

func cmdExpunge(c *conn, cmd *Command) result {
	s := c.mbox
	if s.readOnly {
		return no("READ-ONLY", "Mailbox is read-only")
	}
	var set *SeqSet
	if cmd.UID {
		idx, _ := s.resolve(cmd.Args.(*ExpungeArgs).UIDs, true)
		u, n := s.uidSet(idx)
		if n == 0 {
			return ok("")
		}
		set = &u
	}
	uids, err := s.mb.Expunge(c.ctx, set)
	if err != nil {
		return c.backendError("EXPUNGE", err)
	}
	c.expunged(uids)
	if c.qresync {
		// RFC 7162 section 3.2: the client learns the mod-sequence its
		// cache is now at (as with the VANISHED it just got).
		if hm := s.mb.HighestModSeq(); hm > 0 {
			return okCode("HIGHESTMODSEQ "+strconv.FormatUint(hm, 10), "EXPUNGE completed")
		}
	}
	return ok("")
}

func cmdClose(c *conn, cmd *Command) result {
	s := c.mbox
	if cmd.Name == "CLOSE" && !s.readOnly {
		// RFC 9051 section 6.4.1: expunge silently.
		if _, err := s.mb.Expunge(c.ctx, nil); err != nil {
			r := c.backendError("CLOSE", err)
			c.closeMailbox()
			return r
		}
	}
	c.closeMailbox()
	return ok("")
}

var errIdleTimeout = errors.New("imap: IDLE timed out")
