// Package backendtest checks that a pop3.Backend behaves as the pop3
// server expects, in the spirit of testing/fstest.TestFS. A backend's own
// tests call Run with a function that builds a fresh backend:
//
//	func TestPOP3Conformance(t *testing.T) {
//		backendtest.Run(t, func(t *testing.T) backendtest.Harness {
//			return newMyHarness(t) // a new store with one user and an empty maildrop
//		})
//	}
//
// The package also has Memory, an in-memory pop3.Backend for tests.
package backendtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"testing"

	"github.com/mailwright/mailwright/pop3"
)

// Harness is what the suite needs from a backend under test. Run calls the
// constructor once per subtest, so each subtest starts from a fresh store.
type Harness interface {
	// Backend returns the backend under test.
	Backend() pop3.Backend
	// User returns the credentials of a user whose maildrop is empty when
	// the harness is created.
	User() (name, password string)
	// Deliver puts raw into the user's maildrop the way mail arrives (local
	// delivery), failing t on error. raw may use LF or CRLF line endings.
	// It is called while a session of that user may be open.
	Deliver(t *testing.T, user string, raw []byte)
}

// samples are delivered by the suite: CRLF and LF endings, mixed, no final
// newline, lines that need byte-stuffing, a bare CR, 8-bit text and a
// message larger than common copy buffers. Each is distinct.
func samples() [][]byte {
	var big bytes.Buffer
	big.WriteString("Subject: big\n\n")
	for i := 0; big.Len() < 300<<10; i++ {
		fmt.Fprintf(&big, "line %d of a large message, with LF endings only\n", i)
	}
	return [][]byte{
		[]byte("Subject: crlf\r\n\r\nbody\r\n"),
		[]byte("Subject: lf\n\nline 1\nline 2\n"),
		[]byte("Subject: dots\r\n\r\n.one dot\r\n..two dots\r\n.\r\n"),
		[]byte("Subject: no final newline\n\nlast line"),
		[]byte("Subject: mixed\r\n\r\nmixed\nendings\r\nhere\n"),
		[]byte("Subject: bare cr\r\n\r\nbare\rCR\r\n"),
		[]byte("Subject: 8bit\r\nContent-Type: text/plain; charset=utf-8\r\n\r\ncaf\xc3\xa9 na\xc3\xafve\r\n"),
		big.Bytes(),
	}
}

// Run runs the conformance suite: logins and their errors, the exclusive
// lock, sizes, content, UIDs, the per-session snapshot and Delete, and the
// SASL mechanisms of a pop3.SASLBackend.
//
// Sizes must follow pop3.Message.Size: CRLFSize of the delivered bytes.
// Open may return LF or CRLF endings; its content, normalized with
// NormalizeCRLF, must equal the delivered bytes normalized the same way.
func Run(t *testing.T, newHarness func(t *testing.T) Harness) {
	t.Run("Login", func(t *testing.T) { testLogin(t, newHarness(t)) })
	t.Run("InUse", func(t *testing.T) { testInUse(t, newHarness(t)) })
	t.Run("ConcurrentLogin", func(t *testing.T) { testConcurrentLogin(t, newHarness(t)) })
	t.Run("SizesAndContent", func(t *testing.T) { testSizesAndContent(t, newHarness(t)) })
	t.Run("UIDs", func(t *testing.T) { testUIDs(t, newHarness(t)) })
	t.Run("Delete", func(t *testing.T) { testDelete(t, newHarness(t)) })
	t.Run("DeleteGone", func(t *testing.T) { testDeleteGone(t, newHarness(t)) })
	t.Run("CloseWithoutDelete", func(t *testing.T) { testCloseWithoutDelete(t, newHarness(t)) })
	t.Run("Snapshot", func(t *testing.T) { testSnapshot(t, newHarness(t)) })
	t.Run("SASL", func(t *testing.T) { testSASL(t, newHarness(t)) })
}

var connInfo = pop3.ConnInfo{}

// login logs in and registers a Close at cleanup for failed tests; call
// the returned close function to close it earlier.
func login(t *testing.T, h Harness) (pop3.Maildrop, func()) {
	t.Helper()
	user, pass := h.User()
	md, err := h.Backend().Login(context.Background(), connInfo, user, pass)
	if err != nil {
		t.Fatalf("Login(%q): %v", user, err)
	}
	if md == nil {
		t.Fatalf("Login(%q) returned a nil Maildrop and no error", user)
	}
	var once sync.Once
	closeFn := func() {
		once.Do(func() {
			if err := md.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		})
	}
	t.Cleanup(closeFn)
	return md, closeFn
}

func messages(t *testing.T, md pop3.Maildrop) []pop3.Message {
	t.Helper()
	msgs, err := md.Messages(context.Background())
	if err != nil {
		t.Fatalf("Messages: %v", err)
	}
	return msgs
}

