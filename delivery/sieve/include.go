package sieve

import (
	"context"
	"errors"
	"io/fs"
	"strings"
	"unicode/utf8"
)

// include (RFC 6609): include, return and global.

// ScriptLoader returns the source of a script that include names: a
// personal script of the user, or a global one of the site. A script
// that does not exist is an error wrapping fs.ErrNotExist.
type ScriptLoader interface {
	LoadScript(ctx context.Context, name string, global bool) ([]byte, error)
}

// ScriptLoaderFunc adapts a function to ScriptLoader.
type ScriptLoaderFunc func(ctx context.Context, name string, global bool) ([]byte, error)

// LoadScript calls f.
func (f ScriptLoaderFunc) LoadScript(ctx context.Context, name string, global bool) ([]byte, error) {
	return f(ctx, name, global)
}

// validScriptName accepts the names of RFC 5804 1.6 (as ManageSieve
// stores them): UTF-8, no control characters and no "/", at most 256
// bytes.
func validScriptName(s string) bool {
	if s == "" || len(s) > 256 || !utf8.ValidString(s) || strings.ContainsRune(s, '/') {
		return false
	}
	for _, r := range s {
		if r < 0x20 || r >= 0x7f && r <= 0x9f || r == 0x2028 || r == 0x2029 {
			return false
		}
	}
	return true
}

func init() {
	commandSpecs["include"] = &commandSpec{
		ext: "include",
		sig: signature{tags: []tagSpec{
			{name: "personal", group: "location"},
			{name: "global", group: "location"},
			{name: "once"},
			{name: "optional"},
		}, args: []ArgKind{ArgString}},
		compile: func(c *compiler, n *Node, b *bound) (command, error) {
			name, err := c.constStr(b.args[0], "the name of an included script")
			if err != nil {
				return nil, err
			}
			if !validScriptName(name) {
				return nil, errorf(b.args[0].Pos, "invalid script name %q", name)
			}
			return &cmdInclude{name: name, global: b.has("global"), once: b.has("once"), optional: b.has("optional")}, nil
		}}
	commandSpecs["return"] = &commandSpec{ext: "include", compile: func(c *compiler, n *Node, b *bound) (command, error) {
		return cmdReturn{}, nil
	}}
	commandSpecs["global"] = &commandSpec{
		ext: "include",
		sig: signature{args: []ArgKind{ArgStringList}},
		compile: func(c *compiler, n *Node, b *bound) (command, error) {
			if !c.has("variables") {
				return nil, errorf(n.Pos, "global requires the variables extension")
			}
			for i, s := range b.args[0].Strs {
				name := strings.ToLower(s)
				if !validIdentifier(name) {
					return nil, errorf(b.args[0].StrPos[i], "invalid variable name %q", s)
				}
				if err := c.declare(name, n.Pos); err != nil {
					return nil, err
				}
				if !containsString(c.globals, name) {
					c.globals = append(c.globals, name)
				}
			}
			return nil, nil
		}}
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

type cmdReturn struct{}

func (cmdReturn) exec(r *run) error { return errReturn }

type cmdInclude struct {
	name                   string
	global, once, optional bool
}

func (c *cmdInclude) key() string {
	if c.global {
		return "global:" + c.name
	}
	return "personal:" + c.name
}

// exec loads, compiles and runs the included script with its own
// variables (RFC 6609 3.2); a script already on the include stack is an
// error (RFC 6609 3.2: no recursion).
func (c *cmdInclude) exec(r *run) error {
	key := c.key()
	if c.once && r.once[key] {
		return nil
	}
	for _, f := range r.frames {
		if f.name == key {
			return r.errorf("circular include of %q", c.name)
		}
	}
	if len(r.frames) > r.limits().maxIncludeDepth() {
		return r.errorf("%w: includes nested deeper than %d", ErrLimit, r.limits().maxIncludeDepth())
	}
	if r.included >= r.limits().maxIncludes() {
		return r.errorf("%w: more than %d includes", ErrLimit, r.limits().maxIncludes())
	}
	r.included++
	s, err := r.loadScript(c.name, c.global)
	if errors.Is(err, fs.ErrNotExist) && c.optional {
		return nil
	}
	if err != nil {
		return r.errorf("include %q: %w", c.name, err)
	}
	if r.once == nil {
		r.once = map[string]bool{}
	}
	r.once[key] = true
	saved := r.vars
	r.vars = map[string]string{}
	r.frames = append(r.frames, &frame{script: s, name: key, display: c.name})
	pos := r.pos
	err = r.execBlock(s.cmds)
	r.frames = r.frames[:len(r.frames)-1]
	r.pos = pos
	r.vars = saved
	if err == errReturn {
		return nil
	}
	return err
}

// loadScript loads and compiles an included script, once per run.
func (r *run) loadScript(name string, global bool) (*Script, error) {
	key := "personal:" + name
	if global {
		key = "global:" + name
	}
	if s, ok := r.scripts[key]; ok {
		return s, nil
	}
	if r.in.Scripts == nil {
		return nil, fs.ErrNotExist
	}
	src, err := r.in.Scripts.LoadScript(r.ctx, name, global)
	if err != nil {
		return nil, err
	}
	s, err := Compile(src, r.opts)
	if err != nil {
		return nil, err
	}
	if r.scripts == nil {
		r.scripts = map[string]*Script{}
	}
	r.scripts[key] = s
	return s, nil
}
