package delivery

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestParseAliases(t *testing.T) {
	a, err := ParseAliases(strings.NewReader("# comment\r\n" +
		"Postmaster: root\r\n" +
		"root:alice\n" +
		"\n" +
		"team: alice,bob ,\n" +
		"\t<carol@partner.test>,\n" +
		"  # a comment inside the list\n" +
		"    dave@partner.test\n" +
		"Sales@Example.ORG: bob\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		"postmaster":        {"root"},
		"root":              {"alice"},
		"team":              {"alice", "bob", "carol@partner.test", "dave@partner.test"},
		"sales@example.org": {"bob"},
	}
	if a.Len() != len(want) {
		t.Errorf("%d aliases, want %d", a.Len(), len(want))
	}
	for name, targets := range want {
		got, ok := a.Lookup(strings.ToUpper(name))
		if !ok || !reflect.DeepEqual(got, targets) {
			t.Errorf("%s: got %q %v, want %q", name, got, ok, targets)
		}
	}
	if _, ok := a.Lookup("nobody"); ok {
		t.Error("nobody found")
	}
}

func TestParseAliasesErrors(t *testing.T) {
	for _, tc := range []struct{ in, err string }{
		{"root alice\n", `line 1: missing ":"`},
		{"# x\n  alice\n", "line 2: continuation line without an alias"},
		{"a: b\na: c\n", `line 2: alias "a" defined twice`},
		{"a:\n", `line 1: alias "a" has no targets`},
		{"a: , ,\n", `line 1: alias "a" has no targets`},
		{"a: |/usr/bin/procmail\n", "program and file targets are not supported"},
		{"a: /var/mail/a\n", "program and file targets are not supported"},
		{"a: \"|cmd\"\n", "program and file targets are not supported"},
		{"a: :include:/etc/list\n", ":include: is not supported"},
		{"a b: c\n", "alias name: white space"},
		{"a: b@\n", "malformed address"},
		{"a: @b\n", "malformed address"},
		{"a: b@c@d\n", "malformed address"},
		{"a: b\"c\n", "not allowed"},
		{"a: \xff\n", "invalid UTF-8"},
		{"a: " + strings.Repeat("x", 300) + "\n", "too long"},
		{"a: b\n" + strings.Repeat("x", 70000) + "\n", "line 2: line too long"},
	} {
		_, err := ParseAliases(strings.NewReader(tc.in))
		if err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%.40q: got %v, want %q", tc.in, err, tc.err)
		}
	}
}

func TestAliasesLimits(t *testing.T) {
	var b strings.Builder
	b.WriteString("big: a0")
	for i := 1; i <= maxAliasTargets; i++ {
		b.WriteString(",\n a")
	}
	if _, err := ParseAliases(strings.NewReader(b.String())); err == nil || !strings.Contains(err.Error(), "targets") {
		t.Errorf("%d targets: %v", maxAliasTargets+1, err)
	}
}

func TestLoadAliasesAndUpdate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "aliases")
	os.WriteFile(path, []byte("team: alice\n"), 0o644)
	a, err := LoadAliases(path)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(path, []byte("team: bob\nroot: alice\n"), 0o644)
	b, err := LoadAliases(path)
	if err != nil {
		t.Fatal(err)
	}
	a.Update(b)
	if got, _ := a.Lookup("team"); !reflect.DeepEqual(got, []string{"bob"}) || a.Len() != 2 {
		t.Errorf("after Update: team %q, %d aliases", got, a.Len())
	}
	os.WriteFile(path, []byte("bad line\n"), 0o644)
	if _, err := LoadAliases(path); err == nil || !strings.Contains(err.Error(), path+": line 1") {
		t.Errorf("bad file: %v", err)
	}
	var nilAliases *Aliases
	if _, ok := nilAliases.Lookup("x"); ok {
		t.Error("nil Aliases found something")
	}
}
