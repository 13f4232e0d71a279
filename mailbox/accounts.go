package mailbox

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"
)

// Accounts is the set of users a server knows: it checks passwords for
// POP3 and IMAP logins and SMTP AUTH, and tells local delivery which
// recipients exist.
//
// Usernames are matched like this (both implementations here, and any
// other should do the same):
//
//   - ASCII letters are compared without case, in the local part as well as
//     in the domain ("Alice@Example.ORG" is "alice@example.org"). RFC 5321
//     section 2.4 lets a server treat local parts as case-sensitive, but
//     people do not, and one mailbox per spelling would only lose mail.
//     Other characters are compared as they are (no Unicode folding, which
//     would make distinct names collide, e.g. the Kelvin sign with "k").
//   - An account name is either a local part ("alice") or a full address
//     ("alice@example.org", for hosting several domains). A username
//     matches the account with exactly that name; failing that, a username
//     "local@domain" whose domain is one of the implementation's local
//     domains (a trailing dot ignored) matches the account "local".
//   - A bare "alice" never matches an account "alice@example.org".
//
// The user returned is the canonical account name (lowercase), the key
// under which a store keeps the mailbox.
type Accounts interface {
	// Authenticate checks a password and returns the account it belongs
	// to. A wrong password and an unknown user both give ErrAuthFailed
	// (and take the same time); other errors are failures of the store.
	Authenticate(ctx context.Context, username, password string) (user string, err error)
	// Lookup tells whether username names an account (for delivery:
	// whether a recipient is local) and returns its canonical name.
	Lookup(ctx context.Context, username string) (user string, ok bool, err error)
}

var (
	// ErrAuthFailed reports a wrong password or an unknown user; the two are
	// not told apart, so that a client cannot probe for user names.
	ErrAuthFailed = errors.New("mailbox: authentication failed")
	// ErrAccountExists reports an Add of a name that is taken.
	ErrAccountExists = errors.New("mailbox: account exists")
	// ErrUnknownAccount reports a Remove or SetPassword of a missing account.
	ErrUnknownAccount = errors.New("mailbox: no such account")
	// ErrInvalidAccountName reports a name that cannot be an account; the
	// error wraps it with the reason.
	ErrInvalidAccountName = errors.New("mailbox: invalid account name")
	// ErrInvalidPassword reports a password that cannot be set (empty, or
	// longer than bcrypt's 72 bytes); the error wraps it with the reason.
	ErrInvalidPassword = errors.New("mailbox: invalid password")
)

const (
	// maxAccountName is the longest account name: an address of at most
	// 254 octets fits the 256-octet path of RFC 5321 section 4.5.3.1.3.
	maxAccountName = 254
	// maxPassword is bcrypt's limit: it ignores what comes after 72 bytes,
	// so a longer password is refused rather than silently cut.
	maxPassword = 72
	// maxAccountsLine bounds a line of an accounts file.
	maxAccountsLine = 4096
)

// canonicalAccountName checks that name can be an account name and returns
// it with ASCII letters lowercased. An account name is 1 to 254 bytes of
// UTF-8 with no space, control character, ':' (the file separator), '/' or
// '\' (it may become a directory name), does not start with '.' or '#',
// and holds at most one '@', with something on both sides.
func canonicalAccountName(name string) (string, error) {
	bad := func(why string) (string, error) {
		return "", fmt.Errorf("%w: %s", ErrInvalidAccountName, why)
	}
	switch {
	case name == "":
		return bad("empty")
	case len(name) > maxAccountName:
		return bad(fmt.Sprintf("longer than %d bytes", maxAccountName))
	case !utf8.ValidString(name):
		return bad("not UTF-8")
	case name[0] == '.' || name[0] == '#':
		return bad("starts with '.' or '#'")
	}
	upper, ats := false, 0
	for i := 0; i < len(name); i++ {
		switch c := name[i]; {
		case c <= ' ' || c == 0x7f:
			return bad("space or control character")
		case c == ':' || c == '/' || c == '\\':
			return bad(fmt.Sprintf("contains %q", c))
		case c == '@':
			ats++
		case 'A' <= c && c <= 'Z':
			upper = true
		}
	}
	if ats > 1 {
		return bad("more than one '@'")
	}
	if at := strings.IndexByte(name, '@'); at == 0 || at == len(name)-1 {
		return bad("empty local part or domain")
	}
	if upper {
		name = asciiLower(name)
	}
	return name, nil
}

