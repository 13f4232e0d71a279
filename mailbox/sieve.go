package mailbox

import (
	"context"
	"encoding/base32"
	"errors"
	"sort"
	"strings"
	"unicode/utf8"
)

// Each user's Sieve scripts (uploaded over ManageSieve, RFC 5804, and run
// by local delivery) live beside the Maildir, in a directory that no
// Maildir++ reader takes for a folder (folders start with "."):
//
//	<user>/mailwright-sieve/<name>.sieve   one file per script
//	<user>/mailwright-sieve/active         the active script's name, if any
//	<user>/mailwright-sieve/tracker        response tracking (SieveSeen)
//
// Every change is an atomic replace (temp file, fsync, rename, directory
// fsync), so a crash leaves either the old or the new script.
const (
	sieveDir        = "mailwright-sieve"
	sieveActiveFile = "active"
	sieveExt        = ".sieve"
)

// MaxSieveScriptName is the longest script name, in bytes, that the store
// keeps (RFC 5804 1.6 leaves the limit to the server).
const MaxSieveScriptName = 128

// Errors of the Sieve script storage; ManageSieve answers them with the
// response codes of RFC 5804 1.3 (in parentheses).
var (
	// ErrNoSuchScript reports a script that does not exist (NONEXISTENT).
	ErrNoSuchScript = errors.New("mailbox: no such Sieve script")
	// ErrScriptExists reports a rename onto an existing script
	// (ALREADYEXISTS).
	ErrScriptExists = errors.New("mailbox: Sieve script already exists")
	// ErrScriptActive reports the deletion of the active script (ACTIVE).
	ErrScriptActive = errors.New("mailbox: Sieve script is active")
)

// SieveScript describes one of a user's Sieve scripts.
type SieveScript struct {
	Name   string
	Size   int64
	Active bool
}

// CheckSieveScriptName returns a *NameError for a script name the store
// refuses: empty, longer than MaxSieveScriptName, not UTF-8, or holding
// a character that RFC 5804 1.6 forbids (controls, U+2028, U+2029).
func CheckSieveScriptName(name string) error {
	bad := func(reason string) error { return &NameError{Name: name, Reason: "script name: " + reason} }
	switch {
	case name == "":
		return bad("empty")
	case len(name) > MaxSieveScriptName:
		return bad("too long")
	case !utf8.ValidString(name):
		return bad("not valid UTF-8")
	}
	for _, r := range name {
		if r < 0x20 || (r >= 0x7f && r <= 0x9f) || r == 0x2028 || r == 0x2029 {
			return bad("contains a control character")
		}
	}
	return nil
}

// sieveFileName is the file of a script: the name itself when it is made
// of characters that are safe and readable in a file name, else "=" and
// the name in base32 (which a plain name never starts with).
func sieveFileName(name string) string {
	plain := name[0] != '.'
	for i := 0; i < len(name) && plain; i++ {
		c := name[i]
		plain = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '-' || c == '_' || c == '+' || c == '.' || c == ',' || c == '@'
	}
	if plain {
		return name + sieveExt
	}
	return "=" + sieveB32.EncodeToString([]byte(name)) + sieveExt
}

// sieveNameOf is the script name of a file, or false for other files.
func sieveNameOf(file string) (string, bool) {
	base, ok := strings.CutSuffix(file, sieveExt)
	if !ok || base == "" {
		return "", false
	}
	if enc, ok := strings.CutPrefix(base, "="); ok {
		b, err := sieveB32.DecodeString(enc)
		if err != nil || CheckSieveScriptName(string(b)) != nil {
			return "", false
		}
		return string(b), true
	}
	if CheckSieveScriptName(base) != nil || sieveFileName(base) != file {
		return "", false
	}
	return base, true
}

var sieveB32 = base32.StdEncoding.WithPadding(base32.NoPadding)

func sievePath(user, file string) string { return userDir(user) + "/" + sieveDir + "/" + file }

// sieveUser checks the user and name and returns the user's state, with
// its Sieve lock to take.
func (s *Store) sieveUser(user string, names ...string) (*userState, error) {
	for _, n := range names {
		if err := CheckSieveScriptName(n); err != nil {
			return nil, err
		}
	}
	return s.user(user)
}

// ListSieveScripts returns the user's scripts, sorted by name.
func (s *Store) ListSieveScripts(ctx context.Context, user string) ([]SieveScript, error) {
	us, err := s.sieveUser(user)
	if err != nil {
		return nil, err
	}
	us.sieveMu.Lock()
	defer us.sieveMu.Unlock()
	return s.listSieveLocked(user)
}

