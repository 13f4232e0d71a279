package imap

import "strings"

// maxNotifyNames bounds the mailbox names of one NOTIFY command.
const maxNotifyNames = 1000

// parseNotify reads RFC 5465 8:
//
//	notify          = "NOTIFY" SP (notify-set / notify-none)
//	notify-set      = "SET" [status-indicator] SP event-groups
//	status-indicator = SP "STATUS"
//	event-groups    = event-group *(SP event-group)
//	event-group     = "(" filter-mailboxes SP events ")"
//	filter-mailboxes = "selected" / "selected-delayed" / "inboxes" /
//	                  "personal" / "subscribed" /
//	                  ("subtree" SP one-or-more-mailbox) /
//	                  ("mailboxes" SP one-or-more-mailbox)
//	events          = ("(" event *(SP event) ")") / "NONE"
//	event           = ("MessageNew" [SP "(" fetch-att *(SP fetch-att) ")"]) /
//	                  "MessageExpunge" / "FlagChange" / "AnnotationChange" /
//	                  "MailboxName" / "SubscriptionChange" /
//	                  "MailboxMetadataChange" / "ServerMetadataChange" / atom
//
// and the rules of RFC 5465 5 and 6.1 that make a command BAD.
func parseNotify(p *parser, cmd *command) error {
	if err := p.sp(); err != nil {
		return err
	}
	args := &notifyArgs{}
	cmd.Args = args
	if p.acceptKeyword("NONE") {
		args.None = true
		return nil
	}
	if !p.acceptKeyword("SET") {
		return badf("Expected SET or NONE")
	}
	if err := p.sp(); err != nil {
		return err
	}
	if p.acceptKeyword("STATUS") {
		args.Status = true
		if err := p.sp(); err != nil {
			return err
		}
	}
	names := 0
	for first := true; first || p.peek() == ' '; first = false {
		if !first {
			p.pos++
		}
		if err := p.notifyGroup(args, &names); err != nil {
			return err
		}
	}
	return nil
}

// notifyGroup reads one event-group into args.
func (p *parser) notifyGroup(args *notifyArgs, names *int) error {
	if err := p.expect('(', "Expected an event group"); err != nil {
		return err
	}
	var g notifyGroup
	var selected *notifySelected
	switch kw := string(p.keyword()); kw {
	case "SELECTED", "SELECTED-DELAYED":
		if args.Selected != nil {
			// RFC 5465 6.1: only one of them.
			return badf("SELECTED given twice")
		}
		selected = &notifySelected{Delayed: kw == "SELECTED-DELAYED"}
	case "INBOXES":
		g.Filter = filterInboxes
	case "PERSONAL":
		g.Filter = filterPersonal
	case "SUBSCRIBED":
		g.Filter = filterSubscribed
	case "SUBTREE", "MAILBOXES":
		g.Filter = filterSubtree
		if kw == "MAILBOXES" {
			g.Filter = filterMailboxes
		}
		if err := p.sp(); err != nil {
			return err
		}
		list, err := p.notifyMailboxes(names)
		if err != nil {
			return err
		}
		g.Names = list
	default:
		return badf("Unknown mailbox filter " + kw)
	}
	if err := p.sp(); err != nil {
		return err
	}
	ev, items, err := p.notifyEvents(args)
	if err != nil {
		return err
	}
	if err := p.expect(')', "Expected ) after the events"); err != nil {
		return err
	}
	if selected != nil {
		// RFC 5465 6.1: only message events for the selected mailbox.
		if ev&^evMessage != 0 {
			return badf("Only message events apply to the selected mailbox")
		}
		// RFC 5465 5: MessageNew and MessageExpunge go together, and
		// FlagChange or AnnotationChange need both. The rule keeps a
		// client's message sequence numbers right, which only the
		// selected mailbox has; for other mailboxes, told with STATUS,
		// this server accepts the events alone, as Dovecot does (and
		// imaptest's notify script expects).
		if n := ev & (evMessageNew | evMessageExpunge); n != 0 && n != evMessageNew|evMessageExpunge {
			return badf("MessageNew and MessageExpunge go together")
		}
		if ev&(evFlagChange|evAnnotationChange) != 0 && ev&evMessageNew == 0 {
			return badf("FlagChange and AnnotationChange need MessageNew and MessageExpunge")
		}
		selected.Events, selected.Items = ev, items
		args.Selected = selected
		return nil
	}
	if items != nil {
		// RFC 5465 8: the fetch-att list is for SELECTED only.
		return badf("MessageNew (fetch-att) is for the selected mailbox only")
	}
	g.Events = ev
	args.Groups = append(args.Groups, g)
	return nil
}

// notifyMailboxes reads one-or-more-mailbox: a mailbox or a parenthesized
// list. Names are not patterns (RFC 5465 6.6); they are checked as any
// mailbox name, and one that cannot exist is kept out.
func (p *parser) notifyMailboxes(count *int) ([]string, error) {
	paren := p.accept('(')
	var out []string
	for first := true; first || (paren && p.peek() == ' '); first = false {
		if !first {
			p.pos++
		}
		name, err := p.mailbox()
		if err != nil {
			return nil, err
		}
		if *count++; *count > maxNotifyNames {
			return nil, badf("Too many mailbox names")
		}
		if n, r := checkName(strings.TrimSuffix(name, "/")); r == nil {
			out = append(out, n)
		}
	}
	if paren {
		if err := p.expect(')', "Expected ) after the mailboxes"); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// notifyEvents reads events: NONE or a list of events.
func (p *parser) notifyEvents(args *notifyArgs) (notifyEvents, []fetchItem, error) {
	if p.acceptKeyword("NONE") {
		return 0, nil, nil
	}
	if err := p.expect('(', "Expected events or NONE"); err != nil {
		return 0, nil, err
	}
	var ev notifyEvents
	var items []fetchItem
	for first := true; !p.accept(')'); first = false {
		if !first {
			if err := p.sp(); err != nil {
				return 0, nil, err
			}
		}
		name := string(p.atom())
		if name == "" {
			return 0, nil, badf("Expected an event")
		}
		isNew, found := strings.EqualFold(name, "MessageNew"), false
		for i, n := range notifyEventNames {
			if strings.EqualFold(name, n) {
				ev |= 1 << i
				found = true
			}
		}
		if !found {
			// RFC 5465 3.1: an unknown event is a NO with BADEVENT.
			args.Unknown = true
			continue
		}
		if isNew && items == nil && p.peek() == ' ' && p.pos+1 < len(p.line) && p.line[p.pos+1] == '(' {
			p.pos++
			list, err := p.fetchAttList()
			if err != nil {
				return 0, nil, err
			}
			items = list
		}
	}
	if ev == 0 && !args.Unknown {
		return 0, nil, badf("Empty event list")
	}
	return ev, items, nil
}
