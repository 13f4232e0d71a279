package sieve

import (
	"errors"
	"strings"
	"testing"
)

func TestParseErrorPositions(t *testing.T) {
	for _, c := range []struct {
		src       string
		line, col int
		msg       string
	}{
		{"keep", 1, 5, "expected ';' or '{'"},
		{"keep;\nif true {\n  fileinto \"x\"\n}", 4, 1, "expected ';' or '{', found '}'"},
		{"keep;\n  \"unterminated", 2, 3, "end of script inside a quoted string"},
		{"if header :is \"a\" [\"b\" \"c\"] { keep; }", 1, 24, "expected ',' or ']'"},
		{"keep; /* open", 1, 7, "bracket comment"},
		{"if anyof () { keep; }", 1, 11, "expected a test"},
		{"require \"x\";\nkeep; }", 2, 7, "expected a command"},
		{"if size :over 99999999999999999999 {}", 1, 15, "integer limit"},
		{"keep; @", 1, 7, "unexpected character '@'"},
		{"reject text: x\n.\n;", 1, 14, "after 'text:'"},
		{"reject text:\nabc\n", 1, 8, "multi-line string"},
		{strings.Repeat("a", 33) + ";", 1, 1, "longer than 32"},
		{"if " + strings.Repeat("not ", 33) + "true {}", 1, 132, "nested deeper than 32"},
		{strings.Repeat("if true {", 33) + strings.Repeat("}", 33), 1, 297, "nested deeper than 32"},
	} {
		_, err := Parse([]byte(c.src))
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("%q: error %v, want an *Error", c.src, err)
			continue
		}
		if e.Pos.Line != c.line || e.Pos.Column != c.col || !strings.Contains(e.Msg, c.msg) {
			t.Errorf("%q: %v, want line %d column %d with %q", c.src, err, c.line, c.col, c.msg)
		}
	}
}

func TestParseTokens(t *testing.T) {
	nodes, err := Parse([]byte("# comment\r\nfoo :tag 1K 2m 3G 10 \"a\\\"b\\\\c\\d\" [\"x\", \"y\"] /* c */ text: # hash\r\n..dot\r\nline\r\n.\r\n;"))
	if err != nil {
		t.Fatal(err)
	}
	if len(nodes) != 1 || nodes[0].Name != "foo" {
		t.Fatalf("nodes %+v", nodes)
	}
	args := nodes[0].Args
	want := []Arg{
		{Kind: ArgTag, Tag: "tag"},
		{Kind: ArgNumber, Num: 1024},
		{Kind: ArgNumber, Num: 2 << 20},
		{Kind: ArgNumber, Num: 3 << 30},
		{Kind: ArgNumber, Num: 10},
		{Kind: ArgString, Strs: []string{`a"b\cd`}},
		{Kind: ArgStringList, Strs: []string{"x", "y"}},
		{Kind: ArgString, Strs: []string{".dot\r\nline\r\n"}},
	}
	if len(args) != len(want) {
		t.Fatalf("%d arguments, want %d: %+v", len(args), len(want), args)
	}
	for i, w := range want {
		a := args[i]
		if a.Kind != w.Kind || a.Tag != w.Tag || a.Num != w.Num || strings.Join(a.Strs, "|") != strings.Join(w.Strs, "|") {
			t.Errorf("argument %d: %+v, want %+v", i, a, w)
		}
	}
	if p := args[1].Pos; p.Line != 2 || p.Column != 10 {
		t.Errorf("position of 1K: %v, want 2:10", p)
	}
}

