package sieve

import (
	"fmt"
	"slices"
	"strings"
)

// Script is a compiled script, ready to Run. It is immutable and may be
// run by several goroutines at once.
type Script struct {
	cmds     []stmt
	requires map[string]bool
	opts     Options
	globals  []string // names declared by "global" at the top level
}

// Requires reports whether the script requires the capability ext.
func (s *Script) Requires(ext string) bool { return s.requires[strings.ToLower(ext)] }

// stmt is a command with its position, for the errors of a run.
type stmt struct {
	cmd command
	pos Pos
}

// command is a compiled command; test a compiled test.
type (
	command interface {
		exec(r *run) error
	}
	test interface {
		eval(r *run) (bool, error)
	}
)

// Compile parses and validates a script (RFC 5228 and the extensions
// of Capabilities): the commands and tests exist and are required, their
// arguments have the right types, tags are known and not repeated, and
// constant values (comparators, relational operators, addresses, URIs,
// variable names) are valid. The first error is returned as an *Error.
func Compile(src []byte, opts *Options) (*Script, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if max := o.Limits.maxScriptSize(); len(src) > max {
		return nil, &Error{Pos: Pos{Line: 1, Column: 1}, Msg: fmt.Sprintf("script larger than %d bytes", max)}
	}
	nodes, err := Parse(src)
	if err != nil {
		return nil, err
	}
	c := &compiler{opts: &o, requires: map[string]bool{}, vars: map[string]bool{}}
	cmds, err := c.block(nodes, true)
	if err != nil {
		return nil, err
	}
	return &Script{cmds: cmds, requires: c.requires, opts: o, globals: c.globals}, nil
}

// compiler holds the state of one compilation.
type compiler struct {
	opts     *Options
	requires map[string]bool
	vars     map[string]bool // declared variables, for the scope limit
	globals  []string
	seenCmd  bool // a command other than require was seen
}

func (c *compiler) has(ext string) bool { return c.requires[ext] }

func errorf(p Pos, format string, args ...any) error {
	return &Error{Pos: p, Msg: fmt.Sprintf(format, args...)}
}

// declare notes a variable name: a script may use at most
// Limits.MaxVariables names (RFC 5229 2 lets implementations limit it).
func (c *compiler) declare(name string, p Pos) error {
	if c.vars[name] {
		return nil
	}
	if len(c.vars) >= c.opts.Limits.maxVariables() {
		return errorf(p, "more than %d variables", c.opts.Limits.maxVariables())
	}
	c.vars[name] = true
	return nil
}

// block compiles a list of commands; top is true at the top level of the
// script, where require may appear.
func (c *compiler) block(nodes []*Node, top bool) ([]stmt, error) {
	var cmds []stmt
	for i := 0; i < len(nodes); i++ {
		n := nodes[i]
		name := strings.ToLower(n.Name)
		if name == "require" {
			if !top || c.seenCmd {
				return nil, errorf(n.Pos, "require must come before any other command, at the top level")
			}
			if err := c.require(n); err != nil {
				return nil, err
			}
			continue
		}
		c.seenCmd = true
		if name == "elsif" || name == "else" {
			return nil, errorf(n.Pos, "%s without a preceding if", name)
		}
		if name == "if" {
			cmd, next, err := c.ifChain(nodes, i)
			if err != nil {
				return nil, err
			}
			cmds = append(cmds, stmt{cmd, n.Pos})
			i = next - 1
			continue
		}
		cmd, err := c.command(n)
		if err != nil {
			return nil, err
		}
		if cmd != nil {
			cmds = append(cmds, stmt{cmd, n.Pos})
		}
	}
	return cmds, nil
}

// require loads capabilities (RFC 5228 3.2).
func (c *compiler) require(n *Node) error {
	if len(n.Args) != 1 || n.Args[0].Kind < ArgString || len(n.Tests) > 0 || n.HasBlock {
		return errorf(n.Pos, "require takes one string list")
	}
	a := n.Args[0]
	for i, s := range a.Strs {
		ext := strings.ToLower(s)
		if !c.opts.enabled(ext) {
			return errorf(a.StrPos[i], "unknown capability %q", s)
		}
		c.requires[ext] = true
		for _, implied := range impliedExtensions[ext] {
			c.requires[implied] = true
		}
	}
	return nil
}

// impliedExtensions lists what requiring a capability brings along:
// vacation-seconds implies vacation (RFC 6131 2).
var impliedExtensions = map[string][]string{
	"vacation-seconds": {"vacation"},
}

