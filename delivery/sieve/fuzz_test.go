package sieve

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// fuzzSeeds adds the corpus scripts (and, for FuzzEvaluate, messages).
func fuzzSeeds(f *testing.F, add func(script []byte)) {
	for _, dir := range []string{"scripts", "invalid", "include/personal", "include/global"} {
		files, _ := filepath.Glob(filepath.Join("testdata", "pigeonhole", dir, "*.sieve"))
		for _, file := range files {
			if b, err := os.ReadFile(file); err == nil {
				add(b)
			}
		}
	}
	for _, s := range []string{"", "keep;", "if true {", "text:\r\n.\r\n", `"\`, "${hex:41}", "[\"a\",", "/*", "#"} {
		add([]byte(s))
	}
}

func FuzzParse(f *testing.F) {
	fuzzSeeds(f, func(b []byte) { f.Add(b) })
	f.Fuzz(func(t *testing.T, src []byte) {
		nodes, err := Parse(src)
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("error %T %v is not an *Error", err, err)
			}
			return
		}
		var walk func(ns []*Node, depth int)
		walk = func(ns []*Node, depth int) {
			if depth > maxBlockNesting+maxTestNesting+1 {
				t.Fatalf("nesting %d past the limits", depth)
			}
			for _, n := range ns {
				if len(n.Args) > maxArguments {
					t.Fatalf("%d arguments", len(n.Args))
				}
				walk(n.Tests, depth+1)
				walk(n.Block, depth+1)
			}
		}
		walk(nodes, 0)
	})
}

// FuzzEvaluate compiles a fuzzed script with tight limits and runs it on
// a fuzzed message: it must not panic, and must end within its limits.
func FuzzEvaluate(f *testing.F) {
	msgs, _ := filepath.Glob(filepath.Join("testdata", "pigeonhole", "messages", "*.eml"))
	var msgData [][]byte
	for _, m := range msgs {
		if b, err := os.ReadFile(m); err == nil {
			msgData = append(msgData, []byte(toCRLF(string(b))))
		}
	}
	i := 0
	fuzzSeeds(f, func(b []byte) {
		f.Add(b, msgData[i%len(msgData)])
		i++
	})
	opts := &Options{Limits: Limits{
		MaxScriptSize: 64 << 10, MaxSteps: 2000, MaxVariables: 32, MaxVariableSize: 256,
		MaxActions: 16, MaxRedirects: 2, MaxIncludeDepth: 3, MaxIncludes: 8,
		MaxBodySize: 16 << 10, MaxHeaderSize: 16 << 10, MaxHeaderValue: 256, MaxMIMEParts: 16,
	}}
	f.Fuzz(func(t *testing.T, src, msg []byte) {
		s, err := Compile(src, opts)
		if err != nil {
			return
		}
		m, err := ReadMessage(bytes.NewReader(msg), int64(len(msg)), opts.Limits.MaxHeaderSize)
		if err != nil {
			t.Fatal(err)
		}
		now := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
		in := &Input{
			Message: m, Envelope: Envelope{From: "a@example.org", To: "user+x@example.com"},
			Now: now, Location: time.UTC, Mailboxes: mailboxSet{"INBOX", "Work"},
			Duplicates: &fakeTracker{now: &now, seen: map[string]time.Time{}},
			// Every include gets the script itself: loops and depth.
			Scripts: ScriptLoaderFunc(func(ctx context.Context, name string, global bool) ([]byte, error) { return src, nil }),
		}
		res, err := s.Run(context.Background(), in)
		if err != nil {
			if _, ok := err.(*RuntimeError); !ok {
				t.Fatalf("error %T %v is not a *RuntimeError", err, err)
			}
			return
		}
		if len(res.Actions) > opts.Limits.MaxActions {
			t.Fatalf("%d actions", len(res.Actions))
		}
		for _, a := range res.Actions {
			if v, ok := a.(*Vacation); ok {
				rs := &Responder{}
				if ok, from, _, _ := rs.Decide(context.Background(), v, m, in.Envelope); ok {
					rs.Compose(v, m, in.Envelope, from, now)
				}
			}
			if n, ok := a.(*Notify); ok {
				if _, err := ParseMailto(n.Method); err != nil {
					t.Fatalf("notify with an invalid method %q: %v", n.Method, err)
				}
			}
		}
	})
}
