package imap

import (
	"slices"
	"strconv"
	"strings"
)

func cmdStore(c *conn, cmd *command) result {
	a := cmd.Args.(*storeArgs)
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
	// RFC 2180 4.2: messages another session expunged are left alone;
	// STORE succeeds for the others (as Dovecot's does: clients and
	// imaptest take a NO to STORE for a failure) and says EXPUNGEISSUED.
	skip := skipped{expunged: n < idx.Len()}
	if n == 0 {
		return skip.done("stored")
	}
	var opts *StoreOptions
	if a.HasUnchangedSince {
		// RFC 7162 3.1: STORE (UNCHANGEDSINCE) is an enabling
		// command.
		c.enableCondStore()
		opts = &StoreOptions{UnchangedSince: a.UnchangedSince, CheckUnchanged: true}
	}
	res, err := s.mb.SetFlags(c.ctx, set, a.Mode, a.Flags, opts)
	if err != nil {
		return c.backendError("STORE", err)
	}
	if len(res.Messages)+len(res.Modified) < n {
		// Expunged since this session last looked.
		skip.expunged = true
	}
	for _, m := range res.Messages {
		c.knowFlags(m.Flags)
	}
	// RFC 5465 5.1: updating searches hear of the change after the
	// FETCH responses.
	defer c.contextsChanged(messageUIDs(res.Messages))
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
		// RFC 7162 3.1.3: with CONDSTORE the new mod-sequence
		// is reported, even for .SILENT (then without FLAGS).
		c.writeModSeq(&s.msgs[j])
		c.w.Raw(")")
		c.w.CRLF()
	}
	if len(res.Modified) > 0 {
		// RFC 7162 3.1.3: MODIFIED lists message sequence
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
	return skip.done("stored")
}

func cmdCopy(c *conn, cmd *command) result {
	a := cmd.Args.(*copyArgs)
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
	if n < idx.Len() {
		// RFC 3501 6.4.7: COPY is all or nothing; a message another
		// session expunged fails it (the backend says the same when it
		// finds one gone that this session still has).
		return expungeIssued()
	}
	if n == 0 {
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
		return c.backendError(cmd.Name, err)
	}
	code := ""
	if res.UIDValidity != 0 && len(res.SourceUIDs) > 0 && len(res.SourceUIDs) == len(res.DestUIDs) {
		code = "COPYUID " + utoa(res.UIDValidity) + " " + SeqSetFromNumbers(res.SourceUIDs).String() +
			" " + SeqSetFromNumbers(res.DestUIDs).String()
	}
	if !move {
		return okCode(code, "COPY completed")
	}
	// RFC 6851 4.3: COPYUID goes in an untagged OK before the
	// EXPUNGE responses.
	if code != "" {
		c.untagged("OK [" + code + "] Moved")
	}
	c.expunged(slices.Clone(res.SourceUIDs))
	return ok("MOVE completed")
}

func cmdExpunge(c *conn, cmd *command) result {
	s := c.mbox
	if s.readOnly {
		return no("READ-ONLY", "Mailbox is read-only")
	}
	var set *SeqSet
	if cmd.UID {
		idx, _ := s.resolve(cmd.Args.(*expungeArgs).UIDs, true)
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
		// RFC 7162 3.2: the client learns the mod-sequence its
		// cache is now at (as with the VANISHED it just got).
		if hm := s.mb.HighestModSeq(); hm > 0 {
			return okCode("HIGHESTMODSEQ "+strconv.FormatUint(hm, 10), "EXPUNGE completed")
		}
	}
	return ok("")
}

func cmdClose(c *conn, cmd *command) result {
	s := c.mbox
	if cmd.Name == "CLOSE" && !s.readOnly {
		// RFC 9051 6.4.1: expunge silently.
		if _, err := s.mb.Expunge(c.ctx, nil); err != nil {
			r := c.backendError("CLOSE", err)
			c.closeMailbox()
			return r
		}
	}
	c.closeMailbox()
	return ok("")
}
