package sieve

import (
	"mime"
	"slices"
	"strings"
)

// editheader (RFC 5293): addheader and deleteheader change the header
// that later tests see and that later actions store or forward.

// alwaysProtected: RFC 5293 6 has implementations refuse to delete
// Received and Auto-Submitted; X-Sieve-Redirected-From, a loop guard,
// may neither be added nor deleted (as in Pigeonhole).
var (
	undeletable = []string{"received", "auto-submitted", "x-sieve-redirected-from"}
	unaddable   = []string{"x-sieve-redirected-from"}
)

func (o *Options) mayAdd(name string) bool {
	name = strings.ToLower(name)
	if name == "subject" {
		return true // RFC 5293 6: Subject may always be changed
	}
	return !slices.Contains(unaddable, name) && !slices.ContainsFunc(o.ProtectedHeaders, func(p string) bool { return strings.EqualFold(p, name) })
}

func (o *Options) mayDelete(name string) bool {
	name = strings.ToLower(name)
	if slices.Contains(undeletable, name) {
		return false
	}
	return name == "subject" || !slices.ContainsFunc(o.ProtectedHeaders, func(p string) bool { return strings.EqualFold(p, name) })
}

func init() {
	commandSpecs["addheader"] = &commandSpec{
		ext: "editheader",
		sig: signature{tags: []tagSpec{{name: "last"}}, args: []ArgKind{ArgString, ArgString}},
		compile: func(c *compiler, n *Node, b *bound) (command, error) {
			cmd := &cmdAddHeader{last: b.has("last")}
			var err error
			if cmd.name, err = c.str(b.args[0]); err != nil {
				return nil, err
			}
			if cmd.name.constant() && !validFieldName(cmd.name.lit) {
				return nil, errorf(b.args[0].Pos, "invalid header name %q", cmd.name.lit)
			}
			if cmd.value, err = c.str(b.args[1]); err != nil {
				return nil, err
			}
			if v := cmd.value; v.constant() {
				if strings.IndexByte(v.lit, 0) >= 0 {
					return nil, errorf(b.args[1].Pos, "header value contains NUL")
				}
				if len(v.lit) > c.opts.Limits.maxHeaderValue() {
					return nil, errorf(b.args[1].Pos, "header value longer than %d bytes", c.opts.Limits.maxHeaderValue())
				}
			}
			return cmd, nil
		}}
	commandSpecs["deleteheader"] = &commandSpec{
		ext: "editheader",
		sig: signature{tags: slices.Concat(matchTags, []tagSpec{
			{name: "index", param: ArgNumber},
			{name: "last"},
		}), args: []ArgKind{ArgString, ArgStringList}, optionalLast: true},
		compile: func(c *compiler, n *Node, b *bound) (command, error) {
			cmd := &cmdDeleteHeader{}
			var err error
			if b.has("last") && !b.has("index") {
				return nil, errorf(b.tagPos("last"), ":last requires :index")
			}
			if a, ok := b.tag("index"); ok {
				if a.Num == 0 || a.Num > 1<<30 {
					return nil, errorf(a.Pos, ":index must be a number from 1")
				}
				cmd.index = fieldIndex{index: int(a.Num), last: b.has("last")}
			}
			if cmd.name, err = c.str(b.args[0]); err != nil {
				return nil, err
			}
			if cmd.name.constant() && !validFieldName(cmd.name.lit) {
				return nil, errorf(b.args[0].Pos, "invalid header name %q", cmd.name.lit)
			}
			if len(b.args) == 2 {
				cmd.m, err = c.compileMatcher(b, b.args[1])
			} else if b.group("match") != "" || b.group("comparator") != "" {
				return nil, errorf(n.Pos, "deleteheader takes a match type or comparator only with value patterns")
			}
			return cmd, err
		}}
}

type cmdAddHeader struct {
	name, value str
	last        bool
}

