package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"image"
	"image/color"
	"image/png"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/mailwright/mailwright/internal/browsertest"
	"github.com/mailwright/mailwright/smtp"
	"github.com/mailwright/mailwright/smtp/smtptest"
)

// welcome is a message with a text and an HTML body, and an attachment
// whose bytes are not text.
const welcome = "From: App <app@example.org>\r\nTo: Bob <bob@example.org>\r\nSubject: Welcome, Bob\r\n" +
	"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"mix\"\r\n\r\n" +
	"--mix\r\nContent-Type: multipart/alternative; boundary=\"alt\"\r\n\r\n" +
	"--alt\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHello Bob.\r\n" +
	"--alt\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<h1 id=\"greeting\">Hello <b>Bob</b></h1><p>Welcome aboard.</p>\r\n" +
	"--alt--\r\n" +
	"--mix\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"report.bin\"\r\n" +
	"Content-Transfer-Encoding: base64\r\n\r\nAAEC/f7/gIFgYWJj\r\n--mix--\r\n"

// welcomeAttachment is the attachment of welcome, decoded.
var welcomeAttachment = []byte{0, 1, 2, 0xfd, 0xfe, 0xff, 0x80, 0x81, 0x60, 0x61, 0x62, 0x63}

// TestPageLive: a message sent over SMTP appears in the open page without
// a reload, is announced, and opens with its HTML rendered in the frame;
// its attachment downloads byte for byte.
func TestPageLive(t *testing.T) {
	tc := newTestCatcher(t)
	b := browsertest.New(t, tc.web.URL)
	b.Do(chromedp.Navigate(tc.web.URL+"/"), chromedp.WaitVisible(chromedp.CSS("#count")))
	if got := browsertest.Run(b, chromedp.Text(chromedp.CSS("#count"))); got != "0 messages" {
		t.Fatalf("count before: %q", got)
	}
	// The page marks itself to tell a reload from a live update.
	b.Do(chromedp.Evaluate[chromedp.Void](`document.body.dataset.loaded = "once"`))

	tc.mustSend(t, "app@example.org", []string{"bob@example.org"}, welcome)
	b.Do(chromedp.WaitVisible(chromedp.CSS(`#list a[data-id]`)))
	if got := browsertest.Run(b, chromedp.Text(chromedp.CSS("#list a[data-id] .subject"))); got != "Welcome, Bob" {
		t.Errorf("listed subject %q", got)
	}
	if got := browsertest.Run(b, chromedp.Evaluate[string](`document.body.dataset.loaded || "reloaded"`)); got != "once" {
		t.Errorf("the page reloaded (%q)", got)
	}
	browsertest.Run(b, chromedp.Poll[bool](`document.getElementById("live").textContent.includes("New message from App: Welcome, Bob")`))

	b.Do(chromedp.Click(chromedp.CSS(`#list a[data-id]`)), chromedp.WaitVisible(chromedp.CSS("#html-body")))
	if got := b.FrameText("#html-body", "#greeting"); got != "Hello Bob" {
		t.Errorf("HTML in the frame: %q", got)
	}
	name, data := b.Download(`.files a`)
	if name != "report.bin" || !bytes.Equal(data, welcomeAttachment) {
		t.Errorf("download %q: % x, want report.bin: % x", name, data, welcomeAttachment)
	}
}

