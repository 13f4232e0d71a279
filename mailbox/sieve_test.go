package mailbox

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestSieveScripts(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		s := e.s
		if list, err := s.ListSieveScripts(bg, "alice"); err != nil || len(list) != 0 {
			t.Fatalf("empty list: %v, %v", list, err)
		}
		if name, src, err := s.ActiveSieveScript(bg, "alice"); name != "" || src != nil || err != nil {
			t.Fatalf("no active script: %q %q %v", name, src, err)
		}
		odd := "Vacation/Ünïcode ..script" // needs the encoded file name
		for name, src := range map[string]string{"main": "keep;", odd: "discard;"} {
			if err := s.PutSieveScript(bg, "alice", name, []byte(src)); err != nil {
				t.Fatalf("Put %q: %v", name, err)
			}
		}
		if err := s.ActivateSieveScript(bg, "alice", "main"); err != nil {
			t.Fatal(err)
		}
		want := []SieveScript{{Name: odd, Size: 8}, {Name: "main", Size: 5, Active: true}}
		if list, err := s.ListSieveScripts(bg, "alice"); err != nil || !reflect.DeepEqual(list, want) {
			t.Fatalf("list = %+v, %v; want %+v", list, err, want)
		}
		// Replacing the active script keeps it active.
		if err := s.PutSieveScript(bg, "alice", "main", []byte("stop;")); err != nil {
			t.Fatal(err)
		}
		if name, src, err := s.ActiveSieveScript(bg, "alice"); name != "main" || string(src) != "stop;" || err != nil {
			t.Fatalf("active = %q %q %v", name, src, err)
		}
		if err := s.DeleteSieveScript(bg, "alice", "main"); !errors.Is(err, ErrScriptActive) {
			t.Fatalf("delete active: %v, want ErrScriptActive", err)
		}
		if err := s.RenameSieveScript(bg, "alice", "main", odd); !errors.Is(err, ErrScriptExists) {
			t.Fatalf("rename onto existing: %v", err)
		}
		if err := s.RenameSieveScript(bg, "alice", "main", "filters"); err != nil {
			t.Fatal(err)
		}
		if name, _, _ := s.ActiveSieveScript(bg, "alice"); name != "filters" {
			t.Fatalf("after renaming the active script, active = %q", name)
		}
		e.reopen()
		s = e.s
		if b, err := s.ReadSieveScript(bg, "alice", odd); err != nil || string(b) != "discard;" {
			t.Fatalf("after reopen, %q = %q, %v", odd, b, err)
		}
		if name, src, err := s.ActiveSieveScript(bg, "alice"); name != "filters" || string(src) != "stop;" || err != nil {
			t.Fatalf("after reopen, active = %q %q %v", name, src, err)
		}
		if err := s.ActivateSieveScript(bg, "alice", ""); err != nil {
			t.Fatal(err)
		}
		for _, n := range []string{"filters", odd} {
			if err := s.DeleteSieveScript(bg, "alice", n); err != nil {
				t.Fatalf("delete %q: %v", n, err)
			}
		}
		if list, _ := s.ListSieveScripts(bg, "alice"); len(list) != 0 {
			t.Fatalf("after deleting all: %+v", list)
		}
		for _, err := range []error{
			s.DeleteSieveScript(bg, "alice", "filters"),
			s.ActivateSieveScript(bg, "alice", "filters"),
			s.RenameSieveScript(bg, "alice", "filters", "x"),
			func() error { _, err := s.ReadSieveScript(bg, "alice", "filters"); return err }(),
		} {
			if !errors.Is(err, ErrNoSuchScript) {
				t.Errorf("on a missing script: %v, want ErrNoSuchScript", err)
			}
		}
		// The scripts directory is not a folder.
		infos, err := s.ListFolders(bg, "alice")
		if err != nil {
			t.Fatal(err)
		}
		for _, fi := range infos {
			if strings.Contains(fi.Name, "sieve") {
				t.Errorf("folder %q listed", fi.Name)
			}
		}
	})
}

