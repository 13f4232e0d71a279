package imap

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"time"

	"github.com/mailwright/mailwright/internal/saslmech"
)

// ConnInfo describes the client connection a login comes from.
type ConnInfo struct {
	RemoteAddr net.Addr
	LocalAddr  net.Addr
	TLS        *tls.ConnectionState // nil on a plaintext connection

	tlsConfig *tls.Config // of the handshake, for ChannelBinding
}

// ChannelBinding returns the TLS channel binding data of type kind (RFC
// 5056) for a SASL mechanism with channel binding, such as
// SCRAM-SHA-256-PLUS: "tls-exporter" (RFC 9266; TLS 1.3, or TLS 1.2
// with the extended master secret), "tls-unique" (RFC 5929 3; TLS 1.2
// only) or "tls-server-end-point" (RFC 5929 4). It fails without TLS and
// for a type the connection does not have; tls-server-end-point needs a
// TLSConfig with one certificate and no GetCertificate or
// GetConfigForClient, since crypto/tls does not tell a server which
// certificate its handshake presented.
func (ci ConnInfo) ChannelBinding(kind string) ([]byte, error) {
	return saslmech.Binding(kind, ci.TLS, saslmech.ServedCertificate(ci.tlsConfig))
}

// Backend authenticates users. It is the only thing a Server needs: the
// User it returns serves the authenticated and selected states.
//
// Every method of the Backend, User and Mailbox interfaces takes the
// connection's context first; it is cancelled when the connection ends or
// the server closes. Errors a client should see are *Error values (possibly
// wrapped); any other error reaches the client as "NO [SERVERBUG]" with a
// generic text and is logged.
type Backend interface {
	// Login checks a user name and password (LOGIN, and AUTHENTICATE
	// PLAIN) and returns the user's session. Bad credentials give an
	// error wrapping ErrAuthFailed (or an *Error with the code
	// AUTHENTICATIONFAILED).
	Login(ctx context.Context, conn ConnInfo, username, password string) (User, error)
}

// BackendFunc adapts a function to Backend.
type BackendFunc func(ctx context.Context, conn ConnInfo, username, password string) (User, error)

// Login calls f.
func (f BackendFunc) Login(ctx context.Context, conn ConnInfo, username, password string) (User, error) {
	return f(ctx, conn, username, password)
}

// User is one logged-in user's view of their mailboxes (the authenticated
// state, RFC 9051 3.2). Mailbox names are UTF-8 with "/" as the
// hierarchy delimiter; the server has decoded and checked them (no
// wildcards, no control characters, no empty components) before the call.
// The server calls the methods of one User from one goroutine.
type User interface {
	// Username is the canonical name of the user; the server uses it to
	// share \Recent between the user's sessions, unless the mailboxes
	// keep it (RecentMailbox).
	Username() string
	// List returns every mailbox of the user (LIST filters them).
	List(ctx context.Context) ([]MailboxInfo, error)
	// Subscriptions returns the subscribed names, existing or not (LSUB).
	Subscriptions(ctx context.Context) ([]string, error)
	// Create creates a mailbox and its missing parents. An existing
	// mailbox gives an *Error with code ALREADYEXISTS.
	Create(ctx context.Context, name string, opts *CreateOptions) error
	// Delete deletes a mailbox (not INBOX: CANNOT). A missing mailbox
	// gives ErrNonexistent.
	Delete(ctx context.Context, name string) error
	// Rename renames a mailbox and its children. Renaming INBOX moves its
	// messages into the new mailbox and leaves INBOX empty (RFC 3501
	// 6.3.5).
	Rename(ctx context.Context, from, to string) error
	// Subscribe and Unsubscribe change the subscriptions.
	Subscribe(ctx context.Context, name string) error
	Unsubscribe(ctx context.Context, name string) error
	// Status returns a mailbox's counters without selecting it. A missing
	// mailbox gives ErrNonexistent.
	Status(ctx context.Context, name string) (MailboxStatus, error)
	// Append stores a message, read from r (exactly opts.Size bytes, or
	// to its end when opts.Size is -1), in a mailbox; a missing mailbox
	// gives ErrTryCreate. It returns once the message is stored durably.
	// For a CATENATE message (RFC 4469) the server reads the parts as r
	// is read, and may call Open (and read the messages of the Mailbox it
	// returns) from within r's Read: Append must not hold what Open
	// needs while it reads r. A read error from r fails the Append.
	Append(ctx context.Context, name string, r io.Reader, opts *AppendOptions) (AppendResult, error)
	// Open opens a mailbox for SELECT (readOnly false) or EXAMINE
	// (readOnly true). A missing mailbox gives ErrNonexistent.
	Open(ctx context.Context, name string, readOnly bool) (Mailbox, error)
	// Logout ends the session; it is called once, whatever the way the
	// connection ends.
	Logout() error
}