// TestPageKeyboard: j and k move through the list, / goes to the search,
// and a search from the page narrows the list.
func TestPageKeyboard(t *testing.T) {
	tc := newTestCatcher(t)
	for _, s := range []string{"First", "Second", "Third"} {
		tc.mustSend(t, "app@example.org", []string{"bob@example.org"}, "Subject: "+s+"\r\n\r\nx\r\n")
	}
	b := browsertest.New(t, tc.web.URL)
	b.Do(chromedp.Navigate(tc.web.URL+"/"), chromedp.WaitVisible(chromedp.CSS("#list a[data-id]")))
	focused := func() string {
		return browsertest.Run(b, chromedp.Evaluate[string](`document.activeElement.querySelector(".subject")?.textContent || document.activeElement.id`))
	}
	b.Press('j')
	if got := focused(); got != "Third" {
		t.Errorf("after j: focus on %q, want the newest, Third", got)
	}
	for _, k := range "jjk" {
		b.Press(k)
	}
	if got := focused(); got != "Second" {
		t.Errorf("after j j j k: focus on %q, want Second", got)
	}
	b.Press('/')
	if got, value := focused(), browsertest.Run(b, chromedp.Value(chromedp.ID("q"))); got != "q" || value != "" {
		t.Fatalf("after /: focus on %q with %q, want the empty search", got, value)
	}
	b.Navigating(chromedp.SendKeys(chromedp.ID("q"), "subject:first\n"))
	if got := browsertest.Run(b, chromedp.Text(chromedp.CSS("#count"))); got != "1 of 3 messages match" {
		t.Errorf("after the search: %q", got)
	}
}

// TestPageDelete deletes one message, then all, with the page's buttons.
func TestPageDelete(t *testing.T) {
	tc := newTestCatcher(t)
	for _, s := range []string{"Keep", "Drop"} {
		tc.mustSend(t, "app@example.org", []string{"bob@example.org"}, "Subject: "+s+"\r\n\r\nx\r\n")
	}
	drop := tc.newest(t, "Drop")
	b := browsertest.New(t, tc.web.URL)
	b.AcceptDialogs()
	b.Do(chromedp.Navigate(tc.web.URL + "/messages/" + strconv.Itoa(int(drop.ID))))
	b.Navigating(chromedp.Click(chromedp.CSS("#delete-form button")))
	if got := browsertest.Run(b, chromedp.Text(chromedp.CSS("#list"))); !strings.Contains(got, "1 message") || strings.Contains(got, "Drop") {
		t.Errorf("after deleting Drop, the list: %q", got)
	}
	if tc.newest(t, "Keep") == nil {
		t.Fatal("Keep is gone")
	}
	b.Navigating(chromedp.Click(chromedp.CSS(".delete-all button")))
	if got := browsertest.Run(b, chromedp.Text(chromedp.CSS("#count"))); got != "0 messages" {
		t.Errorf("after Delete all: %q", got)
	}
	if l, _ := tc.c.list(context.Background(), query{}, true, 0, 0); l.Count != 0 {
		t.Errorf("%d messages left after Delete all", l.Count)
	}
}

// TestPageRelease releases a message from the page to a second SMTP
// server, which gets it as it was sent, without the catcher's trace
// fields.
func TestPageRelease(t *testing.T) {
	tc := newTestCatcher(t)
	relay := smtptest.NewServer(t)
	tc.c.Relay = &Relay{Addr: relay.Addr}
	tc.mustSend(t, "app@example.org", []string{"bob@example.org"}, welcome)
	m := tc.newest(t, "Welcome")
	b := browsertest.New(t, tc.web.URL)
	b.Do(chromedp.Navigate(tc.web.URL+"/messages/"+strconv.Itoa(int(m.ID))),
		chromedp.Click(chromedp.CSS(".release summary")),
		chromedp.SetValue(chromedp.ID("release-to"), "carol@example.net, dave@example.net"),
		chromedp.Click(chromedp.CSS(".release button")),
		chromedp.WaitVisible(chromedp.CSS(`.notice[role="status"]`)))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	got, err := relay.Wait(ctx, smtptest.To("dave@example.net"))
	if err != nil {
		t.Fatal(err)
	}
	if string(got.Raw) != welcome || got.From != "app@example.org" || strings.Join(got.To, ",") != "carol@example.net,dave@example.net" {
		t.Errorf("released from %q to %v:\n%q\nwant\n%q", got.From, got.To, got.Raw, welcome)
	}
	if text := browsertest.Run(b, chromedp.Text(chromedp.CSS(`.notice[role="status"]`))); text != "Released to carol@example.net, dave@example.net." {
		t.Errorf("notice %q", text)
	}
}

