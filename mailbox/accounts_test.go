package mailbox

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

func TestCanonicalAccountName(t *testing.T) {
	long := strings.Repeat("a", maxAccountName)
	tests := []struct {
		in, want string // want "" means invalid
	}{
		{"alice", "alice"},
		{"Alice", "alice"},
		{"Alice@Example.ORG", "alice@example.org"},
		{"o'brien+tag", "o'brien+tag"},
		{"jos\u00e9", "jos\u00e9"},
		{"\u212Aelvin", "\u212Aelvin"}, // no Unicode folding: the Kelvin sign stays
		{long, long},
		{long + "a", ""},
		{"", ""},
		{"a b", ""},
		{"a\tb", ""},
		{"a\nb", ""},
		{"a\x00", ""},
		{"a\x7f", ""},
		{"a:b", ""},
		{"a/b", ""},
		{"a\\b", ""},
		{"..", ""},
		{".hidden", ""},
		{"#comment", ""},
		{"a@b@c", ""},
		{"@b", ""},
		{"a@", ""},
		{"\xff", ""},
	}
	for _, tt := range tests {
		got, err := canonicalAccountName(tt.in)
		if tt.want == "" {
			if err == nil || !errors.Is(err, ErrInvalidAccountName) {
				t.Errorf("%q: got %q, %v; want ErrInvalidAccountName", tt.in, got, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%q: got %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

// accountsUnderTest is what both implementations offer.
type accountsUnderTest interface {
	Accounts
	Add(name, password string) error
	SetPassword(name, password string) error
	Remove(name string) error
	List() ([]string, error)
}

func newTestAccountsFile(t *testing.T) *AccountsFile {
	t.Helper()
	a, err := OpenAccountsFile(filepath.Join(t.TempDir(), "accounts"))
	if err != nil {
		t.Fatal(err)
	}
	a.Cost = bcrypt.MinCost
	return a
}

// forEachAccounts runs test against both implementations, with example.org
// and example.net local.
func forEachAccounts(t *testing.T, test func(t *testing.T, a accountsUnderTest)) {
	domains := []string{"example.org", "Example.NET."}
	t.Run("file", func(t *testing.T) {
		a := newTestAccountsFile(t)
		a.Domains = domains
		test(t, a)
	})
	t.Run("memory", func(t *testing.T) {
		a := NewMemoryAccounts()
		a.Domains = domains
		test(t, a)
	})
}

func TestAccountsAuthenticate(t *testing.T) {
	forEachAccounts(t, func(t *testing.T, a accountsUnderTest) {
		ctx := context.Background()
		pw72 := strings.Repeat("p", 72)
		for name, pw := range map[string]string{"alice": "secret", "Bob@Example.COM": "hunter2", "carol": pw72} {
			if err := a.Add(name, pw); err != nil {
				t.Fatal(err)
			}
		}
		tests := []struct {
			username, password, user string // user "" means ErrAuthFailed
		}{
			{"alice", "secret", "alice"},
			{"ALICE", "secret", "alice"},
			{"alice@example.org", "secret", "alice"},
			{"Alice@EXAMPLE.net.", "secret", "alice"},
			{"alice@example.net", "secret", "alice"},
			{"bob@example.com", "hunter2", "bob@example.com"},
			{"BOB@example.COM", "hunter2", "bob@example.com"},
			{"carol", pw72, "carol"},
			{"alice", "Secret", ""},
			{"alice", "", ""},
			{"alice", "secret ", ""},
			{"alice@example.com", "secret", ""}, // not a local domain
			{"bob", "hunter2", ""},              // a bare name never matches an address
			{"nobody", "secret", ""},
			{"alice@", "secret", ""},
			{"a:b", "secret", ""},
			{"", "", ""},
			{"carol", pw72 + "x", ""}, // bcrypt would ignore the 73rd byte: we do not
		}
		for _, tt := range tests {
			user, err := a.Authenticate(ctx, tt.username, tt.password)
			if tt.user == "" {
				if err != ErrAuthFailed || user != "" {
					t.Errorf("Authenticate(%q, %q) = %q, %v; want ErrAuthFailed", tt.username, tt.password, user, err)
				}
				continue
			}
			if err != nil || user != tt.user {
				t.Errorf("Authenticate(%q, %q) = %q, %v; want %q", tt.username, tt.password, user, err, tt.user)
			}
		}
		for username, want := range map[string]string{
			"alice": "alice", "Alice@Example.Org": "alice", "bob@example.com": "bob@example.com",
			"nobody": "", "alice@elsewhere.org": "", "bob": "", "bad name": "",
		} {
			user, ok, err := a.Lookup(ctx, username)
			if err != nil || ok != (want != "") || user != want {
				t.Errorf("Lookup(%q) = %q, %v, %v; want %q", username, user, ok, err, want)
			}
		}
		cancelled, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := a.Authenticate(cancelled, "alice", "secret"); !errors.Is(err, context.Canceled) {
			t.Errorf("Authenticate with a cancelled ctx: %v", err)
		}
		if _, _, err := a.Lookup(cancelled, "alice"); !errors.Is(err, context.Canceled) {
			t.Errorf("Lookup with a cancelled ctx: %v", err)
		}
	})
}

func TestAccountsManage(t *testing.T) {
	forEachAccounts(t, func(t *testing.T, a accountsUnderTest) {
		ctx := context.Background()
		if err := a.Add("alice", "one"); err != nil {
			t.Fatal(err)
		}
		if err := a.Add("ALICE", "two"); !errors.Is(err, ErrAccountExists) {
			t.Errorf("Add of a taken name: %v", err)
		}
		for _, bad := range []string{"", "a b", "a:b", "x\n", ".x"} {
			if err := a.Add(bad, "pw"); !errors.Is(err, ErrInvalidAccountName) {
				t.Errorf("Add(%q): %v, want ErrInvalidAccountName", bad, err)
			}
		}
		for _, bad := range []string{"", strings.Repeat("x", 73)} {
			if err := a.Add("bob", bad); !errors.Is(err, ErrInvalidPassword) {
				t.Errorf("Add with a password of %d bytes: %v, want ErrInvalidPassword", len(bad), err)
			}
			if err := a.SetPassword("alice", bad); !errors.Is(err, ErrInvalidPassword) {
				t.Errorf("SetPassword with a password of %d bytes: %v, want ErrInvalidPassword", len(bad), err)
			}
		}
		if err := a.SetPassword("Alice", "new"); err != nil {
			t.Fatal(err)
		}
		if _, err := a.Authenticate(ctx, "alice", "one"); err != ErrAuthFailed {
			t.Errorf("old password after SetPassword: %v", err)
		}
		if user, err := a.Authenticate(ctx, "alice", "new"); err != nil || user != "alice" {
			t.Errorf("new password: %q, %v", user, err)
		}
		if err := a.SetPassword("bob", "x"); !errors.Is(err, ErrUnknownAccount) {
			t.Errorf("SetPassword of a missing account: %v", err)
		}
		if err := a.Add("bob@example.com", "b"); err != nil {
			t.Fatal(err)
		}
		if names, err := a.List(); err != nil || !slices.Equal(names, []string{"alice", "bob@example.com"}) {
			t.Errorf("List: %q, %v", names, err)
		}
		if err := a.Remove("ALICE"); err != nil {
			t.Fatal(err)
		}
		if err := a.Remove("alice"); !errors.Is(err, ErrUnknownAccount) {
			t.Errorf("Remove twice: %v", err)
		}
		if _, err := a.Authenticate(ctx, "alice", "new"); err != ErrAuthFailed {
			t.Errorf("removed account: %v", err)
		}
		if names, _ := a.List(); !slices.Equal(names, []string{"bob@example.com"}) {
			t.Errorf("List after Remove: %q", names)
		}
	})
}

// TestAccountsDummyCompare checks, with a counter in place of bcrypt's
// comparison, that every Authenticate (but one that AuthCache remembers)
// compares exactly one hash of the same cost, whether or not the user
// exists: an unknown user is not answered faster.
func TestAccountsDummyCompare(t *testing.T) {
	forEachAccounts(t, func(t *testing.T, a accountsUnderTest) {
		check, _ := internals(a)
		var calls []int // the cost of each compared hash
		check.compare = func(hash, password []byte) error {
			cost, err := bcrypt.Cost(hash)
			if err != nil {
				t.Errorf("compared %q, not a bcrypt hash", hash)
			}
			calls = append(calls, cost)
			return bcrypt.CompareHashAndPassword(hash, password)
		}
		if err := a.Add("alice", "secret"); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct{ username, password string }{
			{"alice", "secret"},
			{"alice", "wrong"},
			{"nobody", "secret"},
			{"nobody@elsewhere.org", "secret"},
			{"bad name", "secret"},
			{"alice", ""},
			{"alice", strings.Repeat("x", 100)},
		} {
			calls = nil
			a.Authenticate(context.Background(), c.username, c.password)
			if len(calls) != 1 || calls[0] != bcrypt.MinCost {
				t.Errorf("Authenticate(%q, %q) compared %d hashes of costs %v, want one of cost %d",
					c.username, c.password, len(calls), calls, bcrypt.MinCost)
			}
		}
	})
}

// TestAccountsDummyCostFollowsFile checks that the dummy hash has the cost
// of the hashes in the file, not the configured one.
func TestAccountsDummyCostFollowsFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "accounts")
	hash, _ := bcrypt.GenerateFromPassword([]byte("pw"), bcrypt.MinCost+1)
	os.WriteFile(path, []byte("alice:"+string(hash)+"\n"), 0o600)
	a, err := OpenAccountsFile(path)
	if err != nil {
		t.Fatal(err)
	}
	a.Cost = bcrypt.MinCost
	var cost int
	a.check.compare = func(hash, password []byte) error {
		cost, _ = bcrypt.Cost(hash)
		return bcrypt.ErrMismatchedHashAndPassword
	}
	a.Authenticate(context.Background(), "nobody", "pw")
	if cost != bcrypt.MinCost+1 {
		t.Errorf("dummy hash of cost %d, want %d as in the file", cost, bcrypt.MinCost+1)
	}
}

func TestAccountsFileFormat(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "accounts")
	hash, _ := bcrypt.GenerateFromPassword([]byte("pw"), bcrypt.MinCost)
	initial := "# accounts of example.org\r\n\nAlice:" + string(hash) + "\r\npostmaster:*\nlocked:!" + string(hash) + "  \n# end"
	if err := os.WriteFile(path, []byte(initial), 0o640); err != nil {
		t.Fatal(err)
	}
	a, err := OpenAccountsFile(path)
	if err != nil {
		t.Fatal(err)
	}
	a.Cost = bcrypt.MinCost
	ctx := context.Background()
	if user, err := a.Authenticate(ctx, "alice", "pw"); err != nil || user != "alice" {
		t.Errorf("alice: %q %v", user, err)
	}
	for _, disabled := range []string{"postmaster", "locked"} {
		if _, err := a.Authenticate(ctx, disabled, "pw"); err != ErrAuthFailed {
			t.Errorf("disabled account %s: %v", disabled, err)
		}
		if user, ok, err := a.Lookup(ctx, disabled); !ok || err != nil || user != disabled {
			t.Errorf("Lookup of disabled account %s: %q %v %v", disabled, user, ok, err)
		}
	}
	if err := a.Add("bob", "pw2"); err != nil {
		t.Fatal(err)
	}
	got := readFile(t, path)
	lines := strings.Split(got, "\n")
	// alice's login gave her line SCRAM credentials; the disabled
	// accounts got none.
	wantPrefix := []string{"# accounts of example.org", "", "alice:" + string(hash) + ":" + accountSCRAM(string(hash), "pw", 0).String(), "postmaster:*", "locked:!" + string(hash), "# end"}
	if len(lines) != 8 || !slices.Equal(lines[:6], wantPrefix) || !strings.HasPrefix(lines[6], "bob:$2a$04$") || !strings.Contains(lines[6], ":{SCRAM-SHA-256}4096,") || lines[7] != "" {
		t.Errorf("file after Add:\n%s", got)
	}
	if info, _ := os.Stat(path); info.Mode().Perm() != 0o640 {
		t.Errorf("mode %v after a rewrite, want the old 0640", info.Mode().Perm())
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("%d directory entries: temporary files left behind", len(entries))
	}
	// SetPassword enables a disabled account.
	if err := a.SetPassword("postmaster", "pm"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Authenticate(ctx, "postmaster", "pm"); err != nil {
		t.Errorf("postmaster after SetPassword: %v", err)
	}
	// Another process (here: a second instance) sees it all.
	b, err := OpenAccountsFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if names, _ := b.List(); !slices.Equal(names, []string{"alice", "bob", "locked", "postmaster"}) {
		t.Errorf("second instance lists %q", names)
	}
}

func TestAccountsFileNew(t *testing.T) {
	path := filepath.Join(t.TempDir(), "accounts")
	a, err := OpenAccountsFile(path)
	if err != nil {
		t.Fatal(err)
	}
	a.Cost = bcrypt.MinCost
	if names, err := a.List(); err != nil || len(names) != 0 {
		t.Fatalf("missing file: %q %v", names, err)
	}
	if _, err := a.Authenticate(context.Background(), "alice", "pw"); err != ErrAuthFailed {
		t.Fatalf("Authenticate on a missing file: %v", err)
	}
	if err := a.Add("alice", "pw"); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("new file has mode %v, want 0600", info.Mode().Perm())
	}
	if _, err := OpenAccountsFile(filepath.Join(t.TempDir(), "no", "such", "dir", "accounts")); err != nil {
		t.Errorf("a missing directory is an empty set too until Add: %v", err)
	}
}

func TestAccountsFileExternalEdit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "accounts")
	a, err := OpenAccountsFile(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	h1, _ := bcrypt.GenerateFromPassword([]byte("one"), bcrypt.MinCost)
	h2, _ := bcrypt.GenerateFromPassword([]byte("two"), bcrypt.MinCost)

	// Written in place by an editor.
	os.WriteFile(path, []byte("alice:"+string(h1)+"\n"), 0o600)
	if user, err := a.Authenticate(ctx, "alice", "one"); err != nil || user != "alice" {
		t.Fatalf("after an external write: %q %v", user, err)
	}
	// Replaced by rename with a file of the same size: a new inode.
	tmp := path + ".new"
	os.WriteFile(tmp, []byte("alice:"+string(h2)+"\n"), 0o600)
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Authenticate(ctx, "alice", "two"); err != nil {
		t.Fatalf("after an external rename: %v", err)
	}
	// Rewritten in place, same size, later modification time.
	f, _ := os.OpenFile(path, os.O_WRONLY, 0)
	f.WriteAt([]byte("carol"), 0)
	f.Close()
	later := time.Now().Add(time.Hour)
	os.Chtimes(path, later, later)
	if _, ok, _ := a.Lookup(ctx, "carol"); !ok {
		t.Fatal("in-place edit of the same size not picked up")
	}
	// A bad edit is an error (not ErrAuthFailed), until it is fixed.
	os.WriteFile(path, []byte("carol:"+string(h2)+"\nbroken line\n"), 0o600)
	if _, err := a.Authenticate(ctx, "carol", "two"); err == nil || err == ErrAuthFailed || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("Authenticate on a broken file: %v, want an error naming line 2", err)
	}
	if err := a.Add("dave", "x"); err == nil {
		t.Error("Add on a broken file succeeded, overwriting it")
	}
	os.WriteFile(path, []byte("carol:"+string(h2)+"\n"), 0o600)
	if _, err := a.Authenticate(ctx, "carol", "two"); err != nil {
		t.Errorf("after the fix: %v", err)
	}
	// Removed: no accounts.
	os.Remove(path)
	if _, ok, err := a.Lookup(ctx, "carol"); ok || err != nil {
		t.Errorf("after removal: %v %v", ok, err)
	}
}

