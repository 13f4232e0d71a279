package imap

import (
	"cmp"
	"slices"
	"strings"
)

// msgIDs returns the "<...>" message identifiers of a header value, in
// order.
func msgIDs(v string) []string {
	var ids []string
	for {
		i := strings.IndexByte(v, '<')
		if i < 0 {
			return ids
		}
		j := strings.IndexByte(v[i:], '>')
		if j < 0 {
			return ids
		}
		ids = append(ids, v[i:i+j+1])
		v = v[i+j+1:]
	}
}

// tnode is a container of RFC 5256 2.2's REFERENCES algorithm; it
// is a dummy when item is nil.
type tnode struct {
	item     *sortItem
	parent   *tnode
	children []*tnode
}

// isAncestor reports whether a is n or one of n's ancestors.
func (n *tnode) hasAncestor(a *tnode) bool {
	for p := n; p != nil; p = p.parent {
		if p == a {
			return true
		}
	}
	return false
}

func (n *tnode) unlink() {
	if p := n.parent; p != nil {
		p.children = slices.DeleteFunc(p.children, func(c *tnode) bool { return c == n })
		n.parent = nil
	}
}

func (n *tnode) link(c *tnode) {
	c.parent = n
	n.children = append(n.children, c)
}

// first is the message a container sorts and is named by: itself, or
// for a dummy its first child's.
func (n *tnode) first() *sortItem {
	for n.item == nil {
		if len(n.children) == 0 {
			return nil
		}
		n = n.children[0]
	}
	return n.item
}

func compareNodes(a, b *tnode) int {
	x, y := a.first(), b.first()
	if x == nil || y == nil {
		return 0
	}
	return cmp.Or(x.date.Compare(y.date), cmp.Compare(x.seq, y.seq))
}

// threadReferences builds the threads of RFC 5256 2.2's
// REFERENCES algorithm and returns the root set.
func threadReferences(items []sortItem) []*tnode {
	// Step 1: link the messages by their references.
	byID := make(map[string]*tnode)
	get := func(id string) *tnode {
		n := byID[id]
		if n == nil {
			n = &tnode{}
			byID[id] = n
		}
		return n
	}
	all := make([]*tnode, 0, len(items))
	for i := range items {
		it := &items[i]
		var own *tnode
		if it.msgID != "" {
			if n := byID[it.msgID]; n == nil || n.item == nil {
				own = get(it.msgID)
			}
		}
		if own == nil {
			// No or a duplicate Message-ID: a container of its own.
			own = &tnode{}
		}
		own.item = it
		all = append(all, own)
		// Step 1A: link each reference to the next, leaving existing
		// links alone and creating no loops.
		var prev *tnode
		for _, id := range it.refs {
			n := get(id)
			if prev != nil && n.parent == nil && !prev.hasAncestor(n) {
				prev.link(n)
			}
			prev = n
		}
		// Step 1B: the message's parent is its last reference.
		own.unlink()
		if prev != nil && !prev.hasAncestor(own) {
			prev.link(own)
		}
	}
	// Step 2: the root set.
	var roots []*tnode
	seen := make(map[*tnode]bool)
	for _, n := range byID {
		for n.parent != nil {
			n = n.parent
		}
		if !seen[n] {
			seen[n] = true
			roots = append(roots, n)
		}
	}
	for _, n := range all {
		if n.parent == nil && !seen[n] {
			seen[n] = true
			roots = append(roots, n)
		}
	}
	// Step 4: prune dummies.
	var prune func(list []*tnode, top bool) []*tnode
	prune = func(list []*tnode, top bool) []*tnode {
		var out []*tnode
		for _, n := range list {
			n.children = prune(n.children, false)
			for _, c := range n.children {
				c.parent = n
			}
			switch {
			case n.item != nil:
				out = append(out, n)
			case len(n.children) == 0:
				// 4A: an empty dummy goes.
			case !top || len(n.children) == 1:
				// 4B: its children take its place.
				for _, c := range n.children {
					c.parent = n.parent
				}
				out = append(out, n.children...)
			default:
				out = append(out, n)
			}
		}
		return out
	}
	roots = prune(roots, true)
	for _, r := range roots {
		r.parent = nil
	}
	// Step 5: sort the root set (a dummy by its first child).
	for _, r := range roots {
		if r.item == nil {
			slices.SortStableFunc(r.children, compareNodes)
		}
	}
	slices.SortStableFunc(roots, compareNodes)
	// Step 6: gather roots by base subject.
	table := make(map[string]*tnode)
	for _, r := range roots {
		f := r.first()
		if f == nil || f.subject == "" {
			continue
		}
		old := table[f.subject]
		if old == nil || (r.item == nil && old.item != nil) ||
			(old.item != nil && r.item != nil && old.first().reply && !f.reply) {
			table[f.subject] = r
		}
	}
	var merged []*tnode
	done := make(map[*tnode]bool) // roots already put under a new dummy
	for _, r := range roots {
		if done[r] {
			continue
		}
		f := r.first()
		if f == nil || f.subject == "" {
			merged = append(merged, r)
			continue
		}
		t := table[f.subject]
		switch {
		case t == r:
			merged = append(merged, r)
		case t.item == nil && r.item == nil:
			for _, c := range r.children {
				t.link(c)
			}
		case t.item == nil:
			t.link(r)
		case r.item == nil:
			// The table holds dummies before messages; not reached.
			merged = append(merged, r)
		case !t.item.reply && f.reply:
			t.link(r)
		default:
			// Both messages: a new dummy holds them, in the place of the
			// one in the table.
			d := &tnode{}
			i := slices.Index(merged, t)
			d.link(t)
			d.link(r)
			table[f.subject] = d
			if i >= 0 {
				merged[i] = d
			} else {
				// The table's root comes later in the root set.
				done[t] = true
				merged = append(merged, d)
			}
		}
	}
	// Step 7: sort every set of siblings by sent date, deepest first.
	var sortAll func(list []*tnode)
	sortAll = func(list []*tnode) {
		for _, n := range list {
			sortAll(n.children)
		}
		slices.SortStableFunc(list, compareNodes)
	}
	sortAll(merged)
	return merged
}

// writeThread writes one thread-list of RFC 5256 4.
func (c *conn) writeThread(n *tnode, uid bool) {
	c.w.Raw("(")
	c.writeThreadMembers(n, uid)
	c.w.Raw(")")
}

func (c *conn) writeThreadMembers(n *tnode, uid bool) {
	for {
		wrote := n.item != nil
		if wrote {
			if uid {
				c.w.Number(n.item.uid)
			} else {
				c.w.Number(n.item.seq)
			}
		}
		switch len(n.children) {
		case 0:
			return
		case 1:
			if wrote {
				c.w.SP()
			}
			n = n.children[0]
			continue
		}
		if wrote {
			c.w.SP()
		}
		for _, ch := range n.children {
			c.writeThread(ch, uid)
		}
		return
	}
}