func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

func checkPassword(password string) error {
	switch {
	case password == "":
		return fmt.Errorf("%w: empty", ErrInvalidPassword)
	case len(password) > maxPassword:
		return fmt.Errorf("%w: longer than %d bytes, which bcrypt cannot use", ErrInvalidPassword, maxPassword)
	}
	return nil
}

// resolveAccount maps a username to an account name as Accounts describes.
func resolveAccount(exists func(string) bool, domains []string, username string) (string, bool) {
	name, err := canonicalAccountName(username)
	if err != nil {
		return "", false
	}
	if exists(name) {
		return name, true
	}
	at := strings.IndexByte(name, '@')
	if at < 0 {
		return "", false
	}
	local, domain := name[:at], strings.TrimSuffix(name[at+1:], ".")
	for _, d := range domains {
		if strings.EqualFold(strings.TrimSuffix(d, "."), domain) && exists(local) {
			return local, true
		}
	}
	return "", false
}

// loginHash tells whether an account's hash field allows a login: "*" and
// fields starting with '!' mark an account that exists (it receives mail)
// but cannot log in, as in /etc/shadow.
func loginHash(hash string) bool {
	return hash != "" && hash != "*" && hash[0] != '!'
}

// checkAccountHash validates the hash field of an accounts file line: a
// bcrypt hash, or a disabled marker ("*", or '!' before an optional bcrypt
// hash).
func checkAccountHash(hash string) error {
	if hash == "*" || hash == "!" {
		return nil
	}
	hash = strings.TrimPrefix(hash, "!")
	for i := 0; i < len(hash); i++ {
		c := hash[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '/' || c == '$') {
			return errors.New("hash is not a bcrypt hash")
		}
	}
	if _, err := bcrypt.Cost([]byte(hash)); err != nil {
		return errors.New("hash is not a bcrypt hash")
	}
	return nil
}

// hashCost returns the bcrypt cost of a hash field, 0 if it has none.
func hashCost(hash string) int {
	c, err := bcrypt.Cost([]byte(strings.TrimPrefix(hash, "!")))
	if err != nil {
		return 0
	}
	return c
}

// passwordCheck runs the password comparison of both implementations, so
// that every Authenticate compares exactly one bcrypt hash: the account's,
// or a dummy one when there is no account, so that an unknown user costs
// the same time as a wrong password.
type passwordCheck struct {
	// compare is bcrypt.CompareHashAndPassword; tests count calls with it.
	compare func(hash, password []byte) error

	mu    sync.Mutex
	dummy map[int][]byte // dummy hash by cost, each computed once
}

func (c *passwordCheck) dummyHash(cost int) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if h, ok := c.dummy[cost]; ok {
		return h, nil
	}
	var secret [18]byte
	rand.Read(secret[:])
	h, err := bcrypt.GenerateFromPassword([]byte(hex.EncodeToString(secret[:])), cost)
	if err != nil {
		return nil, err
	}
	if c.dummy == nil {
		c.dummy = make(map[int][]byte)
	}
	c.dummy[cost] = h
	return h, nil
}

// verify checks password against the hash of account user (found tells
// whether there is one), as username was given; cost is the cost of the
// dummy hash used otherwise. A success remembered by cache skips the
// comparison.
func (c *passwordCheck) verify(cache *AuthCache, username, user, hash string, found bool, cost int, password string) (string, error) {
	usable := found && loginHash(hash) && checkPassword(password) == nil
	var h []byte
	name := user
	if usable {
		h = []byte(hash)
	} else {
		var err error
		if h, err = c.dummyHash(cost); err != nil {
			return "", err
		}
		name = username
	}
	compare := c.compare
	if compare == nil {
		compare = bcrypt.CompareHashAndPassword
	}
	ok := cache.verify(usable, name, password, string(h), func() bool {
		return compare(h, []byte(password)) == nil
	})
	if !usable || !ok {
		return "", ErrAuthFailed
	}
	return user, nil
}

func bcryptCost(cost int) int {
	if cost == 0 {
		return bcrypt.DefaultCost
	}
	return cost
}

