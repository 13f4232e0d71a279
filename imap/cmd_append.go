package imap

import (
	"context"
	"io"
	"slices"
	"strings"
)

func cmdAppend(c *conn, cmd *command) result {
	name, r := checkName(cmd.Args.(*appendArgs).Mailbox)
	if r != nil {
		c.p.SkipCommand()
		return *r
	}
	checked := false
	check := func() error {
		if checked {
			return nil
		}
		checked = true
		// RFC 9051 6.3.12: TRYCREATE before the client sends
		// the message, when the mailbox does not exist.
		if _, err := c.user.Status(c.ctx, name); err != nil {
			res := c.backendError("APPEND", err)
			return &commandError{Tag: cmd.Tag, Status: res.status, Code: res.code, Message: res.text}
		}
		return nil
	}
	c.appendCheck = func(announcedLiteral) error { return check() }
	defer func() { c.appendCheck = nil }()
	urls := c.urlResolver()
	defer urls.close()
	// RFC 3502 6.3.11: with MULTIAPPEND, if any message cannot be
	// appended, none of them may be. The messages are stored one by one
	// as they arrive (bodies are streamed, never buffered), so on a
	// failure the ones already stored are removed again (undoAppend).
	var done []AppendResult
	for {
		m, err := c.p.NextAppendMessage()
		if err != nil {
			c.undoAppend(name, done)
			if pe, isPE := err.(*commandError); isPE {
				if pe.Fatal {
					c.untagged("BYE " + sanitize(pe.Message))
					return result{bye: true}
				}
				return result{status: pe.Status, code: pe.Code, text: pe.Message}
			}
			return result{bye: true}
		}
		if m == nil {
			break
		}
		flags := slices.DeleteFunc(slices.Clone(m.Flags), func(f string) bool { return strings.EqualFold(f, FlagRecent) })
		opts := &AppendOptions{Flags: flags, InternalDate: m.Date, Size: m.Size}
		body := io.Reader(m.Body)
		var cat *catenateReader
		var sp *spool
		switch {
		case m.Catenate:
			// RFC 4469 5: the parts are read as the store reads the
			// message; the mailbox is checked first, as for a literal.
			if err := check(); err != nil {
				c.undoAppend(name, done)
				if c.p.SkipCommand() != nil {
					return result{bye: true}
				}
				pe := err.(*commandError)
				return result{status: pe.Status, code: pe.Code, text: pe.Message}
			}
			cat = &catenateReader{c: c, urls: urls}
			body, opts.Size = cat, -1
		case m.Binary:
			// RFC 3516 4.4: binary parts are stored in base64
			// (append_binary.go).
			if sp, err = spoolMessage(m.Body, m.Size); err != nil {
				c.p.SkipCommand()
				c.undoAppend(name, done)
				return c.backendError("APPEND", err)
			}
			body = io.NewSectionReader(sp, 0, m.Size)
			if r, n, converted, err := withBase64Parts(sp, m.Size); err == nil && converted {
				body, opts.Size = r, n
			}
		}
		res, err := c.user.Append(c.ctx, name, body, opts)
		if sp != nil {
			sp.Close()
		}
		if cat != nil {
			if r := cat.finish(err); r != nil {
				if err == nil {
					done = append(done, res)
				}
				c.undoAppend(name, done)
				return *r
			}
		}
		if err != nil {
			if cat == nil {
				io.Copy(io.Discard, m.Body)
				c.p.SkipCommand()
			}
			c.undoAppend(name, done)
			return c.backendError("APPEND", err)
		}
		done = append(done, res)
	}
	// RFC 4315 3 (and RFC 3502): APPENDUID carries the set of
	// the UIDs given to the messages, in order.
	var uids []uint32
	for _, r := range done {
		if r.UID == 0 || r.UIDValidity == 0 || r.UIDValidity != done[0].UIDValidity {
			uids = nil
			break
		}
		uids = append(uids, r.UID)
	}
	if len(uids) > 0 {
		var b SeqSetBuilder
		for _, u := range uids {
			b.Add(u)
		}
		return okCode("APPENDUID "+utoa(done[0].UIDValidity)+" "+b.Set().String(), "APPEND completed")
	}
	return ok("")
}

// undoAppend removes the messages a failed MULTIAPPEND had stored already
// (RFC 3502 6.3.11: all or none). The store has no transaction,
// so this goes through the Mailbox interface: the messages get \Deleted
// and are expunged by UID. Another session that has the mailbox selected
// may see them appear and disappear (EXISTS, then EXPUNGE). Should the
// undo itself fail, or the backend not report UIDs, the messages stay and
// the failure is logged.
func (c *conn) undoAppend(name string, done []AppendResult) {
	if len(done) == 0 {
		return
	}
	var b SeqSetBuilder
	for _, r := range done {
		if r.UID == 0 {
			c.logger().Error("imap: cannot undo a failed MULTIAPPEND: no UID", "mailbox", name)
			return
		}
		b.Add(r.UID)
	}
	uids := b.Set()
	ctx := context.WithoutCancel(c.ctx)
	mb, err := c.user.Open(ctx, name, false)
	if err == nil {
		_, err = mb.SetFlags(ctx, uids, StoreAdd, []string{FlagDeleted}, nil)
		if err == nil {
			_, err = mb.Expunge(ctx, &uids)
		}
		mb.Close()
	}
	if err != nil {
		c.logger().Error("imap: cannot undo a failed MULTIAPPEND", "mailbox", name, "err", err)
	}
}
