package imap

import (
	"bufio"
	"errors"
	"strings"
	"testing"
)

// parseLine parses one command line (CRLF added).
func parseLine(line string) (*command, error) {
	p := newParser(bufio.NewReader(strings.NewReader(line + "\r\n")))
	p.MaxLineLength = 4096
	return p.ReadCommand()
}

// FuzzPartialRange: an RFC 9394 partial-range either parses into a range
// that is ordered, non-zero and written back the same way, or is refused
// with BAD; its window never leaves the list it pages.
func FuzzPartialRange(f *testing.F) {
	for _, s := range []string{"1:1", "4:2", "-1:-100", "-100:-1", "1:*", "0:1", "-1:2", "1", "4294967295:1", "4294967296:1", "--1:-2", "1:2:3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		cmd, err := parseLine("t UID FETCH 1:* (UID) (PARTIAL " + s + ")")
		if err != nil {
			var pe *commandError
			if !errors.As(err, &pe) || pe.Status != "BAD" {
				t.Fatalf("%q: want BAD, got %v", s, err)
			}
			return
		}
		r := cmd.Args.(*fetchArgs).Partial
		if r == nil || r.First == 0 || r.First > r.Last {
			t.Fatalf("%q: bad range %+v", s, r)
		}
		again, err := parseLine("t UID FETCH 1:* (UID) (PARTIAL " + r.String() + ")")
		if err != nil || *again.Args.(*fetchArgs).Partial != *r {
			t.Fatalf("%q: %s does not parse back: %v", s, r, err)
		}
		for _, n := range []int{0, 1, 2, 7, 1000} {
			if lo, hi, ok := r.window(n); ok && (lo < 0 || hi > n || lo >= hi) {
				t.Fatalf("%s: window(%d) = %d, %d", r, n, lo, hi)
			}
		}
	})
}

// FuzzSearchReturn: RETURN options of SEARCH and SORT parse into a
// consistent set (at most one of ALL and PARTIAL, never empty) or BAD.
func FuzzSearchReturn(f *testing.F) {
	for _, s := range []string{"", "ALL", "UPDATE", "UPDATE (FLAGS UID)", "CONTEXT COUNT", "PARTIAL 1:5 MIN",
		"PARTIAL -1:-5 SAVE", "PARTIAL 1:5 ALL", "UPDATE ()", "UPDATE (BODY.PEEK[HEADER.FIELDS (From)])", "SAVE UPDATE CONTEXT"} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, opts string, sort bool) {
		line := "t SEARCH RETURN (" + opts + ") ALL"
		if sort {
			line = "t SORT RETURN (" + opts + ") (DATE) UTF-8 ALL"
		}
		cmd, err := parseLine(line)
		if err != nil {
			var pe *commandError
			if !errors.As(err, &pe) || pe.Status == "" {
				t.Fatalf("%q: %v", line, err)
			}
			return
		}
		var ret searchReturn
		var part partialRange
		var items []fetchItem
		switch a := cmd.Args.(type) {
		case *searchArgs:
			ret, part, items = a.Return, a.Partial, a.UpdateItems
		case *sortArgs:
			ret, part, items = a.Return, a.Partial, a.UpdateItems
		}
		if ret == 0 || ret&searchReturnAll != 0 && ret&searchReturnPartial != 0 {
			t.Fatalf("%q: return options %b", line, ret)
		}
		if ret&searchReturnPartial != 0 && (part.First == 0 || part.First > part.Last) {
			t.Fatalf("%q: partial %+v", line, part)
		}
		if len(items) > 0 && ret&searchReturnUpdate == 0 {
			t.Fatalf("%q: fetch items without UPDATE", line)
		}
	})
}

// FuzzNotify: NOTIFY arguments parse into a consistent request (one
// selected group at most, message events only there, names checked) or
// are refused with BAD.
func FuzzNotify(f *testing.F) {
	for _, s := range []string{"NONE", "SET (selected (MessageNew (UID BODY.PEEK[HEADER]) MessageExpunge))",
		"SET STATUS (subtree Lists (MessageNew MessageExpunge)) (mailboxes (a \"b c\" &AOQ-) NONE)",
		"SET (personal (MailboxName SubscriptionChange)) (inboxes (MessageNew)) (subscribed (FlagChange))",
		"SET (selected-delayed NONE) (selected NONE)", "SET (personal (Bogus))", "SET (subtree (a b) (MailboxName))"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		cmd, err := parseLine("t NOTIFY " + s)
		if err != nil {
			var pe *commandError
			if !errors.As(err, &pe) || pe.Status == "" {
				t.Fatalf("%q: %v", s, err)
			}
			return
		}
		a := cmd.Args.(*notifyArgs)
		if a.None && (a.Selected != nil || len(a.Groups) > 0 || a.Status) {
			t.Fatalf("%q: NONE with a request %+v", s, a)
		}
		if sel := a.Selected; sel != nil && sel.Events&^evMessage != 0 {
			t.Fatalf("%q: selected with %b", s, sel.Events)
		}
		for _, g := range a.Groups {
			if g.Filter < filterInboxes || g.Filter > filterMailboxes {
				t.Fatalf("%q: filter %d", s, g.Filter)
			}
			for _, n := range g.Names {
				if c, r := checkName(n); r != nil || c != n {
					t.Fatalf("%q: name %q not checked", s, n)
				}
			}
		}
	})
}
