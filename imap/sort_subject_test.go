package imap

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestBaseSubject(t *testing.T) {
	// Expected values worked out by hand from RFC 5256 2.1.
	tests := []struct{ in, want string }{
		{"Hello", "Hello"},
		{"Re: Hello", "Hello"},
		{"RE:re: fwd: hello", "hello"},
		{"Fw: [list] Re: x (fwd) (fwd)", "x"},
		{"[Fwd: Re: Meeting]", "Meeting"},
		{"Re: [Fwd: [list] Meeting (fwd)]", "Meeting"},
		{"[list]", "[list]"},      // step 4: a blob stays when nothing else is left
		{"[a][b] Topic", "Topic"}, // leading blobs go
		{"Re [x]: y", "y"},        // subj-refwd with a blob before the colon
		{"Re:", ""},               // nothing left
		{"  Hello \t  world\t", "Hello world"},
		{"Reply: z", "Reply: z"}, // not a leader
		{"Subject (fwd) here", "Subject (fwd) here"},
		{"=?UTF-8?Q?Re:_Gr=C3=BC=C3=9Fe?=", "Grüße"},
		{"Re: =?UTF-8?B?R3LDvMOfZQ==?= (fwd)", "Grüße"},
		{"[broken Re: x", "[broken Re: x"},
	}
	for _, tt := range tests {
		if got := baseSubject(tt.in); got != tt.want {
			t.Errorf("BaseSubject(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func FuzzBaseSubject(f *testing.F) {
	for _, s := range []string{"Re: [Fwd: [x] y (fwd)]", "[fwd:[fwd:]]", "re re: [", "=?utf-8?q?a?= Fw:", "[][]"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := baseSubject(s)
		if strings.HasPrefix(got, " ") || strings.HasSuffix(got, " ") {
			t.Fatalf("BaseSubject(%q) = %q keeps edge whitespace", s, got)
		}
		if utf8.ValidString(s) && !utf8.ValidString(got) {
			t.Fatalf("BaseSubject(%q) = %q is not UTF-8", s, got)
		}
		if len(got) > len(decodeHeaderValue(s)) {
			t.Fatalf("BaseSubject(%q) = %q grew", s, got)
		}
	})
}

func TestBaseSubjectListAndForward(t *testing.T) {
	// RFC 5256 2.1: the subject SORT and THREAD compare.
	for in, want := range map[string]string{
		"Re: [list] Fwd: Quarterly   budget (fwd)": "Quarterly budget",
		"[Fwd: Re: Lunch]":                         "Lunch",
	} {
		if got := baseSubject(in); got != want {
			t.Errorf("BaseSubject(%q) = %q, want %q", in, got, want)
		}
	}
}