func TestParseStructure(t *testing.T) {
	nodes, err := Parse([]byte(`if anyof (header :is "a" "b", not exists "c") { keep; } else { discard; }`))
	if err != nil {
		t.Fatal(err)
	}
	if len(nodes) != 2 {
		t.Fatalf("%d nodes", len(nodes))
	}
	ifn := nodes[0]
	if !ifn.HasBlock || len(ifn.Block) != 1 || ifn.Block[0].Name != "keep" {
		t.Errorf("if block: %+v", ifn.Block)
	}
	any := ifn.Tests[0]
	if any.Name != "anyof" || !any.TestList || len(any.Tests) != 2 || any.Tests[1].Tests[0].Name != "exists" {
		t.Errorf("anyof: %+v", any)
	}
	if nodes[1].Name != "else" || nodes[1].Block[0].Name != "discard" {
		t.Errorf("else: %+v", nodes[1])
	}
}

func TestCompileErrorPositions(t *testing.T) {
	for _, c := range []struct {
		src       string
		line, col int
		msg       string
	}{
		{"require \"fileinto\";\nfileinto :frob \"x\";", 2, 10, "unknown tag :frob"},
		{"keep;\nrequire \"fileinto\";", 2, 1, "require must come before"},
		{"require [\"fileinto\", \"nope\"];", 1, 22, "unknown capability"},
		{"if header :comparator \"i;x\" \"a\" \"b\" {}", 1, 23, "unknown comparator"},
		{"require \"vacation\";\nvacation :from \"bad\" \"x\";", 2, 16, "invalid :from"},
		{"redirect \"nope\";", 1, 10, "invalid redirect address"},
		{"require \"variables\";\nset \"a\" \"${x.y}\";", 2, 9, "namespace"},
		{"require \"variables\";\nset \"a\" \"${99}\";", 2, 9, "out of range"},
		{"require \"editheader\";\ndeleteheader :last \"x\";", 2, 14, ":last requires :index"},
		{"if header \"a\" \"b\" \"c\" {}", 1, 19, "too many arguments"},
	} {
		_, err := Compile([]byte(c.src), nil)
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("%q: error %v, want an *Error", c.src, err)
			continue
		}
		if e.Pos.Line != c.line || e.Pos.Column != c.col || !strings.Contains(e.Msg, c.msg) {
			t.Errorf("%q: %v, want line %d column %d with %q", c.src, err, c.line, c.col, c.msg)
		}
	}
}

func TestCompileExtensionsOption(t *testing.T) {
	opts := &Options{Extensions: []string{"fileinto"}}
	if _, err := Compile([]byte(`require "fileinto"; fileinto "x";`), opts); err != nil {
		t.Errorf("fileinto enabled: %v", err)
	}
	if _, err := Compile([]byte(`require "vacation"; vacation "x";`), opts); err == nil {
		t.Error("vacation is not enabled, yet the script compiled")
	}
	if _, err := Compile([]byte(`require "comparator-i;octet"; keep;`), opts); err != nil {
		t.Errorf("the base comparators are always there: %v", err)
	}
	big := make([]byte, 100)
	for i := range big {
		big[i] = ' '
	}
	if _, err := Compile(big, &Options{Limits: Limits{MaxScriptSize: 50}}); err == nil {
		t.Error("a script over MaxScriptSize compiled")
	}
}

func TestEncodedCharacter(t *testing.T) {
	c := &compiler{opts: &Options{}, requires: map[string]bool{"encoded-character": true}, vars: map[string]bool{}}
	for in, want := range map[string]string{
		"${hex:41 42}":         "AB",
		"${HEX: 41\r\n 42 }":   "AB",
		"x${unicode:263a}y":    "x\u263ay",
		"${unicode:41 1F600}":  "A\U0001F600",
		"${hex:414}":           "${hex:414}",
		"${hex:}":              "${hex:}",
		"${hex:zz}${hex:43}":   "${hex:zz}C",
		"${other:41}":          "${other:41}",
		"$${hex:24}{x}":        "$${x}",
		"${hex:41":             "${hex:41",
		"no encoding":          "no encoding",
		"${unicode:000000041}": "${unicode:000000041}",
	} {
		got, err := c.literal(in, Pos{})
		if err != nil || got != want {
			t.Errorf("%q: %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := c.literal("${unicode:D800}", Pos{}); err == nil {
		t.Error("a surrogate was accepted")
	}
}
