package main

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseQuery(t *testing.T) {
	for _, tc := range []struct {
		in    string
		terms []term
		err   error
	}{
		{"", nil, nil},
		{"  \t ", nil, nil},
		{"Welcome", []term{{value: "welcome"}}, nil},
		{`from:App@Example.org subject:"password reset" -to:bob`, []term{
			{field: "from", value: "app@example.org"},
			{field: "subject", value: "password reset"},
			{field: "to", value: "bob", negate: true},
		}, nil},
		{"has:attachments is:UNREAD", []term{{field: "has", value: "attachment"}, {field: "is", value: "unread"}}, nil},
		{"body:1234 FROM:x", []term{{field: "body", value: "1234"}, {field: "from", value: "x"}}, nil},
		{"http://example.org/x", []term{{value: "http://example.org/x"}}, nil},          // unknown prefix: a word
		{`"from:x" -"-y"`, []term{{value: "from:x"}, {value: "-y", negate: true}}, nil}, // quoted: no prefix, no negation inside
		{`a"b c`, []term{{value: `a"b`}, {value: "c"}}, nil},                            // a quote inside a word is text
		{`- "" from:`, nil, nil}, // nothing to match
		{`"open`, nil, errQueryQuote},
		{"has:pictures", nil, errQueryBadValue},
		{"is:", nil, errQueryBadValue},
		{strings.Repeat("x", maxQueryBytes+1), nil, errQueryTooLong},
		{strings.Repeat("x ", maxQueryTerms+1), nil, errQueryTooLong},
		{"\xff", nil, errQueryNotUTF8},
	} {
		q, err := parseQuery(tc.in)
		if err != tc.err || !reflect.DeepEqual(q.terms, tc.terms) {
			t.Errorf("parseQuery(%q) = %+v, %v; want %+v, %v", tc.in, q.terms, err, tc.terms, tc.err)
		}
	}
}

func TestQueryMatches(t *testing.T) {
	e := &entry{Summary: Summary{Subject: "Reset your password"}, Attachments: 1,
		from: "bounce@example.org\napp <app@example.org>", to: "bob@example.org\nbob <bob@example.org>", subject: "reset your password"}
	body := func() string { return "your code is 1234" }
	for _, tc := range []struct {
		q    string
		seen bool
		want bool
	}{
		{"", false, true},
		{"password", false, true},
		{"bounce", false, true}, // a word searches the sender too
		{"from:bob", false, false},
		{"to:bob subject:reset", false, true},
		{"-to:bob", false, false},
		{"-to:carol", false, true},
		{"has:attachment", false, true},
		{"-has:attachment", false, false},
		{"is:unread", false, true},
		{"is:unread", true, false},
		{"is:read", true, true},
		{"body:1234", false, true},
		{"body:5678", false, false},
		{`subject:"your password"`, false, true},
		{`subject:"password your"`, false, false},
	} {
		q, err := parseQuery(tc.q)
		if err != nil {
			t.Fatal(err)
		}
		if got := q.matches(e, tc.seen, body); got != tc.want {
			t.Errorf("%q (seen %v): %v, want %v", tc.q, tc.seen, got, tc.want)
		}
	}
}

// FuzzParseQuery: any input parses or fails with an error, within the
// bounds; what parses prints in a form that parses back to the same.
func FuzzParseQuery(f *testing.F) {
	for _, s := range []string{"", "welcome", `from:a -to:"b c" has:attachment is:read body:x`, `"from:x" -"-y"`, `a"b`, `- "" from:`, `"open`, "http://x", "İ"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q, err := parseQuery(s)
		if err != nil {
			return
		}
		if len(q.terms) > maxQueryTerms {
			t.Fatalf("%d terms", len(q.terms))
		}
		printed := q.String()
		again, err := parseQuery(printed)
		if err != nil || !reflect.DeepEqual(again.terms, q.terms) {
			t.Fatalf("%q parsed as %+v, printed as %q, parsed back as %+v, %v", s, q.terms, printed, again.terms, err)
		}
	})
}