// ifChain compiles if, elsif and else (RFC 5228 3.1) starting at
// nodes[i]; next is the index after the chain.
func (c *compiler) ifChain(nodes []*Node, i int) (command, int, error) {
	cmd := &cmdIf{}
	for ; i < len(nodes); i++ {
		n := nodes[i]
		name := strings.ToLower(n.Name)
		if len(cmd.branches) > 0 && name != "elsif" && name != "else" {
			break
		}
		if name == "else" {
			if len(n.Args) > 0 || len(n.Tests) > 0 {
				return nil, 0, errorf(n.Pos, "else takes no arguments or tests")
			}
		} else if err := c.onlyTest(n); err != nil {
			return nil, 0, err
		}
		if !n.HasBlock {
			return nil, 0, errorf(n.Pos, "%s requires a block", name)
		}
		var t test
		if name != "else" {
			var err error
			if t, err = c.test(n.Tests[0]); err != nil {
				return nil, 0, err
			}
		}
		body, err := c.block(n.Block, false)
		if err != nil {
			return nil, 0, err
		}
		cmd.branches = append(cmd.branches, branch{cond: t, body: body})
		if name == "else" {
			return cmd, i + 1, nil
		}
	}
	return cmd, i, nil
}

// onlyTest checks that a control command has one test and no arguments.
func (c *compiler) onlyTest(n *Node) error {
	if len(n.Args) > 0 {
		return errorf(n.Args[0].Pos, "%s takes no arguments", n.Name)
	}
	if len(n.Tests) != 1 || n.TestList {
		return errorf(n.Pos, "%s requires one test", n.Name)
	}
	return nil
}

// command compiles a command other than require and the if chain.
func (c *compiler) command(n *Node) (command, error) {
	name := strings.ToLower(n.Name)
	spec := commandSpecs[name]
	if spec == nil || spec.ext != "" && !c.has(spec.ext) {
		if testSpecs[name] != nil {
			return nil, errorf(n.Pos, "test %s used as a command", n.Name)
		}
		return nil, errorf(n.Pos, "unknown command %s", n.Name)
	}
	if len(n.Tests) > 0 {
		return nil, errorf(n.Tests[0].Pos, "%s takes no tests (missing ';'?)", n.Name)
	}
	if n.HasBlock != spec.block {
		if spec.block {
			return nil, errorf(n.Pos, "%s requires a block", n.Name)
		}
		return nil, errorf(n.Pos, "%s takes no block", n.Name)
	}
	b, err := c.bind(n, &spec.sig)
	if err != nil {
		return nil, err
	}
	return spec.compile(c, n, b)
}

// test compiles a test (the parser bounded their nesting).
func (c *compiler) test(n *Node) (test, error) {
	name := strings.ToLower(n.Name)
	spec := testSpecs[name]
	if spec == nil || spec.ext != "" && !c.has(spec.ext) {
		if commandSpecs[name] != nil || name == "if" || name == "require" {
			return nil, errorf(n.Pos, "command %s used as a test", n.Name)
		}
		return nil, errorf(n.Pos, "unknown test %s", n.Name)
	}
	switch spec.tests {
	case 0:
		if len(n.Tests) > 0 {
			return nil, errorf(n.Tests[0].Pos, "%s takes no tests", n.Name)
		}
	case 1:
		if len(n.Tests) != 1 || n.TestList {
			return nil, errorf(n.Pos, "%s requires one test", n.Name)
		}
	default:
		if !n.TestList {
			return nil, errorf(n.Pos, "%s requires a test list", n.Name)
		}
	}
	var sub []test
	for _, t := range n.Tests {
		st, err := c.test(t)
		if err != nil {
			return nil, err
		}
		sub = append(sub, st)
	}
	b, err := c.bind(n, &spec.sig)
	if err != nil {
		return nil, err
	}
	b.tests = sub
	return spec.compile(c, n, b)
}

// commandSpec and testSpec describe a command or test: the capability
// it needs, its arguments and how to compile it.
type (
	commandSpec struct {
		ext     string
		block   bool
		sig     signature
		compile func(c *compiler, n *Node, b *bound) (command, error)
	}
	testSpec struct {
		ext     string
		tests   int // 0, 1, or -1 for a test list
		sig     signature
		compile func(c *compiler, n *Node, b *bound) (test, error)
	}
)

// signature is the arguments of a command or test: tagged arguments, and
// positional ones after them (RFC 5228 2.6).
type signature struct {
	tags []tagSpec
	args []ArgKind // ArgString, ArgStringList or ArgNumber
	// optionalLast makes the last positional argument optional.
	optionalLast bool
}

// tagSpec is a tagged argument. Tags of one group exclude each other
// (the match types, the address parts, ...). param is the kind of value
// the tag takes, or ArgTag for none.
type tagSpec struct {
	name  string
	ext   string
	group string
	param ArgKind
}

// bound is the arguments of a command or test, checked against its
// signature.
type bound struct {
	tags  []boundTag
	args  []Arg
	tests []test
}

