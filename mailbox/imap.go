package mailbox

import (
	"context"
	"errors"
	"io"
	"slices"
	"sync"
	"syscall"

	"github.com/mailwright/mailwright/imap"
)

// IMAPBackend serves a Store over IMAP (imap.Backend): every user's
// folders, authenticated by Auth.
type IMAPBackend struct {
	Store *Store
	// Auth checks passwords (LOGIN, AUTHENTICATE PLAIN); when it keeps
	// SCRAM credentials (SCRAMAuthenticator, as AccountsFile does) the
	// backend offers SCRAM-SHA-256 and SCRAM-SHA-256-PLUS too (SASL).
	Auth Authenticator
	// TokenVerifier, if set, checks the tokens of AUTHENTICATE
	// OAUTHBEARER, which is offered only then.
	TokenVerifier TokenVerifier
	// StructureCacheSize bounds the parsed MIME structures (BODYSTRUCTURE,
	// ENVELOPE) kept in memory for FETCH, shared by all sessions, least
	// recently used first out (imap.StructureCache). 0 means
	// DefaultStructureCacheSize; a negative value disables the cache. Set
	// it before the first Login.
	//
	// An entry holds one parsed structure with its envelopes, typically
	// one to a few KiB. A FETCH over more messages than the cache holds
	// (FETCH 1:* BODYSTRUCTURE on a large mailbox) evicts as it goes and
	// gets no hits the next time: size the cache to the working set when
	// clients re-fetch structures of large mailboxes (measured with
	// BenchmarkFetch, 10,000 messages: about 4 us per message when they
	// all fit, 18 us when they do not, the same as without the cache).
	StructureCacheSize int

	// HeaderCacheBytes bounds the top-level headers kept in memory for
	// SEARCH on header keys and SORT/THREAD (imap.HeaderCache), shared by
	// all sessions, least recently used first out; a header counts with
	// the bytes of its fields. 0 means DefaultHeaderCacheBytes; a
	// negative value disables the cache. Set it before the first Login.
	HeaderCacheBytes int64

	cacheOnce sync.Once
	cache     *imapCaches
}

// DefaultHeaderCacheBytes is the memory for cached headers an IMAPBackend
// uses when its HeaderCacheBytes is 0: about 8,000 messages' headers of
// typical size.
const DefaultHeaderCacheBytes = 16 << 20

// imapCaches are the in-memory caches an IMAPBackend shares among its
// sessions. A nil field is a disabled cache.
type imapCaches struct {
	structs *lru[*imap.Part]
	headers *lru[*imap.Header]
}

// NewIMAPBackend returns an imap.Backend over the store.
func NewIMAPBackend(store *Store, auth Authenticator) *IMAPBackend {
	return &IMAPBackend{Store: store, Auth: auth}
}

var _ imap.Backend = (*IMAPBackend)(nil)

// Login authenticates the user; bad credentials give an error wrapping
// imap.ErrAuthFailed.
func (b *IMAPBackend) Login(ctx context.Context, conn imap.ConnInfo, username, password string) (imap.User, error) {
	user, err := b.Auth.Authenticate(ctx, username, password)
	if err != nil {
		if ctx.Err() != nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return nil, err
		}
		var ie *imap.Error
		if errors.As(err, &ie) {
			return nil, err
		}
		if errors.Is(err, ErrUnavailable) {
			return nil, &imap.Error{Code: "UNAVAILABLE", Err: err}
		}
		return nil, &imap.Error{Code: "AUTHENTICATIONFAILED", Err: err}
	}
	return b.Store.newIMAPUser(&imapUser{s: b.Store, user: user, cache: b.caches()}), nil
}

// IMAPUser returns the imap.User of a user of the store, without
// authentication (for a backend that authenticates by other means).
func (s *Store) IMAPUser(user string) imap.User {
	return s.newIMAPUser(&imapUser{s: s, user: user})
}

type imapUser struct {
	s     *Store
	user  string
	cache *imapCaches // nil: no caches (Store.IMAPUser)
}