// TestPageFaults switches a fault on from the page: the next SMTP
// transaction fails as chosen; removed from the page, it no longer does.
func TestPageFaults(t *testing.T) {
	tc := newTestCatcher(t)
	b := browsertest.New(t, tc.web.URL)
	b.Do(chromedp.Navigate(tc.web.URL+"/"),
		chromedp.Click(chromedp.CSS(".faults summary")),
		chromedp.SetValue(chromedp.ID("fault-stage"), "rcpt"),
		chromedp.SetValue(chromedp.ID("fault-code"), "550"),
		chromedp.SetValue(chromedp.ID("fault-enhanced"), "5.1.1"),
		chromedp.SetValue(chromedp.ID("fault-message"), "No such user here"),
		chromedp.SetValue(chromedp.ID("fault-recipients"), "gone@example.org"),
		chromedp.Click(chromedp.CSS(".fault-form button")),
		chromedp.WaitVisible(chromedp.CSS(".fault-list")))
	if got := browsertest.Run(b, chromedp.Text(chromedp.CSS(".faults summary"))); got != "Failure injection: 1 active" {
		t.Errorf("summary %q", got)
	}
	var se *smtp.Error
	err := tc.send("app@example.org", []string{"gone@example.org"}, "Subject: x\r\n\r\nx\r\n")
	if !errors.As(err, &se) || se.Code != 550 || se.EnhancedCode != (smtp.EnhancedCode{5, 1, 1}) || se.Message != "No such user here" {
		t.Fatalf("to gone@: %v, want 550 5.1.1 No such user here", err)
	}
	tc.mustSend(t, "app@example.org", []string{"bob@example.org"}, "Subject: to bob\r\n\r\nx\r\n")

	b.Do(chromedp.Click(chromedp.CSS(".fault-list button")), chromedp.WaitNotPresent(chromedp.CSS(".fault-list")))
	tc.mustSend(t, "app@example.org", []string{"gone@example.org"}, "Subject: x\r\n\r\nx\r\n")
}

// TestPageHostileMail: the hostile corpus, sent over SMTP and opened in
// the page, runs no script, reaches no other host and reads no cookie.
func TestPageHostileMail(t *testing.T) {
	tc := newTestCatcher(t)
	b := browsertest.New(t, tc.web.URL)
	browsertest.CheckHostile(t, b, browsertest.HostileApp{
		Origin: tc.web.URL,
		Deliver: func(t testing.TB, m browsertest.Hostile) {
			tc.mustSend(t, "attacker@example.org", []string{"victim@example.org"}, string(m.Raw))
		},
		Open: func(t testing.TB, b *browsertest.Browser, m browsertest.Hostile) {
			e := tc.newest(t, "hostile "+m.Name+" ")
			b.Do(chromedp.Navigate(tc.web.URL+"/messages/"+strconv.Itoa(int(e.ID))), chromedp.WaitVisible(chromedp.CSS("#subject")))
		},
	})
}

