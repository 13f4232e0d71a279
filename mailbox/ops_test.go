package mailbox

import (
	"errors"
	"fmt"
	"math/rand"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestFolderNames(t *testing.T) {
	bad := []string{
		"", "/", "a/", "/a", "a//b", ".hidden", "a/.b", "..", "a/../b", "a\x00b", "a\nb", "a\tb",
		"a\x7fb", "a\u0085b", "100%", "a*", "\xff\xfe", strings.Repeat("x", 256), strings.Repeat("abcdefgh/", 120),
		strings.Repeat("é", 130),                    // 260 bytes in one component
		strings.Repeat("ü/", 60) + "x",              // fits per component but too long on disk
		"~root/probe", "~", "#news/comp", "#shared", // namespace prefixes (RFC 2342)
	}
	for _, n := range bad {
		_, err := CanonicalName(n)
		var ne *NameError
		if !errors.Is(err, ErrInvalidName) || !errors.As(err, &ne) || ne.Reason == "" {
			t.Errorf("CanonicalName(%q) = %v, want a *NameError", n, err)
		}
	}
	good := map[string]string{ // name -> directory on disk
		"Sent":             ".Sent",
		"Lists/Go":         ".Lists.Go",
		"Entwürfe":         ".Entw&APw-rfe",
		"a.b":              ".a%2Eb",
		"R&D":              ".R&-D",
		"日本語/メール":          ".&ZeVnLIqe-.&MOEw,DDr-",
		"inbox/Sub":        ".INBOX.Sub",
		"Mr. Smith's mail": ".Mr%2E Smith's mail",
		"Archive/~old#1":   ".Archive.~old#1", // a prefix only at the start of a name
	}
	for n, disk := range good {
		canon, err := CanonicalName(n)
		if err != nil {
			t.Errorf("CanonicalName(%q): %v", n, err)
			continue
		}
		if d := diskName(canon); d != disk {
			t.Errorf("diskName(%q) = %q, want %q", canon, d, disk)
		}
		if back, ok := folderFromDisk(disk); !ok || back != canon {
			t.Errorf("folderFromDisk(%q) = %q, %v; want %q", disk, back, ok, canon)
		}
	}
	if c, _ := CanonicalName("iNbOx"); c != Inbox {
		t.Errorf("CanonicalName(iNbOx) = %q", c)
	}
	// Non-canonical modified UTF-7 on disk is not a folder name.
	for _, d := range []string{".&AGE-", ".&AOk-&AOk-", ".&Jjo", ".a..b", "."} {
		if n, ok := folderFromDisk(d); ok {
			t.Errorf("folderFromDisk(%q) = %q, want refusal", d, n)
		}
	}
	eachStore(t, func(t *testing.T, e *env) {
		for _, n := range bad {
			if err := e.s.CreateFolder(bg, "alice", n); !errors.Is(err, ErrInvalidName) {
				t.Errorf("CreateFolder(%q) = %v", n, err)
			}
		}
		if _, err := e.s.OpenFolder(bg, "alice", "../../etc"); !errors.Is(err, ErrInvalidName) {
			t.Errorf("OpenFolder(../../etc) = %v", err)
		}
		for _, u := range []string{"", ".", "..", "a/b", "a\x00", ".hidden"} {
			if _, err := e.s.ListFolders(bg, u); !errors.Is(err, ErrInvalidName) {
				t.Errorf("user %q: %v", u, err)
			}
		}
	})
}

func TestFolderLifecycle(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		list := func() map[string]FolderInfo {
			t.Helper()
			fs, err := e.s.ListFolders(bg, "alice")
			if err != nil {
				t.Fatal(err)
			}
			if fs[0].Name != Inbox {
				t.Fatalf("INBOX not first: %+v", fs)
			}
			m := map[string]FolderInfo{}
			for _, f := range fs {
				m[f.Name] = f
			}
			return m
		}
		l := list()
		for _, sf := range DefaultSpecialFolders {
			if fi, ok := l[sf.Name]; !ok || fi.SpecialUse != sf.Use || !fi.Subscribed || fi.NoSelect {
				t.Fatalf("new user's %s: %+v", sf.Name, fi)
			}
		}
		if !l[Inbox].Subscribed || len(l) != 6 {
			t.Fatalf("new user's folders: %+v", l)
		}
		// Create with parents, on disk as Maildir++.
		if err := e.s.CreateFolder(bg, "alice", "Lists/Go/Nuts"); err != nil {
			t.Fatal(err)
		}
		if err := e.s.CreateFolder(bg, "alice", "Lists/Go"); !errors.Is(err, ErrFolderExists) {
			t.Fatalf("create existing: %v", err)
		}
		if err := e.s.CreateFolder(bg, "alice", "INBOX"); !errors.Is(err, ErrFolderExists) {
			t.Fatalf("create INBOX: %v", err)
		}
		for _, d := range []string{".Lists/cur", ".Lists.Go/new", ".Lists.Go.Nuts/tmp", ".Lists.Go.Nuts/maildirfolder"} {
			if _, err := e.fs.Stat("alice/" + d); err != nil {
				t.Fatalf("missing %s: %v", d, err)
			}
		}
		l = list()
		if !l["Lists"].HasChildren || !l["Lists/Go"].HasChildren || l["Lists/Go/Nuts"].HasChildren || l["Lists/Go/Nuts"].Subscribed {
			t.Fatalf("hierarchy: %+v", l)
		}
		// A folder created by another program without its parent.
		for _, d := range []string{"", "/cur", "/new", "/tmp"} {
			e.fs.Mkdir("alice/.Orphan.Child" + d)
		}
		l = list()
		if !l["Orphan"].NoSelect || !l["Orphan"].HasChildren || l["Orphan/Child"].NoSelect {
			t.Fatalf("orphan: %+v %+v", l["Orphan"], l["Orphan/Child"])
		}
		// Messages and UIDs move with a rename, children too.
		r := e.append("alice", "Lists/Go", "go\n", nil)
		e.append("alice", "Lists/Go/Nuts", "nuts\n", nil)
		watcher := e.open("alice", "Lists/Go")
		if err := e.s.RenameFolder(bg, "alice", "Lists/Go", "Archive/2024/Go"); err != nil {
			t.Fatal(err)
		}
		if _, err := watcher.Poll(bg); !errors.Is(err, ErrFolderDeleted) {
			t.Fatalf("handle on renamed folder: %v", err)
		}
		l = list()
		if _, ok := l["Lists/Go"]; ok {
			t.Fatalf("old name still listed")
		}
		if _, ok := l["Archive/2024/Go/Nuts"]; !ok {
			t.Fatalf("child not renamed: %v", l)
		}
		f := e.open("alice", "Archive/2024/Go")
		if f.UIDValidity() != r.UIDValidity || !equalUIDs(uidsOf(f.Messages()), []uint32{r.UID}) {
			t.Fatalf("renamed folder: uidvalidity %d (was %d), uids %v", f.UIDValidity(), r.UIDValidity, uidsOf(f.Messages()))
		}
		if err := e.s.RenameFolder(bg, "alice", "Nope", "X"); !errors.Is(err, ErrNoSuchFolder) {
			t.Fatalf("rename missing: %v", err)
		}
		if err := e.s.RenameFolder(bg, "alice", "Sent", "Drafts"); !errors.Is(err, ErrFolderExists) {
			t.Fatalf("rename onto existing: %v", err)
		}
		if err := e.s.RenameFolder(bg, "alice", "Sent", "Sent/Sub"); !errors.Is(err, ErrNotAllowed) {
			t.Fatalf("rename into itself: %v", err)
		}
		if err := e.s.RenameFolder(bg, "alice", "Sent", "Sent Items"); err != nil {
			t.Fatal(err)
		}
		if l = list(); l["Sent Items"].SpecialUse != UseSent {
			t.Fatalf("special use not carried by rename: %+v", l["Sent Items"])
		}
		// Delete: gone, recreated with a new UIDVALIDITY, children stay.
		if err := e.s.DeleteFolder(bg, "alice", "Archive/2024/Go"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.Poll(bg); !errors.Is(err, ErrFolderDeleted) {
			t.Fatalf("handle on deleted folder: %v", err)
		}
		l = list()
		if _, ok := l["Archive/2024/Go/Nuts"]; !ok || !l["Archive/2024/Go"].NoSelect {
			t.Fatalf("after delete: %+v", l)
		}
		if err := e.s.CreateFolder(bg, "alice", "Archive/2024/Go"); err != nil {
			t.Fatal(err)
		}
		st, err := e.s.Status(bg, "alice", "Archive/2024/Go")
		if err != nil || st.Messages != 0 || st.UIDValidity == r.UIDValidity || st.UIDNext != 1 {
			t.Fatalf("recreated folder status %+v, %v (old uidvalidity %d)", st, err, r.UIDValidity)
		}
		if err := e.s.DeleteFolder(bg, "alice", "inbox"); !errors.Is(err, ErrNotAllowed) {
			t.Fatalf("delete INBOX: %v", err)
		}
		if err := e.s.DeleteFolder(bg, "alice", "Nope"); !errors.Is(err, ErrNoSuchFolder) {
			t.Fatalf("delete missing: %v", err)
		}
	})
}