func TestParseAccounts(t *testing.T) {
	hash, _ := bcrypt.GenerateFromPassword([]byte("pw"), bcrypt.MinCost)
	h := string(hash)
	tests := []struct {
		in   string
		err  string // substring of the error; "" for none
		want []string
	}{
		{in: "", want: nil},
		{in: "# only a comment\n\n", want: nil},
		{in: "a:" + h + "\nb:" + h, want: []string{"a", "b"}},
		{in: "a:" + h + "\r\n", want: []string{"a"}},
		{in: "a:*\nb:!\nc:!" + h + "\n", want: []string{"a", "b", "c"}},
		{in: "a:" + h + "\nA:" + h, err: "line 2: account a appears twice"},
		{in: "\n\na", err: "line 3: no ':'"},
		{in: "a:", err: "line 1: hash is not a bcrypt hash"},
		{in: "a:secret", err: "not a bcrypt hash"},
		{in: "a:" + h + ":extra", err: "SCRAM credentials do not start with"},
		{in: "a:" + h + ":" + accountSCRAM(h, "pw", 0).String(), want: []string{"a"}},
		{in: "a:" + h + ":" + accountSCRAM(h, "pw", 0).String() + ":x", err: "SCRAM credentials: bad ServerKey"},
		{in: "a:" + h + ":{SCRAM-SHA-256}4096,AA==,AA==,AA==", err: "bad StoredKey"},
		{in: "a:" + h + " x", err: "not a bcrypt hash"},
		{in: " a:" + h, err: "invalid account name"},
		{in: "a b:" + h, err: "invalid account name"},
		{in: ":" + h, err: "invalid account name"},
		{in: "a:!nothash", err: "not a bcrypt hash"},
		{in: strings.Repeat("x", maxAccountsLine+10), err: "line 1: longer than"},
	}
	for _, tt := range tests {
		tab, err := parseAccounts(strings.NewReader(tt.in))
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%.40q: error %v, want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%.40q: %v", tt.in, err)
			continue
		}
		if names := tab.names(); !slices.Equal(names, tt.want) && !(len(names) == 0 && tt.want == nil) {
			t.Errorf("%.40q: names %q, want %q", tt.in, names, tt.want)
		}
	}
}

