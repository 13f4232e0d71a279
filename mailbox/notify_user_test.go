package mailbox

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

// TestWatchUser: a UserWatch sees every folder of its user, coalesced per
// folder in the order folders first changed: a rename is one event under
// the new name, another user's changes are not seen, and Ready tells when
// events wait.
func TestWatchUser(t *testing.T) {
	ctx := context.Background()
	s := NewMemoryStore()
	if err := s.CreateFolder(ctx, "alice", "a"); err != nil {
		t.Fatal(err)
	}
	w, ok := s.WatchUser("alice")
	if !ok {
		t.Fatal("the memory store cannot watch users")
	}
	defer w.Close()
	msg := "Subject: x\r\n\r\nbody\r\n"
	for i := 0; i < 3; i++ {
		if _, err := s.Append(ctx, "alice", "a", strings.NewReader(msg), nil); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Append(ctx, "bob", Inbox, strings.NewReader(msg), nil); err != nil {
		t.Fatal(err)
	}
	select {
	case <-w.Ready():
	default:
		t.Fatal("Ready did not fire")
	}
	f, err := s.OpenFolder(ctx, "alice", "a")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.SetFlags(ctx, UIDSet{{1, 1}}, FlagsAdd, []string{`\Deleted`}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Expunge(ctx, nil); err != nil {
		t.Fatal(err)
	}
	f.Close()
	steps := []error{
		s.CreateFolder(ctx, "alice", "b/c"),
		s.RenameFolder(ctx, "alice", "b", "d"),
		s.Subscribe(ctx, "alice", "a"),
		s.DeleteFolder(ctx, "alice", "d/c"),
	}
	for _, err := range steps {
		if err != nil {
			t.Fatal(err)
		}
	}
	got, overflow := w.Events()
	want := []FolderEvent{
		{Folder: "a", Kinds: 1<<ChangeAppend | 1<<ChangeFlags | 1<<ChangeExpunge | 1<<ChangeSubscription},
		{Folder: "b/c", Kinds: 1 << ChangeFolderCreated},
		{Folder: "d", OldFolder: "b", Kinds: 1 << ChangeFolderRenamed},
		{Folder: "d/c", Kinds: 1 << ChangeFolderDeleted},
	}
	if overflow || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("events %+v (overflow %v), want %+v", got, overflow, want)
	}
	if got, overflow := w.Events(); len(got) != 0 || overflow {
		t.Fatalf("events not cleared: %+v %v", got, overflow)
	}
	// INBOX renamed: a new folder with INBOX's messages (RFC 5465 5.4).
	if err := s.RenameFolder(ctx, "alice", Inbox, "old"); err != nil {
		t.Fatal(err)
	}
	got, _ = w.Events()
	if fmt.Sprint(got) != fmt.Sprint([]FolderEvent{{Folder: "old", OldFolder: Inbox, Kinds: 1 << ChangeFolderRenamed}}) {
		t.Fatalf("INBOX rename: %+v", got)
	}
	w.Close()
	if err := s.CreateFolder(ctx, "alice", "e"); err != nil {
		t.Fatal(err)
	}
	if got, _ := w.Events(); len(got) != 0 {
		t.Fatalf("events after Close: %+v", got)
	}
}

// TestWatchUserOverflow: the events a watch keeps are bounded by
// MaxWatchedFolders folders; past it they are dropped and Events reports
// an overflow once.
func TestWatchUserOverflow(t *testing.T) {
	ctx := context.Background()
	s := NewMemoryStore()
	w, _ := s.WatchUser("alice")
	defer w.Close()
	for i := 0; i < MaxWatchedFolders+10; i++ {
		if err := s.Subscribe(ctx, "alice", fmt.Sprintf("f%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	if got, overflow := w.Events(); len(got) != 0 || !overflow {
		t.Fatalf("got %d events, overflow %v; want an overflow", len(got), overflow)
	}
	if err := s.Subscribe(ctx, "alice", "g"); err != nil {
		t.Fatal(err)
	}
	if got, overflow := w.Events(); len(got) != 1 || overflow {
		t.Fatalf("after the overflow: %+v %v", got, overflow)
	}
}