// TestPageInlineImages: an image that the HTML refers to by cid: shows in
// the frame, a remote one is blocked and the page says so. The page, with
// a few messages of the kinds applications send, is the screenshot of the
// README.
func TestPageInlineImages(t *testing.T) {
	tc := newTestCatcher(t)
	for _, m := range []struct{ from, to, subject string }{
		{"Acme Accounts <accounts@acme.example>", "ann@example.org", "Confirm your e-mail address"},
		{"Acme Security <security@acme.example>", "bob@example.org", "Your password reset code: 482 913"},
		{"Acme Billing <billing@acme.example>", "carol@example.org", "Invoice INV-2024-0117 (PDF attached)"},
	} {
		tc.mustSend(t, "noreply@acme.example", []string{m.to}, "From: "+m.from+"\r\nTo: "+m.to+"\r\nSubject: "+m.subject+"\r\n\r\nHello.\r\n")
	}
	tc.mustSend(t, "shop@acme.example", []string{"dave@example.org"}, orderShipped())
	m := tc.newest(t, "Your order")
	b := browsertest.New(t, tc.web.URL)
	b.Do(chromedp.Navigate(tc.web.URL+"/messages/"+strconv.Itoa(int(m.ID))), chromedp.WaitVisible(chromedp.CSS("#html-body")))
	if got := browsertest.Run(b, chromedp.Text(chromedp.CSS(".view .notice"))); got != "1 remote resource is blocked." {
		t.Errorf("notice %q", got)
	}
	if got := b.FrameText("#html-body", "h1"); got != "Your order #1042 has shipped" {
		t.Errorf("frame heading %q", got)
	}
	if w := b.FrameJS("#html-body", "#logo", "naturalWidth"); w != "160" {
		t.Errorf("inline logo: naturalWidth %s, want 160", w)
	}
	if w := b.FrameJS("#html-body", "#tracker", "naturalWidth"); w != "0" {
		t.Errorf("remote image: naturalWidth %s, want 0 (blocked)", w)
	}
	b.Screenshot("mailcatcher")
}

// orderShipped is an HTML message with an inline logo and a tracking
// pixel from a remote host.
func orderShipped() string {
	img := image.NewRGBA(image.Rect(0, 0, 160, 40))
	for x := range 160 {
		for y := range 40 {
			img.Set(x, y, color.RGBA{R: 29, G: 78, B: uint8(216 - x/4), A: 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		panic(err)
	}
	html := `<div style="font-family:sans-serif;max-width:560px;margin:auto;color:#1b1f24">` +
		`<img id="logo" src="cid:logo@acme.example" alt="Acme" width="160" height="40">` +
		`<h1 style="font-size:22px">Your order #1042 has shipped</h1>` +
		`<p>Hello Dave, your parcel is on its way and should arrive on <b>Thursday</b>.</p>` +
		`<table style="border-collapse:collapse;width:100%"><tr><td style="padding:6px;border-bottom:1px solid #ddd">USB-C cable, 2 m</td><td style="text-align:right">2 × 9.90 €</td></tr>` +
		`<tr><td style="padding:6px;border-bottom:1px solid #ddd">Travel charger 65 W</td><td style="text-align:right">34.00 €</td></tr>` +
		`<tr><td style="padding:6px"><b>Total</b></td><td style="text-align:right"><b>53.80 €</b></td></tr></table>` +
		`<p><a href="https://acme.example/track/1042" style="display:inline-block;background:#1d4ed8;color:#fff;padding:8px 14px;border-radius:6px;text-decoration:none">Track your parcel</a></p>` +
		`<img id="tracker" src="https://tracker.acme.example/open.gif" width="1" height="1" alt=""></div>`
	return "From: Acme Shop <shop@acme.example>\r\nTo: Dave <dave@example.org>\r\nSubject: Your order #1042 has shipped\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: multipart/related; boundary=\"rel\"\r\n\r\n" +
		"--rel\r\nContent-Type: multipart/alternative; boundary=\"alt\"\r\n\r\n" +
		"--alt\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nYour order #1042 has shipped.\r\n" +
		"--alt\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n" + base64Lines([]byte(html)) +
		"--alt--\r\n" +
		"--rel\r\nContent-Type: image/png\r\nContent-ID: <logo@acme.example>\r\nContent-Transfer-Encoding: base64\r\n\r\n" + base64Lines(buf.Bytes()) +
		"--rel--\r\n"
}

// base64Lines encodes b in lines of 76 characters (RFC 2045 6.8).
func base64Lines(b []byte) string {
	s := base64.StdEncoding.EncodeToString(b)
	var out strings.Builder
	for len(s) > 76 {
		out.WriteString(s[:76] + "\r\n")
		s = s[76:]
	}
	return out.String() + s + "\r\n"
}
