package browsertest

import (
	"crypto/rand"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
)

// HostileApp is an application under the hostile-mail check: how to put a
// message where it shows mail, and how to show it.
type HostileApp struct {
	// Origin is the application's origin, "http://127.0.0.1:port". The
	// check sets a cookie on it that the application's own pages can read
	// (not HttpOnly), and no message may.
	Origin string
	// Deliver puts the message where the application shows it (sends it
	// over SMTP, appends it to a mailbox).
	Deliver func(t testing.TB, m Hostile)
	// Open makes the browser show the message with its content rendered
	// (the page that frames its HTML) and returns once the page loaded.
	// b fails t.
	Open func(t testing.TB, b *Browser, m Hostile)
}

// settle is how long a shown message is watched after its frames loaded:
// a refresh or a timer acts after the load event, and no event says that
// nothing more will happen. It only waits; no test compares a duration.
const settle = 500 * time.Millisecond

// CheckHostile runs every message of the corpus (HostileMail) through the
// application, one subtest each: Deliver, Open, click what a reader would
// click (ClickClass), watch. A subtest fails if a script ran, if a request
// left for an origin other than the application's (or anything reached the
// foreign host), or if a frame could read the application's cookie.
func CheckHostile(t *testing.T, b *Browser, app HostileApp) {
	foreign := NewForeign(t)
	secret := setSecretCookie(t, b, app.Origin)
	for _, m := range HostileMail(foreign.URL) {
		t.Run(m.Name, func(t *testing.T) {
			for _, f := range checkOne(t, b.For(t), app, foreign, secret, m) {
				t.Errorf("%s (%s): %s", m.Name, m.Attack, f)
			}
		})
	}
}

// checkOne shows one message and returns what it managed to do.
func checkOne(t testing.TB, b *Browser, app HostileApp, foreign *Foreign, secret string, m Hostile) []string {
	t.Helper()
	app.Deliver(t, m)
	app.Open(t, b, m)
	b.WaitFrames()
	b.clickAll("." + ClickClass)
	time.Sleep(settle)
	findings := b.Findings()
	for _, h := range foreign.Hits() {
		findings = append(findings, "the foreign host got a "+h)
	}
	return append(findings, b.cookieFindings(secret)...)
}

// secretCookie is the name of the cookie that CheckHostile sets.
const secretCookie = "mailwright_secret"

// setSecretCookie sets a cookie with a random value on the origin, as a
// session cookie that scripts may read, and returns the value.
func setSecretCookie(t testing.TB, b *Browser, origin string) string {
	t.Helper()
	secret := rand.Text()
	no := false
	if _, err := call(b, network.SetCookie, network.SetCookieParams{Name: secretCookie, Value: secret, URL: origin + "/", HTTPOnly: &no}); err != nil {
		t.Fatalf("browsertest: setting the cookie: %v", err)
	}
	return secret
}

// cookieExpr returns document.cookie, or the name of the error that
// reading it throws (a SecurityError in a frame with an opaque origin).
const cookieExpr = `(() => { try { return document.cookie } catch (e) { return "(" + e.name + ")" } })()`

// cookieFindings reads the cookies in every frame of the tab: the secret
// must be readable in the top frame (the application's page, or the check
// proves nothing) and in no other.
func (b *Browser) cookieFindings(secret string) []string {
	b.t.Helper()
	top, err := b.topFrame()
	if err != nil {
		return []string{"reading the top frame: " + err.Error()}
	}
	if c, err := b.evalInFrame(top.ID, cookieExpr); err != nil || !strings.Contains(c, secret) {
		return []string{"the application's page at " + top.URL + " cannot read the cookie of the check (" + c + "): it proves nothing"}
	}
	frames, err := b.childFrames()
	if err != nil {
		return []string{"listing the frames: " + err.Error()}
	}
	var findings []string
	for _, f := range frames {
		c, err := b.evalInFrame(f.ID, cookieExpr)
		switch {
		case err != nil:
			findings = append(findings, "reading the cookies of the frame "+f.URL+": "+err.Error())
		case strings.Contains(c, secret):
			findings = append(findings, "the frame "+f.URL+" can read the application's cookie")
		}
	}
	return findings
}
