package main

import (
	"encoding/base64"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// frameCSP is the Content-Security-Policy of a message's HTML. It is what
// keeps hostile mail from acting: no script runs (sandbox without
// allow-scripts, and no script-src), the document has an opaque origin
// (sandbox without allow-same-origin: the page's cookies and API are out
// of reach), nothing is fetched from anywhere (default-src 'none': remote
// images, fonts, style sheets, frames and objects are blocked) except the
// images inlined as data: URLs, and forms go nowhere. A link opens in a
// new tab, outside the sandbox, as in a mail client. The sandbox is in the
// header as well as on the iframe, so that the HTML opened by itself in a
// tab is as confined.
const frameCSP = "sandbox allow-popups allow-popups-to-escape-sandbox; default-src 'none'; " +
	"img-src data:; style-src 'unsafe-inline'; font-src data:; " +
	"base-uri 'none'; form-action 'none'; frame-ancestors 'self'"

// frameSandbox is the iframe's sandbox attribute, the same as frameCSP's.
const frameSandbox = "allow-popups allow-popups-to-escape-sandbox"

// removedElements are dropped with their content. The policy already
// blocks what they do; removing them also stops what a policy does not
// cover: a <meta> refresh navigates the frame itself (to a foreign host),
// a <link> may preconnect or prefetch, a <base> changes what relative URLs
// mean.
var removedElements = map[atom.Atom]bool{
	atom.Script: true, atom.Meta: true, atom.Base: true, atom.Link: true,
	atom.Iframe: true, atom.Frame: true, atom.Frameset: true, atom.Object: true, atom.Embed: true,
	atom.Applet: true,
}

// urlAttributes hold one URL (srcset a list); an active scheme in them is
// removed.
var urlAttributes = map[string]bool{
	"href": true, "src": true, "action": true, "formaction": true, "data": true, "poster": true,
	"background": true, "srcset": true, "xlink:href": true, "lowsrc": true, "dynsrc": true, "cite": true,
}

// droppedAttributes do nothing wanted in a mail.
var droppedAttributes = map[string]bool{"ping": true, "srcdoc": true, "http-equiv": true, "formaction": true, "action": true}

// linkSchemes are the schemes a link may keep.
var linkSchemes = []string{"http:", "https:", "mailto:", "tel:"}

// sanitized is a message's HTML made ready for the frame.
type sanitized struct {
	HTML   string
	Remote int // references to remote content, which the policy blocks
}

// sanitizeHTML rewrites a message's HTML for the frame: it removes the
// elements and attributes above, makes links open in a new tab without a
// referrer, and replaces cid: references to the message's images with
// data: URLs. It parses as the sandboxed frame does, with scripting off,
// so that it sees the document the browser will build.
func sanitizeHTML(src string, images map[string]inlineImage) (sanitized, error) {
	doc, err := html.ParseWithOptions(strings.NewReader(src), html.ParseOptionEnableScripting(false))
	if err != nil {
		return sanitized{}, err // nested deeper than html.Parse allows
	}
	var s sanitized
	var removed, unwrapped []*html.Node
	for n := range doc.Descendants() {
		if n.Type == html.CommentNode {
			removed = append(removed, n) // conditional comments: old Outlook's scripts
			continue
		}
		if n.Type != html.ElementNode {
			continue
		}
		if removedElements[n.DataAtom] {
			removed = append(removed, n)
			continue
		}
		if n.DataAtom == atom.Noscript && n.Namespace == "" {
			// With scripting off its content is markup, which html.Render
			// would write back as raw text: a text "</noscript><script>"
			// would become a script. The frame shows the content anyway.
			unwrapped = append(unwrapped, n)
		}
		s.rewriteAttributes(n, images)
	}
	for _, n := range removed {
		if n.Parent != nil {
			n.Parent.RemoveChild(n)
		}
	}
	for _, n := range unwrapped {
		if n.Parent == nil {
			continue
		}
		for c := n.FirstChild; c != nil; c = n.FirstChild {
			n.RemoveChild(c)
			n.Parent.InsertBefore(c, n)
		}
		n.Parent.RemoveChild(n)
	}
	var b strings.Builder
	if err := html.Render(&b, doc); err != nil {
		return sanitized{}, err
	}
	s.HTML = b.String()
	return s, nil
}

func (s *sanitized) rewriteAttributes(n *html.Node, images map[string]inlineImage) {
	attrs := n.Attr[:0]
	isLink := false
	for _, a := range n.Attr {
		key := strings.ToLower(a.Key)
		if a.Namespace != "" {
			key = a.Namespace + ":" + key
		}
		switch scheme := urlScheme(a.Val); {
		case strings.HasPrefix(key, "on") || droppedAttributes[key]:
			continue
		case scheme == "javascript:" || scheme == "vbscript:":
			continue // in any attribute: an SVG <set to="javascript:..."> sets a link
		case key == "style":
			s.Remote += countRemoteCSS(a.Val)
		case urlAttributes[key]:
			v, keep := s.rewriteURL(n, key, a.Val, images)
			if !keep {
				continue
			}
			a.Val = v
			isLink = isLink || key == "href" && (n.DataAtom == atom.A || n.DataAtom == atom.Area)
		}
		if key == "target" || key == "rel" {
			continue // set below for links
		}
		attrs = append(attrs, a)
	}
	if isLink && !strings.HasPrefix(hrefOf(attrs), "#") {
		attrs = append(attrs, html.Attribute{Key: "target", Val: "_blank"}, html.Attribute{Key: "rel", Val: "noopener noreferrer"})
	}
	n.Attr = attrs
	if n.DataAtom == atom.Style {
		for c := range n.ChildNodes() {
			if c.Type == html.TextNode {
				s.Remote += countRemoteCSS(c.Data)
			}
		}
	}
}

func hrefOf(attrs []html.Attribute) string {
	for _, a := range attrs {
		if strings.EqualFold(a.Key, "href") && a.Namespace == "" {
			return a.Val
		}
	}
	return ""
}

// rewriteURL returns the value of a URL attribute as the frame gets it,
// or false to remove the attribute.
func (s *sanitized) rewriteURL(n *html.Node, key, v string, images map[string]inlineImage) (string, bool) {
	scheme, trimmed := urlScheme(v), strings.TrimSpace(v)
	isLink := key == "href" && (n.DataAtom == atom.A || n.DataAtom == atom.Area)
	switch {
	case scheme == "cid:":
		img, ok := images[trimmed[len("cid:"):]]
		if !ok || isLink {
			return "", false
		}
		return "data:" + img.Type + ";base64," + base64.StdEncoding.EncodeToString(img.Data), true
	case isLink:
		// A fragment, or a link that opens in a new tab; relative URLs
		// have no base in a mail.
		return v, contains(linkSchemes, scheme) || strings.HasPrefix(trimmed, "#") || strings.HasPrefix(trimmed, "//")
	case scheme == "data:" && (key == "src" || key == "srcset" || key == "background"):
		return v, true // inline images, allowed by the policy
	case scheme == "http:" || scheme == "https:" || strings.HasPrefix(trimmed, "//"):
		s.Remote++
		return v, true // blocked by the policy; kept, so the page can say so
	}
	// A fragment (an SVG <use>) stays; no other scheme does anything
	// wanted in a mail: javascript:, vbscript:, data: as a document,
	// file:, and relative URLs, which have no base in a mail.
	return v, scheme == "" && strings.HasPrefix(trimmed, "#")
}

// urlScheme returns the scheme of a URL in lower case with its colon, ""
// when it has none. As browsers do, it ignores the blanks and controls
// around and inside the scheme ("java\tscript:").
func urlScheme(v string) string {
	var b strings.Builder
	for _, r := range v {
		switch {
		case r <= ' ' || r == 0x7f:
			continue
		case r == ':':
			b.WriteByte(':')
			return strings.ToLower(b.String())
		case 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || b.Len() > 0 && ('0' <= r && r <= '9' || r == '+' || r == '-' || r == '.'):
			if b.Len() > 32 {
				return ""
			}
			b.WriteRune(r)
		default:
			return ""
		}
	}
	return ""
}

// countRemoteCSS counts the remote references of a style sheet or style
// attribute: url(...) and @import of http(s) or protocol-relative URLs.
func countRemoteCSS(css string) int {
	css = strings.ToLower(css)
	n := 0
	for _, marker := range []string{"url(", "@import"} {
		for rest := css; ; {
			i := strings.Index(rest, marker)
			if i < 0 {
				break
			}
			rest = rest[i+len(marker):]
			arg := strings.TrimLeft(rest, " \t\r\n'\"(")
			if strings.HasPrefix(arg, "http:") || strings.HasPrefix(arg, "https:") || strings.HasPrefix(arg, "//") {
				n++
			}
		}
	}
	return n
}