// CreateOptions are the options of CREATE.
type CreateOptions struct {
	// SpecialUse is the RFC 6154 attribute asked for with CREATE ... USE
	// (`\Drafts` ...), or "". A User that cannot store it returns an
	// *Error with code USEATTR.
	SpecialUse string
}

// AppendOptions are the optional attributes of an appended message.
type AppendOptions struct {
	Flags        []string  // system flags and keywords; never \Recent
	InternalDate time.Time // zero means now
	// Size is the number of bytes r yields, or -1 when it is not known
	// in advance (CATENATE, RFC 4469): r is then read to its end; the
	// server keeps it within MaxAppendSize.
	Size int64
}

// AppendResult is what the backend assigned to an appended message, for
// APPENDUID (RFC 4315). A zero UID means the backend cannot tell; the OK
// response then carries no APPENDUID.
type AppendResult struct {
	UIDValidity uint32
	UID         uint32
}

// MailboxInfo describes one mailbox in a listing.
type MailboxInfo struct {
	Name        string // UTF-8, "/" delimited
	SpecialUse  string // RFC 6154 attribute, or ""
	NoSelect    bool   // exists only as a parent: \Noselect
	HasChildren bool   // \HasChildren, else \HasNoChildren (RFC 3348)
	Subscribed  bool   // \Subscribed (RFC 5258)
}

// MailboxStatus holds the STATUS counters of a mailbox.
type MailboxStatus struct {
	Messages      uint32
	Unseen        uint32
	UIDNext       uint32
	UIDValidity   uint32
	Deleted       uint32
	Size          int64
	HighestModSeq uint64
	// Recent is the number of messages no session has taken \Recent
	// from (RFC 3501 6.3.10), for a User implementing RecentUser.
	Recent uint32
}

// MessageInfo is the metadata of one message in a Mailbox's view.
type MessageInfo struct {
	UID          uint32
	ModSeq       uint64
	Size         int64 // RFC822.SIZE
	InternalDate time.Time
	// Flags are the system flags and keywords (never \Recent, which the
	// server tracks). The slice is not modified by the server.
	Flags []string
}

// Update is what changed in a mailbox since the last Poll.
type Update struct {
	Expunged []uint32      // ascending UIDs
	Added    []MessageInfo // ascending UIDs, above those seen before
	Changed  []MessageInfo // messages whose flags changed
}

// FlagResult is the outcome of SetFlags.
type FlagResult struct {
	// Messages are the matched messages with their flags after the
	// operation.
	Messages []MessageInfo
	// Modified are the UIDs left alone because of UnchangedSince.
	Modified []uint32
}

// StoreOptions are the options of SetFlags.
type StoreOptions struct {
	// UnchangedSince and CheckUnchanged carry the CONDSTORE UNCHANGEDSINCE
	// modifier (RFC 7162 3.1.3).
	UnchangedSince uint64
	CheckUnchanged bool
}

// CopyResult maps source UIDs to the UIDs of the copies (COPYUID, RFC
// 4315). A zero UIDValidity means the backend cannot tell.
type CopyResult struct {
	UIDValidity uint32
	SourceUIDs  []uint32
	DestUIDs    []uint32
}

// MessageReader is the raw content of a message: random access for partial
// fetches. Close it when done.
type MessageReader interface {
	io.ReaderAt
	io.Closer
	// Size is the number of octets (RFC822.SIZE).
	Size() int64
}

