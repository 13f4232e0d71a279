package imap

import (
	"slices"
	"strings"
	"unicode/utf8"
)

// maxMailboxName bounds a mailbox name in bytes.
const maxMailboxName = 1024

// checkName validates a decoded mailbox name before it reaches the
// backend: no wildcards, control characters or empty components (RFC 9051
// 5.1), no namespace prefix ("~", "#"), a bounded length. INBOX as a first component is spelled in
// upper case (RFC 9051 5.1: INBOX is case-insensitive).
func checkName(name string) (string, *result) {
	bad := func(text string) (string, *result) {
		r := no("CANNOT", text)
		return "", &r
	}
	if name == "" {
		return bad("Empty mailbox name")
	}
	if len(name) > maxMailboxName {
		return bad("Mailbox name too long")
	}
	if !utf8.ValidString(name) {
		return bad("Mailbox name is not valid UTF-8")
	}
	for _, r := range name {
		if r < ' ' || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == '%' || r == '*' {
			return bad("Mailbox name contains a character that is not allowed")
		}
	}
	if name[0] == '~' || name[0] == '#' {
		// RFC 2342 (NAMESPACE): other servers read "~user/" as another
		// user's folders and "#..." as a namespace; this server offers
		// only the personal one, with no prefix. A leading "/" is refused
		// below as an empty component.
		return bad("Mailbox names starting with " + name[:1] + " are namespaces this server does not serve")
	}
	if first, rest, found := strings.Cut(name, "/"); strings.EqualFold(first, "INBOX") {
		name = "INBOX"
		if found {
			name += "/" + rest
		}
	}
	for _, comp := range strings.Split(name, "/") {
		if comp == "" {
			return bad("Mailbox name has an empty component")
		}
	}
	return name, nil
}

func cmdSelect(c *conn, cmd *command) result {
	a := cmd.Args.(*selectArgs)
	readOnly := cmd.Name == "EXAMINE"
	if a.QResync != nil && !c.qresync {
		// RFC 7162 3.2.5: QRESYNC without ENABLE QRESYNC is BAD.
		return bad("QRESYNC is not enabled")
	}
	if c.mbox != nil {
		c.closeMailbox()
		if c.rev2 || c.qresync {
			// RFC 9051 7.1, RFC 7162 3.2.11: CLOSED
			// tells the client where the previous mailbox's responses
			// end.
			c.untagged("OK [CLOSED] Previous mailbox closed")
		}
	}
	name, r := checkName(a.Mailbox)
	if r != nil {
		return *r
	}
	mb, err := c.user.Open(c.ctx, name, readOnly)
	if err != nil {
		return c.backendError(cmd.Name, err)
	}
	s := &selected{mb: mb, name: name, readOnly: readOnly, recent: map[uint32]struct{}{}}
	s.msgs = slices.Clone(mb.Messages())
	s.flags = append(slices.Clone(mailboxFlags), mb.Keywords()...)
	for i := range s.msgs {
		s.msgs[i].Flags = slices.Clone(s.msgs[i].Flags)
	}
	s.permAny = mb.CanCreateKeywords()
	uids := make([]uint32, len(s.msgs))
	for i, m := range s.msgs {
		uids[i] = m.UID
	}
	// RFC 3501 6.3.2: EXAMINE reports RECENT as SELECT does, without
	// taking \Recent away from other sessions.
	for _, u := range c.recentOf(s, uids) {
		s.recent[u] = struct{}{}
	}
	c.mbox = s
	c.state.Store(stateSelected)
	c.writeFlagsResponses()
	c.w.Raw("* ")
	c.w.Number(uint32(len(s.msgs)))
	c.w.Raw(" EXISTS")
	c.w.CRLF()
	if !c.rev2 {
		c.w.Raw("* ")
		c.w.Number(uint32(len(s.recent)))
		c.w.Raw(" RECENT")
		c.w.CRLF()
		for i := range s.msgs {
			if !hasFlag(s.msgs[i].Flags, FlagSeen) {
				c.w.Raw("* OK [UNSEEN ")
				c.w.Number(uint32(i + 1))
				c.w.Raw("] First unseen")
				c.w.CRLF()
				break
			}
		}
	}
	c.w.Raw("* OK [UIDVALIDITY ")
	c.w.Number(mb.UIDValidity())
	c.w.Raw("] UIDs valid")
	c.w.CRLF()
	c.w.Raw("* OK [UIDNEXT ")
	c.w.Number(mb.UIDNext())
	c.w.Raw("] Predicted next UID")
	c.w.CRLF()
	// RFC 7162 3.1.8: SELECT/EXAMINE (CONDSTORE) is an enabling
	// command; RFC 7162 3.1.2.1: once enabled, every SELECT and EXAMINE
	// reports HIGHESTMODSEQ.
	if a.CondStore {
		c.condStore = true
	}
	if c.condStore {
		c.writeHighestModSeq()
	}
	if c.rev2 {
		// RFC 9051 6.3.2: a LIST response with the mailbox name.
		c.w.Raw(`* LIST () "/" `)
		c.w.Mailbox(name)
		c.w.CRLF()
	}
	if a.QResync != nil {
		if r := c.selectQResync(a.QResync); r.status != "" {
			c.closeMailbox()
			return r
		}
	}
	if readOnly {
		return okCode("READ-ONLY", cmd.Name+" completed")
	}
	return okCode("READ-WRITE", cmd.Name+" completed")
}

