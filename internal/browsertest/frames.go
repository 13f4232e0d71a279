package browsertest

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// childFrames returns the frames of the tab other than the top one, at any
// depth.
func (b *Browser) childFrames() ([]*cdp.Frame, error) {
	tree, err := call(b, page.GetFrameTree, cdp.Empty{})
	if err != nil {
		return nil, err
	}
	var frames []*cdp.Frame
	var walk func(ts []*page.FrameTree)
	walk = func(ts []*page.FrameTree) {
		for _, ft := range ts {
			frames = append(frames, ft.Frame)
			walk(ft.ChildFrames)
		}
	}
	walk(tree.FrameTree.ChildFrames)
	return frames, nil
}

// topFrame returns the tab's top frame.
func (b *Browser) topFrame() (*cdp.Frame, error) {
	tree, err := call(b, page.GetFrameTree, cdp.Empty{})
	if err != nil {
		return nil, err
	}
	return tree.FrameTree.Frame, nil
}

// evalInFrame evaluates a JavaScript expression that returns a string in a
// new isolated world of the frame: a world that DevTools makes, which
// sees the frame's DOM and has its origin, and runs where the frame's own
// scripts may not (a sandbox without allow-scripts).
func (b *Browser) evalInFrame(frame cdp.FrameID, expr string) (string, error) {
	world, err := call(b, page.CreateIsolatedWorld, page.CreateIsolatedWorldParams{FrameID: frame, WorldName: "browsertest"})
	if err != nil {
		return "", err
	}
	yes := true
	res, err := call(b, runtime.Evaluate, runtime.EvaluateParams{Expression: expr, ContextID: world.ExecutionContextID, ReturnByValue: &yes})
	if err != nil {
		return "", err
	}
	if res.ExceptionDetails != nil {
		return "", fmt.Errorf("%s: %s", expr, res.ExceptionDetails.Text)
	}
	var s string
	if err := json.Unmarshal(res.Result.Value, &s); err != nil {
		return "", fmt.Errorf("%s: %w", expr, err)
	}
	return s, nil
}

// WaitFrames waits until the document of every frame of the tab has
// loaded (document.readyState "complete"), and fails the test if they do
// not within actionTimeout.
func (b *Browser) WaitFrames() {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, actionTimeout)
	defer cancel()
	for {
		frames, err := b.childFrames()
		loaded := err == nil
		for _, f := range frames {
			if state, err := b.evalInFrame(f.ID, "document.readyState"); err != nil || state != "complete" {
				loaded = false // or navigating: the world went with the document
			}
		}
		if loaded {
			return
		}
		select {
		case <-ctx.Done():
			b.t.Fatalf("browsertest: frames not loaded after %v", actionTimeout)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// frameDocument returns the document node of the iframe element that
// matches the CSS selector frame.
func (b *Browser) frameDocument(frame string) *chromedp.Node {
	b.t.Helper()
	nodes := Run(b, chromedp.Nodes(chromedp.CSS(frame), chromedp.Populate(-1, true)))
	if nodes[0].ContentDocument == nil {
		b.t.Fatalf("browsertest: %s has no document that this tab can reach", frame)
	}
	return nodes[0].ContentDocument
}

// FrameText returns the text of the first element that matches the CSS
// selector sel in the document of the iframe that matches frame, waiting
// for it. The frame's origin does not matter: DevTools reads any frame of
// the tab.
func (b *Browser) FrameText(frame, sel string) string {
	b.t.Helper()
	b.WaitFrames()
	return Run(b, chromedp.Text(chromedp.CSS(sel), chromedp.FromNode(b.frameDocument(frame))))
}

// clickAll clicks, as a user would (mouse events), every element that
// matches the CSS selector sel in the tab's page and in the documents of
// its iframes.
func (b *Browser) clickAll(sel string) {
	b.t.Helper()
	nodes := Run(b, chromedp.Nodes(chromedp.CSSAll(sel), chromedp.AtLeast(0)))
	frames := Run(b, chromedp.Nodes(chromedp.CSSAll("iframe"), chromedp.Populate(-1, true), chromedp.AtLeast(0)))
	for _, f := range frames {
		if f.ContentDocument != nil {
			nodes = append(nodes, Run(b, chromedp.Nodes(chromedp.CSSAll(sel), chromedp.FromNode(f.ContentDocument), chromedp.AtLeast(0)))...)
		}
	}
	for _, n := range nodes {
		ctx, cancel := context.WithTimeout(b.ctx, actionTimeout)
		// An element the sanitizer emptied may have no box to click.
		chromedp.Do(ctx, chromedp.MouseClickNode(n))
		cancel()
	}
}

// FrameJS returns a JavaScript property of the first element that matches
// the CSS selector sel in the document of the iframe that matches frame,
// as JSON (an image's "naturalWidth" is 0 when it did not load).
func (b *Browser) FrameJS(frame, sel, property string) string {
	b.t.Helper()
	b.WaitFrames()
	v := Run(b, chromedp.JavascriptAttribute[[]byte](chromedp.CSS(sel), property, chromedp.FromNode(b.frameDocument(frame))))
	return string(v)
}
