package imap

import (
	"strings"
)

// notifyState is a session's NOTIFY SET (RFC 5465): which events it wants
// for the selected mailbox and for the others, and the backend's watch
// of the user's mailboxes. Its memory is the command's arguments, the
// subscriptions while a "subscribed" filter is in use, and what the watch
// coalesces (one event per mailbox).
type notifyState struct {
	selected *notifySelected // nil: no message events for the selected mailbox between commands
	groups   []notifyGroup
	watch    MailboxWatch // nil when no group wants events
	// subs are the subscribed names for the "subscribed" filter, read
	// on first use and again after a SubscriptionChange (RFC 5465 6.4).
	subs map[string]bool
	// own are events of the command that just ran in this session: the
	// server SHOULD NOT tell a client what it did itself (RFC 5465 5).
	own map[string]MailboxEventKind
}

// supportedEvents is the BADEVENT response code (RFC 5465 3.1): it lists
// the events this server supports.
const supportedEvents = "BADEVENT (MessageNew MessageExpunge FlagChange MailboxName SubscriptionChange)"

// notifyOffered reports whether NOTIFY is advertised: once logged in, to a
// user whose backend can watch all its mailboxes.
func (c *conn) notifyOffered() bool {
	_, ok := c.user.(NotifyUser)
	return ok
}

// cmdNotify serves NOTIFY SET and NOTIFY NONE (RFC 5465 3.1).
func cmdNotify(c *conn, cmd *command) result {
	a := cmd.Args.(*notifyArgs)
	nu, can := c.user.(NotifyUser)
	if !can {
		return bad("Unknown command NOTIFY")
	}
	if a.None {
		c.stopNotify()
		return ok("")
	}
	used := notifyEvents(0)
	var groups []notifyGroup
	for _, g := range a.Groups {
		used |= g.Events
		if g.Events != 0 {
			groups = append(groups, g)
		}
	}
	if a.Selected != nil {
		used |= a.Selected.Events
	}
	if a.Unknown || used&^evSupported != 0 {
		return no(supportedEvents, "Unsupported NOTIFY event")
	}
	st := &notifyState{selected: a.Selected, groups: groups}
	if old := c.notify; old != nil && old.watch != nil {
		// What the old watch gathered was asked for by the old NOTIFY
		// SET; the new one starts from now (with STATUS if asked).
		st.watch, old.watch = old.watch, nil
		st.watch.Events()
	}
	c.stopNotify()
	switch {
	case len(groups) == 0 && st.watch != nil:
		st.watch.Close()
		st.watch = nil
	case len(groups) > 0 && st.watch == nil:
		w, err := nu.WatchMailboxes(c.ctx)
		if err != nil {
			return c.backendError("NOTIFY", err)
		}
		st.watch = w
	}
	c.notify = st
	if a.Status {
		c.notifyInitialStatus()
	}
	return ok("")
}

// stopNotify ends NOTIFY (NOTIFY NONE, a new NOTIFY SET, an overflow, the
// end of the session).
func (c *conn) stopNotify() {
	if c.notify == nil {
		return
	}
	if w := c.notify.watch; w != nil {
		c.safe("NotifyClose", w.Close)
	}
	c.notify = nil
}

// notifyInitialStatus sends, for NOTIFY SET STATUS, a STATUS response for
// each mailbox other than the selected one for which message events are
// now on, with the items RFC 5465 3.1 requires for those events.
func (c *conn) notifyInitialStatus() {
	infos, err := c.user.List(c.ctx)
	if err != nil {
		c.logger().Warn("imap: NOTIFY listing failed", "err", err)
		return
	}
	for _, mi := range infos {
		if mi.NoSelect || (c.mbox != nil && c.mbox.name == mi.Name) {
			continue
		}
		ev := c.notifyEventsFor(mi.Name, c.subscribed)
		var items []statusItem
		if ev&(evMessageNew|evMessageExpunge) != 0 {
			items = append(items, statusMessages)
		}
		if ev&evMessageNew != 0 {
			items = append(items, statusUIDNext)
		}
		if ev&(evMessageNew|evFlagChange) != 0 {
			items = append(items, statusUIDValidity)
		}
		if ev&evFlagChange != 0 {
			items = append(items, statusHighestModSeq)
		}
		if len(items) > 0 {
			c.writeStatus(mi.Name, items, false)
		}
	}
}