func TestAccountsConcurrent(t *testing.T) {
	forEachAccounts(t, func(t *testing.T, a accountsUnderTest) {
		const n = 8
		if err := a.Add("shared", "pw"); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		errs := make(chan error, 4*n)
		for i := range n {
			wg.Go(func() {
				errs <- a.Add(fmt.Sprintf("user%d", i), fmt.Sprintf("pw%d", i))
				_, err := a.Authenticate(context.Background(), "shared", "pw")
				errs <- err
				_, err = a.Authenticate(context.Background(), fmt.Sprintf("user%d", i), fmt.Sprintf("pw%d", i))
				errs <- err
				_, err = a.List()
				errs <- err
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		names, _ := a.List()
		if len(names) != n+1 {
			t.Errorf("%d accounts after concurrent Adds, want %d: %q", len(names), n+1, names)
		}
		if f, ok := a.(*AccountsFile); ok {
			b, err := OpenAccountsFile(f.path)
			if err != nil {
				t.Fatal(err)
			}
			if again, _ := b.List(); !slices.Equal(again, names) {
				t.Errorf("file holds %q, want %q", again, names)
			}
		}
	})
}

func FuzzAccountsFile(f *testing.F) {
	hash, _ := bcrypt.GenerateFromPassword([]byte("pw"), bcrypt.MinCost)
	h := string(hash)
	for _, s := range []string{
		"", "a:" + h + "\n", "# c\n\nA@B.org:" + h + "\r\nb:*\nc:!\nd:!" + h,
		"a:" + h + "\na:" + h, "x", "a:$2a$99$", ":", "a:\n", "\xff:" + h,
		"a:" + h + ":" + accountSCRAM(h, "pw", 0).String() + "\n", "a:" + h + ":{SCRAM-SHA-256}1,AA==,AA==,AA==",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		tab, err := parseAccounts(bytes.NewReader(data))
		if err != nil {
			return
		}
		for _, l := range tab.lines {
			if l.name == "" {
				if strings.ContainsAny(l.raw, "\n") || (l.raw != "" && l.raw[0] != '#') {
					t.Fatalf("comment line %q", l.raw)
				}
				continue
			}
			if c, err := canonicalAccountName(l.name); err != nil || c != l.name {
				t.Fatalf("account name %q is not canonical: %q %v", l.name, c, err)
			}
			if checkAccountHash(l.hash) != nil {
				t.Fatalf("bad hash %q accepted", l.hash)
			}
			if _, err := ParseSCRAMCredentials(l.scram); l.scram != "" && err != nil {
				t.Fatalf("bad SCRAM field %q accepted", l.scram)
			}
		}
		// What we write, we read back the same.
		var buf bytes.Buffer
		w := bufio.NewWriter(&buf)
		tab.writeTo(w)
		w.Flush()
		again, err := parseAccounts(bytes.NewReader(buf.Bytes()))
		if err != nil {
			t.Fatalf("rewritten file %q does not parse: %v", buf.Bytes(), err)
		}
		if fmt.Sprint(again.lines) != fmt.Sprint(tab.lines) {
			t.Fatalf("round trip changed %q into %q", tab.lines, again.lines)
		}
	})
}

func BenchmarkAccountsAuthenticate(b *testing.B) {
	a := NewMemoryAccounts()
	a.AuthCache.TTL = -1 // BenchmarkAuthenticateDefaultCost measures the cache
	if err := a.Add("alice", "secret"); err != nil {
		b.Fatal(err)
	}
	// bcrypt.MinCost, as in tests: the figures are the overhead around
	// bcrypt, and the known and unknown user cost the same.
	for _, bm := range []struct{ name, user string }{{"known", "Alice"}, {"unknown", "nobody"}} {
		b.Run(bm.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				a.Authenticate(context.Background(), bm.user, "secret")
			}
		})
	}
}

func BenchmarkAccountsFileLookup(b *testing.B) {
	a, err := OpenAccountsFile(filepath.Join(b.TempDir(), "accounts"))
	if err != nil {
		b.Fatal(err)
	}
	a.Cost = bcrypt.MinCost
	for i := range 100 {
		a.Add(fmt.Sprint("user", i), "pw")
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, ok, err := a.Lookup(context.Background(), "USER50"); !ok || err != nil {
			b.Fatal(ok, err)
		}
	}
}