func TestRenameInbox(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		e.append("alice", "INBOX", "one\n", nil)
		e.append("alice", "INBOX", "two\n", &AppendOptions{Flags: []string{FlagSeen}})
		in := e.open("alice", "INBOX")
		uv := in.UIDValidity()
		if err := e.s.RenameFolder(bg, "alice", "INBOX", "Old/Mail"); err != nil {
			t.Fatal(err)
		}
		u := e.poll(in)
		if !equalUIDs(u.Expunged, []uint32{1, 2}) || len(in.Messages()) != 0 {
			t.Fatalf("INBOX after rename: %+v", u)
		}
		if in.UIDValidity() != uv {
			t.Fatal("INBOX UIDVALIDITY changed")
		}
		f := e.open("alice", "Old/Mail")
		ms := f.Messages()
		if len(ms) != 2 || !hasFlags(ms[1], FlagSeen) || e.read(f, ms[0].UID) != "one\r\n" {
			t.Fatalf("moved messages: %+v", ms)
		}
		if r := e.append("alice", "INBOX", "three\n", nil); r.UID != 3 || r.UIDValidity != uv {
			t.Fatalf("INBOX append after rename: %+v", r)
		}
	})
}

func TestSubscriptions(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		if err := e.s.Subscribe(bg, "bob", "Lists/Go"); err != nil {
			t.Fatal(err)
		}
		e.s.Subscribe(bg, "bob", "Lists/Go")
		if err := e.s.Unsubscribe(bg, "bob", "Junk"); err != nil {
			t.Fatal(err)
		}
		if err := e.s.Subscribe(bg, "bob", "a//b"); !errors.Is(err, ErrInvalidName) {
			t.Fatalf("subscribe bad name: %v", err)
		}
		e.reopen()
		subs, err := e.s.Subscriptions(bg, "bob")
		want := []string{"INBOX", "Drafts", "Sent", "Trash", "Archive", "Lists/Go"}
		if err != nil || !slices.Equal(subs, want) {
			t.Fatalf("Subscriptions = %v, %v; want %v", subs, err, want)
		}
		data, _ := e.fs.ReadFile("bob/" + subscriptionsFile)
		if !strings.Contains(string(data), "Lists/Go\n") {
			t.Fatalf("subscriptions file: %q", data)
		}
		if err := e.s.SetSpecialUse(bg, "bob", "Archive", ""); err != nil {
			t.Fatal(err)
		}
		if err := e.s.SetSpecialUse(bg, "bob", "Sent", `\Bogus`); err == nil {
			t.Fatal("bogus special use accepted")
		}
		uses, _ := e.s.SpecialUse(bg, "bob")
		if uses["Archive"] != "" || uses["Sent"] != UseSent {
			t.Fatalf("SpecialUse = %v", uses)
		}
	})
}

