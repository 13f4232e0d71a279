package delivery

import (
	"errors"
	"io"
	"net/netip"
	"reflect"
	"sort"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

// FuzzParseAliases: the parser never panics, everything it accepts is
// valid, and printing what it parsed and parsing that again gives the same
// aliases.
func FuzzParseAliases(f *testing.F) {
	for _, s := range []string{
		"postmaster: root\nroot: alice\n",
		"# c\nteam: alice, bob,\n\tcarol@partner.test\n\n",
		"sales@example.org: <bob>\r\n",
		"a: |cmd\n",
		"a: :include:/x\n",
		" continuation\n",
		"a:b:c\n",
		"a: b@c@d\n",
		"a: b\na: c\n",
		"@example.org: catchall\n*-dev@example.org: alice\nbounces-*: bob\n",
		"@: x\n*@*.org: x\na: b*\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		m, err := parseAliases(strings.NewReader(in))
		if err != nil {
			return
		}
		var b strings.Builder
		names := make([]string, 0, len(m))
		for name, targets := range m {
			if name != strings.ToLower(name) || checkAliasName(name) != nil {
				t.Fatalf("bad name %q accepted", name)
			}
			if len(targets) == 0 || len(targets) > maxAliasTargets {
				t.Fatalf("%q has %d targets", name, len(targets))
			}
			for _, tg := range targets {
				if checkAliasWord(tg) != nil || strings.HasPrefix(tg, "|") || strings.HasPrefix(tg, "/") {
					t.Fatalf("bad target %q accepted", tg)
				}
			}
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			b.WriteString(name + ": " + strings.Join(m[name], ", ") + "\n")
		}
		m2, err := parseAliases(strings.NewReader(b.String()))
		if err != nil {
			t.Fatalf("reparsing %q: %v", b.String(), err)
		}
		if !reflect.DeepEqual(m, m2) {
			t.Fatalf("round trip: %q != %q", m, m2)
		}
	})
}

// FuzzHopCounter: hopCounter passes the message through unchanged, counts
// Received fields like the line-based reference, and fails exactly when
// there are more than max, whatever the read sizes.
func FuzzHopCounter(f *testing.F) {
	for _, s := range []string{
		"Received: a\r\nReceived: b\r\n\r\nbody",
		"received :x\n folded\n\nReceived: body",
		"\r\rReceived: x\r\n",
		"Subject: x\r\n\r\n",
	} {
		f.Add(s, uint8(1), true)
	}
	f.Fuzz(func(t *testing.T, msg string, max uint8, oneByte bool) {
		var r io.Reader = strings.NewReader(msg)
		if oneByte {
			r = iotest.OneByteReader(r)
		}
		h := newHopCounter(r, int(max))
		out, err := io.ReadAll(h)
		want := countReceived(msg)
		if want > int(max) {
			if !errors.Is(err, errTooManyHops) {
				t.Fatalf("%d fields, max %d: err %v", want, max, err)
			}
			return
		}
		if err != nil || string(out) != msg || h.n != want {
			t.Fatalf("got %q, %v, %d fields; want the input and %d", out, err, h.n, want)
		}
	})
}

// FuzzAppendReceived: whatever the client's names, the Received field is
// one header field: CRLF line endings only, continuation lines indented,
// and it parses back with the expected "from" and "for".
func FuzzAppendReceived(f *testing.F) {
	f.Add("client.example", "bob@example.org", []byte{192, 0, 2, 1})
	f.Add("evil\r\nBcc: x", "a>\r\n.\r\n", []byte{})
	f.Fuzz(func(t *testing.T, helo, rcpt string, ip []byte) {
		addr, _ := netip.AddrFromSlice(ip)
		b := appendReceived(nil, &receivedFieldInfo{helo: helo, addr: addr, by: "mx.test", protocol: "ESMTP", id: "1", rcpt: rcpt, date: time.Unix(0, 0).UTC()})
		s := string(b)
		if !strings.HasPrefix(s, "Received: ") || !strings.HasSuffix(s, "\r\n") {
			t.Fatalf("%q", s)
		}
		lines := strings.Split(strings.TrimSuffix(s, "\r\n"), "\r\n")
		for i, l := range lines {
			if strings.ContainsAny(l, "\r\n") || (i > 0 && !strings.HasPrefix(l, "\t")) {
				t.Fatalf("line %d of %q breaks the field", i, s)
			}
		}
		if rcpt != "" && strings.Count(s, "<") != 1 {
			t.Fatalf("recipient escapes its brackets: %q", s)
		}
	})
}