func cmdCreate(c *conn, cmd *command) result {
	a := cmd.Args.(*createArgs)
	// RFC 9051 6.3.4: a trailing delimiter means the client
	// intends to create children; the name is created without it.
	name, r := checkName(strings.TrimSuffix(a.Mailbox, "/"))
	if r != nil {
		return *r
	}
	if name == "INBOX" {
		return no("ALREADYEXISTS", "INBOX always exists")
	}
	opts := &CreateOptions{}
	switch len(a.SpecialUse) {
	case 0:
	case 1:
		opts.SpecialUse = a.SpecialUse[0]
	default:
		// RFC 6154 3: one attribute per mailbox here.
		return no("USEATTR", "Only one special-use attribute per mailbox")
	}
	if err := c.user.Create(c.ctx, name, opts); err != nil {
		return c.backendError("CREATE", err)
	}
	return ok("")
}

func cmdDelete(c *conn, cmd *command) result {
	name, r := checkName(cmd.Args.(*mailboxArgs).Mailbox)
	if r != nil {
		return *r
	}
	if name == "INBOX" {
		return no("CANNOT", "INBOX cannot be deleted")
	}
	if c.mbox != nil && c.mbox.name == name {
		// The selected mailbox goes away: deselect it first.
		c.closeMailbox()
	}
	if err := c.user.Delete(c.ctx, name); err != nil {
		return c.backendError("DELETE", err)
	}
	return ok("")
}

func cmdRename(c *conn, cmd *command) result {
	a := cmd.Args.(*renameArgs)
	from, r := checkName(a.From)
	if r != nil {
		return *r
	}
	to, r := checkName(a.To)
	if r != nil {
		return *r
	}
	if to == "INBOX" {
		return no("ALREADYEXISTS", "INBOX always exists")
	}
	if err := c.user.Rename(c.ctx, from, to); err != nil {
		return c.backendError("RENAME", err)
	}
	return ok("")
}

func cmdSubscribe(c *conn, cmd *command) result {
	name, r := checkName(cmd.Args.(*mailboxArgs).Mailbox)
	if r != nil {
		return *r
	}
	var err error
	if cmd.Name == "SUBSCRIBE" {
		err = c.user.Subscribe(c.ctx, name)
	} else {
		err = c.user.Unsubscribe(c.ctx, name)
	}
	if err != nil {
		return c.backendError(cmd.Name, err)
	}
	return ok("")
}

func cmdStatus(c *conn, cmd *command) result {
	a := cmd.Args.(*statusArgs)
	name, r := checkName(a.Mailbox)
	if r != nil {
		return *r
	}
	if slices.Contains(a.Items, statusHighestModSeq) {
		// RFC 7162 3.1: STATUS HIGHESTMODSEQ is an enabling
		// command.
		c.enableCondStore()
	}
	if res := c.writeStatus(name, a.Items, true); res != nil {
		return *res
	}
	if c.mbox != nil && c.mbox.name == name {
		// RFC 3501 6.3.10: STATUS is not meant for the selected
		// mailbox; RFC 5530 3 answers it with CLIENTBUG (its example).
		return okCode("CLIENTBUG", "STATUS on the selected mailbox")
	}
	return ok("")
}

// writeStatus writes a STATUS response. With strict, an error is returned
// as the command's result; otherwise (LIST-STATUS) the mailbox is skipped.
func (c *conn) writeStatus(name string, items []statusItem, strict bool) *result {
	st, err := c.user.Status(c.ctx, name)
	if err != nil {
		if strict {
			r := c.backendError("STATUS", err)
			return &r
		}
		return nil
	}
	c.w.Raw("* STATUS ")
	c.w.Mailbox(name)
	c.w.Raw(" (")
	for i, it := range items {
		if i > 0 {
			c.w.SP()
		}
		c.w.Raw(string(it))
		c.w.SP()
		switch it {
		case statusMessages:
			c.w.Number(st.Messages)
		case statusRecent:
			c.w.Number(c.statusRecent(name, &st))
		case statusUIDNext:
			c.w.Number(st.UIDNext)
		case statusUIDValidity:
			c.w.Number(st.UIDValidity)
		case statusUnseen:
			c.w.Number(st.Unseen)
		case statusDeleted:
			c.w.Number(st.Deleted)
		case statusSize:
			c.w.Number64(uint64(st.Size))
		case statusHighestModSeq:
			c.w.Number64(st.HighestModSeq)
		case statusAppendLimit:
			c.w.Number64(uint64(c.srv.maxAppendSize()))
		default:
			c.w.Nil()
		}
	}
	c.w.Raw(")")
	c.w.CRLF()
	return nil
}
