package msgauth

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
)

// RFC 6376 3.4.5: the canonicalization examples.
func TestCanonicalizationRFCExample(t *testing.T) {
	const header = "A: X\r\nB : Y\t\r\n\tZ  \r\n"
	const body = " C \r\nD \t E\r\n\r\n\r\n"
	h, err := ReadHeader(bufioReader(header+"\r\n"), 0)
	if err != nil {
		t.Fatal(err)
	}
	var relaxed, simple []byte
	for _, f := range h {
		relaxed = AppendHeader(relaxed, Relaxed, f.Raw)
		simple = AppendHeader(simple, Simple, f.Raw)
	}
	if string(relaxed) != "a:X\r\nb:Y Z\r\n" {
		t.Errorf("relaxed header %q", relaxed)
	}
	if string(simple) != header {
		t.Errorf("simple header %q", simple)
	}
	if got := canonBody(Relaxed, body); got != " C\r\nD E\r\n" {
		t.Errorf("relaxed body %q", got)
	}
	if got := canonBody(Simple, body); got != " C \r\nD \t E\r\n" {
		t.Errorf("simple body %q", got)
	}
}

func TestBodyCanonicalization(t *testing.T) {
	tests := []struct{ in, simple, relaxed string }{
		{"", "\r\n", ""}, // RFC 6376 3.4.3 and 3.4.4
		{"\r\n\r\n", "\r\n", ""},
		{"a", "a\r\n", "a\r\n"},
		{"a\n\nb\n\n", "a\r\n\r\nb\r\n", "a\r\n\r\nb\r\n"}, // bare LF is a line end
		{"a\rb\r", "a\rb\r\r\n", "a\rb\r\r\n"},             // bare CR is text
		{"  \t\r\n", "  \t\r\n", ""},
		{"x \t y  \r\n\t z\t\r\n", "x \t y  \r\n\t z\t\r\n", "x y\r\n z\r\n"},
	}
	for _, tt := range tests {
		if got := canonBody(Simple, tt.in); got != tt.simple {
			t.Errorf("simple %q = %q, want %q", tt.in, got, tt.simple)
		}
		if got := canonBody(Relaxed, tt.in); got != tt.relaxed {
			t.Errorf("relaxed %q = %q, want %q", tt.in, got, tt.relaxed)
		}
	}
}

// canonBody runs body through the streaming canonicalizer one byte at a
// time, checks that one write gives the same, and returns the result.
func canonBody(c Canon, body string) string {
	var bytewise, whole bytes.Buffer
	b := newBodyCanonicalizer(c, &bytewise)
	for i := 0; i < len(body); i++ {
		b.Write([]byte{body[i]})
	}
	b.Close()
	b = newBodyCanonicalizer(c, &whole)
	b.Write([]byte(body))
	b.Close()
	if bytewise.String() != whole.String() {
		return "streaming differs: " + bytewise.String() + " | " + whole.String()
	}
	return whole.String()
}

// referenceBody is RFC 6376 3.4.3 and 3.4.4 written the obvious way, on
// the whole body at once, for the fuzzer to compare with.
func referenceBody(c Canon, body string) string {
	lines := strings.Split(strings.ReplaceAll(body, "\r\n", "\n"), "\n")
	if strings.HasSuffix(body, "\n") {
		lines = lines[:len(lines)-1] // the last line's terminator, not a line
	}
	for i, l := range lines {
		if c == Relaxed {
			l = wspRun.ReplaceAllString(l, " ")
			lines[i] = strings.TrimSuffix(l, " ")
		}
	}
	for len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	if len(lines) == 0 {
		if c == Simple {
			return "\r\n"
		}
		return ""
	}
	return strings.Join(lines, "\r\n") + "\r\n"
}

var wspRun = regexp.MustCompile(`[ \t]+`)

func TestRelaxedHeader(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Subject: Hello\r\n", "subject:Hello\r\n"},
		{"SUBJECT  :  \t Hello  World \t\r\n", "subject:Hello World\r\n"},
		{"X:\r\n folded\r\n\tvalue\r\n", "x:folded value\r\n"},
		{"X:\r\n", "x:\r\n"},
		{"X: a:b\r\n", "x:a:b\r\n"},
	}
	for _, tt := range tests {
		if got := string(AppendHeader(nil, Relaxed, []byte(tt.in))); got != tt.want {
			t.Errorf("%q: %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestStripB(t *testing.T) {
	tests := []struct{ in, want string }{
		{"DKIM-Signature: a=1; b=abc; bh=xyz\r\n", "DKIM-Signature: a=1; b=; bh=xyz\r\n"},
		{"DKIM-Signature: bh=xyz; b=\r\n\tab\r\n\t cd\r\n", "DKIM-Signature: bh=xyz; b=\r\n"},
		{"DKIM-Signature: a=1; b = abc  ; c=2\r\n", "DKIM-Signature: a=1; b =; c=2\r\n"},
		{"DKIM-Signature: a=1; bh=x\r\n", "DKIM-Signature: a=1; bh=x\r\n"},
		{"ARC-Seal: b=x;cv=none\r\n", "ARC-Seal: b=;cv=none\r\n"},
	}
	for _, tt := range tests {
		if got := string(StripB([]byte(tt.in))); got != tt.want {
			t.Errorf("StripB(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParseCanon(t *testing.T) {
	for in, want := range map[string][2]Canon{"": {Simple, Simple}, "relaxed": {Relaxed, Simple},
		"relaxed/relaxed": {Relaxed, Relaxed}, "simple/relaxed": {Simple, Relaxed}} {
		h, b, err := ParseCanon(in)
		if err != nil || [2]Canon{h, b} != want {
			t.Errorf("ParseCanon(%q) = %v %v %v", in, h, b, err)
		}
	}
	for _, bad := range []string{"loose", "relaxed/", "/relaxed", "relaxed/relaxed/relaxed", "Relaxed"} {
		if _, _, err := ParseCanon(bad); err == nil {
			t.Errorf("ParseCanon(%q) accepted", bad)
		}
	}
}
