package sieve

// mailbox (RFC 5490 3): mailboxexists and the :create of fileinto.

func init() {
	testSpecs["mailboxexists"] = &testSpec{
		ext: "mailbox",
		sig: signature{args: []ArgKind{ArgStringList}},
		compile: func(c *compiler, n *Node, b *bound) (test, error) {
			names, err := c.strs(b.args[0])
			return &testMailboxExists{names: names}, err
		}}
}

type testMailboxExists struct{ names []str }

// eval is true when every named mailbox exists (RFC 5490 3.1).
func (t *testMailboxExists) eval(r *run) (bool, error) {
	for _, name := range r.expandAll(t.names) {
		if err := r.step(1); err != nil {
			return false, err
		}
		if r.in.Mailboxes == nil || !validMailboxName(name) {
			return false, nil
		}
		ok, err := r.in.Mailboxes.MailboxExists(r.ctx, name)
		if err != nil {
			return false, r.errorf("mailboxexists %q: %w", name, err)
		}
		if !ok {
			return false, nil
		}
	}
	return true, nil
}
