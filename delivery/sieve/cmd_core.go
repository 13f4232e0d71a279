package sieve

import (
	"strings"
	"unicode/utf8"
)

// commandSpecs and testSpecs are the commands and tests this package
// knows, filled by init functions per extension.
var (
	commandSpecs = map[string]*commandSpec{}
	testSpecs    = map[string]*testSpec{}
)

func init() {
	commandSpecs["stop"] = &commandSpec{compile: func(c *compiler, n *Node, b *bound) (command, error) {
		return cmdStop{}, nil
	}}
	commandSpecs["keep"] = &commandSpec{
		sig: signature{tags: flagsTags},
		compile: func(c *compiler, n *Node, b *bound) (command, error) {
			fl, err := c.flagsArg(b)
			return &cmdStore{keep: true, flags: fl}, err
		}}
	commandSpecs["discard"] = &commandSpec{compile: func(c *compiler, n *Node, b *bound) (command, error) {
		return &cmdAction{make: func(r *run) (Action, error) { return &Discard{}, nil }}, nil
	}}
	commandSpecs["fileinto"] = &commandSpec{
		ext: "fileinto",
		sig: signature{tags: append([]tagSpec{
			{name: "copy", ext: "copy"},
			{name: "create", ext: "mailbox"},
		}, flagsTags...), args: []ArgKind{ArgString}},
		compile: func(c *compiler, n *Node, b *bound) (command, error) {
			mbox, err := c.str(b.args[0])
			if err != nil {
				return nil, err
			}
			if mbox.constant() && !validMailboxName(mbox.lit) {
				return nil, errorf(b.args[0].Pos, "invalid mailbox name %q", mbox.lit)
			}
			fl, err := c.flagsArg(b)
			return &cmdStore{mailbox: mbox, flags: fl, copy: b.has("copy"), create: b.has("create")}, err
		}}
	commandSpecs["redirect"] = &commandSpec{
		sig: signature{tags: []tagSpec{{name: "copy", ext: "copy"}}, args: []ArgKind{ArgString}},
		compile: func(c *compiler, n *Node, b *bound) (command, error) {
			to, err := c.str(b.args[0])
			if err != nil {
				return nil, err
			}
			if to.constant() {
				if _, ok := parseRedirectAddress(to.lit); !ok {
					return nil, errorf(b.args[0].Pos, "invalid redirect address %q", to.lit)
				}
			}
			cp := b.has("copy")
			return &cmdAction{make: func(r *run) (Action, error) {
				addr, ok := parseRedirectAddress(r.expand(to))
				if !ok {
					return nil, r.errorf("invalid redirect address %q", r.expand(to))
				}
				return &Redirect{Address: addr, Copy: cp, Header: r.editedHeader()}, nil
			}}, nil
		}}
	for _, name := range []string{"reject", "ereject"} {
		extended := name == "ereject"
		commandSpecs[name] = &commandSpec{
			ext: name,
			sig: signature{args: []ArgKind{ArgString}},
			compile: func(c *compiler, n *Node, b *bound) (command, error) {
				reason, err := c.str(b.args[0])
				return &cmdAction{make: func(r *run) (Action, error) {
					return &Reject{Reason: r.expand(reason), Extended: extended}, nil
				}}, err
			}}
	}
}

type cmdStop struct{}

func (cmdStop) exec(r *run) error { return errStop }

// cmdIf is an if with its elsif and else branches (RFC 5228 3.1).
type cmdIf struct {
	branches []branch
}

type branch struct {
	cond test // nil for else
	body []stmt
}

func (c *cmdIf) exec(r *run) error {
	for _, b := range c.branches {
		if b.cond != nil {
			ok, err := b.cond.eval(r)
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
		}
		return r.execBlock(b.body)
	}
	return nil
}

// cmdAction adds the action that make builds.
type cmdAction struct {
	make func(r *run) (Action, error)
}

func (c *cmdAction) exec(r *run) error {
	a, err := c.make(r)
	if err != nil {
		return err
	}
	return r.addAction(a)
}

// cmdStore is keep and fileinto.
type cmdStore struct {
	keep         bool
	mailbox      str
	flags        *flagsArg
	copy, create bool
}

func (c *cmdStore) exec(r *run) error {
	flags := r.storeFlags(c.flags)
	if c.keep {
		return r.addAction(&Keep{Flags: flags, Header: r.editedHeader()})
	}
	mbox := r.expand(c.mailbox)
	if !validMailboxName(mbox) {
		return r.errorf("invalid mailbox name %q", mbox)
	}
	return r.addAction(&FileInto{Mailbox: mbox, Flags: flags, Copy: c.copy, Create: c.create, Header: r.editedHeader()})
}

// validMailboxName refuses names that no store accepts: empty, with
// control characters, or not UTF-8 (RFC 5228 4.1 names are UTF-8).
func validMailboxName(s string) bool {
	if s == "" || !utf8.ValidString(s) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < ' ' || s[i] == 0x7f {
			return false
		}
	}
	return true
}

// parseRedirectAddress checks a redirect address, an RFC 5322 mailbox
// such as "a@b.example" or "Name <a@b.example>" (RFC 5228 4.2), and
// returns its addr-spec.
func parseRedirectAddress(s string) (string, bool) {
	list := parseAddressList(s)
	if len(list) != 1 || !list[0].valid || strings.ContainsAny(s, "\r\n") {
		return "", false
	}
	a := list[0]
	a.domain = strings.ToLower(a.domain)
	return a.String(), true
}

// editedHeader returns the header as editheader left it, or nil when it
// is unchanged.
func (r *run) editedHeader() []Field {
	if !r.edited {
		return nil
	}
	return r.header
}
