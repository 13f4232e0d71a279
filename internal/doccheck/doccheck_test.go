package doccheck

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func write(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestMarkdownCode(t *testing.T) {
	md := write(t, "README.md", "# T\n\n## A\n\ntext\n\n```sh\nls\n```\n\n```go\nx := 1\n\ty()\n```\n\n## B\n\n```go\nz\n```\n")
	if got, err := MarkdownCode(md, "## A"); err != nil || got != "x := 1\n\ty()\n" {
		t.Errorf("## A: %q, %v", got, err)
	}
	if got, err := MarkdownCode(md, "## B"); err != nil || got != "z\n" {
		t.Errorf("## B: %q, %v", got, err)
	}
	if _, err := MarkdownCode(md, "## C"); err == nil {
		t.Error("a missing heading is no error")
	}
	short := write(t, "short.md", "## A\n\n## B\n```go\nz\n```\n")
	if _, err := MarkdownCode(short, "## A"); err == nil {
		t.Error("a section without code took the next section's")
	}
}

func TestDocCodeAndFuncBody(t *testing.T) {
	src := write(t, "doc.go", "// Package p does it:\n//\n//\tx := 1\n//\tif x > 0 {\n//\t\tf()\n//\t}\n//\n// More.\n//\n//\ty()\n//\n// A log line is no code:\n//\n//\tlevel=WARN msg=\"login failed\" proto=pop3\npackage p\n\nfunc Example() {\n\tx := 1\n\tif x > 0 {\n\t\tf()\n\t}\n}\n")
	blocks, err := DocCode(src)
	if err != nil || len(blocks) != 2 || blocks[0] != "x := 1\nif x > 0 {\n\tf()\n}\n" || blocks[1] != "y()\n" {
		t.Fatalf("DocCode: %q, %v", blocks, err)
	}
	body, err := FuncBody(src, "Example")
	if err != nil || body != blocks[0] {
		t.Fatalf("FuncBody: %q, %v", body, err)
	}
	if _, err := FuncBody(src, "Missing"); err == nil {
		t.Error("a missing function is no error")
	}
}

func TestFirstDifference(t *testing.T) {
	for _, tc := range []struct{ got, want, diff string }{
		{"a\nb\n", "a\nb\n", ""},
		{"a\nc\n", "a\nb\n", `line 2: "c", want "b"`},
		{"a\n", "a\nb", `line 2: "", want "b"`},
		{"a\nb\nc", "a\nb", `line 3: extra "c"`},
	} {
		if d := FirstDifference(tc.got, tc.want); d != tc.diff {
			t.Errorf("FirstDifference(%q, %q) = %q, want %q", tc.got, tc.want, d, tc.diff)
		}
	}
}

// FuzzMarkdownCode: any text and heading give a block that is in the
// text, or none; never a panic.
func FuzzMarkdownCode(f *testing.F) {
	f.Add("## A\n```go\nx\n```\n", "## A")
	f.Add("## A\n## B\n```go\nx\n```\n", "## A")
	f.Add("## A\n```go\nx", "## A")
	f.Fuzz(func(t *testing.T, text, heading string) {
		code, ok := markdownCode(text, heading)
		if ok && !strings.Contains(text, code) {
			t.Fatalf("block %q is not in the text", code)
		}
		FirstDifference(code, text)
	})
}
