package main

import (
	"strings"
	"testing"

	"golang.org/x/net/html"
)

func TestSanitizeHTML(t *testing.T) {
	images := map[string]inlineImage{"logo@x": {Type: "image/png", Data: []byte("PNG")}}
	for _, tc := range []struct {
		in       string
		want     []string // substrings of the output
		unwanted []string
		remote   int
	}{
		{`<p onclick="x()" class="c">a</p><script>x()</script>`, []string{`<p class="c">a</p>`}, []string{"onclick", "<script", "x()"}, 0},
		{`<head><meta http-equiv="refresh" content="0;url=http://x/"><base href="http://x/"><link rel="stylesheet" href="http://x/s.css"></head>`,
			nil, []string{"<meta", "<base", "<link", "http://x"}, 0},
		{`<iframe src="http://x/"></iframe><object data="http://x/o"></object><embed src="http://x/e"><frameset></frameset>`,
			nil, []string{"<iframe", "<object", "<embed", "http://x"}, 0},
		{`<a href="javascript:alert(1)">a</a><a href=" JaVa&#x09;ScRiPt:alert(1)">b</a><a href="vbscript:x">c</a><a href="data:text/html,x">d</a>`,
			[]string{"<a>a</a>", "<a>b</a>", "<a>c</a>", "<a>d</a>"}, []string{"script:", "data:"}, 0},
		{`<a href="https://example.org/" target="_self" rel="opener">x</a>`,
			[]string{`<a href="https://example.org/" target="_blank" rel="noopener noreferrer">x</a>`}, []string{"_self", `"opener"`}, 0},
		{`<a href="mailto:bob@example.org">m</a><a href="#top">t</a><a href="page.html">r</a>`,
			[]string{`<a href="mailto:bob@example.org" target="_blank" rel="noopener noreferrer">m</a>`, `<a href="#top">t</a>`, `<a>r</a>`}, nil, 0},
		{`<img src="cid:logo@x"><img src="cid:other"><img src="http://example.com/x.png"><img src="relative.png">`,
			[]string{`<img src="data:image/png;base64,UE5H"/>`, `<img src="http://example.com/x.png"/>`}, []string{"cid:", "relative"}, 1},
		{`<div style="background:url( 'https://x/y.png' )">s</div><style>@import "//x/y.css"; p{color:red}</style><table><tr><td background="http://x/bg">c</td></tr></table>`,
			[]string{"p{color:red}"}, nil, 3},
		{`<svg><a xlink:href="javascript:x"><set attributeName="href" to="javascript:x"/><text>t</text></a><use href="#i"/></svg>`,
			[]string{`<use href="#i">`}, []string{"javascript"}, 0},
		{`<form action="http://x/f"><button formaction="http://x/g">b</button></form><a ping="http://x/p" href="#">p</a>`,
			[]string{"<form>", "<button>b</button>"}, []string{"http://x"}, 0},
		{`<!--[if IE]><script>x()</script><![endif]--><p>after</p>`, []string{"<p>after</p>"}, []string{"<!--", "x()"}, 0},
		{`<noscript><p title="</noscript><img src=x onerror=alert(1)>">n</p></noscript>`,
			[]string{`<p title="&lt;/noscript&gt;&lt;img src=x onerror=alert(1)&gt;">n</p>`}, []string{"<noscript", "<img"}, 0},
		{`<noscript>&lt;/noscript&gt;&lt;script&gt;x()&lt;/script&gt;</noscript>`, []string{"&lt;script&gt;"}, []string{"<script", "<noscript"}, 0},
	} {
		s, err := sanitizeHTML(tc.in, images)
		if err != nil {
			t.Errorf("%s: %v", tc.in, err)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(s.HTML, w) {
				t.Errorf("%s:\n%s\nlacks %s", tc.in, s.HTML, w)
			}
		}
		for _, u := range tc.unwanted {
			if strings.Contains(s.HTML, u) {
				t.Errorf("%s:\n%s\nhas %s", tc.in, s.HTML, u)
			}
		}
		if s.Remote != tc.remote {
			t.Errorf("%s: %d remote, want %d", tc.in, s.Remote, tc.remote)
		}
	}
	if _, err := sanitizeHTML(strings.Repeat("<div>", 600), nil); err == nil {
		t.Error("600 nested elements: no error")
	}
}

func TestURLScheme(t *testing.T) {
	for in, want := range map[string]string{
		"https://x": "https:", " JaVa\tScript:x": "javascript:", "java\x00script:": "javascript:", "cid:a@b": "cid:",
		"relative.html": "", "#top": "", "//host/x": "", "a b:c": "ab:", "1http:x": "", "a+b.c-d:x": "a+b.c-d:",
	} {
		if got := urlScheme(in); got != want {
			t.Errorf("urlScheme(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzSanitizeHTML: whatever the mail's HTML, the output, parsed again as
// the frame parses it, has none of the removed elements, no event handler,
// no active URL and no link without a new tab; and the sanitizer never
// panics.
func FuzzSanitizeHTML(f *testing.F) {
	for _, s := range []string{
		`<p onclick="x()">a</p><script>x()</script>`, `<a href="java&#x09;script:x">x</a>`,
		`<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>`,
		`<svg><style><img src=x onerror=alert(1)></style></svg>`,
		`<math><mtext><table><mglyph><style><img src=x onerror=alert(1)></style></mglyph></table></mtext></math>`,
		`<table><form><input></form><noscript>&lt;/noscript&gt;</noscript></table>`, `<xmp></xmp><plaintext><script>`,
		`<img src="cid:a"><a href="https://x">y</a><meta http-equiv=refresh content=0>`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		s, err := sanitizeHTML(in, map[string]inlineImage{"a": {Type: "image/png", Data: []byte{1}}})
		if err != nil {
			return
		}
		doc, err := html.ParseWithOptions(strings.NewReader(s.HTML), html.ParseOptionEnableScripting(false))
		if err != nil {
			return // nested deeper once parsed again: the browser caps it too
		}
		for n := range doc.Descendants() {
			if n.Type != html.ElementNode {
				continue
			}
			if removedElements[n.DataAtom] {
				t.Fatalf("%q gave %q with a <%s>", in, s.HTML, n.Data)
			}
			for _, a := range n.Attr {
				key := strings.ToLower(a.Key)
				scheme := urlScheme(a.Val)
				if strings.HasPrefix(key, "on") || droppedAttributes[key] || scheme == "javascript:" || scheme == "vbscript:" {
					t.Fatalf("%q gave %q with %s=%q", in, s.HTML, a.Key, a.Val)
				}
			}
		}
	})
}