// notifyEventsFor returns the events wanted for a mailbox other than the
// selected one: those of every group whose filter takes it. subscribed
// tells whether a name counts as subscribed (c.subscribed but around a
// subscription change).
func (c *conn) notifyEventsFor(name string, subscribed func(string) bool) notifyEvents {
	var ev notifyEvents
	for _, g := range c.notify.groups {
		if notifyTakes(g, name, subscribed) {
			ev |= g.Events
		}
	}
	return ev
}

// notifyTakes reports whether a group's filter takes a mailbox (RFC 5465
// 6.2 to 6.6; the INBOX of a user is the mailbox mail is delivered to, and
// any other might be a Sieve target, so "inboxes" is "personal", as 6.3
// allows).
func notifyTakes(g notifyGroup, name string, subscribed func(string) bool) bool {
	switch g.Filter {
	case filterInboxes, filterPersonal:
		return true
	case filterSubscribed:
		return subscribed(name)
	case filterSubtree:
		for _, n := range g.Names {
			if name == n || strings.HasPrefix(name, n+"/") {
				return true
			}
		}
	case filterMailboxes:
		for _, n := range g.Names {
			if name == n {
				return true
			}
		}
	}
	return false
}

// subscribed reports whether a name is subscribed, reading the
// subscriptions when they are not known.
func (c *conn) subscribed(name string) bool {
	st := c.notify
	if st.subs == nil {
		names, err := c.user.Subscriptions(c.ctx)
		if err != nil {
			c.logger().Warn("imap: NOTIFY could not read subscriptions", "err", err)
		}
		st.subs = make(map[string]bool, len(names))
		for _, n := range names {
			st.subs[n] = true
		}
	}
	return st.subs[name]
}

// noteOwnEvents records the mailbox events a command of this session
// caused, so that deliverNotify leaves them out (RFC 5465 5: the server
// SHOULD NOT notify the client of its own CREATE and the like).
func (c *conn) noteOwnEvents(cmd *command) {
	var name string
	var kind MailboxEventKind
	switch a := cmd.Args.(type) {
	case *createArgs:
		name, kind = strings.TrimSuffix(a.Mailbox, "/"), MailboxCreated
	case *mailboxArgs:
		name, kind = a.Mailbox, MailboxSubscription
		if cmd.Name == "DELETE" {
			kind = MailboxDeleted
		}
	case *renameArgs:
		name, kind = a.To, MailboxRenamed
	case *appendArgs:
		name, kind = a.Mailbox, MailboxMessagesAdded
	case *copyArgs:
		name, kind = a.Mailbox, MailboxMessagesAdded
	default:
		return
	}
	if n, r := checkName(name); r == nil {
		if c.notify.own == nil {
			c.notify.own = map[string]MailboxEventKind{}
		}
		c.notify.own[n] |= kind
	}
}

// deliverNotify tells the client what the watch reported, as the NOTIFY
// SET asked: STATUS for message events in other mailboxes (RFC 5465 5.1
// to 5.3), LIST for names created, deleted or renamed (5.4) and
// subscriptions (5.5). An overflow ends NOTIFY (5.8).
func (c *conn) deliverNotify() {
	st := c.notify
	if st == nil || st.watch == nil {
		return
	}
	evs, overflow := st.watch.Events()
	own := st.own
	st.own = nil
	if overflow {
		c.untagged("OK [NOTIFICATIONOVERFLOW] Too many changes at once; NOTIFY is off")
		c.stopNotify()
		return
	}
	var infos map[string]MailboxInfo // listed once, when a LIST is due
	info := func(name string) (MailboxInfo, bool) {
		if infos == nil {
			list, err := c.user.List(c.ctx)
			if err != nil {
				c.logger().Warn("imap: NOTIFY listing failed", "err", err)
			}
			infos = make(map[string]MailboxInfo, len(list))
			for _, mi := range list {
				infos[mi.Name] = mi
			}
		}
		mi, ok := infos[name]
		return mi, ok
	}
	for _, e := range evs {
		kind := e.Kind &^ own[e.Name]
		if kind == 0 {
			continue
		}
		if kind&MailboxSubscription != 0 {
			// RFC 5465 6.4: the subscriptions are read again; the
			// change is told if the name was subscribed before or is
			// now.
			was := c.subscribed(e.Name)
			st.subs = nil
			either := func(n string) bool { return c.subscribed(n) || n == e.Name && was }
			if c.notifyEventsFor(e.Name, either)&evSubscriptionChange != 0 {
				c.notifyList(e.Name, "", info)
			}
		}
		if kind&(MailboxCreated|MailboxDeleted|MailboxRenamed) != 0 {
			c.notifyName(e, kind, info)
		}
		if kind&(MailboxMessagesAdded|MailboxMessagesExpunged|MailboxFlagsChanged) != 0 {
			c.notifyStatus(e.Name, kind)
		}
	}
}