func TestCopyMove(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		e.append("alice", "INBOX", "one\n", &AppendOptions{Flags: []string{FlagSeen, "Work"}, InternalDate: time.Unix(1e9, 0)})
		e.append("alice", "INBOX", "two\n", nil)
		e.append("alice", "INBOX", "three\n", &AppendOptions{Flags: []string{"Home"}})
		e.s.CreateFolder(bg, "alice", "Keep")
		// Give Keep a different keyword letter layout.
		e.append("alice", "Keep", "k\n", &AppendOptions{Flags: []string{"Home"}})
		in := e.open("alice", "INBOX")
		watch := e.s.Watch("alice", "Keep")
		defer watch.Close()
		res, err := in.Copy(bg, UIDSet{{1, 1}, {3, 0}}, "Keep")
		if err != nil {
			t.Fatal(err)
		}
		if !equalUIDs(res.SourceUIDs, []uint32{1, 3}) || !equalUIDs(res.DestUIDs, []uint32{2, 3}) {
			t.Fatalf("Copy = %+v", res)
		}
		k := e.open("alice", "Keep")
		ms := k.Messages()
		if len(ms) != 3 || !hasFlags(ms[1], FlagSeen, "Work") || !ms[1].InternalDate.Equal(time.Unix(1e9, 0)) || !hasFlags(ms[2], "Home") || res.UIDValidity != k.UIDValidity() {
			t.Fatalf("copies: %+v", ms)
		}
		if e.read(k, 2) != "one\r\n" {
			t.Fatal("copy content")
		}
		if cs, _ := watch.Changes(); len(cs) == 0 || cs[len(cs)-1].Kind != ChangeAppend {
			t.Fatalf("no append notification for copy: %+v", cs)
		}
		if _, err := in.Copy(bg, UIDSetOf(1), "Nope"); !errors.Is(err, ErrNoSuchFolder) {
			t.Fatalf("copy to missing: %v", err)
		}
		// Move: gone from the source (and from its view), present in dest.
		res, err = in.Move(bg, UIDSetOf(2), "Keep")
		if err != nil || !equalUIDs(res.DestUIDs, []uint32{4}) {
			t.Fatalf("Move = %+v, %v", res, err)
		}
		if !equalUIDs(uidsOf(in.Messages()), []uint32{1, 3}) {
			t.Fatalf("source view after move: %v", uidsOf(in.Messages()))
		}
		if u := e.poll(in); !u.Empty() {
			t.Fatalf("own move reported by Poll: %+v", u)
		}
		if u := e.poll(k); !equalUIDs(uidsOf(u.Added), []uint32{4}) {
			t.Fatalf("dest poll after move: %+v", u)
		}
		// Copy within the same folder.
		res, err = in.Copy(bg, UIDSetOf(1), "INBOX")
		if err != nil || !equalUIDs(res.DestUIDs, []uint32{4}) {
			t.Fatalf("copy to self = %+v %v", res, err)
		}
	})
}