// exec adds the field at the top of the header, or at the end with
// :last (RFC 5293 4). A non-ASCII value is encoded (RFC 2047) and line
// breaks are folded.
func (c *cmdAddHeader) exec(r *run) error {
	if err := r.editable(); err != nil {
		return err
	}
	name, value := r.expand(c.name), r.expand(c.value)
	if !validFieldName(name) {
		return r.errorf("addheader: invalid header name %q", name)
	}
	if strings.IndexByte(value, 0) >= 0 {
		return r.errorf("addheader: header value contains NUL")
	}
	if len(value) > r.limits().maxHeaderValue() {
		return r.errorf("addheader: header value longer than %d bytes", r.limits().maxHeaderValue())
	}
	if !r.opts.mayAdd(name) {
		return nil // denied, as RFC 5293 6 allows
	}
	f := Field{Name: name, Value: " " + encodeHeaderValue(value)}
	h := make([]Field, 0, len(r.header)+1)
	if c.last {
		h = append(append(h, r.header...), f)
	} else {
		h = append(append(h, f), r.header...)
	}
	return r.setHeader(h)
}

// encodeHeaderValue makes a value safe in a header: line breaks are
// folded and non-ASCII text becomes encoded words.
func encodeHeaderValue(v string) string {
	v = strings.NewReplacer("\r\n", " ", "\r", " ", "\n", " ").Replace(v)
	for i := 0; i < len(v); i++ {
		if v[i] >= 0x80 {
			return mime.QEncoding.Encode("utf-8", v)
		}
	}
	return v
}

// editable refuses to edit a header whose fields past
// Limits.MaxHeaderSize were dropped: the edited header would lose them.
// The run fails and the message is kept as it came.
func (r *run) editable() error {
	if r.msg.truncated {
		return r.errorf("%w: editheader on a header longer than the header limit", ErrLimit)
	}
	return nil
}

// setHeader replaces the header; the old slice stays with the actions
// that took it (copy on write).
//
// Each edit copies the header: it costs a step per 16 fields, and the
// header may not grow past Limits.MaxHeaderSize.
func (r *run) setHeader(h []Field) error {
	if err := r.step(len(h) >> 4); err != nil {
		return err
	}
	size := 0
	for _, f := range h {
		size += len(f.Name) + len(f.Value) + 3
	}
	if max := r.limits().maxHeaderSize(); size > max {
		return r.errorf("%w: edited header larger than %d bytes", ErrLimit, max)
	}
	r.header, r.edited, r.decoded = h, true, nil
	return nil
}

type cmdDeleteHeader struct {
	name  str
	index fieldIndex
	m     *matcher // nil: delete regardless of value
}

// exec deletes the fields named name whose value matches a pattern, or
// all of them without patterns; :index picks one occurrence
// (RFC 5293 5).
func (c *cmdDeleteHeader) exec(r *run) error {
	if err := r.editable(); err != nil {
		return err
	}
	name := r.expand(c.name)
	if !validFieldName(name) {
		return r.errorf("deleteheader: invalid header name %q", name)
	}
	if !r.opts.mayDelete(name) {
		return nil
	}
	var occ []int // indexes in r.header of the fields named name
	for i, f := range r.header {
		if strings.EqualFold(f.Name, name) {
			occ = append(occ, i)
		}
	}
	if c.index.index > 0 {
		if c.index.index > len(occ) {
			return nil
		}
		k := c.index.index - 1
		if c.index.last {
			k = len(occ) - c.index.index
		}
		occ = occ[k : k+1]
	}
	del := map[int]bool{}
	for _, i := range occ {
		if c.m != nil {
			ok, err := c.m.match(r, []string{decodeHeader(r.header[i].Value)})
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
		}
		del[i] = true
	}
	if len(del) == 0 {
		return nil
	}
	h := make([]Field, 0, len(r.header)-len(del))
	for i, f := range r.header {
		if !del[i] {
			h = append(h, f)
		}
	}
	return r.setHeader(h)
}