// boundTag is a tag given, with its group and parameter (Kind ArgTag
// when it takes none).
type boundTag struct {
	name, group string
	param       Arg
	pos         Pos
}

func (b *bound) find(name string) *boundTag {
	for i := range b.tags {
		if b.tags[i].name == name {
			return &b.tags[i]
		}
	}
	return nil
}

func (b *bound) has(name string) bool { return b.find(name) != nil }

// tag returns the parameter of a tag.
func (b *bound) tag(name string) (Arg, bool) {
	if t := b.find(name); t != nil {
		return t.param, true
	}
	return Arg{}, false
}

func (b *bound) tagArg(name string) Arg {
	a, _ := b.tag(name)
	return a
}

func (b *bound) tagPos(name string) Pos {
	if t := b.find(name); t != nil {
		return t.pos
	}
	return Pos{}
}

// group returns the tag given of a group, or "".
func (b *bound) group(g string) string {
	for _, t := range b.tags {
		if t.group == g {
			return t.name
		}
	}
	return ""
}

// bind checks the arguments of n against sig.
func (c *compiler) bind(n *Node, sig *signature) (*bound, error) {
	b := &bound{}
	i := 0
	for ; i < len(n.Args) && n.Args[i].Kind == ArgTag; i++ {
		a := n.Args[i]
		name := strings.ToLower(a.Tag)
		k := slices.IndexFunc(sig.tags, func(t tagSpec) bool { return t.name == name && (t.ext == "" || c.has(t.ext)) })
		if k < 0 {
			return nil, errorf(a.Pos, "unknown tag :%s for %s", a.Tag, n.Name)
		}
		t := sig.tags[k]
		if b.has(name) {
			return nil, errorf(a.Pos, "tag :%s given twice", a.Tag)
		}
		if t.group != "" {
			if other := b.group(t.group); other != "" {
				return nil, errorf(a.Pos, "tag :%s conflicts with :%s", a.Tag, other)
			}
		}
		param := Arg{Kind: ArgTag, Pos: a.Pos}
		if t.param != ArgTag {
			if i+1 >= len(n.Args) || !argFits(n.Args[i+1].Kind, t.param) {
				return nil, errorf(a.Pos, "tag :%s requires %s", a.Tag, kindName(t.param))
			}
			i++
			param = n.Args[i]
		}
		b.tags = append(b.tags, boundTag{name: name, group: t.group, param: param, pos: a.Pos})
	}
	for ; i < len(n.Args); i++ {
		a := n.Args[i]
		if a.Kind == ArgTag {
			return nil, errorf(a.Pos, "tag :%s after the positional arguments of %s", a.Tag, n.Name)
		}
		k := len(b.args)
		if k >= len(sig.args) {
			return nil, errorf(a.Pos, "too many arguments for %s", n.Name)
		}
		if !argFits(a.Kind, sig.args[k]) {
			return nil, errorf(a.Pos, "%s expects %s as argument %d, found %s", n.Name, kindName(sig.args[k]), k+1, a.describe())
		}
		b.args = append(b.args, a)
	}
	if need := len(sig.args); len(b.args) < need && !(sig.optionalLast && len(b.args) == need-1) {
		return nil, errorf(n.Pos, "%s requires %d arguments, found %d", n.Name, need, len(b.args))
	}
	return b, nil
}

// argFits reports whether an argument of kind have may stand where want
// is expected: a single string is a string list of one.
func argFits(have, want ArgKind) bool {
	return have == want || have == ArgString && want == ArgStringList
}

func kindName(k ArgKind) string {
	return map[ArgKind]string{ArgNumber: "a number", ArgString: "a string", ArgStringList: "a string list"}[k]
}

// Helpers for compile functions.

// str compiles the string argument a (a single string).
func (c *compiler) str(a Arg) (str, error) { return c.template(a.Strs[0], a.Pos) }

// strs compiles a string list argument.
func (c *compiler) strs(a Arg) ([]str, error) {
	out := make([]str, len(a.Strs))
	for i, s := range a.Strs {
		t, err := c.template(s, a.StrPos[i])
		if err != nil {
			return nil, err
		}
		out[i] = t
	}
	return out, nil
}

// constStr returns a string argument that must not depend on variables,
// with encoded characters decoded.
func (c *compiler) constStr(a Arg, what string) (string, error) {
	s, err := c.str(a)
	if err != nil {
		return "", err
	}
	if !s.constant() {
		return "", errorf(a.Pos, "%s must be a constant string", what)
	}
	return s.lit, nil
}

// optStr compiles the parameter of an optional string tag; ok is false
// when the tag is absent.
func (c *compiler) optStr(b *bound, tag string) (s str, ok bool, err error) {
	a, ok := b.tag(tag)
	if !ok {
		return str{}, false, nil
	}
	s, err = c.str(a)
	return s, true, err
}