// imapErr maps store errors to the IMAP response codes a client sees
// (RFC 5530 3); others pass through and become NO [SERVERBUG].
func imapErr(err error) error {
	if err == nil {
		return nil
	}
	var code string
	switch {
	case errors.Is(err, ErrNoSuchFolder), errors.Is(err, ErrFolderDeleted):
		code = "NONEXISTENT"
	case errors.Is(err, ErrFolderExists):
		code = "ALREADYEXISTS"
	case errors.Is(err, ErrNotAllowed):
		code = "CANNOT"
	case errors.Is(err, ErrInvalidName):
		var ne *NameError
		text := "Invalid mailbox name"
		if errors.As(err, &ne) {
			text = "Invalid mailbox name: " + ne.Reason
		}
		return &imap.Error{Code: "CANNOT", Text: text, Err: err}
	case errors.Is(err, ErrInvalidFlag):
		return &imap.Error{Bad: true, Text: "Invalid flag", Err: err}
	case errors.Is(err, ErrTooManyKeywords):
		return &imap.Error{Code: "LIMIT", Text: "Too many keywords in this mailbox", Err: err}
	case errors.Is(err, ErrNoSuchMessage):
		// Another session expunged it.
		code = "EXPUNGEISSUED"
	case errors.Is(err, ErrUnavailable), errors.Is(err, ErrClosed):
		// ErrClosed: the store is closing (the server is shutting down).
		code = "UNAVAILABLE"
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT):
		// The disk or the user's file system quota is full (Dovecot
		// answers the same).
		return &imap.Error{Code: "OVERQUOTA", Text: "Not enough disk space", Err: err}
	default:
		return err
	}
	return &imap.Error{Code: code, Err: err}
}

func (u *imapUser) Username() string { return u.user }

func (u *imapUser) List(ctx context.Context) ([]imap.MailboxInfo, error) {
	fs, err := u.s.ListFolders(ctx, u.user)
	if err != nil {
		return nil, imapErr(err)
	}
	out := make([]imap.MailboxInfo, len(fs))
	for i, f := range fs {
		out[i] = imap.MailboxInfo{Name: f.Name, SpecialUse: f.SpecialUse, NoSelect: f.NoSelect,
			HasChildren: f.HasChildren, Subscribed: f.Subscribed}
	}
	return out, nil
}

func (u *imapUser) Subscriptions(ctx context.Context) ([]string, error) {
	names, err := u.s.Subscriptions(ctx, u.user)
	return names, imapErr(err)
}

func (u *imapUser) Create(ctx context.Context, name string, opts *imap.CreateOptions) error {
	if opts != nil && opts.SpecialUse != "" {
		switch opts.SpecialUse {
		case UseAll, UseArchive, UseDrafts, UseFlagged, UseJunk, UseSent, UseTrash:
		default:
			return &imap.Error{Code: "USEATTR", Text: "Unknown special-use attribute"}
		}
	}
	if err := u.s.CreateFolder(ctx, u.user, name); err != nil {
		return imapErr(err)
	}
	if opts != nil && opts.SpecialUse != "" {
		return imapErr(u.s.SetSpecialUse(ctx, u.user, name, opts.SpecialUse))
	}
	return nil
}

func (u *imapUser) Delete(ctx context.Context, name string) error {
	return imapErr(u.s.DeleteFolder(ctx, u.user, name))
}

func (u *imapUser) Rename(ctx context.Context, from, to string) error {
	return imapErr(u.s.RenameFolder(ctx, u.user, from, to))
}

func (u *imapUser) Subscribe(ctx context.Context, name string) error {
	return imapErr(u.s.Subscribe(ctx, u.user, name))
}

func (u *imapUser) Unsubscribe(ctx context.Context, name string) error {
	return imapErr(u.s.Unsubscribe(ctx, u.user, name))
}

func (u *imapUser) Status(ctx context.Context, name string) (imap.MailboxStatus, error) {
	st, err := u.s.Status(ctx, u.user, name)
	if err != nil {
		return imap.MailboxStatus{}, imapErr(err)
	}
	return imap.MailboxStatus{Messages: st.Messages, Unseen: st.Unseen, UIDNext: st.UIDNext,
		UIDValidity: st.UIDValidity, Deleted: st.Deleted, Size: st.Size, HighestModSeq: st.HighestModSeq,
		Recent: st.Recent}, nil
}

// KeepsRecent implements imap.RecentUser: the store keeps \Recent
// (Folder.TakeRecent), and Status counts it.
func (u *imapUser) KeepsRecent() bool { return true }