// AccountsFile is the default Accounts, made by OpenAccountsFile: a text
// file of "name:hash" or "name:hash:scram" lines, hash being a bcrypt
// hash. Blank lines and lines starting with '#' are comments, kept when
// the file is rewritten. A hash of "*", or one starting with '!', marks an
// account that receives mail but cannot log in. Names follow the rules of
// Accounts; letters in them are read as lowercase.
//
//	# mailwright accounts
//	alice:$2a$10$...:{SCRAM-SHA-256}4096,...
//	bob@example.org:$2a$10$...
//	postmaster:*
//
// The third field holds the account's SCRAM-SHA-256 credentials in
// Dovecot's format (SCRAMCredentials.String), for SCRAM logins (see
// SCRAMAuthenticator). Add and SetPassword write it; a line without it
// (from an older version, or an edit of the hash by hand) gets it at the
// account's next successful password login, when the file is rewritten.
// Its salt is the bcrypt hash's salt, which binds it to the hash: a
// changed hash with an old third field left behind makes that field stale,
// and it is ignored (and replaced at the next login) rather than letting
// the old password in.
//
// Every method is safe for concurrent use. Add, Remove and SetPassword
// replace the file atomically (a temporary file written, fsync'd, renamed
// over it, and the directory fsync'd). Edits made by other programs are
// picked up: each call checks the file's identity, size and modification
// time, and reads it again when they changed. (On a file system whose
// times have a coarse granularity, an edit that keeps the size within the
// same tick is missed until the next change; Linux 6.13 and later give a
// change that follows a stat a new time, on ext4 and tmpfs at least, so
// every change is seen there.) Two processes writing the
// file at the same time may lose one of their changes; let one process
// write it.
type AccountsFile struct {
	// Domains are the local domains: a username "name@domain" with one of
	// these domains also matches the account "name".
	Domains []string
	// Cost is the bcrypt cost of the hashes Add and SetPassword make; 0
	// means bcrypt.DefaultCost.
	Cost int
	// AuthCache remembers successful logins, so that a client logging in
	// again does not pay the bcrypt comparison each time; see AuthCache
	// for the TTL and bound, and how to turn it off.
	AuthCache AuthCache
	// SCRAMIterations is the iteration count of the SCRAM credentials
	// that Add, SetPassword and logins make; 0 (or less than 4096) means
	// DefaultSCRAMIterations. Raising it renews an account's credentials
	// at its next password login.
	SCRAMIterations int

	path  string
	check passwordCheck

	mu    sync.RWMutex
	table *accountsTable // never changed once published
	info  os.FileInfo    // of the file table was read from; nil if none

	wmu sync.Mutex // one writer at a time
}

var (
	_ Accounts           = (*AccountsFile)(nil)
	_ Accounts           = (*MemoryAccounts)(nil)
	_ SCRAMAuthenticator = (*AccountsFile)(nil)
	_ SCRAMAuthenticator = (*MemoryAccounts)(nil)
)

// OpenAccountsFile reads the accounts file at path, with the local
// domains (Domains). A missing file is an empty set of accounts, and Add
// creates it; a file with a bad line is an error that names the line.
func OpenAccountsFile(path string, domains ...string) (*AccountsFile, error) {
	a := &AccountsFile{path: path, Domains: domains}
	if _, err := a.current(); err != nil {
		return nil, err
	}
	return a, nil
}

