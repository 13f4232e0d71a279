package imap

import (
	"sort"
	"strings"
)

// matchPattern reports whether name matches a LIST pattern: "*" matches
// anything, "%" anything but the delimiter (RFC 9051 6.3.9). It
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

func cmdList(c *conn, cmd *command) result {
	a := cmd.Args.(*listArgs)
	if len(a.Patterns) == 1 && a.Patterns[0] == "" && !a.Extended {
		// RFC 9051 6.3.9: the delimiter and root of the reference.
		c.w.Raw(`* LIST (\Noselect) "/" `)
		root := ""
		if i := strings.IndexByte(a.Reference, '/'); i >= 0 {
			root = a.Reference[:i+1]
		}
		c.w.Mailbox(root)
		c.w.CRLF()
		return ok("")
	}
	if len(a.Patterns) == 0 {
		return ok("") // no pattern can match (listMailbox)
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
	// RFC 5258 3.5: with RECURSIVEMATCH, a name that does not meet
	// the selection criteria itself but has a descendant that does is
	// listed too, with CHILDINFO extended data, only when such a
	// descendant is not returned itself (it does not match the
	// patterns). Only SUBSCRIBED has a CHILDINFO tag; RECURSIVEMATCH
	// with SPECIAL-USE alone adds nothing.
	var childSub map[string]bool
	if a.SelectRecursiveMatch && a.SelectSubscribed {
		special := map[string]bool{}
		for _, mi := range infos {
			special[mi.Name] = mi.SpecialUse != ""
		}
		childSub = map[string]bool{}
		for n := range subs {
			if a.SelectSpecialUse && !special[n] || matches(n) {
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
		// RFC 5258 3.1: subscribed names that do not exist are
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

func cmdLsub(c *conn, cmd *command) result {
	a := cmd.Args.(*listArgs)
	if len(a.Patterns) == 0 {
		return ok("")
	}
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
		// RFC 3501 6.3.9: with "%", a parent that is not
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
