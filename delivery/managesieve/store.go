package managesieve

import (
	"context"
	"errors"
	"fmt"

	"github.com/mailwright/mailwright/mailbox"
)

// ScriptStore keeps each user's scripts: what NewBackend serves.
// *mailbox.Store implements it; another store (a database shared by
// several front ends) can too, with the errors of mailbox
// (ErrNoSuchScript, ErrScriptActive, ErrScriptExists, ErrInvalidName).
type ScriptStore interface {
	ListSieveScripts(ctx context.Context, user string) ([]mailbox.SieveScript, error)
	ReadSieveScript(ctx context.Context, user, name string) ([]byte, error)
	PutSieveScript(ctx context.Context, user, name string, src []byte) error
	DeleteSieveScript(ctx context.Context, user, name string) error
	RenameSieveScript(ctx context.Context, user, oldName, newName string) error
	ActivateSieveScript(ctx context.Context, user, name string) error
}

var _ ScriptStore = (*mailbox.Store)(nil)

// NewBackend returns a Backend that checks passwords with auth (the
// accounts that log in over IMAP, POP3 and SMTP) and serves the users'
// scripts from store, where local delivery finds them
// (delivery.SieveFilter).
func NewBackend(store ScriptStore, auth mailbox.Authenticator) Backend {
	return BackendFunc(func(ctx context.Context, conn ConnInfo, username, password string) (Scripts, error) {
		user, err := auth.Authenticate(ctx, username, password)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
				return nil, err
			}
			return nil, fmt.Errorf("%w: %w", ErrAuthFailed, err)
		}
		return storeScripts{store, user}, nil
	})
}

// storeScripts are one user's scripts in a ScriptStore.
type storeScripts struct {
	store ScriptStore
	user  string
}

func (s storeScripts) List(ctx context.Context) ([]ScriptInfo, error) {
	list, err := s.store.ListSieveScripts(ctx, s.user)
	if err != nil {
		return nil, storeError(err)
	}
	out := make([]ScriptInfo, len(list))
	for i, sc := range list {
		out[i] = ScriptInfo{Name: sc.Name, Active: sc.Active}
	}
	return out, nil
}

func (s storeScripts) Get(ctx context.Context, name string) ([]byte, error) {
	src, err := s.store.ReadSieveScript(ctx, s.user, name)
	return src, storeError(err)
}

func (s storeScripts) Put(ctx context.Context, name string, src []byte) error {
	return storeError(s.store.PutSieveScript(ctx, s.user, name, src))
}

func (s storeScripts) Delete(ctx context.Context, name string) error {
	return storeError(s.store.DeleteSieveScript(ctx, s.user, name))
}

func (s storeScripts) Rename(ctx context.Context, oldName, newName string) error {
	return storeError(s.store.RenameSieveScript(ctx, s.user, oldName, newName))
}

func (s storeScripts) SetActive(ctx context.Context, name string) error {
	return storeError(s.store.ActivateSieveScript(ctx, s.user, name))
}

// storeError gives the store's errors their response codes.
func storeError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, mailbox.ErrNoSuchScript):
		return &Error{Code: ErrNonexistent.Code, Message: ErrNonexistent.Message, Err: err}
	case errors.Is(err, mailbox.ErrScriptActive):
		return &Error{Code: ErrActive.Code, Message: ErrActive.Message, Err: err}
	case errors.Is(err, mailbox.ErrScriptExists):
		return &Error{Code: ErrAlreadyExists.Code, Message: ErrAlreadyExists.Message, Err: err}
	case errors.Is(err, mailbox.ErrInvalidName):
		return &Error{Message: "Invalid script name", Err: err}
	}
	return err
}
