package imap

import (
	"errors"
	"maps"
	"slices"
	"strconv"
)

func utoa(n uint32) string { return strconv.FormatUint(uint64(n), 10) }

// needsContent reports whether a FETCH item reads the message.
func needsContent(k fetchKind) bool {
	switch k {
	case fetchEnvelope, fetchRFC822, fetchRFC822Header, fetchRFC822Text, fetchBody,
		fetchBodyStructure, fetchBodySection, fetchBinarySection, fetchBinarySize:
		return true
	}
	return false
}

// setsSeen reports whether a FETCH item sets \Seen (RFC 9051 6.4.5: BODY[...] and BINARY[...] without .PEEK, RFC822 and RFC822.TEXT).
func setsSeen(it fetchItem) bool {
	switch it.Kind {
	case fetchRFC822, fetchRFC822Text:
		return true
	case fetchBodySection, fetchBinarySection:
		return !it.Peek
	}
	return false
}

// openMessage opens a message of the selected mailbox for FETCH or SEARCH.
func (c *conn) openMessage(uid uint32) (*message, MessageReader, error) {
	r, err := c.mbox.mb.Open(c.ctx, uid)
	if err != nil {
		return nil, nil, err
	}
	return newMessage(r, r.Size()), r, nil
}

func cmdFetch(c *conn, cmd *command) result {
	a := cmd.Args.(*fetchArgs)
	s := c.mbox
	idx, valid := s.resolve(a.Set, cmd.UID)
	if !valid {
		return bad("Invalid sequence number")
	}
	if a.Vanished && !c.qresync {
		// RFC 7162 3.2.6: VANISHED needs ENABLE QRESYNC.
		return bad("QRESYNC is not enabled")
	}
	items := a.Items
	var content, seen, hasFlags, hasUID, hasModSeq bool
	for _, it := range items {
		content = content || needsContent(it.Kind)
		seen = seen || setsSeen(it)
		hasFlags = hasFlags || it.Kind == fetchFlags
		hasUID = hasUID || it.Kind == fetchUID
		hasModSeq = hasModSeq || it.Kind == fetchModSeq
	}
	// RFC 7162 3.1: FETCH MODSEQ and the CHANGEDSINCE modifier
	// are CONDSTORE enabling commands.
	if hasModSeq || (a.ChangedSince > 0) {
		c.enableCondStore()
	}
	if a.Vanished {
		if r := c.fetchVanished(a.Set, a.ChangedSince); r != nil {
			return *r
		}
	}
	if a.ChangedSince > 0 {
		// RFC 7162 3.1.4.1: only the messages whose mod-sequence
		// is greater than CHANGEDSINCE, and MODSEQ is implied.
		// (Filtered here, before an implicit \Seen below changes the
		// mod-sequences; the runs kept are at most one per changed
		// message.)
		var kept msgRuns
		for i := range idx.All() {
			if s.msgs[i].ModSeq > a.ChangedSince {
				kept = kept.add(i)
			}
		}
		idx = kept
		if !hasModSeq {
			items = append(slices.Clip(items), fetchItem{Kind: fetchModSeq})
			hasModSeq = true
		}
	}
	if a.Partial != nil {
		// RFC 9394 3.3: only the messages of the set (after
		// CHANGEDSINCE) in the range, counted in mailbox order.
		idx = idx.slice(*a.Partial)
	}
	if s.readOnly {
		seen = false
	}
	// \Seen is set on all the messages at once, before their data is sent,
	// so that FLAGS in each response is already right.
	seenNow := map[uint32]bool{}
	if seen {
		var b SeqSetBuilder
		n := 0
		for i := range idx.All() {
			m := &s.msgs[i]
			if _, gone := s.pending[m.UID]; !gone && !hasFlag(m.Flags, FlagSeen) {
				b.Add(m.UID)
				n++
			}
		}
		if n > 0 {
			res, err := s.mb.SetFlags(c.ctx, b.Set(), StoreAdd, []string{FlagSeen}, nil)
			if err != nil {
				return c.backendError("FETCH", err)
			}
			for _, m := range res.Messages {
				if j := s.index(m.UID); j >= 0 {
					s.msgs[j].Flags = append(s.msgs[j].Flags[:0:0], m.Flags...)
					s.msgs[j].ModSeq = m.ModSeq
					seenNow[m.UID] = true
				}
			}
		}
	}
	if len(seenNow) > 0 {
		// Updating searches hear of the new \Seen after the FETCH
		// responses (RFC 5465 5.1).
		defer c.contextsChanged(slices.Sorted(maps.Keys(seenNow)))
	}
	var unknownCTE bool
	var skip skipped
	cache, _ := s.mb.(StructureCache)
	// structOnly: every item that needs the message can be answered from
	// its structure (ENVELOPE, BODY, BODYSTRUCTURE), so with a cache hit
	// the message is not opened at all.
	structOnly := cache != nil && content
	for _, it := range items {
		if needsContent(it.Kind) && it.Kind != fetchEnvelope && it.Kind != fetchBody && it.Kind != fetchBodyStructure {
			structOnly = false
		}
	}
	for i := range idx.All() {
		m := &s.msgs[i]
		if _, gone := s.pending[m.UID]; gone {
			// RFC 2180 4.1.2: expunged by another session and
			// not told yet: no data, and a NO at the end.
			skip.note(nil)
			continue
		}
		var msg *message
		var rd MessageReader
		var part *Part
		cacheTried := false
		if structOnly {
			cacheTried = true
			if p, err := cache.Structure(c.ctx, m.UID); err == nil && p != nil {
				part = p
			}
		}
		if content && part == nil {
			var err error
			msg, rd, err = c.openMessage(m.UID)
			if err != nil {
				// Expunged by another session since this one
				// last looked (RFC 2180 4.1.2), or unreadable.
				if !skip.note(err) && c.ctx.Err() == nil {
					c.logger().Error("imap: cannot open message", "uid", m.UID, "err", err)
				}
				continue
			}
		}
		structure := func() (*Part, error) {
			if part != nil {
				return part, nil
			}
			if cache != nil && !cacheTried {
				cacheTried = true
				p, err := cache.Structure(c.ctx, m.UID)
				if err == nil && p != nil {
					part = p
					return p, nil
				}
			}
			p, err := msg.Structure()
			part = p
			return p, err
		}
		c.w.Raw("* ")
		c.w.Number(uint32(i + 1))
		c.w.Raw(" FETCH (")
		first := true
		sp := func() {
			if !first {
				c.w.SP()
			}
			first = false
		}
		if cmd.UID && !hasUID {
			sp()
			c.w.Raw("UID ")
			c.w.Number(m.UID)
		}
		if seenNow[m.UID] && c.condStore && !cmd.UID && !hasUID {
			// RFC 7162 3.2: a flag change reported once
			// CONDSTORE is enabled carries UID and MODSEQ.
			sp()
			c.w.Raw("UID ")
			c.w.Number(m.UID)
		}
		if seenNow[m.UID] && !hasFlags {
			sp()
			c.w.Raw("FLAGS ")
			c.w.Flags(c.flagsOf(m))
		}
		if seenNow[m.UID] && c.condStore && !hasModSeq {
			sp()
			c.w.Raw("MODSEQ (")
			c.w.Number64(m.ModSeq)
			c.w.Raw(")")
		}
		var rerr error
		for _, it := range items {
			switch it.Kind {
			case fetchUID:
				sp()
				c.w.Raw("UID ")
				c.w.Number(m.UID)
			case fetchFlags:
				sp()
				c.w.Raw("FLAGS ")
				c.w.Flags(c.flagsOf(m))
			case fetchInternalDate:
				sp()
				c.w.Raw("INTERNALDATE ")
				c.w.DateTime(m.InternalDate.In(c.srv.location()))
			case fetchRFC822Size:
				sp()
				c.w.Raw("RFC822.SIZE ")
				c.w.Number64(uint64(m.Size))
			case fetchModSeq:
				sp()
				c.w.Raw("MODSEQ (")
				c.w.Number64(m.ModSeq)
				c.w.Raw(")")
			case fetchEnvelope:
				var env *envelope
				if cache != nil {
					if p, err := structure(); err == nil && p != nil {
						env = p.envelope()
					}
				}
				if env == nil {
					// Without a cache the header alone is read, not
					// the whole structure.
					env, rerr = msg.Envelope()
				}
				if rerr != nil {
					break
				}
				sp()
				c.w.Raw("ENVELOPE ")
				c.w.Envelope(env)
			case fetchBody, fetchBodyStructure:
				var p *Part
				p, rerr = structure()
				if rerr != nil {
					break
				}
				sp()
				if it.Kind == fetchBody {
					c.w.Raw("BODY ")
				} else {
					c.w.Raw("BODYSTRUCTURE ")
				}
				c.w.BodyStructure(p, it.Kind == fetchBodyStructure)
			case fetchBinarySize:
				n, err := msg.BinarySize(it.Section.Part)
				if errors.Is(err, errUnknownCTE) {
					unknownCTE = true
					continue
				}
				sp()
				c.w.Raw(it.ResponseName())
				c.w.SP()
				if err != nil {
					if !errors.Is(err, errNoSection) {
						rerr = err
						break
					}
					c.w.Nil()
				} else {
					c.w.Number64(uint64(n))
				}
			case fetchRFC822, fetchRFC822Header, fetchRFC822Text, fetchBodySection, fetchBinarySection:
				r, n, err := msg.FetchSection(it)
				if errors.Is(err, errUnknownCTE) {
					unknownCTE = true
					continue
				}
				sp()
				c.w.Raw(it.ResponseName())
				c.w.SP()
				if err != nil {
					if !errors.Is(err, errNoSection) {
						rerr = err
						break
					}
					// A section that does not exist is sent as NIL.
					c.w.Nil()
					continue
				}
				if it.Kind == fetchBinarySection {
					rerr = c.w.Literal8From(r, n)
				} else {
					rerr = c.w.LiteralFrom(r, n)
				}
			}
			if rerr != nil {
				break
			}
		}
		if rd != nil {
			rd.Close()
		}
		if rerr != nil {
			if c.w.Err() != nil {
				// A literal was cut short: the stream is unusable.
				c.logger().Error("imap: reading message failed mid-literal", "uid", m.UID, "err", rerr)
				return result{bye: true}
			}
			c.logger().Error("imap: reading message failed", "uid", m.UID, "err", rerr)
			skip.failed = true
		}
		c.w.Raw(")")
		c.w.CRLF()
	}
	if unknownCTE {
		return no("UNKNOWN-CTE", "Cannot decode the content transfer encoding of a part")
	}
	if skip.expunged && !skip.failed {
		// RFC 2180 4.1.2 (Dovecot does the same): the data of the
		// others, then NO. A NO that says the messages no longer exist
		// is what clients expect of a FETCH (imaptest too).
		return expungeIssued()
	}
	return skip.done("fetched")
}
