package delivery

import (
	"bufio"
	"strings"
	"testing"
)

// sendOne is the transcript of one message from x@elsewhere.test to rcpt,
// accepted with the reply want to RCPT ("250 2.1.5*" or a refusal, after
// which the transaction is reset).
func sendOne(rcpt, subject, want string) string {
	if !strings.HasPrefix(want, "250") {
		return `
		C: MAIL FROM:<x@elsewhere.test>
		C: RCPT TO:<` + rcpt + `>
		S: 250 2.1.0 Sender OK
		S: ` + want + `
		C: RSET
		S: 250 *`
	}
	return `
		C: MAIL FROM:<x@elsewhere.test>
		C: RCPT TO:<` + rcpt + `>
		C: DATA
		S: 250 2.1.0 Sender OK
		S: ` + want + `
		S: 354 *
		C: Subject: ` + subject + `
		C:
		C: .
		S: 250 2.0.0 Message accepted`
}

// subjects returns the Subject lines of user's INBOX, in order.
func subjects(t *testing.T, a *Agent, user string) []string {
	t.Helper()
	var out []string
	for _, m := range inbox(t, a.Store, user) {
		for _, f := range headerFields(m) {
			if s, ok := strings.CutPrefix(f, "Subject: "); ok {
				out = append(out, s)
			}
		}
	}
	return out
}

func checkSubjects(t *testing.T, a *Agent, want map[string]string) {
	t.Helper()
	for user, w := range want {
		if got := strings.Join(subjects(t, a, user), ","); got != w {
			t.Errorf("%s's INBOX: %q, want %q", user, got, w)
		}
	}
}

// TestSubaddress: user+detail reaches the user over SMTP (RFC 5233), an
// alias or account of the whole name wins over the user, and the
// delimiters can be changed or sub-addressing turned off.
func TestSubaddress(t *testing.T) {
	a := testAgent(t)
	var err error
	a.Aliases, err = ParseAliases(strings.NewReader("alice+boss: bob\n"))
	if err != nil {
		t.Fatal(err)
	}
	conn := dial(t, serve(t, a))
	transcript(t, conn, bufio.NewReader(conn), ehlo+
		sendOne("alice+0@example.org", "zero", "250 2.1.5 Recipient OK")+
		sendOne("Alice+Lists+more@example.net", "lists", "250 2.1.5 Recipient OK")+
		sendOne("alice+boss@example.org", "boss", "250 2.1.5 Recipient OK")+
		sendOne("alice+@example.org", "empty detail", "250 2.1.5 Recipient OK")+
		sendOne("+alice@example.org", "", "550 5.1.1 No such user here")+
		sendOne("ghost+x@example.org", "", "550 5.1.1 No such user here")+
		sendOne("alice-x@example.org", "", "550 5.1.1 No such user here")+`
		C: QUIT
		S: 221 *`)
	checkSubjects(t, a, map[string]string{"alice": "zero,lists,empty detail", "bob": "boss"})

	other := testAgent(t)
	other.SubaddressDelimiters = "-+"
	conn = dial(t, serve(t, other))
	transcript(t, conn, bufio.NewReader(conn), ehlo+
		sendOne("alice-x@example.org", "dash", "250 2.1.5 Recipient OK")+
		sendOne("bob+y-z@example.org", "plus", "250 2.1.5 Recipient OK"))
	checkSubjects(t, other, map[string]string{"alice": "dash", "bob": "plus"})

	off := testAgent(t)
	off.NoSubaddress = true
	conn = dial(t, serve(t, off))
	transcript(t, conn, bufio.NewReader(conn), ehlo+
		sendOne("alice+0@example.org", "", "550 5.1.1 No such user here")+
		sendOne("alice@example.org", "plain", "250 2.1.5 Recipient OK"))
	checkSubjects(t, off, map[string]string{"alice": "plain"})
}

