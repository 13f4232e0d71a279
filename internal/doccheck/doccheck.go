// Package doccheck keeps the code that documentation shows compiling: it
// extracts the code of a README section, of a package doc comment and of
// an Example function, so that a test can check that the text a reader
// copies is the text go test compiles.
package doccheck

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"strings"
)

// MarkdownCode returns the first ```go block after the line heading
// (e.g. "## A server in a few lines") of a Markdown file, without its
// fences.
func MarkdownCode(file, heading string) (string, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return "", err
	}
	code, ok := markdownCode(string(data), heading)
	if !ok {
		return "", fmt.Errorf("%s: no complete go code block under %q", file, heading)
	}
	return code, nil
}

func markdownCode(text, heading string) (string, bool) {
	var b strings.Builder
	state := 0 // 0: looking for the heading, 1: for the fence, 2: in the block
	for _, line := range strings.Split(text, "\n") {
		switch {
		case state == 0 && line == heading:
			state = 1
		case state == 1 && strings.HasPrefix(line, "#"):
			return "", false // the next section
		case state == 1 && line == "```go":
			state = 2
		case state == 2 && line == "```":
			return b.String(), true
		case state == 2:
			b.WriteString(line + "\n")
		}
	}
	return "", false
}

// DocCode returns the Go code blocks (the indented lines that parse as Go
// statements or declarations) of the doc comment of the package clause in
// a Go file, each without its indentation. Other indented blocks, such as
// a log line shown as an example, are left out.
func DocCode(file string) ([]string, error) {
	f, err := parser.ParseFile(token.NewFileSet(), file, nil, parser.ParseComments|parser.PackageClauseOnly)
	if err != nil {
		return nil, err
	}
	if f.Doc == nil {
		return nil, fmt.Errorf("%s: no package doc", file)
	}
	var blocks []string
	var cur strings.Builder
	flush := func() {
		if cur.Len() > 0 && isGo(cur.String()) {
			blocks = append(blocks, cur.String())
			cur.Reset()
		}
	}
	for _, c := range f.Doc.List {
		line := strings.TrimPrefix(strings.TrimPrefix(c.Text, "//"), " ")
		if code, ok := strings.CutPrefix(line, "\t"); ok {
			cur.WriteString(code + "\n")
			continue
		}
		flush()
	}
	flush()
	return blocks, nil
}

// isGo reports whether code parses as the statements of a function body
// or as declarations.
func isGo(code string) bool {
	fset := token.NewFileSet()
	if _, err := parser.ParseFile(fset, "", "package p\nfunc _() {\n"+code+"\n}\n", 0); err == nil {
		return true
	}
	_, err := parser.ParseFile(fset, "", "package p\n"+code, 0)
	return err == nil
}

// FuncBody returns the body of the function name in a Go file, without
// its braces and with one tab of indentation less.
func FuncBody(file, name string) (string, error) {
	src, err := os.ReadFile(file)
	if err != nil {
		return "", err
	}
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, file, src, parser.ParseComments)
	if err != nil {
		return "", err
	}
	for _, d := range f.Decls {
		fd, ok := d.(*ast.FuncDecl)
		if !ok || fd.Name.Name != name || fd.Recv != nil {
			continue
		}
		body := src[fset.Position(fd.Body.Lbrace).Offset+1 : fset.Position(fd.Body.Rbrace).Offset]
		var b strings.Builder
		for _, line := range strings.Split(strings.Trim(string(body), "\n"), "\n") {
			b.WriteString(strings.TrimPrefix(line, "\t") + "\n")
		}
		return b.String(), nil
	}
	return "", fmt.Errorf("%s: no function %s", file, name)
}

// FirstDifference describes where got and want first differ, by line, for
// a test's failure message; "" if they are equal.
func FirstDifference(got, want string) string {
	if got == want {
		return ""
	}
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := 0; ; i++ {
		switch {
		case i >= len(g):
			return fmt.Sprintf("line %d: missing %q", i+1, w[i])
		case i >= len(w):
			return fmt.Sprintf("line %d: extra %q", i+1, g[i])
		case g[i] != w[i]:
			return fmt.Sprintf("line %d: %q, want %q", i+1, g[i], w[i])
		}
	}
}