func (u *imapUser) Append(ctx context.Context, name string, r io.Reader, opts *imap.AppendOptions) (imap.AppendResult, error) {
	var o *AppendOptions
	if opts != nil {
		o = &AppendOptions{Flags: opts.Flags, InternalDate: opts.InternalDate}
	}
	res, err := u.s.Append(ctx, u.user, name, r, o)
	if err != nil {
		return imap.AppendResult{}, imapErr(err)
	}
	return imap.AppendResult{UIDValidity: res.UIDValidity, UID: res.UID}, nil
}

func (u *imapUser) Open(ctx context.Context, name string, readOnly bool) (imap.Mailbox, error) {
	f, err := u.s.OpenFolder(ctx, u.user, name)
	if err != nil {
		return nil, imapErr(err)
	}
	return &imapMailbox{f: f, user: u.user, cache: u.cache, readOnly: readOnly}, nil
}

func (u *imapUser) Logout() error { return nil }

type imapMailbox struct {
	f        *Folder
	user     string
	cache    *imapCaches
	readOnly bool // EXAMINE: \Recent is not taken
}

var _ imap.RecentMailbox = (*imapMailbox)(nil)

// Recent implements imap.RecentMailbox with the store's \Recent: SELECT
// takes it (Folder.TakeRecent), EXAMINE only looks (Folder.Recent).
func (m *imapMailbox) Recent(uids []uint32) []uint32 {
	if m.readOnly {
		return m.f.Recent(uids)
	}
	return m.f.TakeRecent(uids)
}

func infos(ms []MessageInfo) []imap.MessageInfo {
	out := make([]imap.MessageInfo, len(ms))
	for i, m := range ms {
		out[i] = imap.MessageInfo{UID: m.UID, ModSeq: m.ModSeq, Size: m.Size, InternalDate: m.InternalDate, Flags: m.Flags}
	}
	return out
}

// uidSet converts the server's resolved UID set (no "*").
func uidSet(s imap.SeqSet) UIDSet {
	out := make(UIDSet, 0, len(s.Ranges))
	for _, r := range s.Ranges {
		if r.Start == 0 || r.Stop == 0 {
			continue
		}
		out = append(out, UIDRange{Start: r.Start, Stop: r.Stop})
	}
	return out
}

func (m *imapMailbox) Messages() []imap.MessageInfo { return infos(m.f.Messages()) }
func (m *imapMailbox) UIDValidity() uint32          { return m.f.UIDValidity() }
func (m *imapMailbox) UIDNext() uint32              { return m.f.UIDNext() }
func (m *imapMailbox) HighestModSeq() uint64        { return m.f.HighestModSeq() }
func (m *imapMailbox) Keywords() []string           { return slices.Clone(m.f.Keywords()) }
func (m *imapMailbox) CanCreateKeywords() bool      { return m.f.CanCreateKeywords() }
func (m *imapMailbox) Updates() <-chan struct{}     { return m.f.Updates() }
func (m *imapMailbox) Close() error                 { return m.f.Close() }

func (m *imapMailbox) Open(ctx context.Context, uid uint32) (imap.MessageReader, error) {
	r, err := m.f.Open(ctx, uid)
	if err != nil {
		return nil, imapErr(err)
	}
	return r, nil
}

func (m *imapMailbox) SetFlags(ctx context.Context, uids imap.SeqSet, mode imap.StoreMode, flags []string, opts *imap.StoreOptions) (imap.FlagResult, error) {
	op := FlagsReplace
	switch mode {
	case imap.StoreAdd:
		op = FlagsAdd
	case imap.StoreRemove:
		op = FlagsRemove
	}
	var o *StoreOptions
	if opts != nil {
		o = &StoreOptions{UnchangedSince: opts.UnchangedSince, CheckUnchanged: opts.CheckUnchanged}
	}
	res, err := m.f.SetFlags(ctx, uidSet(uids), op, flags, o)
	if err != nil {
		return imap.FlagResult{}, imapErr(err)
	}
	return imap.FlagResult{Messages: infos(res.Messages), Modified: res.Modified}, nil
}

func copyResult(r CopyResult) imap.CopyResult {
	return imap.CopyResult{UIDValidity: r.UIDValidity, SourceUIDs: r.SourceUIDs, DestUIDs: r.DestUIDs}
}

func (m *imapMailbox) Copy(ctx context.Context, uids imap.SeqSet, dest string) (imap.CopyResult, error) {
	r, err := m.f.Copy(ctx, uidSet(uids), dest)
	if err != nil {
		return imap.CopyResult{}, imapErr(err)
	}
	return copyResult(r), nil
}