// TestCatchAll: a domain's catch-all takes its unknown addresses, and
// wildcard aliases the ones they match, over SMTP; names that exist win
// over both, and a domain without a catch-all still refuses unknown users
// at RCPT.
func TestCatchAll(t *testing.T) {
	a := testAgent(t)
	var err error
	a.Aliases, err = ParseAliases(strings.NewReader(`
@example.net:        bob
*-dev@example.net:   alice
release-*-dev@example.net: bob, alice
bounces-*:           alice
@elsewhere.test:     alice
`))
	if err != nil {
		t.Fatal(err)
	}
	conn := dial(t, serve(t, a))
	transcript(t, conn, bufio.NewReader(conn), ehlo+
		sendOne("anything@example.net", "catch-all", "250 2.1.5 Recipient OK")+
		sendOne("alice@example.net", "exact", "250 2.1.5 Recipient OK")+
		sendOne("alice+x@example.net", "sub-address", "250 2.1.5 Recipient OK")+
		sendOne("Web-Dev@example.net", "wildcard", "250 2.1.5 Recipient OK")+
		sendOne("release-2-dev@example.net", "longest", "250 2.1.5 Recipient OK")+
		sendOne("bounces-123@example.org", "bare wildcard", "250 2.1.5 Recipient OK")+
		sendOne("anything@example.org", "", "550 5.1.1 No such user here")+
		sendOne("web-dev@example.org", "", "550 5.1.1 No such user here")+
		// A catch-all for a domain that is not local opens no relay.
		sendOne("x@elsewhere.test", "", "550 5.7.1 Relaying denied"))
	checkSubjects(t, a, map[string]string{
		"alice": "exact,sub-address,wildcard,longest,bare wildcard",
		"bob":   "catch-all,longest",
	})
}

// TestCatchAllUnknownTarget: a catch-all whose target does not exist
// accepts nothing (no mail is taken that would be lost or bounced).
func TestCatchAllUnknownTarget(t *testing.T) {
	a := testAgent(t)
	a.Aliases, _ = ParseAliases(strings.NewReader("@example.net: ghost\n"))
	conn := dial(t, serve(t, a))
	transcript(t, conn, bufio.NewReader(conn), ehlo+
		sendOne("anyone@example.net", "", "550 5.1.1 No such user here"))
}

func TestAliasPatterns(t *testing.T) {
	a, err := ParseAliases(strings.NewReader(`
@example.org: catchall
*@example.org: star
*: everywhere
x-*-y@example.org: xy
x-*: x
`))
	if err == nil {
		t.Fatal("@example.org and *@example.org are the same pattern: want an error")
	}
	a, err = ParseAliases(strings.NewReader(`
@example.org: catchall
*: everywhere
x-*-y@example.org: xy
x-*: x
`))
	if err != nil {
		t.Fatal(err)
	}
	for addr, want := range map[string]string{
		"x-1-y@example.org": "x-*-y@example.org",
		"X-1-Y@EXAMPLE.ORG": "x-*-y@example.org",
		"x-1-z@example.org": "x-*",
		"x-@example.net":    "x-*",
		"abc@example.org":   "*@example.org",
		"abc@example.net":   "*",
	} {
		if _, got, ok := a.Match(addr); !ok || got != want {
			t.Errorf("Match(%q) = %q %v, want %q", addr, got, ok, want)
		}
	}
	if _, ok := a.Lookup("x-*"); ok {
		t.Error("a pattern is found by Lookup")
	}
	for _, bad := range []string{"@: x\n", "a@*.org: x\n", "a: b*\n", "@a@b: x\n"} {
		if _, err := ParseAliases(strings.NewReader(bad)); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	for pattern, s := range map[string]string{"*": "", "a*": "a", "*a*b*": "xaxxbx", "a*a*a": "aaa"} {
		if !globMatch(pattern, s) {
			t.Errorf("%q does not match %q", pattern, s)
		}
	}
	for pattern, s := range map[string]string{"a*": "b", "*a": "ab", "a*a*a": "aa", "": "x"} {
		if globMatch(pattern, s) {
			t.Errorf("%q matches %q", pattern, s)
		}
	}
}
