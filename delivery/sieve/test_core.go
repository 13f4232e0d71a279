package sieve

import (
	"slices"
	"strings"
)

// indexTags are :index and :last (RFC 5260 6).
var indexTags = []tagSpec{
	{name: "index", ext: "index", param: ArgNumber},
	{name: "last", ext: "index"},
}

// fieldIndex selects one occurrence of a header field (RFC 5260 6.1):
// index counts from 1, from the end with last; 0 means all.
type fieldIndex struct {
	index int
	last  bool
}

func (c *compiler) fieldIndex(b *bound) (fieldIndex, error) {
	if b.has("last") && !b.has("index") {
		return fieldIndex{}, errorf(b.tagPos("last"), ":last requires :index")
	}
	a, ok := b.tag("index")
	if !ok {
		return fieldIndex{}, nil
	}
	if a.Num == 0 || a.Num > 1<<30 {
		return fieldIndex{}, errorf(a.Pos, ":index must be a number from 1")
	}
	return fieldIndex{index: int(a.Num), last: b.has("last")}, nil
}

// pick applies the index to the values of one field name.
func (x fieldIndex) pick(values []string) []string {
	if x.index == 0 {
		return values
	}
	if x.index > len(values) {
		return nil
	}
	if x.last {
		return values[len(values)-x.index : len(values)-x.index+1]
	}
	return values[x.index-1 : x.index]
}

// addressHeaders are the fields the address test may name with a
// constant, as Pigeonhole allows (RFC 5228 5.1 requires at least the
// first seven).
var addressHeaders = []string{
	"from", "to", "cc", "bcc", "sender", "resent-from", "resent-to",
	"reply-to", "resent-reply-to", "resent-sender", "resent-cc", "resent-bcc",
	"for-approval", "for-handling", "for-comment", "apparently-to", "errors-to",
	"delivered-to", "return-receipt-to", "x-admin", "read-receipt-to",
	"x-confirm-reading-to", "return-receipt-requested",
	"registered-mail-reply-requested-by", "mail-followup-to", "mail-reply-to",
	"abuse-reports-to", "x-complaints-to", "x-report-abuse-to",
	"x-beenthere", "x-original-to",
}

// validFieldName reports whether s is an RFC 5322 field name.
func validFieldName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] == ':' || s[i] >= 0x7f {
			return false
		}
	}
	return true
}

func init() {
	testSpecs["true"] = &testSpec{compile: func(c *compiler, n *Node, b *bound) (test, error) { return testConst(true), nil }}
	testSpecs["false"] = &testSpec{compile: func(c *compiler, n *Node, b *bound) (test, error) { return testConst(false), nil }}
	testSpecs["not"] = &testSpec{tests: 1, compile: func(c *compiler, n *Node, b *bound) (test, error) {
		return testNot{b.tests[0]}, nil
	}}
	testSpecs["allof"] = &testSpec{tests: -1, compile: func(c *compiler, n *Node, b *bound) (test, error) {
		return testAll(b.tests), nil
	}}
	testSpecs["anyof"] = &testSpec{tests: -1, compile: func(c *compiler, n *Node, b *bound) (test, error) {
		return testAny(b.tests), nil
	}}
	testSpecs["size"] = &testSpec{
		sig: signature{tags: []tagSpec{{name: "over", group: "size"}, {name: "under", group: "size"}}, args: []ArgKind{ArgNumber}},
		compile: func(c *compiler, n *Node, b *bound) (test, error) {
			if b.group("size") == "" {
				return nil, errorf(n.Pos, "size requires :over or :under")
			}
			return &testSize{over: b.has("over"), limit: b.args[0].Num}, nil
		}}
	testSpecs["exists"] = &testSpec{
		sig: signature{args: []ArgKind{ArgStringList}},
		compile: func(c *compiler, n *Node, b *bound) (test, error) {
			names, err := c.strs(b.args[0])
			return &testExists{names: names}, err
		}}
	testSpecs["header"] = &testSpec{
		sig: signature{tags: slices.Concat(matchTags, indexTags), args: []ArgKind{ArgStringList, ArgStringList}},
		compile: func(c *compiler, n *Node, b *bound) (test, error) {
			t := &testHeader{}
			var err error
			if t.names, err = c.strs(b.args[0]); err != nil {
				return nil, err
			}
			if t.index, err = c.fieldIndex(b); err != nil {
				return nil, err
			}
			t.m, err = c.compileMatcher(b, b.args[1])
			return t, err
		}}
	testSpecs["address"] = &testSpec{
		sig: signature{tags: slices.Concat(matchTags, addressPartTags, indexTags), args: []ArgKind{ArgStringList, ArgStringList}},
		compile: func(c *compiler, n *Node, b *bound) (test, error) {
			t := &testAddress{part: addressPartOf(b)}
			var err error
			if t.names, err = c.strs(b.args[0]); err != nil {
				return nil, err
			}
			for i, name := range t.names {
				if name.constant() && !slices.Contains(addressHeaders, strings.ToLower(name.lit)) {
					return nil, errorf(b.args[0].StrPos[i], "header %q is not allowed in the address test", name.lit)
				}
			}
			if t.index, err = c.fieldIndex(b); err != nil {
				return nil, err
			}
			t.m, err = c.compileMatcher(b, b.args[1])
			return t, err
		}}
	testSpecs["envelope"] = &testSpec{
		ext: "envelope",
		sig: signature{tags: slices.Concat(matchTags, addressPartTags), args: []ArgKind{ArgStringList, ArgStringList}},
		compile: func(c *compiler, n *Node, b *bound) (test, error) {
			t := &testEnvelope{part: addressPartOf(b)}
			var err error
			if t.parts, err = c.strs(b.args[0]); err != nil {
				return nil, err
			}
			for i, p := range t.parts {
				if p.constant() && !slices.Contains([]string{"from", "to", "auth"}, strings.ToLower(p.lit)) {
					return nil, errorf(b.args[0].StrPos[i], "unknown envelope part %q", p.lit)
				}
			}
			t.m, err = c.compileMatcher(b, b.args[1])
			return t, err
		}}
}

