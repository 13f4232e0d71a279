// Package browsertest runs a headless Chromium for the tests of mailwright's
// web front ends (the mail catcher's page, the webmail), driven with
// github.com/chromedp/chromedp, and checks that hostile mail cannot act in
// the application's origin.
//
// A test starts a browser with the origin of the application it serves on
// loopback; the browser is closed when the test ends:
//
//	app := httptest.NewServer(handler)
//	b := browsertest.New(t, app.URL)
//	b.Do(chromedp.Navigate(app.URL+"/"), chromedp.WaitVisible(chromedp.CSS("#list")))
//	title := browsertest.Run(b, chromedp.Title())
//	b.Navigating(chromedp.Click(chromedp.CSS("form button"))) // a click that loads a page
//	text := b.FrameText("#html-body", "h1")                   // the DOM inside a (sandboxed) frame
//	name, data := b.Download(".files a")                      // a file, as the browser saved it
//	b.Screenshot("inbox")                                     // to $MAILWRIGHT_SCREENSHOTS/inbox.png
//
// Every browser is guarded for the whole test: each request of every tab
// and frame is intercepted (the DevTools Fetch domain, at the browser
// level), and one for any origin other than those allowed is refused and
// fails the test; the page function mailwrightScriptRan (ScriptMarker),
// which the scripts of the hostile messages call, fails the test when
// called. CheckHostile runs the corpus of hostile messages (HostileMail)
// through an application:
//
//	browsertest.CheckHostile(t, b, browsertest.HostileApp{
//		Origin:  app.URL,
//		Deliver: func(t testing.TB, m browsertest.Hostile) { /* send m.Raw to the user */ },
//		Open:    func(t testing.TB, b *browsertest.Browser, m browsertest.Hostile) { /* show it */ },
//	})
//
// Frames run in the page's process (see browserFlags), so that DevTools
// sees their DOM and their scripts; host names other than localhost do not
// resolve. The test skips, naming the package to install, where Chromium
// is absent.
package browsertest

import (
	"context"
	"fmt"
	"iter"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// Bounds of the browser's work, so that a broken page fails a test instead
// of hanging it.
const (
	startTimeout  = 60 * time.Second
	actionTimeout = 30 * time.Second
)

// ScriptMarker is the page function that the scripts of hostile messages
// call: a call means a script ran, and fails the test.
const ScriptMarker = "mailwrightScriptRan"

// ScreenshotsEnv names the environment variable with the directory that
// Screenshot writes to; unset, Screenshot writes nothing.
const ScreenshotsEnv = "MAILWRIGHT_SCREENSHOTS"

// Browser is a headless Chromium with one tab, for one test. Its methods
// fail the test it was made for; a subtest uses For(t).
type Browser struct {
	t testing.TB
	*tab
}

// tab is what the Browsers of one test and its subtests share.
type tab struct {
	ctx context.Context // the tab's chromedp context

	mu       sync.Mutex
	allowed  map[string]bool // origins, "http://127.0.0.1:8025"
	findings []string
}

// For returns the browser with t as the test that its methods fail: in a
// subtest, b.For(t), since a test may only be failed fatally from its own
// goroutine.
func (b *Browser) For(t testing.TB) *Browser { return &Browser{t: t, tab: b.tab} }

// New starts Chromium with a fresh profile and opens a tab that may load
// from the allowed origins ("http://127.0.0.1:port", as httptest.Server.URL
// gives them); it is closed when the test ends, and the test fails if the
// guard found anything that it did not hand out (Findings). New skips the
// test where Chromium is not installed.
func New(t testing.TB, allowed ...string) *Browser {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("browsertest: chromium is not installed (apt-get install chromium; .ci/run does): browser tests not run")
	}
	b := &Browser{t: t, tab: &tab{allowed: map[string]bool{}}}
	for _, o := range allowed {
		b.Allow(o)
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), browserFlags(path, t.TempDir())...)
	ctx, cancelTab := chromedp.NewContext(alloc, chromedp.WithLogf(t.Logf), chromedp.WithErrorf(t.Logf))
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc()
		for _, f := range b.Findings() {
			t.Errorf("browsertest: %s", f)
		}
	})
	b.ctx = ctx
	b.start()
	return b
}