func content(t *testing.T, md pop3.Maildrop, uid string) []byte {
	t.Helper()
	rc, err := md.Open(context.Background(), uid)
	if err != nil {
		t.Fatalf("Open(%q): %v", uid, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("reading %q: %v", uid, err)
	}
	return NormalizeCRLF(b)
}

func uids(msgs []pop3.Message) []string {
	out := make([]string, len(msgs))
	for i, m := range msgs {
		out[i] = m.UID
	}
	slices.Sort(out)
	return out
}

// byContent maps each message's normalized content to its UID.
func byContent(t *testing.T, md pop3.Maildrop, msgs []pop3.Message) map[string]string {
	t.Helper()
	m := make(map[string]string, len(msgs))
	for _, msg := range msgs {
		m[string(content(t, md, msg.UID))] = msg.UID
	}
	return m
}

func deliver(t *testing.T, h Harness, raws ...[]byte) {
	t.Helper()
	user, _ := h.User()
	for _, raw := range raws {
		h.Deliver(t, user, raw)
	}
}

func testLogin(t *testing.T, h Harness) {
	user, pass := h.User()
	b := h.Backend()
	ctx := context.Background()
	md, closeMD := login(t, h)
	if msgs := messages(t, md); len(msgs) != 0 {
		t.Errorf("new user's maildrop has %d messages, want 0", len(msgs))
	}
	closeMD()

	for _, tc := range []struct{ name, user, pass string }{
		{"bad password", user, pass + "x"},
		{"empty password", user, ""},
		{"unknown user", "no-such-user-" + user, pass},
	} {
		md, err := b.Login(ctx, connInfo, tc.user, tc.pass)
		if md != nil {
			md.Close()
			t.Errorf("%s: Login returned a maildrop", tc.name)
		}
		if !errors.Is(err, pop3.ErrAuthFailed) {
			t.Errorf("%s: Login error = %v, want one wrapping pop3.ErrAuthFailed", tc.name, err)
		}
	}
	// A failed login must not leave the maildrop locked.
	_, closeMD = login(t, h)
	closeMD()
}

func testInUse(t *testing.T, h Harness) {
	user, pass := h.User()
	b := h.Backend()
	_, closeFirst := login(t, h)
	md, err := b.Login(context.Background(), connInfo, user, pass)
	if md != nil {
		md.Close()
		t.Fatal("second Login while the first session is open returned a maildrop")
	}
	if !errors.Is(err, pop3.ErrInUse) {
		t.Fatalf("second Login error = %v, want one wrapping pop3.ErrInUse", err)
	}
	closeFirst()
	_, closeThird := login(t, h)
	closeThird()
}

func testConcurrentLogin(t *testing.T, h Harness) {
	user, pass := h.User()
	b := h.Backend()
	const n = 4
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		opened []pop3.Maildrop
		errs   []error
	)
	for range n {
		wg.Go(func() {
			md, err := b.Login(context.Background(), connInfo, user, pass)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
			} else {
				opened = append(opened, md)
			}
		})
	}
	wg.Wait()
	for _, md := range opened {
		md.Close()
	}
	if len(opened) != 1 {
		t.Errorf("%d concurrent Logins opened %d maildrops, want exactly 1", n, len(opened))
	}
	for _, err := range errs {
		if !errors.Is(err, pop3.ErrInUse) {
			t.Errorf("concurrent Login error = %v, want one wrapping pop3.ErrInUse", err)
		}
	}
}

func testSizesAndContent(t *testing.T, h Harness) {
	samples := samples()
	deliver(t, h, samples...)
	md, _ := login(t, h)
	msgs := messages(t, md)
	if len(msgs) != len(samples) {
		t.Fatalf("Messages returned %d messages, want %d", len(msgs), len(samples))
	}
	want := make(map[string]int64)
	for _, s := range samples {
		want[string(NormalizeCRLF(s))] = CRLFSize(s)
	}
	seen := make(map[string]bool)
	for _, m := range msgs {
		c := content(t, md, m.UID)
		size, ok := want[string(c)]
		if !ok {
			t.Errorf("Open(%q) returned content that was not delivered: %.80q", m.UID, c)
			continue
		}
		if seen[string(c)] {
			t.Errorf("content of %q returned twice", m.UID)
		}
		seen[string(c)] = true
		if m.Size != size {
			t.Errorf("message %q: Size = %d, want %d (CRLF-normalized length of %.40q)", m.UID, m.Size, size, c)
		}
		if again := content(t, md, m.UID); !bytes.Equal(again, c) {
			t.Errorf("second Open(%q) returned different content", m.UID)
		}
	}
}

func validUID(uid string) bool {
	if len(uid) < 1 || len(uid) > 70 {
		return false
	}
	for i := 0; i < len(uid); i++ {
		if uid[i] < 0x21 || uid[i] > 0x7e {
			return false
		}
	}
	return true
}

