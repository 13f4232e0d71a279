package mailbox

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"syscall"
	"testing"

	"github.com/mailwright/mailwright/imap"
	"github.com/mailwright/mailwright/pop3"
)

// TestIMAPErrCodes: store errors reach IMAP clients with the RFC 5530
// response code that says what happened; others stay SERVERBUG.
func TestIMAPErrCodes(t *testing.T) {
	for _, tc := range []struct {
		err  error
		code string
	}{
		{ErrNoSuchFolder, "NONEXISTENT"},
		{ErrFolderDeleted, "NONEXISTENT"},
		{ErrFolderExists, "ALREADYEXISTS"},
		{ErrNotAllowed, "CANNOT"},
		{&NameError{Name: "a", Reason: "r"}, "CANNOT"},
		{ErrTooManyKeywords, "LIMIT"},
		{fmt.Errorf("open: %w", ErrNoSuchMessage), "EXPUNGEISSUED"},
		{ErrClosed, "UNAVAILABLE"},
		{fmt.Errorf("%w: accounts", ErrUnavailable), "UNAVAILABLE"},
		{&fs.PathError{Op: "write", Path: "x", Err: syscall.ENOSPC}, "OVERQUOTA"},
		{&fs.PathError{Op: "write", Path: "x", Err: syscall.EDQUOT}, "OVERQUOTA"},
		{errors.New("disk on fire"), ""},
	} {
		var ie *imap.Error
		got := ""
		if errors.As(imapErr(tc.err), &ie) {
			got = ie.Code
		}
		if got != tc.code {
			t.Errorf("imapErr(%v) code %q, want %q", tc.err, got, tc.code)
		}
	}
}

// TestLoginUnavailable: an Authenticator error wrapping ErrUnavailable is
// a temporary failure for IMAP (RFC 5530 UNAVAILABLE) and POP3 (RFC 3206
// SYS/TEMP), any other a failed login.
func TestLoginUnavailable(t *testing.T) {
	s := NewMemoryStore()
	defer s.Close()
	for _, tc := range []struct {
		err        error
		imap, pop3 string
	}{
		{fmt.Errorf("%w: accounts file: EIO", ErrUnavailable), "UNAVAILABLE", "SYS/TEMP"},
		{ErrAuthFailed, "AUTHENTICATIONFAILED", "AUTH"},
		{errors.New("no such user"), "AUTHENTICATIONFAILED", "AUTH"},
	} {
		auth := AuthenticatorFunc(func(context.Context, string, string) (string, error) { return "", tc.err })
		_, err := NewIMAPBackend(s, auth).Login(bg, imap.ConnInfo{}, "alice", "x")
		var ie *imap.Error
		if !errors.As(err, &ie) || ie.Code != tc.imap {
			t.Errorf("IMAP Login with %v: %v, want code %s", tc.err, err, tc.imap)
		}
		_, err = (&POP3Backend{Store: s, Auth: auth}).Login(bg, pop3.ConnInfo{}, "alice", "x")
		var pe *pop3.Error
		if !errors.As(err, &pe) || pe.Code != tc.pop3 {
			t.Errorf("POP3 Login with %v: %v, want code %s", tc.err, err, tc.pop3)
		}
	}
}
