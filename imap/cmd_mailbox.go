package imap

import (
	"context"
	"io"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"
)

// maxMailboxName bounds a mailbox name in bytes.
const maxMailboxName = 1024

// checkName validates a decoded mailbox name before it reaches the
// backend: no wildcards, control characters or empty components (RFC 9051
// section 5.1), a bounded length. INBOX as a first component is spelled in
// upper case (RFC 9051 section 5.1: INBOX is case-insensitive).
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

func cmdSelect(c *conn, cmd *Command) result {
	a := cmd.Args.(*SelectArgs)
	readOnly := cmd.Name == "EXAMINE"
	if a.QResync != nil && !c.qresync {
		// RFC 7162 section 3.2.5: QRESYNC without ENABLE QRESYNC is BAD.
		return bad("QRESYNC is not enabled")
	}
	if c.mbox != nil {
		c.closeMailbox()
		if c.rev2 || c.qresync {
			// RFC 9051 section 7.1, RFC 7162 section 3.2.11: CLOSED
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
	s.recentKey = recentKey(c.user.Username(), name, mb.UIDValidity())
	s.flags = append(slices.Clone(mailboxFlags), mb.Keywords()...)
	for i := range s.msgs {
		s.msgs[i].Flags = slices.Clone(s.msgs[i].Flags)
	}
	s.permAny = mb.CanCreateKeywords()
	uids := make([]uint32, len(s.msgs))
	for i, m := range s.msgs {
		uids[i] = m.UID
	}
	if !readOnly {
		// EXAMINE does not take \Recent away from other sessions (RFC
		// 9051 section 6.3.3: no change to the mailbox's state).
		for _, u := range c.srv.recent.claim(s.recentKey, uids) {
			s.recent[u] = struct{}{}
		}
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
	// RFC 7162 section 3.1.8: SELECT/EXAMINE (CONDSTORE) is an enabling
	// command; section 3.1.2.1: once enabled, every SELECT and EXAMINE
	// reports HIGHESTMODSEQ.
	if a.CondStore {
		c.condStore = true
	}
	if c.condStore {
		c.writeHighestModSeq()
	}
	if c.rev2 {
		// RFC 9051 section 6.3.2: a LIST response with the mailbox name.
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

func cmdCreate(c *conn, cmd *Command) result {
	a := cmd.Args.(*CreateArgs)
	// RFC 9051 section 6.3.4: a trailing delimiter means the client
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
		// RFC 6154 section 3: one attribute per mailbox here.
		return no("USEATTR", "Only one special-use attribute per mailbox")
	}
	if err := c.user.Create(c.ctx, name, opts); err != nil {
		return c.backendError("CREATE", err)
	}
	return ok("")
}

func cmdDelete(c *conn, cmd *Command) result {
	name, r := checkName(cmd.Args.(*MailboxArgs).Mailbox)
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

func cmdRename(c *conn, cmd *Command) result {
	a := cmd.Args.(*RenameArgs)
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

func cmdSubscribe(c *conn, cmd *Command) result {
	name, r := checkName(cmd.Args.(*MailboxArgs).Mailbox)
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

// matchPattern reports whether name matches a LIST pattern: "*" matches
// anything, "%" anything but the delimiter (RFC 9051 section 6.3.9). It
// runs in O(len(pattern)*len(name)) time whatever the pattern.
func matchPattern(pattern, name string) bool {
	// prev[j]: pattern[:i] matches name[:j].
	prev := make([]bool, len(name)+1)
	cur := make([]bool, len(name)+1)
	prev[0] = true
	for i := 0; i < len(pattern); i++ {
		pc := pattern[i]
		cur[0] = prev[0] && (pc == '*' || pc == '%')
		for j := 1; j <= len(name); j++ {
			switch pc {
			case '*':
				cur[j] = prev[j] || cur[j-1]
			case '%':
				cur[j] = prev[j] || (cur[j-1] && name[j-1] != '/')
			default:
				cur[j] = prev[j-1] && name[j-1] == pc
			}
		}
		prev, cur = cur, prev
	}
	return prev[len(name)]
}

// listPattern joins a LIST reference and pattern, and spells a leading
// INBOX in upper case.
func listPattern(ref, pat string) string {
	p := pat
	if ref != "" && !strings.HasPrefix(pat, "/") {
		p = ref + pat
	}
	if len(p) >= 5 && strings.EqualFold(p[:5], "INBOX") && (len(p) == 5 || p[5] == '/') {
		p = "INBOX" + p[5:]
	}
	return p
}

func cmdList(c *conn, cmd *Command) result {
	a := cmd.Args.(*ListArgs)
	if len(a.Patterns) == 1 && a.Patterns[0] == "" && !a.Extended {
		// RFC 9051 section 6.3.9: the delimiter and root of the reference.
		c.w.Raw(`* LIST (\Noselect) "/" `)
		root := ""
		if i := strings.IndexByte(a.Reference, '/'); i >= 0 {
			root = a.Reference[:i+1]
		}
		c.w.Mailbox(root)
		c.w.CRLF()
		return ok("")
	}
	infos, err := c.user.List(c.ctx)
	if err != nil {
		return c.backendError("LIST", err)
	}
	pats := make([]string, 0, len(a.Patterns))
	for _, p := range a.Patterns {
		if len(p) > 2*maxMailboxName {
			continue
		}
		pats = append(pats, listPattern(a.Reference, p))
	}
	matches := func(name string) bool {
		for _, p := range pats {
			if matchPattern(p, name) {
				return true
			}
		}
		return false
	}
	var subs map[string]bool
	if a.SelectSubscribed || a.ReturnSubscribed {
		names, err := c.user.Subscriptions(c.ctx)
		if err != nil {
			return c.backendError("LIST", err)
		}
		subs = make(map[string]bool, len(names))
		for _, n := range names {
			subs[n] = true
		}
	}
	// RFC 5258 section 3.5: with RECURSIVEMATCH, a name that does not meet
	// the selection criteria itself but has a descendant that does is
	// listed too, with CHILDINFO extended data. Only SUBSCRIBED has a
	// CHILDINFO tag; RECURSIVEMATCH with SPECIAL-USE alone adds nothing.
	var childSub map[string]bool
	if a.SelectRecursiveMatch && a.SelectSubscribed {
		special := map[string]bool{}
		for _, mi := range infos {
			special[mi.Name] = mi.SpecialUse != ""
		}
		childSub = map[string]bool{}
		for n := range subs {
			if a.SelectSpecialUse && !special[n] {
				continue
			}
			for i := len(n) - 1; i > 0; i-- {
				if n[i] == '/' {
					childSub[n[:i]] = true
				}
			}
		}
	}
	const childInfo = ` ("CHILDINFO" ("SUBSCRIBED"))`
	listed := map[string]bool{}
	for _, mi := range infos {
		if !matches(mi.Name) {
			continue
		}
		meets := (!a.SelectSubscribed || subs[mi.Name]) && (!a.SelectSpecialUse || mi.SpecialUse != "")
		if !meets && !childSub[mi.Name] {
			continue
		}
		listed[mi.Name] = true
		c.w.Raw("* LIST (")
		attrs := listAttrs(mi, subs[mi.Name] && (a.ReturnSubscribed || a.SelectSubscribed))
		c.w.Raw(strings.Join(attrs, " "))
		c.w.Raw(`) "/" `)
		c.w.Mailbox(mi.Name)
		if !meets {
			c.w.Raw(childInfo)
		}
		c.w.CRLF()
		if len(a.ReturnStatus) > 0 && !mi.NoSelect {
			c.writeStatus(mi.Name, a.ReturnStatus, false)
		}
	}
	if a.SelectSubscribed {
		// RFC 5258 section 3.1: subscribed names that do not exist are
		// listed with \NonExistent (and, with RECURSIVEMATCH, names that
		// do not exist but have subscribed descendants, with CHILDINFO).
		exists := make(map[string]bool, len(infos))
		for _, mi := range infos {
			exists[mi.Name] = true
		}
		names := make([]string, 0, len(subs)+len(childSub))
		for n := range subs {
			names = append(names, n)
		}
		for n := range childSub {
			if !subs[n] {
				names = append(names, n)
			}
		}
		sort.Strings(names)
		for _, n := range names {
			if listed[n] || exists[n] || !matches(n) {
				continue
			}
			if subs[n] && !a.SelectSpecialUse {
				c.w.Raw(`* LIST (\NonExistent \Subscribed) "/" `)
				c.w.Mailbox(n)
			} else if childSub[n] {
				c.w.Raw(`* LIST (\NonExistent`)
				if subs[n] {
					c.w.Raw(` \Subscribed`)
				}
				c.w.Raw(`) "/" `)
				c.w.Mailbox(n)
				c.w.Raw(childInfo)
			} else {
				continue
			}
			c.w.CRLF()
		}
	}
	return ok("")
}

func listAttrs(mi MailboxInfo, subscribed bool) []string {
	var attrs []string
	if mi.NoSelect {
		attrs = append(attrs, `\Noselect`)
	}
	if mi.HasChildren {
		attrs = append(attrs, `\HasChildren`)
	} else {
		attrs = append(attrs, `\HasNoChildren`)
	}
	if subscribed {
		attrs = append(attrs, `\Subscribed`)
	}
	if mi.SpecialUse != "" {
		attrs = append(attrs, mi.SpecialUse)
	}
	return attrs
}

func cmdLsub(c *conn, cmd *Command) result {
	a := cmd.Args.(*ListArgs)
	if a.Patterns[0] == "" {
		c.untagged(`LSUB (\Noselect) "/" ""`)
		return ok("")
	}
	names, err := c.user.Subscriptions(c.ctx)
	if err != nil {
		return c.backendError("LSUB", err)
	}
	pat := listPattern(a.Reference, a.Patterns[0])
	if len(pat) > 2*maxMailboxName {
		return ok("")
	}
	subs := make(map[string]bool, len(names))
	for _, n := range names {
		subs[n] = true
	}
	sort.Strings(names)
	done := map[string]bool{}
	for _, n := range names {
		if matchPattern(pat, n) {
			if !done[n] {
				done[n] = true
				c.w.Raw(`* LSUB () "/" `)
				c.w.Mailbox(n)
				c.w.CRLF()
			}
			continue
		}
		// RFC 3501 section 6.3.9: with "%", a parent that is not
		// subscribed but has a subscribed child is listed \Noselect.
		for i := len(n) - 1; i > 0; i-- {
			if n[i] != '/' {
				continue
			}
			p := n[:i]
			if subs[p] || done[p] || !matchPattern(pat, p) {
				continue
			}
			done[p] = true
			c.w.Raw(`* LSUB (\Noselect) "/" `)
			c.w.Mailbox(p)
			c.w.CRLF()
		}
	}
	return ok("")
}

func cmdStatus(c *conn, cmd *Command) result {
	a := cmd.Args.(*StatusArgs)
	name, r := checkName(a.Mailbox)
	if r != nil {
		return *r
	}
	if slices.Contains(a.Items, StatusHighestModSeq) {
		// RFC 7162 section 3.1: STATUS HIGHESTMODSEQ is an enabling
		// command.
		c.enableCondStore()
	}
	if res := c.writeStatus(name, a.Items, true); res != nil {
		return *res
	}
	return ok("")
}

// writeStatus writes a STATUS response. With strict, an error is returned
// as the command's result; otherwise (LIST-STATUS) the mailbox is skipped.
func (c *conn) writeStatus(name string, items []StatusItem, strict bool) *result {
	st, err := c.user.Status(c.ctx, name)
	if err != nil {
		if strict {
			r := c.backendError("STATUS", err)
			return &r
		}
		return nil
	}
	recent := uint32(0)
	if c.mbox != nil && c.mbox.name == name {
		recent = uint32(len(c.mbox.recent))
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
		case StatusMessages:
			c.w.Number(st.Messages)
		case StatusRecent:
			c.w.Number(recent)
		case StatusUIDNext:
			c.w.Number(st.UIDNext)
		case StatusUIDValidity:
			c.w.Number(st.UIDValidity)
		case StatusUnseen:
			c.w.Number(st.Unseen)
		case StatusDeleted:
			c.w.Number(st.Deleted)
		case StatusSize:
			c.w.Number64(uint64(st.Size))
		case StatusHighestModSeq:
			c.w.Number64(st.HighestModSeq)
		case StatusAppendLimit:
			c.w.Number64(uint64(c.srv.maxAppendSize()))
		default:
			c.w.Nil()
		}
	}
	c.w.Raw(")")
	c.w.CRLF()
	return nil
}

func cmdAppend(c *conn, cmd *Command) result {
	name, r := checkName(cmd.Args.(*AppendArgs).Mailbox)
	if r != nil {
		c.p.SkipCommand()
		return *r
	}
	checked := false
	c.appendCheck = func(l Literal) error {
		if checked {
			return nil
		}
		checked = true
		// RFC 9051 section 6.3.12: TRYCREATE before the client sends
		// the message, when the mailbox does not exist.
		if _, err := c.user.Status(c.ctx, name); err != nil {
			res := c.backendError("APPEND", err)
			if res.code == "NONEXISTENT" {
				res.code = "TRYCREATE"
			}
			return &ParseError{Tag: cmd.Tag, Status: res.status, Code: res.code, Message: res.text}
		}
		return nil
	}
	defer func() { c.appendCheck = nil }()
	// RFC 3502 section 6.3.11: with MULTIAPPEND, if any message cannot be
	// appended, none of them may be. The messages are stored one by one
	// as they arrive (bodies are streamed, never buffered), so on a
	// failure the ones already stored are removed again (undoAppend).
	var done []AppendResult
	for {
		m, err := c.p.NextAppendMessage()
		if err != nil {
			c.undoAppend(name, done)
			if pe, isPE := err.(*ParseError); isPE {
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
		res, err := c.user.Append(c.ctx, name, m.Body, opts)
		if err != nil {
			io.Copy(io.Discard, m.Body)
			c.p.SkipCommand()
			c.undoAppend(name, done)
			r := c.backendError("APPEND", err)
			if r.code == "NONEXISTENT" {
				r.code = "TRYCREATE"
			}
			return r
		}
		done = append(done, res)
	}
	// RFC 4315 section 3 (and RFC 3502): APPENDUID carries the set of
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
// (RFC 3502 section 6.3.11: all or none). The store has no transaction,
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