type testConst bool

func (t testConst) eval(r *run) (bool, error) { return bool(t), nil }

type testNot struct{ t test }

func (t testNot) eval(r *run) (bool, error) {
	ok, err := t.t.eval(r)
	return !ok, err
}

// testAll and testAny stop at the first test that decides (RFC 5228
// 5.2, 5.3).
type (
	testAll []test
	testAny []test
)

func (t testAll) eval(r *run) (bool, error) {
	for _, s := range t {
		if err := r.step(1); err != nil {
			return false, err
		}
		if ok, err := s.eval(r); err != nil || !ok {
			return false, err
		}
	}
	return true, nil
}

func (t testAny) eval(r *run) (bool, error) {
	for _, s := range t {
		if err := r.step(1); err != nil {
			return false, err
		}
		if ok, err := s.eval(r); err != nil || ok {
			return ok, err
		}
	}
	return false, nil
}

type testSize struct {
	over  bool
	limit uint64
}

func (t *testSize) eval(r *run) (bool, error) {
	size := uint64(max(r.msg.Size, 0))
	if t.over {
		return size > t.limit, nil
	}
	return size < t.limit, nil
}

type testExists struct{ names []str }

func (t *testExists) eval(r *run) (bool, error) {
	for _, n := range r.expandAll(t.names) {
		if err := r.step(1); err != nil {
			return false, err
		}
		if !slices.ContainsFunc(r.header, func(f Field) bool { return strings.EqualFold(f.Name, n) }) {
			return false, nil
		}
	}
	return true, nil
}

type testHeader struct {
	names []str
	index fieldIndex
	m     *matcher
}

func (t *testHeader) eval(r *run) (bool, error) {
	// As Pigeonhole, :index counts the fields of all the names together.
	var values []string
	for _, n := range r.expandAll(t.names) {
		values = append(values, r.headerValues(n)...)
	}
	return t.m.match(r, t.index.pick(values))
}

type testAddress struct {
	names []str
	part  addressPart
	index fieldIndex
	m     *matcher
}

func (t *testAddress) eval(r *run) (bool, error) {
	var fields []string
	for _, n := range r.expandAll(t.names) {
		fields = append(fields, r.rawValues(n)...)
	}
	return t.m.match(r, addressValues(t.index.pick(fields), t.part, r.opts.delimiters()))
}

type testEnvelope struct {
	parts []str
	part  addressPart
	m     *matcher
}

func (t *testEnvelope) eval(r *run) (bool, error) {
	var values []string
	env := r.in.Envelope
	for _, p := range r.expandAll(t.parts) {
		var v string
		switch strings.ToLower(p) {
		case "from":
			v = env.From
		case "to":
			// As Pigeonhole: the original recipient when known.
			v = env.To
			if env.OrigTo != "" {
				v = env.OrigTo
			}
		case "auth":
			if env.Auth == "" {
				continue
			}
			v = env.Auth
		default:
			continue
		}
		// RFC 5228 5.4: the null reverse-path is the empty string, for
		// every address part.
		values = append(values, addressValues([]string{v}, t.part, r.opts.delimiters())...)
	}
	return t.m.match(r, values)
}
