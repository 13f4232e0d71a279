package mailbox

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strings"

	"github.com/mailwright/mailwright/imap"
)

// accessKeyFile holds a folder's URLAUTH mailbox access key (RFC 4467 3),
// in hex, in the folder's directory: RENAME takes it along and DELETE
// drops it with the folder.
const accessKeyFile = "mailwright-urlauthkey"

// accessKeySize is the size of a mailbox access key: RFC 4467 7 asks for
// at least 128 bits.
const accessKeySize = 32

// accessKey returns the URLAUTH access key of a folder, making and
// storing one (durably) when create is set and the folder has none; nil
// when it has none. A missing folder gives ErrNoSuchFolder.
func (s *Store) accessKey(ctx context.Context, user, name string, create bool) ([]byte, error) {
	if err := checkCtx(ctx); err != nil {
		return nil, err
	}
	canon, err := CanonicalName(name)
	if err != nil {
		return nil, err
	}
	us, err := s.user(user)
	if err != nil {
		return nil, err
	}
	// The user's lock keeps the folder in place, and two sessions from
	// making two keys (the second would void the first one's URLs).
	us.mu.Lock()
	defer us.mu.Unlock()
	if !s.folderExists(user, canon) {
		return nil, ErrNoSuchFolder
	}
	dir := folderDir(user, canon)
	data, err := s.fs.ReadFile(dir + "/" + accessKeyFile)
	switch {
	case err == nil:
		key, derr := hex.DecodeString(strings.TrimSpace(string(data)))
		if derr == nil && len(key) >= 16 {
			return key, nil
		}
		s.logger().Warn("mailbox: unreadable URLAUTH key, making a new one", "user", user, "folder", canon)
	case !isNotExist(err):
		return nil, err
	}
	if !create {
		return nil, nil
	}
	key := make([]byte, accessKeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	if err := writeAtomicBytes(s.fs, dir, accessKeyFile, []byte(hex.EncodeToString(key)+"\n")); err != nil {
		return nil, err
	}
	return key, nil
}

// resetAccessKeys removes the URLAUTH access key of a folder, or of every
// folder of the user when name is "".
func (s *Store) resetAccessKeys(ctx context.Context, user, name string) error {
	var canons []string
	if name != "" {
		canon, err := CanonicalName(name)
		if err != nil {
			return err
		}
		canons = []string{canon}
	} else {
		folders, err := s.ListFolders(ctx, user)
		if err != nil {
			return err
		}
		for _, f := range folders {
			canons = append(canons, f.Name)
		}
	}
	us, err := s.user(user)
	if err != nil {
		return err
	}
	us.mu.Lock()
	defer us.mu.Unlock()
	for _, canon := range canons {
		if !s.folderExists(user, canon) {
			if name != "" {
				return ErrNoSuchFolder
			}
			continue // a \Noselect parent, or deleted meanwhile
		}
		dir := folderDir(user, canon)
		if err := s.fs.Remove(dir + "/" + accessKeyFile); err != nil {
			if isNotExist(err) {
				continue
			}
			return err
		}
		if err := s.fs.SyncDir(dir); err != nil {
			return err
		}
	}
	return nil
}

var (
	_ imap.URLAuthBackend = (*IMAPBackend)(nil)
	_ imap.AccessKeyUser  = (*imapUser)(nil)
)

// URLUser implements imap.URLAuthBackend: the user an IMAP URL names,
// found with the Auth's Lookup (mailbox.Accounts has one), so that
// URLAUTH URLs of one user can be fetched by another (RFC 4467). With an
// Auth that has no Lookup only a user's own URLs resolve.
func (b *IMAPBackend) URLUser(ctx context.Context, name string) (imap.User, error) {
	l, ok := b.Auth.(interface {
		Lookup(ctx context.Context, username string) (string, bool, error)
	})
	if !ok {
		return nil, &imap.Error{Code: "NONEXISTENT", Text: "No such user"}
	}
	user, found, err := l.Lookup(ctx, name)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, &imap.Error{Code: "NONEXISTENT", Text: "No such user"}
	}
	return &imapUser{s: b.Store, user: user, cache: b.caches()}, nil
}

// AccessKey implements imap.AccessKeyUser.
func (u *imapUser) AccessKey(ctx context.Context, mailbox string, create bool) ([]byte, error) {
	key, err := u.s.accessKey(ctx, u.user, mailbox, create)
	return key, imapErr(err)
}

// ResetAccessKeys implements imap.AccessKeyUser.
func (u *imapUser) ResetAccessKeys(ctx context.Context, mailbox string) error {
	return imapErr(u.s.resetAccessKeys(ctx, u.user, mailbox))
}