func testUIDs(t *testing.T, h Harness) {
	samples := samples()
	deliver(t, h, samples...)
	md, closeMD := login(t, h)
	first := byContent(t, md, messages(t, md))
	closeMD()
	seen := make(map[string]bool)
	for _, uid := range first {
		if !validUID(uid) {
			t.Errorf("UID %q: want 1 to 70 characters in 0x21-0x7E (RFC 1939 section 7)", uid)
		}
		if seen[uid] {
			t.Errorf("UID %q used for two messages", uid)
		}
		seen[uid] = true
	}
	if len(first) != len(samples) {
		t.Fatalf("got %d distinct messages, want %d", len(first), len(samples))
	}
	md, closeMD = login(t, h)
	second := byContent(t, md, messages(t, md))
	closeMD()
	for c, uid := range first {
		if second[c] != uid {
			t.Errorf("UID of a message changed between sessions: %q, then %q", uid, second[c])
		}
	}
}

func testDelete(t *testing.T, h Harness) {
	raws := [][]byte{
		[]byte("Subject: one\r\n\r\n1\r\n"),
		[]byte("Subject: two\r\n\r\n2\r\n"),
		[]byte("Subject: three\r\n\r\n3\r\n"),
	}
	deliver(t, h, raws...)
	md, closeMD := login(t, h)
	all := byContent(t, md, messages(t, md))
	victim := all[string(NormalizeCRLF(raws[1]))]
	if victim == "" {
		t.Fatal("delivered message not found")
	}
	if err := md.Delete(context.Background(), []string{victim}); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	closeMD()

	md, closeMD = login(t, h)
	after := byContent(t, md, messages(t, md))
	closeMD()
	if len(after) != 2 {
		t.Fatalf("after deleting 1 of 3 messages, the next session has %d", len(after))
	}
	for _, i := range []int{0, 2} {
		c := string(NormalizeCRLF(raws[i]))
		if after[c] != all[c] {
			t.Errorf("message %d: UID %q after Delete of another, want %q", i, after[c], all[c])
		}
	}
	if _, ok := after[string(NormalizeCRLF(raws[1]))]; ok {
		t.Error("deleted message still present in the next session")
	}
}

func testDeleteGone(t *testing.T, h Harness) {
	deliver(t, h, []byte("Subject: x\r\n\r\nx\r\n"), []byte("Subject: y\r\n\r\ny\r\n"))
	md, closeMD := login(t, h)
	ids := uids(messages(t, md))
	if len(ids) != 2 {
		t.Fatalf("got %d messages, want 2", len(ids))
	}
	if err := md.Delete(context.Background(), ids[:1]); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	closeMD()

	md, closeMD = login(t, h)
	// ids[0] is gone already: not an error, and ids[1] is still deleted.
	if err := md.Delete(context.Background(), ids); err != nil {
		t.Errorf("Delete of a UID already gone: %v, want nil", err)
	}
	closeMD()
	md, closeMD = login(t, h)
	if msgs := messages(t, md); len(msgs) != 0 {
		t.Errorf("after deleting both messages, %d remain: %v", len(msgs), uids(msgs))
	}
	closeMD()
}

func testCloseWithoutDelete(t *testing.T, h Harness) {
	deliver(t, h, []byte("Subject: keep\r\n\r\nkeep\r\n"))
	md, closeMD := login(t, h)
	before := uids(messages(t, md))
	closeMD()
	md, closeMD = login(t, h)
	after := uids(messages(t, md))
	closeMD()
	if !slices.Equal(before, after) {
		t.Errorf("messages changed across sessions without Delete: %v, then %v", before, after)
	}
}

func testSnapshot(t *testing.T, h Harness) {
	old := []byte("Subject: old\r\n\r\nold\r\n")
	late := []byte("Subject: late\r\n\r\ndelivered during the session\r\n")
	deliver(t, h, old)
	md, closeMD := login(t, h)
	snap := messages(t, md)
	deliver(t, h, late)
	if again := messages(t, md); !slices.Equal(uids(again), uids(snap)) {
		t.Errorf("Messages changed within a session after a delivery: %v, then %v", uids(snap), uids(again))
	}
	// Deleting the whole snapshot must not touch the message that arrived.
	if err := md.Delete(context.Background(), uids(snap)); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	closeMD()

	md, closeMD = login(t, h)
	defer closeMD()
	next := messages(t, md)
	if len(next) != 1 {
		t.Fatalf("next session has %d messages, want only the one delivered during the last session", len(next))
	}
	if c := content(t, md, next[0].UID); !bytes.Equal(c, NormalizeCRLF(late)) {
		t.Errorf("next session's message = %.60q, want the late delivery", c)
	}
	// RFC 1939 section 7: a unique-id is never reused in a maildrop.
	if slices.Contains(uids(snap), next[0].UID) {
		t.Errorf("the new message reuses UID %q of a deleted one", next[0].UID)
	}
}