// browserFlags are the options of Chromium that work here: headless, as
// root in a container (no sandbox, no GPU), quiet (no first-run, sync,
// component or background traffic, no QUIC), and with the frames of a
// page in the page's process. Chrome puts a sandboxed or cross-site
// iframe in a process of its own, where the page's DevTools session does
// not see its DOM or its scripts; the web's security rules (origins,
// sandbox, Content-Security-Policy) are the same either way, and those are
// what the tests check. Host names other than localhost do not resolve, so
// that no test reaches the network.
func browserFlags(path, profile string) []chromedp.ExecAllocatorOption {
	return []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.UserDataDir(profile),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-features", "IsolateSandboxedIframes,SitePerProcess,IsolateOrigins"),
		chromedp.Flag("disable-site-isolation-trials", true),
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1, EXCLUDE [::1]"),
		chromedp.WindowSize(1280, 800),
	}
}

// start runs the browser, exposes ScriptMarker and turns on the guard of
// requests.
func (b *Browser) start() {
	t := b.t
	t.Helper()
	done := make(chan error, 1)
	go func() {
		// The first action binds the browser's life to its context: this
		// one has no deadline, and the timer below bounds it instead.
		done <- chromedp.Do(b.ctx,
			chromedp.EmulateViewport(1280, 800),
			chromedp.ExposeFunc(ScriptMarker, func(_ context.Context, name string) (bool, error) {
				b.find("a script ran: %q", name)
				return true, nil
			}),
		)
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("browsertest: starting chromium: %v", err)
		}
	case <-time.After(startTimeout):
		chromedp.Cancel(b.ctx)
		t.Fatalf("browsertest: chromium did not start in %v", startTimeout)
	}
	// Subscribe before enabling, so that no request goes unseen.
	paused := chromedp.BrowserEvents(b.ctx, fetch.RequestPaused)
	go b.guard(paused)
	if _, err := chromedp.CallBrowser(b.ctx, fetch.Enable, fetch.EnableParams{}); err != nil {
		t.Fatalf("browsertest: intercepting requests: %v", err)
	}
}

// guard lets requests for the allowed origins through and refuses the
// others, as findings.
func (b *Browser) guard(paused iter.Seq2[fetch.EventRequestPaused, error]) {
	for ev, err := range paused {
		if err != nil {
			return
		}
		if b.isAllowed(ev.Request.URL) {
			chromedp.CallBrowser(b.ctx, fetch.ContinueRequest, fetch.ContinueRequestParams{RequestID: ev.RequestID})
			continue
		}
		b.find("a request left for a foreign origin: %s %s (%s)", ev.Request.Method, ev.Request.URL, ev.ResourceType)
		chromedp.CallBrowser(b.ctx, fetch.FailRequest, fetch.FailRequestParams{RequestID: ev.RequestID, ErrorReason: network.ErrorReasonBlockedByClient})
	}
}

// Allow adds an origin that the browser may load from.
func (b *Browser) Allow(origin string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.allowed[strings.TrimSuffix(origin, "/")] = true
}

func (b *Browser) isAllowed(rawURL string) bool {
	u, err := url.Parse(rawURL)
	if err != nil {
		return false
	}
	if u.Scheme == "data" || u.Scheme == "blob" || u.Scheme == "about" {
		return true // content the page holds, not a request
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.allowed[u.Scheme+"://"+u.Host]
}

// find records a finding.
func (b *Browser) find(format string, args ...any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.findings = append(b.findings, fmt.Sprintf(format, args...))
}

// Findings returns and forgets what the guard found: scripts that called
// ScriptMarker, and requests for origins not allowed. Those not taken
// fail the test when it ends.
func (b *Browser) Findings() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	f := b.findings
	b.findings = nil
	return f
}

// Context returns the tab's context, for chromedp.Do and chromedp.Run with
// a deadline of the caller's choosing.
func (b *Browser) Context() context.Context { return b.ctx }

// Do runs the actions in the tab, within actionTimeout, and fails the test
// on an error.
func (b *Browser) Do(actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, actionTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.t.Fatalf("browsertest: %v", err)
	}
}

// Run runs an action that returns a value in the tab, within
// actionTimeout, and fails the test on an error.
func Run[T any](b *Browser, action chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, actionTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, action)
	if err != nil {
		b.t.Fatalf("browsertest: %v", err)
	}
	return v
}

// Screenshot writes the tab's viewport as name.png to the directory that
// MAILWRIGHT_SCREENSHOTS names, and does nothing when it is not set: tests
// write nothing into the repository unless asked.
func (b *Browser) Screenshot(name string) {
	b.t.Helper()
	dir := os.Getenv(ScreenshotsEnv)
	if dir == "" {
		return
	}
	png := Run(b, chromedp.CaptureScreenshot())
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// call sends a protocol command to the tab, within actionTimeout.
func call[P, R any](b *Browser, cmd cdp.Command[P, R], params P) (R, error) {
	ctx, cancel := context.WithTimeout(b.ctx, actionTimeout)
	defer cancel()
	return chromedp.Call(ctx, cmd, params)
}
