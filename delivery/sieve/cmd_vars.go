package sieve

import (
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"
)

// variables (RFC 5229): set and string, and the modifiers of set.

// modifier is a set modifier with its precedence (RFC 5229 4.1).
type modifier struct {
	name       string
	ext        string
	precedence int
	apply      func(string) string
}

var modifiers = []modifier{
	{name: "lower", precedence: 40, apply: asciiLower},
	{name: "upper", precedence: 40, apply: asciiUpper},
	{name: "lowerfirst", precedence: 30, apply: func(s string) string { return firstByte(s, lower) }},
	{name: "upperfirst", precedence: 30, apply: func(s string) string { return firstByte(s, upper) }},
	{name: "quotewildcard", precedence: 20, apply: quoteWildcard},
	{name: "encodeurl", ext: "enotify", precedence: 15, apply: encodeURL},
	{name: "length", precedence: 10, apply: func(s string) string { return fmt.Sprint(utf8.RuneCountInString(s)) }},
}

func asciiUpper(s string) string {
	b := []byte(s)
	for i := range b {
		b[i] = upper(b[i])
	}
	return string(b)
}

func firstByte(s string, f func(byte) byte) string {
	if s == "" {
		return s
	}
	return string(f(s[0])) + s[1:]
}

// quoteWildcard escapes the wildcards of :matches (RFC 5229 4.1.2).
func quoteWildcard(s string) string {
	return quoteBytes(s, `*?\`)
}

func quoteBytes(s, special string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(special, s[i]) >= 0 {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// encodeURL percent-encodes all but the unreserved characters of
// RFC 3986 (RFC 5435 4.1).
func encodeURL(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isAlpha(int(c)) && c != '_' || isDigit(int(c)) || strings.IndexByte("-._~", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}

func init() {
	var setTags []tagSpec
	for _, m := range modifiers {
		setTags = append(setTags, tagSpec{name: m.name, ext: m.ext})
	}
	commandSpecs["set"] = &commandSpec{
		ext: "variables",
		sig: signature{tags: setTags, args: []ArgKind{ArgString, ArgString}},
		compile: func(c *compiler, n *Node, b *bound) (command, error) {
			cmd := &cmdSet{}
			var err error
			if cmd.name, cmd.global, err = c.variableName(b.args[0]); err != nil {
				return nil, err
			}
			if cmd.value, err = c.str(b.args[1]); err != nil {
				return nil, err
			}
			seen := map[int]string{}
			for _, m := range modifiers {
				if !b.has(m.name) {
					continue
				}
				if other, ok := seen[m.precedence]; ok {
					return nil, errorf(b.tagPos(m.name), "modifiers :%s and :%s cannot be used together", other, m.name)
				}
				seen[m.precedence] = m.name
				cmd.mods = append(cmd.mods, m)
			}
			// RFC 5229 4.1: higher precedence first.
			sort.SliceStable(cmd.mods, func(i, j int) bool { return cmd.mods[i].precedence > cmd.mods[j].precedence })
			return cmd, nil
		}}
	testSpecs["string"] = &testSpec{
		ext: "variables",
		sig: signature{tags: matchTags, args: []ArgKind{ArgStringList, ArgStringList}},
		compile: func(c *compiler, n *Node, b *bound) (test, error) {
			t := &testString{}
			var err error
			if t.source, err = c.strs(b.args[0]); err != nil {
				return nil, err
			}
			t.m, err = c.compileMatcher(b, b.args[1])
			return t, err
		}}
}

type cmdSet struct {
	name   string
	global bool
	value  str
	mods   []modifier
}

func (c *cmdSet) exec(r *run) error {
	v := r.expand(c.value)
	for _, m := range c.mods {
		v = m.apply(v)
	}
	r.setVariable(c.name, v, c.global)
	return nil
}

type testString struct {
	source []str
	m      *matcher
}

func (t *testString) eval(r *run) (bool, error) {
	values := r.expandAll(t.source)
	if t.m.typ == matchCount {
		// RFC 5229 5: :count counts the source strings that are not
		// empty.
		n := 0
		for _, v := range values {
			if v != "" {
				values[n] = v
				n++
			}
		}
		values = values[:n]
	}
	return t.m.match(r, values)
}