func (m *imapMailbox) Move(ctx context.Context, uids imap.SeqSet, dest string) (imap.CopyResult, error) {
	r, err := m.f.Move(ctx, uidSet(uids), dest)
	if err != nil {
		return imap.CopyResult{}, imapErr(err)
	}
	return copyResult(r), nil
}

func (m *imapMailbox) Expunge(ctx context.Context, uids *imap.SeqSet) ([]uint32, error) {
	var set UIDSet
	if uids != nil {
		set = uidSet(*uids)
		if len(set) == 0 {
			return nil, nil
		}
	}
	gone, err := m.f.Expunge(ctx, set)
	return gone, imapErr(err)
}

func (m *imapMailbox) Poll(ctx context.Context) (imap.Update, error) {
	u, err := m.f.Poll(ctx)
	if err != nil {
		return imap.Update{}, imapErr(err)
	}
	return imap.Update{Expunged: u.Expunged, Added: infos(u.Added), Changed: infos(u.Changed)}, nil
}

// DefaultStructureCacheSize is the number of parsed message structures an
// IMAPBackend keeps in memory when its StructureCacheSize is 0.
const DefaultStructureCacheSize = 4096

// caches returns the backend's caches (nil where disabled), made on
// first use.
func (b *IMAPBackend) caches() *imapCaches {
	b.cacheOnce.Do(func() {
		b.cache = &imapCaches{}
		if n := b.StructureCacheSize; n >= 0 {
			if n == 0 {
				n = DefaultStructureCacheSize
			}
			b.cache.structs = newLRU[*imap.Part](int64(n))
		}
		if n := b.HeaderCacheBytes; n >= 0 {
			if n == 0 {
				n = DefaultHeaderCacheBytes
			}
			b.cache.headers = newLRU[*imap.Header](n)
		}
	})
	return b.cache
}

var _ imap.StructureCache = (*imapMailbox)(nil)

// Structure implements imap.StructureCache: the MIME structure of a
// message, parsed on first use and then kept in a bounded in-memory LRU
// shared by the sessions of the IMAPBackend (IMAPBackend.StructureCacheSize).
// It returns nil (not cached) when the cache is disabled and for mailboxes
// opened through Store.IMAPUser, which has no backend to hold a cache.
func (m *imapMailbox) Structure(ctx context.Context, uid uint32) (*imap.Part, error) {
	if m.cache == nil || m.cache.structs == nil {
		return nil, nil
	}
	c := m.cache.structs
	k := m.key(uid)
	if p, ok := c.get(k); ok {
		return p, nil
	}
	r, err := m.f.Open(ctx, uid)
	if err != nil {
		return nil, imapErr(err)
	}
	defer r.Close()
	p, err := imap.ParseStructure(r, r.Size())
	if err != nil {
		return nil, err
	}
	return c.add(k, p, 1), nil
}

var _ imap.HeaderCache = (*imapMailbox)(nil)

// Header implements imap.HeaderCache: the top-level header of a message,
// read on first use and then kept in a bounded in-memory LRU shared by
// the sessions of the IMAPBackend (IMAPBackend.HeaderCacheBytes). It
// returns nil (not cached) when the cache is disabled and for mailboxes
// opened through Store.IMAPUser.
func (m *imapMailbox) Header(ctx context.Context, uid uint32) (*imap.Header, error) {
	if m.cache == nil || m.cache.headers == nil {
		return nil, nil
	}
	c := m.cache.headers
	k := m.key(uid)
	if h, ok := c.get(k); ok {
		return h, nil
	}
	r, err := m.f.Open(ctx, uid)
	if err != nil {
		return nil, imapErr(err)
	}
	defer r.Close()
	h, err := imap.ParseHeader(r, r.Size())
	if err != nil {
		return nil, err
	}
	cost := int64(64)
	for _, f := range h.Fields {
		cost += int64(len(f.Name)+len(f.Value)) + 32
	}
	return c.add(k, h, cost), nil
}

// key names a message of this mailbox in the caches.
func (m *imapMailbox) key(uid uint32) cacheKey {
	return cacheKey{user: m.user, folder: m.f.Name(), uidValidity: m.f.UIDValidity(), uid: uid}
}
