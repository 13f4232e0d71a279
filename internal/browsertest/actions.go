package browsertest

import (
	"context"
	"os"
	"path/filepath"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// Download clicks the element that matches the CSS selector sel (a link
// to a file), lets the browser save what it downloads, and returns the
// file's bytes with the name the browser suggested: what a user who saves
// an attachment gets.
func (b *Browser) Download(sel string) (name string, data []byte) {
	b.t.Helper()
	dir := b.t.TempDir()
	yes := true
	if _, err := chromedp.CallBrowser(b.ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior: browser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: dir, EventsEnabled: &yes,
	}); err != nil {
		b.t.Fatalf("browsertest: download behavior: %v", err)
	}
	ctx, cancel := context.WithTimeout(b.ctx, actionTimeout)
	defer cancel()
	// Subscribe before the click, so that no event is missed.
	begin := chromedp.BrowserEvents(ctx, browser.DownloadWillBegin)
	progress := chromedp.BrowserEvents(ctx, browser.DownloadProgress)
	b.Do(chromedp.Click(chromedp.CSS(sel)))
	var guid string
	for ev, err := range begin {
		if err != nil {
			b.t.Fatalf("browsertest: no download began: %v", err)
		}
		guid, name = ev.GUID, ev.SuggestedFilename
		break
	}
	for ev, err := range progress {
		if err != nil {
			b.t.Fatalf("browsertest: download %s not completed: %v", name, err)
		}
		if ev.GUID != guid {
			continue
		}
		if ev.State == browser.DownloadProgressStateCanceled {
			b.t.Fatalf("browsertest: download %s canceled", name)
		}
		if ev.State == browser.DownloadProgressStateCompleted {
			break
		}
	}
	data, err := os.ReadFile(filepath.Join(dir, guid))
	if err != nil {
		b.t.Fatalf("browsertest: reading the download: %v", err)
	}
	return name, data
}

// AcceptDialogs accepts every JavaScript dialog (confirm, alert) that the
// tab opens from now on, as a user who clicks OK; a dialog would otherwise
// block the page and the action that opened it.
func (b *Browser) AcceptDialogs() {
	dialogs := chromedp.Events(b.ctx, page.JavascriptDialogOpening)
	go func() {
		for _, err := range dialogs {
			if err != nil {
				return
			}
			chromedp.Call(b.ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true})
		}
	}()
}

// Navigating runs the actions, which make the tab load another page (a
// click on a link or on a form's button), and waits until it has loaded.
func (b *Browser) Navigating(actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	Run(b, chromedp.WaitEvent(page.LoadEventFired, nil, chromedp.Steps(actions...)))
}

// Press presses and releases the key of a printable character as a
// keyboard does: the key-down event carries the text, so that a page that
// cancels the key-down gets no text either (chromedp.KeyEvent sends the
// text in an event of its own, which no handler can cancel).
func (b *Browser) Press(key rune) {
	b.t.Helper()
	b.Do(chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		for _, typ := range []input.DispatchKeyEventType{input.DispatchKeyEventTypeKeyDown, input.DispatchKeyEventTypeKeyUp} {
			p := input.DispatchKeyEventParams{Type: typ, Key: string(key)}
			if typ == input.DispatchKeyEventTypeKeyDown {
				p.Text, p.UnmodifiedText = string(key), string(key)
			}
			if _, err := cdp.Call(ctx, t, input.DispatchKeyEvent, p); err != nil {
				return err
			}
		}
		return nil
	}))
}
