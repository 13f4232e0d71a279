package authres

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		want *Header
	}{
		// RFC 8601 B.2
		{"example.org 1; none", &Header{AuthServID: "example.org", Version: 1}},
		// RFC 8601 B.3
		{"example.com;\r\n\t  spf=pass smtp.mailfrom=example.net", &Header{AuthServID: "example.com",
			Results: []MethodResult{{Method: "spf", Result: "pass", Properties: []Property{{"smtp", "mailfrom", "example.net"}}}}}},
		// RFC 8601 B.4, with comments everywhere
		{"example.com;\r\n      auth=pass (cram-md5) smtp.auth=sender@example.net;\r\n      spf=pass smtp.mailfrom=example.net",
			&Header{AuthServID: "example.com", Results: []MethodResult{
				{Method: "auth", Result: "pass", Properties: []Property{{"smtp", "auth", "sender@example.net"}}},
				{Method: "spf", Result: "pass", Properties: []Property{{"smtp", "mailfrom", "example.net"}}}}}},
		// RFC 8601 B.6
		{"mail-router.example.net;\r\n dkim=pass (good signature) header.d=newyork.example.com\r\n header.b=oINEO8hg;\r\n" +
			" dkim=fail (bad signature) header.d=newyork.example.net\r\n header.b=EToRSuvU",
			&Header{AuthServID: "mail-router.example.net", Results: []MethodResult{
				{Method: "dkim", Result: "pass", Properties: []Property{{"header", "d", "newyork.example.com"}, {"header", "b", "oINEO8hg"}}},
				{Method: "dkim", Result: "fail", Properties: []Property{{"header", "d", "newyork.example.net"}, {"header", "b", "EToRSuvU"}}}}}},
		// Odd but legal: a quoted authserv-id, method version, reason, quoted
		// values with escapes, a nested comment, upper case, a trailing ';'.
		{` (c (nested)) "mx example" ; DKIM/1 = Pass reason="a \"quoted\" reason" header.b="ab/cd" (x) policy.x = @example.org ;`,
			&Header{AuthServID: "mx example", Results: []MethodResult{{Method: "dkim", MethodVersion: 1, Result: "pass",
				Reason: `a "quoted" reason`, Properties: []Property{{"header", "b", "ab/cd"}, {"policy", "x", "@example.org"}}}}}},
		// Microsoft's "action=none" is skipped.
		{"spf.protection.outlook.com; dmarc=pass action=none header.from=example.com;",
			&Header{AuthServID: "spf.protection.outlook.com", Results: []MethodResult{{Method: "dmarc", Result: "pass",
				Properties: []Property{{"header", "from", "example.com"}}}}}},
		{"mx.example.org", &Header{AuthServID: "mx.example.org"}},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in)
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Parse(%q)\n = %+v, %v\nwant %+v", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", ";", "example.org; dkim", "example.org; dkim=", "example.org; =pass",
		"example.org; dkim=pass (unterminated", `example.org; dkim=pass reason="open`, "example.org dkim=pass",
		"example.org; dkim=pass header.=x", "example.org; dkim=pass header.d", "example.org; dkim/x=pass"} {
		if h, err := Parse(bad); !errors.Is(err, ErrSyntax) {
			t.Errorf("Parse(%q) = %+v, %v", bad, h, err)
		}
	}
}

func TestFormat(t *testing.T) {
	h := &Header{AuthServID: "mx.example.org", Results: []MethodResult{
		{Method: "dkim", Result: "pass", Properties: []Property{{"header", "d", "example.com"}, {"header", "b", "ab/cd+ef"}}},
		{Method: "spf", Result: "fail", Reason: "not \"permitted\"\r\nInjected: x", Properties: []Property{{"smtp", "mailfrom", "joe@example.com"}}},
		{Method: "dmarc", MethodVersion: 2, Result: "none", Properties: []Property{{"header", "from", "example.com"}}},
	}}
	want := "mx.example.org; dkim=pass header.d=example.com header.b=\"ab/cd+ef\"; " +
		"spf=fail reason=\"not \\\"permitted\\\"  Injected: x\" smtp.mailfrom=joe@example.com; dmarc/2=none header.from=example.com"
	if got := h.String(); got != want {
		t.Errorf("String\n got %s\nwant %s", got, want)
	}
	field := h.Field()
	if !strings.HasPrefix(field, "Authentication-Results: mx.example.org;\r\n\tdkim=pass") || strings.Count(field, "\r\n") != 4 {
		t.Errorf("Field %q", field)
	}
	// What we write, we read back.
	back, err := Parse(strings.TrimPrefix(strings.TrimSuffix(field, "\r\n"), "Authentication-Results: "))
	h.Results[1].Reason = "not \"permitted\"  Injected: x"
	if err != nil || !reflect.DeepEqual(back, h) {
		t.Errorf("read back %+v, %v", back, err)
	}
	if got := (&Header{AuthServID: "a b"}).String(); got != `"a b"; none` {
		t.Errorf("none: %s", got)
	}
}

func TestRemoveForged(t *testing.T) {
	msg := "Authentication-Results: MX.example.org.; dkim=pass\r\n" + // ours, by case and final dot
		"Received: from a\r\n" +
		"Authentication-Results: other.example.net; spf=pass smtp.mailfrom=x\r\n" + // someone else's: kept
		"authentication-results:  (sneaky) \"mx.example.org\";\n dkim=pass header.d=bank.example\r\n" + // quoted, folded, LF
		"Authentication-Results: mx.example.org; this is ( not valid\r\n" + // malformed but ours
		"Authentication-Results: mx.example.org.evil; dmarc=pass\r\n" + // a different id
		"Subject: hi\r\n" +
		"\r\n" +
		"Authentication-Results: mx.example.org; in the body stays\r\n"
	var out strings.Builder
	n, err := RemoveForged(&out, strings.NewReader(msg), "mx.example.org")
	if err != nil || n != 3 {
		t.Fatalf("removed %d, %v", n, err)
	}
	want := "Received: from a\r\n" +
		"Authentication-Results: other.example.net; spf=pass smtp.mailfrom=x\r\n" +
		"Authentication-Results: mx.example.org.evil; dmarc=pass\r\n" +
		"Subject: hi\r\n" +
		"\r\n" +
		"Authentication-Results: mx.example.org; in the body stays\r\n"
	if out.String() != want {
		t.Errorf("got\n%q\nwant\n%q", out.String(), want)
	}
	// A message without a body or final line ending is copied as it is.
	out.Reset()
	if n, err := RemoveForged(&out, strings.NewReader("A: 1\r\nB: 2"), "mx.example.org"); n != 0 || err != nil || out.String() != "A: 1\r\nB: 2" {
		t.Errorf("no body: %d %v %q", n, err, out.String())
	}
}

func TestMethodResultGet(t *testing.T) {
	r := MethodResult{Properties: []Property{{"smtp", "mailfrom", "a@b"}, {"header", "d", "b"}}}
	if r.Get("SMTP", "MailFrom") != "a@b" || r.Get("header", "s") != "" {
		t.Error(r.Get("smtp", "mailfrom"))
	}
}