// Mailbox is a selected mailbox as one session sees it. The view
// (Messages) moves forward only when the server calls Poll, which it does
// only where the protocol lets it tell the client (RFC 3501 7.4.1).
// Operations act on the shared mailbox at once. UID sets passed in hold
// UIDs only (no "*"), and only UIDs of the session's view.
// The methods are called from one goroutine, except Updates.
type Mailbox interface {
	// Messages returns the view: ascending UIDs, sequence number n is
	// element n-1, as of the last Poll (or Open). The server copies what
	// it keeps.
	Messages() []MessageInfo
	UIDValidity() uint32
	UIDNext() uint32
	HighestModSeq() uint64
	// Keywords returns the keywords defined in the mailbox (for FLAGS).
	Keywords() []string
	// CanCreateKeywords tells whether STORE and APPEND may use new
	// keywords (\* in PERMANENTFLAGS).
	CanCreateKeywords() bool
	// Open returns the content of a message of the view. For one that
	// another session expunged it may still return it (RFC 2180 4.1.1)
	// or fail with ErrExpungeIssued.
	Open(ctx context.Context, uid uint32) (MessageReader, error)
	// SetFlags changes the flags of the messages in uids.
	SetFlags(ctx context.Context, uids SeqSet, mode StoreMode, flags []string, opts *StoreOptions) (FlagResult, error)
	// Copy copies messages to another mailbox; a missing one gives
	// ErrTryCreate. It is all or nothing (RFC 3501 6.4.7): when another
	// session expunged one of the messages, it copies none and returns
	// ErrExpungeIssued.
	Copy(ctx context.Context, uids SeqSet, dest string) (CopyResult, error)
	// Move moves messages to another mailbox (RFC 6851) and removes them
	// from the view; the server sends the EXPUNGE responses. A missing
	// mailbox gives ErrTryCreate, an expunged message ErrExpungeIssued,
	// as for Copy.
	Move(ctx context.Context, uids SeqSet, dest string) (CopyResult, error)
	// Expunge removes the messages flagged \Deleted, only those in uids
	// when uids is not nil (UID EXPUNGE), and returns their UIDs
	// ascending; they leave the view.
	Expunge(ctx context.Context, uids *SeqSet) ([]uint32, error)
	// Updates receives a value when the mailbox may have changed; the
	// server then calls Poll (during IDLE, at once).
	Updates() <-chan struct{}
	// Poll brings the view up to date and reports what changed.
	Poll(ctx context.Context) (Update, error)
	// Close releases the mailbox (CLOSE, UNSELECT, another SELECT,
	// LOGOUT or the end of the connection).
	Close() error
}

// Error is a failure the client sees as a tagged "NO [Code] Text" (or
// BAD when Bad is set). Err, the cause, is never sent to the client.
// A Backend returns an *Error (possibly wrapped) to choose what the client
// sees; any other error becomes "NO [SERVERBUG]" with a generic text.
//
// The response codes of RFC 5530 (and RFC 9051 7.1), and where the
// server or a backend uses them:
//
//   - UNAVAILABLE: a subsystem is down (the user database, the store);
//     the client may try again later. Login and any other method.
//   - AUTHENTICATIONFAILED (ErrAuthFailed): bad user name or password.
//   - AUTHORIZATIONFAILED: the server sends it when an AUTHENTICATE
//     authorization identity is refused.
//   - EXPIRED: the password is no longer valid (from Login).
//   - PRIVACYREQUIRED: the server sends it for a password over a
//     connection without TLS.
//   - CONTACTADMIN: the user should contact the administrator (a
//     disabled account, from Login).
//   - NOPERM: access control refuses the operation.
//   - INUSE: a resource someone else holds (a lock, a mailbox in use).
//   - EXPUNGEISSUED (ErrExpungeIssued): a message another session
//     expunged; Mailbox.Open of such a message may return it, Copy and
//     Move do. The server answers FETCH, COPY and MOVE with NO and this
//     code, and STORE, SEARCH, SORT and THREAD with OK and this code, when
//     they meet such messages (RFC 2180 4).
//   - CORRUPTION: the backend found its data damaged.
//   - SERVERBUG: any error that is not an *Error.
//   - CLIENTBUG: the server sends it with OK for STATUS of the selected
//     mailbox (RFC 9051 6.3.11 advises against it).
//   - CANNOT: the operation can never succeed (deleting INBOX, a name
//     the store refuses).
//   - LIMIT: an implementation limit (too many keywords).
//   - OVERQUOTA: the user is (or would be) over quota, or the disk is
//     full.
//   - ALREADYEXISTS (ErrAlreadyExists), NONEXISTENT (ErrNonexistent),
//     TRYCREATE (ErrTryCreate): a mailbox that exists, or does not.
//
// Other codes a backend may use: TOOBIG, USEATTR (RFC 6154).
type Error struct {
	Code string // response code without brackets; may be ""
	Text string // human-readable; a standard text when empty
	Bad  bool   // answer BAD rather than NO
	Err  error
}