// notifyName tells a created, deleted or renamed mailbox with LIST, and
// for a creation or deletion its parent too, whose children changed (RFC
// 5465 5.4).
func (c *conn) notifyName(e MailboxEvent, kind MailboxEventKind, info func(string) (MailboxInfo, bool)) {
	wants := func(n string) bool { return n != "" && c.notifyEventsFor(n, c.subscribed)&evMailboxName != 0 }
	old := ""
	if kind&MailboxRenamed != 0 {
		old = e.OldName
	}
	if wants(e.Name) || (old != "" && wants(old)) {
		c.notifyList(e.Name, old, info)
	}
	if kind&(MailboxCreated|MailboxDeleted) != 0 {
		if i := strings.LastIndexByte(e.Name, '/'); i > 0 && wants(e.Name[:i]) {
			c.notifyList(e.Name[:i], "", info)
		}
	}
}

// notifyList writes an unsolicited LIST for a mailbox as it is now:
// \NonExistent when it is gone, \Subscribed when subscribed, and the
// OLDNAME extended item after a rename (RFC 5465 5.4, 5.5).
func (c *conn) notifyList(name, oldName string, info func(string) (MailboxInfo, bool)) {
	c.w.Raw("* LIST (")
	mi, exists := info(name)
	subscribed := c.subscribed(name)
	if exists {
		c.w.Raw(strings.Join(listAttrs(mi, subscribed), " "))
	} else {
		c.w.Raw(`\NonExistent`)
		if subscribed {
			c.w.Raw(` \Subscribed`)
		}
	}
	c.w.Raw(`) "/" `)
	c.w.Mailbox(name)
	if oldName != "" {
		c.w.Raw(` ("OLDNAME" (`)
		c.w.Mailbox(oldName)
		c.w.Raw("))")
	}
	c.w.CRLF()
}

// notifyStatus tells message events of a mailbox other than the selected
// one with STATUS: MESSAGES and UIDNEXT for new and expunged messages,
// UNSEEN for flag changes, HIGHESTMODSEQ once CONDSTORE is on (QRESYNC
// for expunges) and then UIDVALIDITY with flag changes (RFC 5465 5.1 to
// 5.3).
func (c *conn) notifyStatus(name string, kind MailboxEventKind) {
	if c.mbox != nil && c.mbox.name == name {
		return // SELECTED governs the selected mailbox (RFC 5465 6)
	}
	ev := c.notifyEventsFor(name, c.subscribed)
	var items []statusItem
	added := kind&MailboxMessagesAdded != 0 && ev&evMessageNew != 0
	expunged := kind&MailboxMessagesExpunged != 0 && ev&evMessageExpunge != 0
	flags := kind&MailboxFlagsChanged != 0 && ev&evFlagChange != 0
	if added || expunged {
		items = append(items, statusMessages, statusUIDNext)
	}
	if flags {
		items = append(items, statusUnseen)
		if c.condStore {
			items = append(items, statusUIDValidity)
		}
	}
	if (added || flags) && c.condStore || expunged && c.qresync {
		items = append(items, statusHighestModSeq)
	}
	if len(items) > 0 {
		c.writeStatus(name, items, false)
	}
}

// notifySelectedUpdates tells, between commands, what changed in the
// selected mailbox, as SELECTED or SELECTED-DELAYED asked (RFC 5465 6.1):
// expunges only with SELECTED, flag changes (applied all the same) only
// with FlagChange.
func (c *conn) notifySelectedUpdates() {
	sel := c.notify.selected
	if sel == nil || c.mbox == nil || sel.Events&evMessageNew == 0 {
		return
	}
	c.quietFlags = sel.Events&evFlagChange == 0
	c.sendUpdates(!sel.Delayed)
	c.quietFlags = false
}

// newMessagesFetched sends, after EXISTS, the FETCH that NOTIFY's
// SELECTED (MessageNew (fetch-att ...)) asks for new messages (RFC 5465
// 5.2).
func (c *conn) newMessagesFetched(uids []uint32) {
	if c.notify == nil || c.notify.selected == nil || len(c.notify.selected.Items) == 0 {
		return
	}
	c.fetchUnsolicited(uids, c.notify.selected.Items)
}
