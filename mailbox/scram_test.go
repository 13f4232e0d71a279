package mailbox

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/mailwright/mailwright/internal/interop"
)

// scramAccounts are the two SCRAMAuthenticators, each with alice/secret,
// for the tests that hold for both.
func scramAccounts(t *testing.T) map[string]SCRAMAuthenticator {
	f, err := OpenAccountsFile(filepath.Join(t.TempDir(), "accounts"))
	if err != nil {
		t.Fatal(err)
	}
	f.Cost = bcrypt.MinCost
	m := NewMemoryAccounts()
	for _, a := range []interface{ Add(string, string) error }{f, m} {
		if err := a.Add("alice", "secret"); err != nil {
			t.Fatal(err)
		}
	}
	return map[string]SCRAMAuthenticator{"AccountsFile": f, "MemoryAccounts": m}
}

func TestSCRAMCredentialsOfNewAccount(t *testing.T) {
	ctx := context.Background()
	for name, a := range scramAccounts(t) {
		t.Run(name, func(t *testing.T) {
			user, cred, err := a.SCRAMCredentials(ctx, "ALICE")
			if err != nil || user != "alice" || cred.Iterations != DefaultSCRAMIterations {
				t.Fatalf("got %q %+v %v", user, cred, err)
			}
			// The credentials are those of the password.
			if want := newSCRAMCredentials("secret", cred.Salt, cred.Iterations); want.String() != cred.String() {
				t.Fatal("stored credentials do not match the password")
			}
			user, cred, err = a.SCRAMCredentials(ctx, "mallory")
			if !errors.Is(err, ErrAuthFailed) || user != "" || cred.Iterations != DefaultSCRAMIterations {
				t.Fatalf("unknown user: %q %+v %v", user, cred, err)
			}
		})
	}
}

// TestSCRAMMigration: an account of the old format (name:hash) gets its
// SCRAM credentials at its first password login, and only then.
func TestSCRAMMigration(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "accounts")
	hash, _ := bcrypt.GenerateFromPassword([]byte("secret"), bcrypt.MinCost)
	old := "# old format\nalice:" + string(hash) + "\nbob:!" + string(hash) + "\n"
	if err := os.WriteFile(path, []byte(old), 0o600); err != nil {
		t.Fatal(err)
	}
	a, err := OpenAccountsFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.SCRAMCredentials(ctx, "alice"); !errors.Is(err, ErrAuthFailed) {
		t.Fatalf("before any login: %v", err)
	}
	if _, err := a.Authenticate(ctx, "alice", "wrong"); err == nil {
		t.Fatal("wrong password accepted")
	}
	if got := readFile(t, path); got != old {
		t.Fatalf("a failed login changed the file:\n%s", got)
	}
	// Concurrent first logins store the credentials once, the same.
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			if _, err := a.Authenticate(ctx, "alice", "secret"); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	_, cred, err := a.SCRAMCredentials(ctx, "alice")
	if err != nil || cred.String() != accountSCRAM(string(hash), "secret", 0).String() {
		t.Fatalf("after the login: %+v %v", cred, err)
	}
	want := "# old format\nalice:" + string(hash) + ":" + cred.String() + "\nbob:!" + string(hash) + "\n"
	if got := readFile(t, path); got != want {
		t.Fatalf("file:\n%s\nwant:\n%s", got, want)
	}
	// Raising the iteration count renews them at the next login.
	a.SCRAMIterations = 5000
	a.Authenticate(ctx, "alice", "secret")
	if _, cred, _ = a.SCRAMCredentials(ctx, "alice"); cred.Iterations != 5000 {
		t.Fatalf("iterations %d after raising the count", cred.Iterations)
	}
	// A disabled account has none, and gets none.
	if _, _, err := a.SCRAMCredentials(ctx, "bob"); !errors.Is(err, ErrAuthFailed) {
		t.Fatalf("disabled account: %v", err)
	}
}

// TestSCRAMStaleAfterHashEdit: a hash changed by hand, with the SCRAM
// field of the old password left behind, does not let the old password
// in through SCRAM.
func TestSCRAMStaleAfterHashEdit(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "accounts")
	a, err := OpenAccountsFile(path)
	if err != nil {
		t.Fatal(err)
	}
	a.Cost = bcrypt.MinCost
	a.Add("alice", "old password")
	newHash, _ := bcrypt.GenerateFromPassword([]byte("new password"), bcrypt.MinCost)
	line := strings.TrimSpace(readFile(t, path))
	name, rest, _ := strings.Cut(line, ":")
	_, scram, _ := strings.Cut(rest, ":")
	if err := os.WriteFile(path, []byte(name+":"+string(newHash)+":"+scram+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.SCRAMCredentials(ctx, "alice"); !errors.Is(err, ErrAuthFailed) {
		t.Fatalf("stale credentials used: %v", err)
	}
	if _, err := a.Authenticate(ctx, "alice", "new password"); err != nil {
		t.Fatal(err)
	}
	if _, cred, err := a.SCRAMCredentials(ctx, "alice"); err != nil || cred.String() != accountSCRAM(string(newHash), "new password", 0).String() {
		t.Fatalf("after the login: %v", err)
	}
}

func TestSCRAMCredentialsString(t *testing.T) {
	c := NewSCRAMCredentials("pencil", 0)
	if c.Iterations != DefaultSCRAMIterations || len(c.Salt) != 16 || len(c.StoredKey) != 32 || len(c.ServerKey) != 32 {
		t.Fatalf("%+v", c)
	}
	back, err := ParseSCRAMCredentials(c.String())
	if err != nil || back.String() != c.String() {
		t.Fatalf("round trip: %v", err)
	}
}

// TestSCRAMCredentialsDovecot: Dovecot's doveadm, an independent
// implementation, verifies the credentials we store against the password.
func TestSCRAMCredentialsDovecot(t *testing.T) {
	doveadm := interop.Need(t, "doveadm")
	hash, _ := bcrypt.GenerateFromPassword([]byte("correct horse"), bcrypt.MinCost)
	field := accountSCRAM(string(hash), "correct horse", 0).String()
	out, err := exec.Command(doveadm, "pw", "-t", field, "-p", "correct horse").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "(verified)") {
		t.Fatalf("doveadm pw -t: %v\n%s", err, out)
	}
	if out, err := exec.Command(doveadm, "pw", "-t", field, "-p", "wrong").CombinedOutput(); err == nil {
		t.Fatalf("doveadm verified a wrong password: %s", out)
	}
}