// Error formats the error for logs.
func (e *Error) Error() string {
	s := e.Text
	if e.Code != "" {
		s = "[" + e.Code + "] " + s
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return "imap: " + s
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Is matches another *Error with the same Code and no Text (such as
// ErrAuthFailed), so errors.Is works on codes.
func (e *Error) Is(target error) bool {
	var t *Error
	return errors.As(target, &t) && t.Code != "" && t.Code == e.Code && t.Text == "" && t.Err == nil
}

var (
	// ErrAuthFailed reports bad credentials (AUTHENTICATIONFAILED).
	ErrAuthFailed = &Error{Code: "AUTHENTICATIONFAILED"}
	// ErrNonexistent reports a mailbox that does not exist.
	ErrNonexistent = &Error{Code: "NONEXISTENT"}
	// ErrTryCreate reports a missing target mailbox of APPEND, COPY or
	// MOVE. The two codes are interchangeable for a missing mailbox: the
	// server answers TRYCREATE to APPEND, COPY and MOVE and NONEXISTENT to
	// every other command, whichever one the backend returns.
	ErrTryCreate = &Error{Code: "TRYCREATE"}
	// ErrAlreadyExists reports a CREATE or RENAME onto an existing mailbox.
	ErrAlreadyExists = &Error{Code: "ALREADYEXISTS"}
	// ErrExpungeIssued reports a message that another session expunged
	// (RFC 5530 3: EXPUNGEISSUED).
	ErrExpungeIssued = &Error{Code: "EXPUNGEISSUED"}
)

// missingMailboxCode gives the response code for a mailbox that does not
// exist, whichever of NONEXISTENT and TRYCREATE the backend chose: RFC 3501
// 6.3.11 and 6.4.7 (and RFC 6851 3.1 for MOVE) answer APPEND, COPY and MOVE
// with NO [TRYCREATE], so that the client may create the mailbox and try
// again; any other command answers NO [NONEXISTENT] (RFC 5530 3). Other
// codes pass unchanged.
func missingMailboxCode(op, code string) string {
	if code != "NONEXISTENT" && code != "TRYCREATE" {
		return code
	}
	switch op {
	case "APPEND", "COPY", "MOVE":
		return "TRYCREATE"
	}
	return "NONEXISTENT"
}

// codeText is the standard text of a response code without a message.
var codeText = map[string]string{
	"UNAVAILABLE":          "Temporarily unavailable, try again later",
	"AUTHENTICATIONFAILED": "Authentication failed",
	"AUTHORIZATIONFAILED":  "Authorization failed",
	"EXPIRED":              "Password expired",
	"PRIVACYREQUIRED":      "Not allowed without TLS",
	"CONTACTADMIN":         "Contact the administrator",
	"NOPERM":               "Permission denied",
	"INUSE":                "In use, try again later",
	// imaptest (and clients written against Dovecot) recognize
	// Dovecot's wording of a FETCH that met expunged messages.
	"EXPUNGEISSUED": "Some of the requested messages no longer exist",
	"CORRUPTION":    "Mailbox data is damaged",
	"SERVERBUG":     "Internal server error, try again later",
	"CANNOT":        "Operation not allowed",
	"LIMIT":         "Limit reached",
	"OVERQUOTA":     "Quota exceeded",
	"ALREADYEXISTS": "Mailbox already exists",
	"NONEXISTENT":   "No such mailbox",
	"TRYCREATE":     "No such mailbox",
	"TOOBIG":        "Message too large",
	"USEATTR":       "Special-use attribute not supported",
}
