package mailbox_test

import (
	"context"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/mailwright/mailwright/imap"
	"github.com/mailwright/mailwright/mailbox"
)

const structMsg = "From: Alice <alice@example.org>\r\n" +
	"Subject: Outer\r\n" +
	"MIME-Version: 1.0\r\n" +
	"Content-Type: multipart/mixed; boundary=b1\r\n" +
	"\r\n" +
	"--b1\r\n" +
	"Content-Type: text/plain\r\n" +
	"\r\n" +
	"Hello\r\n" +
	"--b1\r\n" +
	"Content-Type: message/rfc822\r\n" +
	"\r\n" +
	"From: Bob <bob@example.org>\r\n" +
	"Subject: Inner\r\n" +
	"\r\n" +
	"Forwarded\r\n" +
	"--b1--\r\n"

const plainMsg = "Subject: plain\r\n\r\nhi\r\n"

// parsedStruct is structMsg as imap.ParseStructure gives it.
func parsedStruct(t testing.TB) *imap.Part {
	t.Helper()
	p, err := imap.ParseStructure(strings.NewReader(structMsg), int64(len(structMsg)))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// structBackend returns a backend over a memory store where alice has
// n copies of structMsg in INBOX, and bob one plain message.
func structBackend(t testing.TB, size, n int) *mailbox.IMAPBackend {
	t.Helper()
	store := mailbox.NewMemoryStore()
	t.Cleanup(func() { store.Close() })
	accts := mailbox.NewMemoryAccounts()
	accts.Add("alice", "secret")
	accts.Add("bob", "hunter2")
	ctx := context.Background()
	for range n {
		if _, err := store.Append(ctx, "alice", "INBOX", strings.NewReader(structMsg), nil); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := store.Append(ctx, "bob", "INBOX", strings.NewReader(plainMsg), nil); err != nil {
		t.Fatal(err)
	}
	b := mailbox.NewIMAPBackend(store, accts)
	b.StructureCacheSize = size
	return b
}

// openCache logs in and opens INBOX, returning its StructureCache.
func openCache(t *testing.T, b *mailbox.IMAPBackend, user, pass string) imap.StructureCache {
	t.Helper()
	ctx := context.Background()
	u, err := b.Login(ctx, imap.ConnInfo{}, user, pass)
	if err != nil {
		t.Fatal(err)
	}
	mb, err := u.Open(ctx, "INBOX", false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mb.Close() })
	sc, ok := mb.(imap.StructureCache)
	if !ok {
		t.Fatal("the IMAP mailbox does not implement imap.StructureCache")
	}
	return sc
}

func structure(t *testing.T, sc imap.StructureCache, uid uint32) *imap.Part {
	t.Helper()
	p, err := sc.Structure(context.Background(), uid)
	if err != nil {
		t.Fatalf("Structure(%d): %v", uid, err)
	}
	if p == nil {
		t.Fatalf("Structure(%d) = nil", uid)
	}
	return p
}

func TestIMAPStructureCache(t *testing.T) {
	b := structBackend(t, 2, 3)
	a1 := openCache(t, b, "alice", "secret")
	a2 := openCache(t, b, "alice", "secret") // another session

	p1 := structure(t, a1, 1)
	if p1.Type != "multipart" || p1.Subtype != "mixed" || len(p1.Children) != 2 {
		t.Fatalf("structure = %s/%s with %d children, want multipart/mixed with 2", p1.Type, p1.Subtype, len(p1.Children))
	}
	inner := p1.Children[1].Message
	if inner == nil || !strings.Contains(structMsg[inner.HeaderStart:inner.BodyStart], "Subject: Inner") {
		t.Fatalf("encapsulated message wrong: %+v", inner)
	}
	if want := parsedStruct(t); !reflect.DeepEqual(p1, want) {
		t.Fatalf("cached structure %+v, want what imap.ParseStructure gives: %+v", p1, want)
	}
	// A hit returns the same parsed structure, to any session.
	if p := structure(t, a1, 1); p != p1 {
		t.Error("second Structure(1) parsed again, want the cached part")
	}
	if p := structure(t, a2, 1); p != p1 {
		t.Error("another session's Structure(1) parsed again, want the shared part")
	}
	// LRU with room for 2: 1 2 3 pushes 1 out, 3 stays.
	structure(t, a1, 2)
	p3 := structure(t, a2, 3)
	if p := structure(t, a1, 1); p == p1 {
		t.Error("Structure(1) still cached after two newer entries in a cache of 2")
	}
	// 1 was just added again, pushing out 2; 3 is more recent than 2.
	if p := structure(t, a1, 3); p != p3 {
		t.Error("Structure(3) was evicted, want it kept (more recently used than 2)")
	}
	// Another user's UID 1 is another message.
	bp := structure(t, openCache(t, b, "bob", "hunter2"), 1)
	if bp == p1 || bp.Type != "text" || bp.End != int64(len(plainMsg)) {
		t.Errorf("bob's UID 1 = %s/%s ending at %d, want his own text/plain", bp.Type, bp.Subtype, bp.End)
	}
	// A UID that does not exist is an error, and nothing is cached.
	if p, err := a1.Structure(context.Background(), 99); err == nil || p != nil {
		t.Errorf("Structure(99) = %v, %v; want an error", p, err)
	}
}

func TestIMAPStructureCacheDisabled(t *testing.T) {
	b := structBackend(t, -1, 1)
	p, err := openCache(t, b, "alice", "secret").Structure(context.Background(), 1)
	if p != nil || err != nil {
		t.Errorf("disabled cache: Structure = %v, %v; want nil, nil (not cached)", p, err)
	}
	// Store.IMAPUser has no backend, hence no cache.
	ctx := context.Background()
	mb, err := b.Store.IMAPUser("alice").Open(ctx, "INBOX", true)
	if err != nil {
		t.Fatal(err)
	}
	defer mb.Close()
	if p, err := mb.(imap.StructureCache).Structure(ctx, 1); p != nil || err != nil {
		t.Errorf("Store.IMAPUser: Structure = %v, %v; want nil, nil", p, err)
	}
}

// TestIMAPStructureCacheConcurrent has sessions share cached parts and
// read their envelopes at the same time; run with -race.
func TestIMAPStructureCacheConcurrent(t *testing.T) {
	b := structBackend(t, 3, 5)
	caches := make([]imap.StructureCache, 4)
	for i := range caches {
		caches[i] = openCache(t, b, "alice", "secret")
	}
	want := parsedStruct(t)
	var wg sync.WaitGroup
	errs := make(chan string, len(caches))
	for _, sc := range caches {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				p, err := sc.Structure(context.Background(), uint32(i%5+1))
				if err != nil || p == nil {
					errs <- "Structure failed"
					return
				}
				// Reading the whole shared structure, envelopes included,
				// while other sessions do: the race detector watches.
				if !reflect.DeepEqual(p, want) {
					errs <- "wrong structure"
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

// BenchmarkIMAPStructure measures Structure on a hit (cached) against
// opening and parsing the message (what a miss costs on top of the LRU).
func BenchmarkIMAPStructure(b *testing.B) {
	for _, bc := range []struct {
		name string
		size int
	}{{"hit", 0}, {"miss", 1}} {
		b.Run(bc.name, func(b *testing.B) {
			be := structBackend(b, bc.size, 2)
			ctx := context.Background()
			u, err := be.Login(ctx, imap.ConnInfo{}, "alice", "secret")
			if err != nil {
				b.Fatal(err)
			}
			mb, err := u.Open(ctx, "INBOX", false)
			if err != nil {
				b.Fatal(err)
			}
			defer mb.Close()
			sc := mb.(imap.StructureCache)
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				// With room for one entry, alternating UIDs always miss.
				uid := uint32(1)
				if bc.size == 1 {
					uid = uint32(i%2 + 1)
				}
				if _, err := sc.Structure(ctx, uid); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
