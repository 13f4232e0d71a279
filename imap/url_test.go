package imap

import (
	"strings"
	"testing"
	"time"
)

// TestParseIMAPURL: RFC 5092 URLs, absolute and relative, with the
// URLAUTH fields of RFC 4467 and RFC 5092's examples.
func TestParseIMAPURL(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want imapURL
	}{
		{"imap://minbari.example.org/gray-council;UIDVALIDITY=385759045/;UID=20/;PARTIAL=0.1024",
			imapURL{Server: true, Host: "minbari.example.org", Mailbox: "gray-council", UIDValidity: 385759045, UID: 20,
				PartialSet: true, Partial: partial{Offset: 0, Count: 1024}}},
		{"imap://psicorp.example.org/~peter/%E6%97%A5%E6%9C%AC%E8%AA%9E/%E5%8F%B0%E5%8C%97",
			imapURL{Server: true, Host: "psicorp.example.org", Mailbox: "~peter/日本語/台北"}},
		{"imap://;AUTH=*@minbari.example.org/gray%20council?SUBJECT%20shadows",
			imapURL{Server: true, Auth: "*", Host: "minbari.example.org", Mailbox: "gray council", Search: "SUBJECT shadows"}},
		{"imap://joe@example.com:1430/INBOX/;uid=20/;section=1.2.HEADER.FIELDS%20(From%20To)",
			imapURL{Server: true, User: "joe", Host: "example.com", Port: "1430", Mailbox: "INBOX", UID: 20,
				Section: "1.2.HEADER.FIELDS (From To)", sec: section{Part: []int{1, 2}, Specifier: sectionHeaderFields, Fields: []string{"From", "To"}}}},
		{"imap://joe@[::1]/INBOX",
			imapURL{Server: true, User: "joe", Host: "[::1]", Mailbox: "INBOX"}},
		{"/INBOX;UIDVALIDITY=785799047/;UID=8/;SECTION=1.MIME",
			imapURL{Mailbox: "INBOX", UIDValidity: 785799047, UID: 8, Section: "1.MIME", sec: section{Part: []int{1}, Specifier: sectionMIME}}},
		{";UID=5/;PARTIAL=10", imapURL{UID: 5, PartialSet: true, Partial: partial{Offset: 10}}},
		{"imap://joe@example.com/INBOX/;uid=20;EXPIRE=2025-01-02T03:04:05Z;urlauth=submit+joe%40example.com:internal:91354a473744909de610943775f92038",
			imapURL{Server: true, User: "joe", Host: "example.com", Mailbox: "INBOX", UID: 20,
				Expire: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC), Access: "submit", AccessUser: "joe@example.com",
				Mechanism: "internal", Token: "91354a473744909de610943775f92038",
				Rump: "imap://joe@example.com/INBOX/;uid=20;EXPIRE=2025-01-02T03:04:05Z;urlauth=submit+joe%40example.com"}},
		{"imap://a@h/x/;UID=1;URLAUTH=authuser",
			imapURL{Server: true, User: "a", Host: "h", Mailbox: "x", UID: 1, Access: "authuser", Rump: "imap://a@h/x/;UID=1;URLAUTH=authuser"}},
	} {
		got, err := parseIMAPURL(tc.in)
		if err != nil {
			t.Errorf("%s: %v", tc.in, err)
			continue
		}
		if !sameURL(got, &tc.want) || got.Rump != tc.want.Rump {
			t.Errorf("%s:\n got %+v\nwant %+v", tc.in, got, tc.want)
		}
	}
	for _, bad := range []string{
		"", "imap://", "imap:///INBOX", "imap://h/INBOX/;UID=0", "imap://h/INBOX/;UID=x", "imap://h:99999/",
		"imap://h/INBOX/;UID=1/;SECTION=1.FOO", "imap://h/INBOX/;UID=1/;PARTIAL=a", "imap://h/IN BOX",
		"imap://h/INBOX/;UID=1;URLAUTH=nobody", "imap://h/INBOX/;UID=1;URLAUTH=user+", "imap://h/%00/;UID=1",
		"imap://h/INBOX/;UID=1;URLAUTH=anonymous:INTERNAL:abc", "imap://h/INBOX/;UID=1;EXPIRE=soon;URLAUTH=anonymous",
		"imap://h/INBOX/;UID=1;garbage", "imap://h/%ZZ", "imap://h/INBOX/;UID=4294967296", "imap://[::1/",
	} {
		if u, err := parseIMAPURL(bad); err == nil {
			t.Errorf("%q parsed as %+v", bad, u)
		}
	}
}

// sameURL compares the fields String writes.
func sameURL(a, b *imapURL) bool {
	return a.Server == b.Server && a.User == b.User && a.Auth == b.Auth && a.Host == b.Host && a.Port == b.Port &&
		a.Mailbox == b.Mailbox && a.UIDValidity == b.UIDValidity && a.UID == b.UID && a.Search == b.Search &&
		a.Section == b.Section && string(a.sec.AppendTo(nil)) == string(b.sec.AppendTo(nil)) &&
		a.PartialSet == b.PartialSet && a.Partial == b.Partial && a.Expire.Equal(b.Expire) &&
		a.Access == b.Access && a.AccessUser == b.AccessUser && a.Mechanism == b.Mechanism && a.Token == b.Token
}

// FuzzParseIMAPURL: the parser never panics, and what it accepts it can
// write out again (String) as a URL that parses to the same fields.
func FuzzParseIMAPURL(f *testing.F) {
	for _, s := range []string{
		"imap://minbari.example.org/gray-council;UIDVALIDITY=385759045/;UID=20/;PARTIAL=0.1024",
		"imap://;AUTH=*@minbari.example.org/gray%20council?SUBJECT%20shadows",
		"imap://joe@example.com:1430/INBOX/;uid=20/;section=1.2.HEADER.FIELDS%20(From%20To)/;partial=3",
		"imap://joe@example.com/INBOX/;uid=20;EXPIRE=2025-01-02T03:04:05+01:00;urlauth=user+joe:INTERNAL:91354a473744909de610943775f92038",
		"/INBOX;UIDVALIDITY=785799047/;UID=8/;SECTION=1.MIME", ";UID=5", "//h/a%2F/;UID=1", "imap://[::1]:143/x",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := parseIMAPURL(s)
		if err != nil {
			return
		}
		out := u.String()
		u2, err := parseIMAPURL(out)
		if err != nil {
			t.Fatalf("%q -> %q: %v", s, out, err)
		}
		if !sameURL(u, u2) {
			t.Fatalf("%q -> %q:\n%+v\n%+v", s, out, u, u2)
		}
		if u.Rump != "" && !strings.HasPrefix(s, u.Rump) {
			t.Fatalf("rump %q is not a prefix of %q", u.Rump, s)
		}
	})
}
