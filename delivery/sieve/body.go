package sieve

import "slices"

// body (RFC 5173).

func init() {
	testSpecs["body"] = &testSpec{
		ext: "body",
		sig: signature{tags: slices.Concat(matchTags, []tagSpec{
			{name: "raw", group: "transform"},
			{name: "content", group: "transform", param: ArgStringList},
			{name: "text", group: "transform"},
		}), args: []ArgKind{ArgStringList}},
		compile: func(c *compiler, n *Node, b *bound) (test, error) {
			t := &testBody{transform: b.group("transform")}
			if a, ok := b.tag("content"); ok {
				var err error
				if t.content, err = c.strs(a); err != nil {
					return nil, err
				}
			}
			var err error
			t.m, err = c.compileMatcher(b, b.args[0])
			return t, err
		}}
}

type testBody struct {
	transform string // "raw", "content" or "" and "text" for :text
	content   []str
	m         *matcher
}

// eval matches the keys against each selected body part (RFC 5173 5):
// the raw body; the decoded parts of the :content types; or the text
// parts, with HTML reduced to its text.
func (t *testBody) eval(r *run) (bool, error) {
	if t.transform == "raw" {
		return t.m.match(r, []string{r.rawBody()})
	}
	var values []string
	wanted := []string{"text", "application/xhtml+xml"}
	if t.transform == "content" {
		wanted = r.expandAll(t.content)
	}
	for _, p := range r.parts() {
		if !contentMatches(p.contentType, wanted) {
			continue
		}
		if t.transform != "content" {
			if p.container {
				continue
			}
			if p.contentType == "text/html" || p.contentType == "application/xhtml+xml" {
				values = append(values, htmlToText(p.content))
				continue
			}
		}
		values = append(values, p.content)
	}
	return t.m.match(r, values)
}
