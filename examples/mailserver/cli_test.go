package main

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestParseCommandLine: flags work before, between and after the
// arguments; unknown commands, extra arguments and flags that the command
// would ignore are errors.
func TestParseCommandLine(t *testing.T) {
	for _, tc := range []struct {
		args    string
		command string
		rest    []string
		data    string
		err     string // in the error; "" for none
	}{
		{args: "", data: "mailwright-data"},
		{args: "-data D -smtp :25", data: "D"},
		{args: "queue list -data D", command: "queue", rest: []string{"list"}, data: "D"},
		{args: "-data D queue list", command: "queue", rest: []string{"list"}, data: "D"},
		{args: "queue -data D", command: "queue", data: "D"},
		{args: "queue remove -data D id1 id2", command: "queue", rest: []string{"remove", "id1", "id2"}, data: "D"},
		{args: "adduser -password pw bob -data D", command: "adduser", rest: []string{"bob"}, data: "D"},
		{args: "adduser bob -password pw -cost 4", command: "adduser", rest: []string{"bob"}, data: "mailwright-data"},
		{args: "deluser -- -bob", command: "deluser", rest: []string{"-bob"}, data: "mailwright-data"},
		{args: "users -data D", command: "users", data: "D"},

		{args: "bogus", err: `unknown command "bogus"`},
		{args: "-data D serve", err: `unknown command "serve"`},
		{args: "users extra", err: "users takes no arguments"},
		{args: "queue list extra", err: "queue list takes no arguments"},
		{args: "queue flush", err: `unknown queue command "flush"`},
		{args: "queue remove", err: "queue remove needs the IDs"},
		{args: "adduser", err: "adduser takes one NAME"},
		{args: "adduser bob carol", err: "adduser takes one NAME"},
		{args: "-password pw", err: "flag -password is for adduser and passwd only"},
		{args: "users -cost 4", err: "flag -cost is for adduser and passwd only"},
		{args: "queue list -smtp :25", err: "flag -smtp is for running the server, not for queue"},
		{args: "users -nosuchflag", err: "flag provided but not defined: -nosuchflag"},
	} {
		var out bytes.Buffer
		cl, err := parseCommandLine(strings.Fields(tc.args), &out)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error()+out.String(), tc.err) {
				t.Errorf("%q: error %v, want %q", tc.args, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tc.args, err)
			continue
		}
		if cl.command != tc.command || !slices.Equal(cl.args, tc.rest) || cl.config.data != tc.data {
			t.Errorf("%q: command %q args %q data %q, want %q %q %q", tc.args, cl.command, cl.args, cl.config.data, tc.command, tc.rest, tc.data)
		}
	}
}

// TestCommandFlagsAfterArguments: "adduser bob -data D" and "users -data
// D" work on D, and "queue list -data D" opens D's queue, not
// ./mailwright-data (where a flag after the arguments was ignored).
func TestCommandFlagsAfterArguments(t *testing.T) {
	t.Chdir(t.TempDir())
	data := filepath.Join(t.TempDir(), "D")
	run := func(args string, stdin io.Reader) string {
		t.Helper()
		cl, err := parseCommandLine(strings.Fields(args), io.Discard)
		if err != nil {
			t.Fatalf("%s: %v", args, err)
		}
		var out bytes.Buffer
		if err := runCommand(cl, stdin, &out); err != nil {
			t.Fatalf("%s: %v", args, err)
		}
		return out.String()
	}
	run("adduser bob -data "+data+" -cost 4", strings.NewReader("secret\n"))
	if got := run("users -data "+data, nil); got != "bob\n" {
		t.Fatalf("users -data D: %q, want bob", got)
	}
	run("queue list -data "+data, nil)
	if _, err := os.Stat(filepath.Join(data, "queue")); err != nil {
		t.Errorf("queue list -data D did not open D's queue: %v", err)
	}
	if _, err := os.Stat("mailwright-data"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a command with -data D used ./mailwright-data: %v", err)
	}
}
