package pop3

import (
	"bytes"
	"strings"
	"testing"
)

func TestParseCommand(t *testing.T) {
	for _, tc := range []struct {
		line string
		name string
		args []string
		err  error
	}{
		{"STAT", "STAT", nil, nil},
		{"stat", "STAT", nil, nil},
		{"StAt ", "STAT", nil, nil},
		{"LIST 1", "LIST", []string{"1"}, nil},
		{"LIST  1  ", "LIST", []string{"1"}, nil},
		{"TOP 1 10", "TOP", []string{"1", "10"}, nil},
		{"top 1", "TOP", nil, errMissingArgs},
		{"TOP 1 2 3", "TOP", nil, errTooManyArgs},
		{"USER alice", "USER", []string{"alice"}, nil},
		{"USER", "USER", nil, errMissingArgs},
		{"PASS two words ", "PASS", []string{"two words "}, nil},
		{"PASS", "PASS", nil, errMissingArgs},
		{"PASS ", "PASS", nil, errMissingArgs},
		{"APOP bob c4c9334bac560ecc979e58001b3e22fb", "APOP", []string{"bob", "c4c9334bac560ecc979e58001b3e22fb"}, nil},
		{"AUTH", "AUTH", nil, nil},
		{"AUTH PLAIN", "AUTH", []string{"PLAIN"}, nil},
		{"AUTH PLAIN =", "AUTH", []string{"PLAIN", "="}, nil},
		{"CAPA", "CAPA", nil, nil},
		{"CAPA x", "CAPA", nil, errTooManyArgs},
		{"", "", nil, errEmptyCommand},
		{" STAT", "", nil, errEmptyCommand},
		{"ST", "", nil, errUnknownCommand},
		{"STATS", "", nil, errUnknownCommand},
		{"HELO x", "", nil, errUnknownCommand},
		{"ST\x00T", "", nil, errUnknownCommand},
		{"USER a\x00b", "USER", nil, errBadCharacter},
		{"USER a\tb", "USER", nil, errBadCharacter},
		{"PASS a\rb", "PASS", nil, errBareLineEnd},
		{"STAT\nLIST", "", nil, errBareLineEnd},
		{"\n", "", nil, errBareLineEnd},
		{"USER caf\xc3\xa9", "USER", []string{"caf\xc3\xa9"}, nil},
	} {
		cmd, err := parseCommand([]byte(tc.line))
		if err != tc.err {
			t.Errorf("%q: error %v, want %v", tc.line, err, tc.err)
			continue
		}
		if err != nil {
			continue
		}
		if cmd.spec.name != tc.name {
			t.Errorf("%q: name %q, want %q", tc.line, cmd.spec.name, tc.name)
		}
		var args []string
		for i := range cmd.nargs {
			args = append(args, string(cmd.arg(i)))
		}
		if strings.Join(args, "|") != strings.Join(tc.args, "|") || len(args) != len(tc.args) {
			t.Errorf("%q: args %q, want %q", tc.line, args, tc.args)
		}
	}
}

func TestParseNumber(t *testing.T) {
	for _, tc := range []struct {
		in string
		n  int
		ok bool
	}{
		{"0", 0, true}, {"1", 1, true}, {"007", 7, true}, {"999999999", 999999999, true},
		{"1000000000", 0, false}, {"", 0, false}, {"-1", 0, false}, {"+1", 0, false},
		{"1a", 0, false}, {" 1", 0, false}, {"١", 0, false},
	} {
		n, ok := parseNumber([]byte(tc.in))
		if n != tc.n || ok != tc.ok {
			t.Errorf("parseNumber(%q) = %d, %v; want %d, %v", tc.in, n, ok, tc.n, tc.ok)
		}
	}
}

func TestParseCommandDoesNotAllocate(t *testing.T) {
	line := []byte("retr 12")
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := parseCommand(line); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("parseCommand allocates %v times per call", allocs)
	}
}

// FuzzParseCommand checks that any line parses without panic into a known
// command whose arguments are within bounds, hold no spaces or controls
// (except PASS, which takes the rest of the line), and parse back the same.
func FuzzParseCommand(f *testing.F) {
	for _, s := range []string{
		"STAT", "list 1", "TOP 1 10", "USER alice", "PASS pass word", "APOP a b",
		"AUTH PLAIN AGFsaWNlAHNlY3JldA==", "AUTH", "", " ", "RETR  2 ", "UIDL\x00",
		"QUIT extra", "capa", "ST\xffT", "NOOP\r", "STAT\nDELE 1", "USER a\rPASS b",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		cmd, err := parseCommand(line)
		if err != nil {
			if _, ok := err.(parseError); !ok {
				t.Fatalf("error of type %T", err)
			}
			return
		}
		if bytes.ContainsAny(line, "\r\n") {
			t.Fatalf("%q with a bare CR or LF parsed as a command", line)
		}
		spec := cmd.spec
		if spec == nil || commands[spec.name] != spec {
			t.Fatalf("unknown spec for %q", line)
		}
		if !strings.EqualFold(string(line[:min(len(line), len(spec.name))]), spec.name) {
			t.Fatalf("%q parsed as %s", line, spec.name)
		}
		if cmd.nargs < spec.minArgs || cmd.nargs > spec.maxArgs {
			t.Fatalf("%q: %d args for %s", line, cmd.nargs, spec.name)
		}
		for i := range cmd.nargs {
			a := cmd.arg(i)
			if len(a) == 0 {
				t.Fatalf("%q: empty argument %d", line, i)
			}
			for _, b := range a {
				if b < ' ' || b == 0x7f || (b == ' ' && !spec.rest) {
					t.Fatalf("%q: argument %q holds %q", line, a, b)
				}
			}
		}
		// Canonical form: NAME arg arg. It must parse to the same.
		canon := []byte(spec.name)
		for i := range cmd.nargs {
			canon = append(canon, ' ')
			canon = append(canon, cmd.arg(i)...)
		}
		again, err := parseCommand(canon)
		if err != nil || again.spec != spec || again.nargs != cmd.nargs {
			t.Fatalf("%q: canonical %q parses to %v, %v", line, canon, again.spec, err)
		}
		for i := range cmd.nargs {
			if !bytes.Equal(again.arg(i), cmd.arg(i)) {
				t.Fatalf("%q: canonical form changed argument %d", line, i)
			}
		}
	})
}