func TestNotifications(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		a := e.open("alice", "INBOX")
		b := e.open("alice", "INBOX")
		sub := e.s.Watch("alice", "inbox")
		defer sub.Close()
		next := func() Change {
			t.Helper()
			select {
			case <-sub.Ready():
			case <-time.After(5 * time.Second):
				t.Fatal("no notification")
			}
			cs, resync := sub.Changes()
			if len(cs) != 1 || resync {
				t.Fatalf("changes %+v resync %v", cs, resync)
			}
			return cs[0]
		}
		r := e.append("alice", "INBOX", "x\n", nil)
		if c := next(); c.Kind != ChangeAppend || !equalUIDs(c.UIDs, []uint32{r.UID}) || c.UIDValidity != r.UIDValidity || c.ModSeq < r.ModSeq {
			t.Fatalf("append change %+v", c)
		}
		select {
		case <-a.Updates():
		case <-time.After(5 * time.Second):
			t.Fatal("handle a not woken")
		}
		if u := e.poll(a); !equalUIDs(uidsOf(u.Added), []uint32{1}) {
			t.Fatalf("a.Poll = %+v", u)
		}
		e.poll(b)
		res, err := b.SetFlags(bg, UIDSetOf(1), FlagsAdd, []string{FlagDeleted}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if c := next(); c.Kind != ChangeFlags || c.ModSeq != res.ModSeq || c.Origin != b.ID() || !equalUIDs(c.UIDs, []uint32{1}) {
			t.Fatalf("flags change %+v", c)
		}
		if u := e.poll(a); len(u.Changed) != 1 || !u.Changed[0].HasFlag(FlagDeleted) || u.Changed[0].ModSeq != res.ModSeq {
			t.Fatalf("a.Poll after flags = %+v", u)
		}
		if u := e.poll(b); !u.Empty() {
			t.Fatalf("b sees its own change: %+v", u)
		}
		if _, err := b.Expunge(bg, nil); err != nil {
			t.Fatal(err)
		}
		if c := next(); c.Kind != ChangeExpunge || !equalUIDs(c.UIDs, []uint32{1}) || c.ModSeq <= res.ModSeq {
			t.Fatalf("expunge change %+v", c)
		}
		// a keeps the message in its view until it polls (RFC 3501 7.4.1).
		if len(a.Messages()) != 1 {
			t.Fatal("a's view changed without Poll")
		}
		if u := e.poll(a); !equalUIDs(u.Expunged, []uint32{1}) {
			t.Fatalf("a.Poll after expunge = %+v", u)
		}
		// A slow subscriber does not block delivery: it is told to resync.
		for i := 0; i < maxQueuedChanges+10; i++ {
			e.append("alice", "INBOX", "y\n", nil)
		}
		<-sub.Ready()
		if cs, resync := sub.Changes(); !resync || len(cs) > 10 {
			t.Fatalf("overflow: %d changes, resync %v", len(cs), resync)
		}
	})
}

