package mailbox

import (
	"errors"
	"strconv"
)

var (
	// ErrInvalidName reports a folder or user name that the store refuses.
	// The concrete error is a *NameError that says why.
	ErrInvalidName = errors.New("mailbox: invalid name")
	// ErrNoSuchFolder reports a folder that does not exist (IMAP [NONEXISTENT],
	// or [TRYCREATE] for APPEND, COPY and MOVE; RFC 3501 section 6.3.11).
	ErrNoSuchFolder = errors.New("mailbox: no such folder")
	// ErrFolderExists reports a CREATE or RENAME onto an existing folder
	// (IMAP [ALREADYEXISTS], RFC 5530).
	ErrFolderExists = errors.New("mailbox: folder already exists")
	// ErrNotAllowed reports an operation the store never performs, such as
	// deleting INBOX (RFC 3501 section 6.3.4) or renaming onto it.
	ErrNotAllowed = errors.New("mailbox: operation not allowed")
	// ErrNoSuchMessage reports a UID that is not (or no longer) in the folder.
	ErrNoSuchMessage = errors.New("mailbox: no such message")
	// ErrInvalidFlag reports a flag or keyword that is not a valid IMAP
	// flag (RFC 3501 section 9, flag-keyword is an atom), or \Recent, which
	// clients cannot set.
	ErrInvalidFlag = errors.New("mailbox: invalid flag")
	// ErrTooManyKeywords reports that a folder already uses the 26 keywords
	// that Maildir can store in file names (letters a to z). An IMAP server
	// should then omit \* from PERMANENTFLAGS.
	ErrTooManyKeywords = errors.New("mailbox: too many keywords in folder")
	// ErrFolderDeleted reports that the folder behind an open handle was
	// deleted or renamed by another session; the handle is unusable.
	ErrFolderDeleted = errors.New("mailbox: folder was deleted")
	// ErrClosed reports use of a closed Store or Folder.
	ErrClosed = errors.New("mailbox: closed")
	// ErrLocked reports that another process holds the store's root.
	ErrLocked = errors.New("mailbox: store root is locked by another process")
	// ErrUnavailable reports a temporary failure of something the store
	// or the accounts depend on, such as an accounts file that cannot be
	// read: nothing is wrong with the request, and it may succeed later.
	// IMAP answers NO [UNAVAILABLE] (RFC 5530 3), POP3 -ERR [SYS/TEMP]
	// (RFC 3206 4). An Authenticator returns an error wrapping it for a
	// failure that says nothing about the credentials.
	ErrUnavailable = errors.New("mailbox: temporarily unavailable")
)

// NameError is the error for a folder or user name that fails validation.
// It matches ErrInvalidName with errors.Is.
type NameError struct {
	Name   string // the name as given (may be truncated for display)
	Reason string // why it was refused, e.g. "empty component"
}

// Error returns a message suitable for logs and for an IMAP NO response.
func (e *NameError) Error() string {
	n := e.Name
	if len(n) > 64 {
		n = n[:64] + "..."
	}
	return "mailbox: invalid name " + strconv.Quote(n) + ": " + e.Reason
}

// Is makes errors.Is(err, ErrInvalidName) true.
func (e *NameError) Is(target error) bool { return target == ErrInvalidName }