func TestSieveScriptNames(t *testing.T) {
	s := NewMemoryStore()
	defer s.Close()
	for _, bad := range []string{"", strings.Repeat("x", MaxSieveScriptName+1), "a\x00b", "tab\there", "line\u2028sep", "\xff"} {
		if err := s.PutSieveScript(bg, "alice", bad, []byte("keep;")); !errors.Is(err, ErrInvalidName) {
			t.Errorf("Put(%q) = %v, want ErrInvalidName", bad, err)
		}
	}
	for _, good := range []string{"a", ".hidden", "..", "=x", "active", "tracker", "with space", "a/b", strings.Repeat("é", MaxSieveScriptName/2)} {
		if err := s.PutSieveScript(bg, "alice", good, []byte(good)); err != nil {
			t.Errorf("Put(%q): %v", good, err)
			continue
		}
		if b, err := s.ReadSieveScript(bg, "alice", good); err != nil || string(b) != good {
			t.Errorf("Read(%q) = %q, %v", good, b, err)
		}
		if name, ok := sieveNameOf(sieveFileName(good)); !ok || name != good {
			t.Errorf("file name of %q does not name it back: %q %v", good, name, ok)
		}
		if f := sieveFileName(good); len(f) > maxDiskNameLen || strings.Contains(f, "/") {
			t.Errorf("file name of %q = %q", good, f)
		}
	}
	for _, other := range []string{"active", "tracker", "x.sieve.tmp123", ".sieve", "=!!!.sieve"} {
		if name, ok := sieveNameOf(other); ok {
			t.Errorf("file %q taken for the script %q", other, name)
		}
	}
}

func TestSieveTracker(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		now := time.Now()
		if err := e.s.SieveRecord(bg, "alice", "vacation:ann", now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := e.s.SieveRecord(bg, "alice", "old", now.Add(-time.Second)); err != nil {
			t.Fatal(err)
		}
		check := func(when string) {
			t.Helper()
			for key, want := range map[string]bool{"vacation:ann": true, "old": false, "never": false} {
				if seen, err := e.s.SieveSeen(bg, "alice", key); err != nil || seen != want {
					t.Errorf("%s: Seen(%q) = %v, %v; want %v", when, key, seen, err, want)
				}
			}
			if seen, _ := e.s.SieveSeen(bg, "bob", "vacation:ann"); seen {
				t.Errorf("%s: bob sees alice's entry", when)
			}
		}
		check("recorded")
		e.reopen()
		check("after reopen")
		e.crash()
		check("after a crash")
	})
}

func TestSieveTrackerTornLine(t *testing.T) {
	e := storeKinds[1].open(t)
	future := time.Now().Add(time.Hour).Unix()
	log := sieveTrackerHeader +
		trackerKey("a") + " " + fmt.Sprint(future) + "\n" +
		"garbage\n" +
		trackerKey("b") + " " + fmt.Sprint(future) // torn: no newline
	if err := e.s.PutSieveScript(bg, "alice", "x", nil); err != nil { // makes the directory
		t.Fatal(err)
	}
	if err := writeAtomicBytes(e.fs, "alice/"+sieveDir, sieveTrackerFile, []byte(log)); err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]bool{"a": true, "b": false} {
		if seen, err := e.s.SieveSeen(bg, "alice", key); err != nil || seen != want {
			t.Errorf("Seen(%q) = %v, %v; want %v", key, seen, err, want)
		}
	}
}

func TestSieveTrackerCompacts(t *testing.T) {
	e := storeKinds[1].open(t)
	until := time.Now().Add(time.Hour)
	const n = 3000
	for i := range n {
		// The same few keys again and again: the log grows, the live set
		// does not.
		if err := e.s.SieveRecord(bg, "alice", fmt.Sprint(i%10), until); err != nil {
			t.Fatal(err)
		}
	}
	data, err := e.fs.ReadFile("alice/" + sieveDir + "/" + sieveTrackerFile)
	if err != nil {
		t.Fatal(err)
	}
	if lines := strings.Count(string(data), "\n"); lines > 2*10+1024+2 {
		t.Errorf("log has %d lines after %d records of 10 keys: not compacted", lines, n)
	}
	e.reopen()
	for i := range 10 {
		if seen, _ := e.s.SieveSeen(bg, "alice", fmt.Sprint(i)); !seen {
			t.Errorf("key %d lost by compaction", i)
		}
	}
}
