package sieve

import (
	"strings"
)

// enotify (RFC 5435) with the mailto method (RFC 5436): notify,
// valid_notify_method and notify_method_capability (and :encodeurl, in
// cmd_vars.go).

// checkMethod checks a notification method URI: only mailto: is known.
func checkMethod(uri string) error {
	_, err := ParseMailto(uri)
	return err
}

func init() {
	commandSpecs["notify"] = &commandSpec{
		ext: "enotify",
		sig: signature{tags: []tagSpec{
			{name: "from", param: ArgString},
			{name: "importance", param: ArgString},
			{name: "options", param: ArgStringList},
			{name: "message", param: ArgString},
		}, args: []ArgKind{ArgString}},
		compile: compileNotify,
	}
	testSpecs["valid_notify_method"] = &testSpec{
		ext: "enotify",
		sig: signature{args: []ArgKind{ArgStringList}},
		compile: func(c *compiler, n *Node, b *bound) (test, error) {
			uris, err := c.strs(b.args[0])
			return &testValidMethod{uris: uris}, err
		}}
	testSpecs["notify_method_capability"] = &testSpec{
		ext: "enotify",
		sig: signature{tags: matchTags, args: []ArgKind{ArgString, ArgString, ArgStringList}},
		compile: func(c *compiler, n *Node, b *bound) (test, error) {
			t := &testMethodCapability{}
			var err error
			if t.uri, err = c.str(b.args[0]); err != nil {
				return nil, err
			}
			if t.capability, err = c.str(b.args[1]); err != nil {
				return nil, err
			}
			t.m, err = c.compileMatcher(b, b.args[2])
			return t, err
		}}
}

type cmdNotify struct {
	method, from, message str
	hasFrom, hasMessage   bool
	importance            int
	options               []str
}

func compileNotify(c *compiler, n *Node, b *bound) (command, error) {
	cmd := &cmdNotify{importance: 2}
	var err error
	if cmd.method, err = c.str(b.args[0]); err != nil {
		return nil, err
	}
	if cmd.method.constant() {
		if err := checkMethod(cmd.method.lit); err != nil {
			return nil, errorf(b.args[0].Pos, "notify: %v", err)
		}
	}
	if a, ok := b.tag("importance"); ok {
		v, err := c.constStr(a, ":importance")
		if err != nil {
			return nil, err
		}
		if v != "1" && v != "2" && v != "3" {
			return nil, errorf(a.Pos, "invalid :importance %q", v)
		}
		cmd.importance = int(v[0] - '0')
	}
	if cmd.from, cmd.hasFrom, err = c.optStr(b, "from"); err != nil {
		return nil, err
	}
	if cmd.hasFrom && cmd.from.constant() {
		if _, ok := parseRedirectAddress(cmd.from.lit); !ok {
			return nil, errorf(b.tagArg("from").Pos, "invalid :from address %q", cmd.from.lit)
		}
	}
	if cmd.message, cmd.hasMessage, err = c.optStr(b, "message"); err != nil {
		return nil, err
	}
	if a, ok := b.tag("options"); ok {
		if cmd.options, err = c.strs(a); err != nil {
			return nil, err
		}
		for i, o := range cmd.options {
			if o.constant() && !validNotifyOption(o.lit) {
				return nil, errorf(a.StrPos[i], "invalid notify option %q", o.lit)
			}
		}
	}
	return cmd, nil
}

func (c *cmdNotify) exec(r *run) error {
	method := r.expand(c.method)
	if err := checkMethod(method); err != nil {
		return r.errorf("notify: %v", err)
	}
	n := &Notify{Method: method, Importance: c.importance}
	if c.hasFrom {
		n.From = r.expand(c.from)
		if _, ok := parseRedirectAddress(n.From); !ok {
			return r.errorf("notify: invalid :from address %q", n.From)
		}
	}
	if c.hasMessage {
		n.Message = r.expand(c.message)
	}
	for _, o := range r.expandAll(c.options) {
		if !validNotifyOption(o) {
			return r.errorf("notify: invalid option %q", o)
		}
		n.Options = append(n.Options, o)
	}
	return r.addAction(n)
}

type testValidMethod struct{ uris []str }

// eval is true when every URI is a valid method this package supports
// (RFC 5435 5).
func (t *testValidMethod) eval(r *run) (bool, error) {
	for _, u := range r.expandAll(t.uris) {
		if checkMethod(u) != nil {
			return false, nil
		}
	}
	return true, nil
}

type testMethodCapability struct {
	uri, capability str
	m               *matcher
}

// eval answers the "online" capability of a valid mailto: URI with
// "maybe" (RFC 5436 2.1: the mailto method cannot know).
func (t *testMethodCapability) eval(r *run) (bool, error) {
	if checkMethod(r.expand(t.uri)) != nil {
		return false, nil
	}
	if !strings.EqualFold(r.expand(t.capability), "online") {
		return false, nil
	}
	return t.m.match(r, []string{"maybe"})
}