// Authenticate checks password for username, reading the file again if it
// changed; it returns ErrAuthFailed for a wrong password, an unknown user,
// and a disabled account, and an error wrapping ErrUnavailable when the
// file cannot be read.
func (a *AccountsFile) Authenticate(ctx context.Context, username, password string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	t, err := a.current()
	if err != nil {
		// Nothing is known about the credentials: a temporary failure,
		// not a failed login.
		return "", fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	user, found := resolveAccount(t.exists, a.Domains, username)
	cost := t.cost
	if cost == 0 {
		cost = bcryptCost(a.Cost)
	}
	hash := t.hash(user)
	user, err = a.check.verify(&a.AuthCache, username, user, hash, found, cost, password)
	if err == nil && needsSCRAM(hash, t.scram(user), a.SCRAMIterations) {
		// The login goes on whether or not the file can be written: a
		// failure is tried again at the next login.
		a.storeSCRAM(user, hash, password)
	}
	return user, err
}

// SCRAMCredentials returns the SCRAM-SHA-256 credentials of username's
// account (see SCRAMAuthenticator), reading the file again if it changed.
func (a *AccountsFile) SCRAMCredentials(ctx context.Context, username string) (string, SCRAMCredentials, error) {
	none := SCRAMCredentials{Iterations: scramIterations(a.SCRAMIterations)}
	if err := ctx.Err(); err != nil {
		return "", none, err
	}
	t, err := a.current()
	if err != nil {
		return "", none, err
	}
	user, found := resolveAccount(t.exists, a.Domains, username)
	cred, ok := usableSCRAM(t.hash(user), t.scram(user))
	if !found || !ok {
		return "", none, fmt.Errorf("%w: %w", ErrAuthFailed, errNoSCRAM)
	}
	return user, cred, nil
}

// storeSCRAM writes the SCRAM credentials of user, derived from password,
// unless the hash changed since it was checked (the password was changed)
// or another login stored them meanwhile.
func (a *AccountsFile) storeSCRAM(user, hash, password string) {
	field := accountSCRAM(hash, password, a.SCRAMIterations).String()
	a.modify(func(t *accountsTable) (*accountsTable, error) {
		if !t.exists(user) || t.hash(user) != hash || !needsSCRAM(hash, t.scram(user), a.SCRAMIterations) {
			return nil, errUnchanged
		}
		return t.with(user, hash, field), nil
	})
}

// Lookup tells whether username names an account, reading the file again
// if it changed.
func (a *AccountsFile) Lookup(ctx context.Context, username string) (string, bool, error) {
	if err := ctx.Err(); err != nil {
		return "", false, err
	}
	t, err := a.current()
	if err != nil {
		return "", false, err
	}
	user, ok := resolveAccount(t.exists, a.Domains, username)
	return user, ok, nil
}

// Add adds an account. It fails with ErrAccountExists if the name is
// taken, and with errors wrapping ErrInvalidAccountName or
// ErrInvalidPassword for a bad name or password.
func (a *AccountsFile) Add(name, password string) error {
	name, hash, scram, err := newAccountHash(name, password, a.Cost, a.SCRAMIterations)
	if err != nil {
		return err
	}
	return a.modify(func(t *accountsTable) (*accountsTable, error) {
		if t.exists(name) {
			return nil, fmt.Errorf("%w: %s", ErrAccountExists, name)
		}
		return t.with(name, hash, scram), nil
	})
}

// SetPassword changes the password of an account (enabling it if it was
// disabled). It fails with ErrUnknownAccount if there is none.
func (a *AccountsFile) SetPassword(name, password string) error {
	name, hash, scram, err := newAccountHash(name, password, a.Cost, a.SCRAMIterations)
	if err != nil {
		return err
	}
	return a.modify(func(t *accountsTable) (*accountsTable, error) {
		if !t.exists(name) {
			return nil, fmt.Errorf("%w: %s", ErrUnknownAccount, name)
		}
		return t.with(name, hash, scram), nil
	})
}

// Remove removes an account. It fails with ErrUnknownAccount if there is
// none. The account's mail is not touched.
func (a *AccountsFile) Remove(name string) error {
	name, err := canonicalAccountName(name)
	if err != nil {
		return err
	}
	return a.modify(func(t *accountsTable) (*accountsTable, error) {
		if !t.exists(name) {
			return nil, fmt.Errorf("%w: %s", ErrUnknownAccount, name)
		}
		return t.without(name), nil
	})
}

// List returns the account names, sorted.
func (a *AccountsFile) List() ([]string, error) {
	t, err := a.current()
	if err != nil {
		return nil, err
	}
	return t.names(), nil
}

// newAccountHash checks name and password and returns the canonical name,
// the bcrypt hash of the password with cost, and its SCRAM credentials
// with iterations, formatted.
func newAccountHash(name, password string, cost, iterations int) (string, string, string, error) {
	name, err := canonicalAccountName(name)
	if err != nil {
		return "", "", "", err
	}
	if err := checkPassword(password); err != nil {
		return "", "", "", err
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcryptCost(cost))
	if err != nil {
		return "", "", "", err
	}
	return name, string(hash), accountSCRAM(string(hash), password, iterations).String(), nil
}

// current returns the table of the file as it is now, reading it again if
// it changed since it was read.
func (a *AccountsFile) current() (*accountsTable, error) {
	info, err := os.Stat(a.path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	a.mu.RLock()
	t, known := a.table, a.info
	a.mu.RUnlock()
	if t != nil && sameAccountsFile(known, info) {
		return t, nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.table != nil && sameAccountsFile(a.info, info) {
		return a.table, nil // another goroutine read it meanwhile
	}
	t, info, err = loadAccountsFile(a.path)
	if err != nil {
		return nil, err
	}
	a.table, a.info = t, info
	return t, nil
}

func sameAccountsFile(a, b os.FileInfo) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return os.SameFile(a, b) && a.Size() == b.Size() && a.ModTime().Equal(b.ModTime())
}

func loadAccountsFile(path string) (*accountsTable, os.FileInfo, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &accountsTable{}, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	// Stat what we read before reading it: if it changes while we read,
	// the next check sees a different file and reads it again.
	info, err := f.Stat()
	if err != nil {
		return nil, nil, err
	}
	t, err := parseAccounts(f)
	if err != nil {
		return nil, nil, fmt.Errorf("mailbox: accounts file %s: %w", path, err)
	}
	return t, info, nil
}

// modify applies change to the current table and writes the result.
func (a *AccountsFile) modify(change func(*accountsTable) (*accountsTable, error)) error {
	a.wmu.Lock()
	defer a.wmu.Unlock()
	t, err := a.current()
	if err != nil {
		return err
	}
	a.mu.RLock()
	known := a.info
	a.mu.RUnlock()
	nt, err := change(t)
	if err == errUnchanged {
		return nil
	}
	if err != nil {
		return err
	}
	perm := fs.FileMode(0o600) // the hashes are secrets
	if known != nil {
		perm = known.Mode().Perm()
	}
	info, err := writeAccountsFile(a.path, nt, perm)
	if err != nil {
		return err
	}
	a.mu.Lock()
	a.table, a.info = nt, info
	a.mu.Unlock()
	return nil
}

// writeAccountsFile replaces the file at path with t atomically and
// returns the new file's information.
func writeAccountsFile(path string, t *accountsTable, perm fs.FileMode) (os.FileInfo, error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return nil, err
	}
	done := false
	defer func() {
		if !done {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := tmp.Chmod(perm); err != nil {
		return nil, err
	}
	w := bufio.NewWriter(tmp)
	t.writeTo(w)
	if err := w.Flush(); err != nil {
		return nil, err
	}
	if err := tmp.Sync(); err != nil {
		return nil, err
	}
	// The rename keeps the inode, size and modification time: this is
	// what current will see at path.
	info, err := tmp.Stat()
	if err != nil {
		return nil, err
	}
	if err := tmp.Close(); err != nil {
		return nil, err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return nil, err
	}
	done = true
	return info, syncParentDirectory(path)
}

// accountsTable is the content of an accounts file. A table is never
// changed once built: with and without return new ones.
type accountsTable struct {
	lines []accountsLine
	index map[string]int // account name to its index in lines
	cost  int            // highest bcrypt cost of the hashes, 0 if none
}

// accountsLine is one line of the file: an account (name != "") or a
// comment or blank line kept as raw.
type accountsLine struct {
	name, hash, raw string
	scram           string // the SCRAM field, "" if none
}

func (t *accountsTable) exists(name string) bool {
	_, ok := t.index[name]
	return ok
}

func (t *accountsTable) hash(name string) string {
	if i, ok := t.index[name]; ok {
		return t.lines[i].hash
	}
	return ""
}

func (t *accountsTable) scram(name string) string {
	if i, ok := t.index[name]; ok {
		return t.lines[i].scram
	}
	return ""
}

func (t *accountsTable) names() []string {
	names := make([]string, 0, len(t.index))
	for name := range t.index {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// with returns a copy of t where name has hash and the SCRAM field
// scram, added at the end if new.
func (t *accountsTable) with(name, hash, scram string) *accountsTable {
	lines := slices.Clone(t.lines)
	if i, ok := t.index[name]; ok {
		lines[i].hash, lines[i].scram = hash, scram
	} else {
		lines = append(lines, accountsLine{name: name, hash: hash, scram: scram})
	}
	return newAccountsTable(lines)
}

// without returns a copy of t without the account name.
func (t *accountsTable) without(name string) *accountsTable {
	lines := slices.Clone(t.lines)
	if i, ok := t.index[name]; ok {
		lines = slices.Delete(lines, i, i+1)
	}
	return newAccountsTable(lines)
}

func newAccountsTable(lines []accountsLine) *accountsTable {
	t := &accountsTable{lines: lines, index: make(map[string]int, len(lines))}
	for i, l := range lines {
		if l.name != "" {
			t.index[l.name] = i
			t.cost = max(t.cost, hashCost(l.hash))
		}
	}
	return t
}

func (t *accountsTable) writeTo(w *bufio.Writer) {
	for _, l := range t.lines {
		if l.name == "" {
			w.WriteString(l.raw)
		} else {
			w.WriteString(l.name)
			w.WriteByte(':')
			w.WriteString(l.hash)
			if l.scram != "" {
				w.WriteByte(':')
				w.WriteString(l.scram)
			}
		}
		w.WriteByte('\n')
	}
}

// parseAccountsLine parses one line of an accounts file, without its line
// ending. It returns an empty name for a comment or blank line.
func parseAccountsLine(line string) (name, hash, scram string, err error) {
	line = strings.TrimRight(line, " \t\r")
	if line == "" || line[0] == '#' {
		return "", "", "", nil
	}
	i := strings.IndexByte(line, ':')
	if i < 0 {
		return "", "", "", errors.New("no ':' between name and hash")
	}
	if name, err = canonicalAccountName(line[:i]); err != nil {
		return "", "", "", err
	}
	hash, scram, _ = strings.Cut(line[i+1:], ":")
	if err := checkAccountHash(hash); err != nil {
		return "", "", "", err
	}
	if scram != "" {
		if _, err := ParseSCRAMCredentials(scram); err != nil {
			return "", "", "", err
		}
	}
	return name, hash, scram, nil
}

// parseAccounts reads an accounts file. Its memory is bounded by the
// number of lines, each at most maxAccountsLine bytes.
func parseAccounts(r io.Reader) (*accountsTable, error) {
	br := bufio.NewReaderSize(r, maxAccountsLine)
	var lines []accountsLine
	seen := make(map[string]bool)
	for n := 1; ; n++ {
		b, err := br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			return nil, fmt.Errorf("line %d: longer than %d bytes", n, maxAccountsLine)
		}
		if err != nil && err != io.EOF {
			return nil, err
		}
		if len(b) == 0 && err == io.EOF {
			break
		}
		text := string(bytes.TrimSuffix(b, []byte("\n")))
		name, hash, scram, perr := parseAccountsLine(text)
		if perr != nil {
			return nil, fmt.Errorf("line %d: %w", n, perr)
		}
		if name == "" {
			lines = append(lines, accountsLine{raw: strings.TrimRight(text, " \t\r")})
		} else {
			if seen[name] {
				return nil, fmt.Errorf("line %d: account %s appears twice", n, name)
			}
			seen[name] = true
			lines = append(lines, accountsLine{name: name, hash: hash, scram: scram})
		}
		if err == io.EOF {
			break
		}
	}
	return newAccountsTable(lines), nil
}

// MemoryAccounts is an Accounts held in memory, for tests and test
// servers: the same rules as AccountsFile (names, bcrypt hashes, a dummy
// comparison for unknown users), without a file. Safe for concurrent use.
// The zero value is an empty set using bcrypt.DefaultCost.
type MemoryAccounts struct {
	// Domains are the local domains, as in AccountsFile.
	Domains []string
	// Cost is the bcrypt cost; 0 means bcrypt.DefaultCost.
	Cost int
	// AuthCache remembers successful logins, as in AccountsFile.
	AuthCache AuthCache
	// SCRAMIterations is the iteration count of the SCRAM credentials,
	// as in AccountsFile.
	SCRAMIterations int

	check passwordCheck

	mu      sync.RWMutex
	hashes  map[string]string
	scram   map[string]string // SCRAM fields as AccountsFile writes them
	maxCost int
}

// NewMemoryAccounts returns an empty MemoryAccounts with the local
// domains (Domains) and Cost set to bcrypt.MinCost: the hashes never
// leave memory, and tests stay fast.
func NewMemoryAccounts(domains ...string) *MemoryAccounts {
	return &MemoryAccounts{Domains: domains, Cost: bcrypt.MinCost}
}

// Authenticate checks password for username; see Accounts.
func (m *MemoryAccounts) Authenticate(ctx context.Context, username, password string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	m.mu.RLock()
	user, found := resolveAccount(m.existsLocked, m.Domains, username)
	hash, field, cost := m.hashes[user], m.scram[user], m.maxCost
	m.mu.RUnlock()
	if cost == 0 {
		cost = bcryptCost(m.Cost)
	}
	user, err := m.check.verify(&m.AuthCache, username, user, hash, found, cost, password)
	if err == nil && needsSCRAM(hash, field, m.SCRAMIterations) {
		field = accountSCRAM(hash, password, m.SCRAMIterations).String()
		m.mu.Lock()
		if m.hashes[user] == hash { // the password did not change meanwhile
			if m.scram == nil {
				m.scram = make(map[string]string)
			}
			m.scram[user] = field
		}
		m.mu.Unlock()
	}
	return user, err
}

// SCRAMCredentials returns the SCRAM-SHA-256 credentials of username's
// account; see SCRAMAuthenticator.
func (m *MemoryAccounts) SCRAMCredentials(ctx context.Context, username string) (string, SCRAMCredentials, error) {
	none := SCRAMCredentials{Iterations: scramIterations(m.SCRAMIterations)}
	if err := ctx.Err(); err != nil {
		return "", none, err
	}
	m.mu.RLock()
	user, found := resolveAccount(m.existsLocked, m.Domains, username)
	cred, ok := usableSCRAM(m.hashes[user], m.scram[user])
	m.mu.RUnlock()
	if !found || !ok {
		return "", none, fmt.Errorf("%w: %w", ErrAuthFailed, errNoSCRAM)
	}
	return user, cred, nil
}

// Lookup tells whether username names an account; see Accounts.
func (m *MemoryAccounts) Lookup(ctx context.Context, username string) (string, bool, error) {
	if err := ctx.Err(); err != nil {
		return "", false, err
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	user, ok := resolveAccount(m.existsLocked, m.Domains, username)
	return user, ok, nil
}

func (m *MemoryAccounts) existsLocked(name string) bool {
	_, ok := m.hashes[name]
	return ok
}

// Add adds an account, as AccountsFile.Add does.
func (m *MemoryAccounts) Add(name, password string) error {
	return m.set(name, password, false)
}

// SetPassword changes the password of an account, as
// AccountsFile.SetPassword does.
func (m *MemoryAccounts) SetPassword(name, password string) error {
	return m.set(name, password, true)
}

func (m *MemoryAccounts) set(name, password string, exists bool) error {
	name, hash, scram, err := newAccountHash(name, password, m.Cost, m.SCRAMIterations)
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	switch _, ok := m.hashes[name]; {
	case ok && !exists:
		return fmt.Errorf("%w: %s", ErrAccountExists, name)
	case !ok && exists:
		return fmt.Errorf("%w: %s", ErrUnknownAccount, name)
	}
	if m.hashes == nil {
		m.hashes = make(map[string]string)
		m.scram = make(map[string]string)
	}
	m.hashes[name], m.scram[name] = hash, scram
	m.maxCost = max(m.maxCost, hashCost(hash))
	return nil
}

// Remove removes an account, as AccountsFile.Remove does.
func (m *MemoryAccounts) Remove(name string) error {
	name, err := canonicalAccountName(name)
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.hashes[name]; !ok {
		return fmt.Errorf("%w: %s", ErrUnknownAccount, name)
	}
	delete(m.hashes, name)
	delete(m.scram, name)
	return nil
}

// List returns the account names, sorted. The error is always nil; it is
// there to match AccountsFile.
func (m *MemoryAccounts) List() ([]string, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	names := make([]string, 0, len(m.hashes))
	for name := range m.hashes {
		names = append(names, name)
	}
	slices.Sort(names)
	return names, nil
}