func (s *Store) listSieveLocked(user string) ([]SieveScript, error) {
	ents, err := s.fs.ReadDir(userDir(user) + "/" + sieveDir)
	if isNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	active, err := s.activeSieveName(user)
	if err != nil {
		return nil, err
	}
	var out []SieveScript
	for _, e := range ents {
		name, ok := sieveNameOf(e.name)
		if e.isDir || !ok {
			continue
		}
		st, err := s.fs.Stat(sievePath(user, e.name))
		if err != nil {
			if isNotExist(err) {
				continue
			}
			return nil, err
		}
		out = append(out, SieveScript{Name: name, Size: st.size, Active: name == active})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// ReadSieveScript returns the source of a script, or ErrNoSuchScript.
func (s *Store) ReadSieveScript(ctx context.Context, user, name string) ([]byte, error) {
	us, err := s.sieveUser(user, name)
	if err != nil {
		return nil, err
	}
	us.sieveMu.Lock()
	defer us.sieveMu.Unlock()
	return s.readSieveLocked(user, name)
}

func (s *Store) readSieveLocked(user, name string) ([]byte, error) {
	b, err := s.fs.ReadFile(sievePath(user, sieveFileName(name)))
	if isNotExist(err) {
		return nil, ErrNoSuchScript
	}
	return b, err
}

// PutSieveScript stores a script under name, replacing one of that name
// atomically (the active script stays active). The store does not check
// the script: ManageSieve compiles it first (RFC 5804 2.6).
func (s *Store) PutSieveScript(ctx context.Context, user, name string, src []byte) error {
	us, err := s.sieveUser(user, name)
	if err != nil {
		return err
	}
	us.sieveMu.Lock()
	defer us.sieveMu.Unlock()
	if err := s.makeSieveDir(user); err != nil {
		return err
	}
	return writeAtomicBytes(s.fs, userDir(user)+"/"+sieveDir, sieveFileName(name), src)
}

// makeSieveDir creates the user's Sieve directory, durably, if needed.
func (s *Store) makeSieveDir(user string) error {
	err := s.fs.Mkdir(userDir(user) + "/" + sieveDir)
	switch {
	case err == nil:
		return s.fs.SyncDir(userDir(user))
	case isExist(err):
		return nil
	}
	return err
}

// DeleteSieveScript removes a script; the active one cannot be removed
// (ErrScriptActive, RFC 5804 2.10).
func (s *Store) DeleteSieveScript(ctx context.Context, user, name string) error {
	us, err := s.sieveUser(user, name)
	if err != nil {
		return err
	}
	us.sieveMu.Lock()
	defer us.sieveMu.Unlock()
	active, err := s.activeSieveName(user)
	if err != nil {
		return err
	}
	if active == name {
		return ErrScriptActive
	}
	if err := s.fs.Remove(sievePath(user, sieveFileName(name))); err != nil {
		if isNotExist(err) {
			return ErrNoSuchScript
		}
		return err
	}
	return s.fs.SyncDir(userDir(user) + "/" + sieveDir)
}

// RenameSieveScript renames a script; the active script stays active
// under its new name (RFC 5804 2.11.1). A script named newName must not
// exist (ErrScriptExists).
func (s *Store) RenameSieveScript(ctx context.Context, user, oldName, newName string) error {
	us, err := s.sieveUser(user, oldName, newName)
	if err != nil {
		return err
	}
	us.sieveMu.Lock()
	defer us.sieveMu.Unlock()
	from, to := sievePath(user, sieveFileName(oldName)), sievePath(user, sieveFileName(newName))
	if _, err := s.fs.Stat(from); err != nil {
		if isNotExist(err) {
			return ErrNoSuchScript
		}
		return err
	}
	if oldName == newName {
		return nil
	}
	if _, err := s.fs.Stat(to); err == nil {
		return ErrScriptExists
	} else if !isNotExist(err) {
		return err
	}
	active, err := s.activeSieveName(user)
	if err != nil {
		return err
	}
	// A link then an unlink: a crash leaves the script under both names,
	// never under none, and never an active name without its script.
	if err := s.fs.Link(from, to); err != nil {
		return err
	}
	dir := userDir(user) + "/" + sieveDir
	if err := s.fs.SyncDir(dir); err != nil {
		return err
	}
	if active == oldName {
		if err := s.writeActiveSieve(user, newName); err != nil {
			return err
		}
	}
	if err := s.fs.Remove(from); err != nil {
		return err
	}
	return s.fs.SyncDir(dir)
}

// ActivateSieveScript makes name the script that local delivery runs, or
// deactivates every script when name is "" (RFC 5804 2.8).
func (s *Store) ActivateSieveScript(ctx context.Context, user, name string) error {
	var names []string
	if name != "" {
		names = []string{name}
	}
	us, err := s.sieveUser(user, names...)
	if err != nil {
		return err
	}
	us.sieveMu.Lock()
	defer us.sieveMu.Unlock()
	if name == "" {
		err := s.fs.Remove(sievePath(user, sieveActiveFile))
		if isNotExist(err) {
			return nil
		}
		if err != nil {
			return err
		}
		return s.fs.SyncDir(userDir(user) + "/" + sieveDir)
	}
	if _, err := s.fs.Stat(sievePath(user, sieveFileName(name))); err != nil {
		if isNotExist(err) {
			return ErrNoSuchScript
		}
		return err
	}
	return s.writeActiveSieve(user, name)
}

func (s *Store) writeActiveSieve(user, name string) error {
	return writeAtomicBytes(s.fs, userDir(user)+"/"+sieveDir, sieveActiveFile, []byte(name+"\n"))
}

// activeSieveName reads the name of the active script ("" for none).
func (s *Store) activeSieveName(user string) (string, error) {
	b, err := s.fs.ReadFile(sievePath(user, sieveActiveFile))
	if isNotExist(err) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	name := strings.TrimSuffix(string(b), "\n")
	if CheckSieveScriptName(name) != nil {
		return "", nil
	}
	return name, nil
}

// ActiveSieveScript returns the name and source of the user's active
// script; name is "" when no script is active.
func (s *Store) ActiveSieveScript(ctx context.Context, user string) (name string, src []byte, err error) {
	us, err := s.sieveUser(user)
	if err != nil {
		return "", nil, err
	}
	us.sieveMu.Lock()
	defer us.sieveMu.Unlock()
	name, err = s.activeSieveName(user)
	if err != nil || name == "" {
		return "", nil, err
	}
	src, err = s.readSieveLocked(user, name)
	if errors.Is(err, ErrNoSuchScript) {
		return "", nil, nil // the active file names a script that is gone
	}
	if err != nil {
		return "", nil, err
	}
	return name, src, nil
}
