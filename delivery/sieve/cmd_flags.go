package sieve

import "strings"

// imap4flags (RFC 5232): setflag, addflag, removeflag, hasflag and the
// :flags tag of keep and fileinto.

var flagsTags = []tagSpec{{name: "flags", ext: "imap4flags", param: ArgStringList}}

// flagsArg is the :flags of keep or fileinto; nil when absent.
type flagsArg struct {
	list []str
}

func (c *compiler) flagsArg(b *bound) (*flagsArg, error) {
	a, ok := b.tag("flags")
	if !ok {
		return nil, nil
	}
	list, err := c.strs(a)
	return &flagsArg{list: list}, err
}

// storeFlags returns the flags of a keep or fileinto: its :flags, or the
// internal variable when the script requires imap4flags (RFC 5232 5).
func (r *run) storeFlags(f *flagsArg) []string {
	if f == nil {
		if !r.frames[len(r.frames)-1].script.requires["imap4flags"] {
			return nil
		}
		return append([]string(nil), r.flags...)
	}
	var out []string
	for _, s := range r.expandAll(f.list) {
		out = addFlags(out, s)
	}
	return out
}

var systemFlags = []string{`\Answered`, `\Flagged`, `\Deleted`, `\Seen`, `\Draft`}

// canonicalFlag returns a valid flag in its canonical spelling: a system
// flag (RFC 3501 2.3.2) or a keyword atom; ok is false for anything else,
// which RFC 5232 3 has implementations ignore.
func canonicalFlag(f string) (string, bool) {
	if strings.HasPrefix(f, `\`) {
		for _, s := range systemFlags {
			if strings.EqualFold(s, f) {
				return s, true
			}
		}
		return "", false
	}
	if f == "" {
		return "", false
	}
	for i := 0; i < len(f); i++ {
		if c := f[i]; c <= ' ' || c >= 0x7f || strings.IndexByte(`(){%*"\]`, c) >= 0 {
			return "", false
		}
	}
	return f, true
}

// addFlags adds the space-separated flags of s to list, skipping invalid
// flags and ones already there (flags compare case-insensitively).
func addFlags(list []string, s string) []string {
	for _, f := range strings.Fields(s) {
		cf, ok := canonicalFlag(f)
		if !ok || hasFlag(list, cf) {
			continue
		}
		list = append(list, cf)
	}
	return list
}

func hasFlag(list []string, f string) bool {
	for _, g := range list {
		if strings.EqualFold(g, f) {
			return true
		}
	}
	return false
}

func removeFlags(list []string, s string) []string {
	for _, f := range strings.Fields(s) {
		out := list[:0:0]
		for _, g := range list {
			if !strings.EqualFold(g, f) {
				out = append(out, g)
			}
		}
		list = out
	}
	return list
}

// flagOp is setflag, addflag or removeflag.
type flagOp struct {
	op       string
	variable string // "" for the internal variable
	global   bool
	flags    []str
}

func init() {
	for _, op := range []string{"setflag", "addflag", "removeflag"} {
		commandSpecs[op] = &commandSpec{
			ext: "imap4flags",
			sig: signature{args: []ArgKind{ArgStringList, ArgStringList}, optionalLast: true},
			compile: func(c *compiler, n *Node, b *bound) (command, error) {
				cmd := &flagOp{op: op}
				list := b.args[0]
				if len(b.args) == 2 {
					name, global, err := c.variableName(b.args[0])
					if err != nil {
						return nil, err
					}
					cmd.variable, cmd.global, list = name, global, b.args[1]
				}
				var err error
				cmd.flags, err = c.strs(list)
				return cmd, err
			}}
	}
	testSpecs["hasflag"] = &testSpec{
		ext: "imap4flags",
		sig: signature{tags: matchTags, args: []ArgKind{ArgStringList, ArgStringList}, optionalLast: true},
		compile: func(c *compiler, n *Node, b *bound) (test, error) {
			t := &testHasFlag{}
			keys := b.args[0]
			if len(b.args) == 2 {
				if !c.has("variables") {
					return nil, errorf(b.args[0].Pos, "hasflag takes variable names only with the variables extension")
				}
				for i, s := range b.args[0].Strs {
					name := strings.ToLower(s)
					if !validIdentifier(name) {
						return nil, errorf(b.args[0].StrPos[i], "invalid variable name %q", s)
					}
					if err := c.declare(name, b.args[0].Pos); err != nil {
						return nil, err
					}
					t.variables = append(t.variables, name)
				}
				keys = b.args[1]
			}
			var err error
			t.m, err = c.compileMatcher(b, keys)
			return t, err
		}}
}

// variableName checks the variable name argument of set and the flag
// commands (RFC 5229 4): a single constant identifier.
// A name "global.x" (RFC 6609 3.5) is x in the global scope.
func (c *compiler) variableName(a Arg) (name string, global bool, err error) {
	if a.Kind != ArgString {
		return "", false, errorf(a.Pos, "a variable name must be a single string")
	}
	if !c.has("variables") {
		return "", false, errorf(a.Pos, "a variable name needs the variables extension")
	}
	name = strings.ToLower(a.Strs[0])
	if g, ok := strings.CutPrefix(name, "global."); ok && c.has("include") {
		name, global = g, true
	}
	if !validIdentifier(name) {
		if name != "" && leadingDigits(name) == name {
			return "", false, errorf(a.Pos, "cannot assign to match variable ${%s}", a.Strs[0])
		}
		return "", false, errorf(a.Pos, "invalid variable name %q", a.Strs[0])
	}
	return name, global, c.declare(name, a.Pos)
}

func (c *flagOp) exec(r *run) error {
	var cur []string
	if c.variable == "" {
		cur = r.flags
	} else {
		cur = addFlags(nil, r.variableRef(c.variable, c.global))
	}
	values := r.expandAll(c.flags)
	switch c.op {
	case "setflag":
		cur = nil
		fallthrough
	case "addflag":
		for _, v := range values {
			cur = addFlags(cur, v)
		}
	case "removeflag":
		for _, v := range values {
			cur = removeFlags(cur, v)
		}
	}
	if c.variable == "" {
		r.flags = cur
	} else {
		r.setVariable(c.variable, strings.Join(cur, " "), c.global)
	}
	return nil
}

// testHasFlag is hasflag (RFC 5232 4): the flags, one by one, against
// the keys.
type testHasFlag struct {
	variables []string
	m         *matcher
}

func (t *testHasFlag) eval(r *run) (bool, error) {
	var flags []string
	if t.variables == nil {
		flags = r.flags
	} else {
		for _, v := range t.variables {
			flags = append(flags, strings.Fields(r.variable(v))...)
		}
	}
	if t.m.typ != matchIs && t.m.typ != matchContains {
		return t.m.match(r, flags)
	}
	// As Pigeonhole: for :is and :contains, keys are flag lists too.
	var keys []string
	for _, k := range r.expandAll(t.m.keys) {
		keys = append(keys, strings.Fields(k)...)
	}
	return t.m.matchKeys(r, flags, keys)
}
