package testmailbox

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/mailwright/mailwright/mailbox"
)

// ErrUnknownUser reports a name that is not a user: not in the accounts,
// and auto-creation is off.
var ErrUnknownUser = errors.New("unknown user")

// Users applies the test servers' rules for logins: users in the accounts
// need their password; with auto-creation, any other name logs in with any
// password, its mail kept under the name as the accounts would
// canonicalize it. Auto-created users are not added to the accounts, so
// that servers sharing accounts and a store agree on who exists. The
// accounts are passed to each call, since a server's Accounts field may be
// replaced before it starts.
type Users struct {
	Name  string   // the package, for error messages
	names sync.Map // name as given -> canonical name, for auto-created users
}

// Resolve returns the canonical name of a user; open says any password is
// accepted (an auto-created user).
func (u *Users) Resolve(ctx context.Context, accounts *mailbox.MemoryAccounts, name string, autoCreate bool) (user string, open bool, err error) {
	user, found, err := accounts.Lookup(ctx, name)
	switch {
	case err != nil:
		return "", false, err
	case found:
		return user, false, nil
	case !autoCreate:
		return "", false, fmt.Errorf("%s: %w %q", u.Name, ErrUnknownUser, name)
	}
	if v, ok := u.names.Load(name); ok {
		return v.(string), true, nil
	}
	user, err = u.canonicalName(name)
	if err != nil {
		return "", false, err
	}
	u.names.Store(name, user)
	return user, true, nil
}

// Authenticate checks a login under those rules.
func (u *Users) Authenticate(ctx context.Context, accounts *mailbox.MemoryAccounts, username, password string, autoCreate bool) (string, error) {
	user, open, err := u.Resolve(ctx, accounts, username, autoCreate)
	if err != nil || !open {
		// Unknown names get the accounts' dummy comparison and failure.
		return accounts.Authenticate(ctx, username, password)
	}
	return user, nil
}

// Deliver appends raw to the INBOX of the user name stands for. An
// unknown user is an error wrapping ErrUnknownUser.
func (u *Users) Deliver(ctx context.Context, store *mailbox.Store, accounts *mailbox.MemoryAccounts, name string, raw []byte, autoCreate bool) error {
	user, _, err := u.Resolve(ctx, accounts, name, autoCreate)
	if err != nil {
		return err
	}
	_, err = store.Append(ctx, user, mailbox.Inbox, bytes.NewReader(raw), nil)
	return err
}

// canonicalName canonicalizes a user name as mailbox accounts do (case,
// allowed characters), through a scratch account set. It costs a bcrypt
// hash at the lowest cost, hence the names cache.
func (u *Users) canonicalName(name string) (string, error) {
	scratch := &mailbox.MemoryAccounts{Cost: 4}
	if err := scratch.Add(name, "x"); err != nil {
		return "", err
	}
	names, err := scratch.List()
	if err != nil || len(names) != 1 {
		return "", fmt.Errorf("%s: user name %q: %v", u.Name, name, err)
	}
	return names[0], nil
}