// TestConcurrentAppendExpunge runs appenders, a flag setter/expunger and a
// watcher at once; UIDs must be unique, and each view must only ever see
// UIDs grow (new messages always above the ones seen).
func TestConcurrentAppendExpunge(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		const writers, each = 8, 50
		var wg sync.WaitGroup
		var mu sync.Mutex
		got := map[uint32]bool{}
		errs := make(chan error, writers*each+10)
		for w := 0; w < writers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < each; i++ {
					r, err := e.s.Append(bg, "alice", "INBOX", strings.NewReader(fmt.Sprintf("w%d m%d\n", w, i)), nil)
					if err != nil {
						errs <- err
						return
					}
					mu.Lock()
					if got[r.UID] {
						errs <- fmt.Errorf("UID %d assigned twice", r.UID)
					}
					got[r.UID] = true
					mu.Unlock()
				}
			}()
		}
		stop := make(chan struct{})
		var side sync.WaitGroup
		side.Add(2)
		expunged := map[uint32]bool{}
		go func() { // expunger
			defer side.Done()
			f, err := e.s.OpenFolder(bg, "alice", "INBOX")
			if err != nil {
				errs <- err
				return
			}
			defer f.Close()
			rnd := rand.New(rand.NewSource(1))
			for n := 0; n < 200; n++ {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := f.Poll(bg); err != nil {
					errs <- err
					return
				}
				ms := f.Messages()
				if len(ms) == 0 {
					time.Sleep(time.Millisecond)
					continue
				}
				uid := ms[rnd.Intn(len(ms))].UID
				if _, err := f.SetFlags(bg, UIDSetOf(uid), FlagsAdd, []string{FlagDeleted}, nil); err != nil {
					errs <- err
					return
				}
				gone, err := f.Expunge(bg, UIDSetOf(uid))
				if err != nil {
					errs <- err
					return
				}
				for _, g := range gone {
					expunged[g] = true
				}
			}
		}()
		go func() { // watcher: UIDs in a view only grow at the end
			defer side.Done()
			f, err := e.s.OpenFolder(bg, "alice", "INBOX")
			if err != nil {
				errs <- err
				return
			}
			defer f.Close()
			var maxSeen uint32
			for {
				u, err := f.Poll(bg)
				if err != nil {
					errs <- err
					return
				}
				for _, m := range u.Added {
					if m.UID <= maxSeen {
						errs <- fmt.Errorf("UID %d appeared after %d was seen", m.UID, maxSeen)
					}
					maxSeen = m.UID
				}
				ms := f.Messages()
				for i := 1; i < len(ms); i++ {
					if ms[i].UID <= ms[i-1].UID {
						errs <- fmt.Errorf("view not ascending at %d", i)
					}
				}
				select {
				case <-stop:
					return
				case <-f.Updates():
				case <-time.After(50 * time.Millisecond):
				}
			}
		}()
		wg.Wait()
		close(stop)
		side.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		if len(got) != writers*each {
			t.Fatalf("%d UIDs for %d appends", len(got), writers*each)
		}
		f := e.open("alice", "INBOX")
		ms := f.Messages()
		if len(ms)+len(expunged) != writers*each {
			t.Fatalf("%d messages + %d expunged != %d", len(ms), len(expunged), writers*each)
		}
		for _, m := range ms {
			if !got[m.UID] || expunged[m.UID] {
				t.Fatalf("unexpected UID %d", m.UID)
			}
		}
		e.reopen()
		f = e.open("alice", "INBOX")
		if !equalUIDs(uidsOf(f.Messages()), uidsOf(ms)) {
			t.Fatal("UIDs changed across reopen")
		}
	})
}
