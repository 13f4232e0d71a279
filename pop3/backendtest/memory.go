package backendtest

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/subtle"
	"encoding/hex"
	"io"
	"strconv"
	"sync"

	"github.com/mailwright/mailwright/pop3"
)

// Memory is a pop3.Backend that keeps users and messages in memory, for
// tests. It implements pop3.APOPBackend too; wrap it in a struct that
// embeds only pop3.Backend to hide APOP. It is safe for concurrent use.
// The zero value is not usable; call NewMemory.
type Memory struct {
	mu    sync.Mutex
	users map[string]*memUser
	seq   uint64
}

type memUser struct {
	password string
	locked   bool
	msgs     []memMessage
}

type memMessage struct {
	uid  string
	data []byte
	size int64
}

// NewMemory returns an empty in-memory backend.
func NewMemory() *Memory {
	return &Memory{users: make(map[string]*memUser)}
}

// AddUser creates a user with an empty maildrop, or changes the password
// of an existing one.
func (m *Memory) AddUser(name, password string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if u := m.users[name]; u != nil {
		u.password = password
		return
	}
	m.users[name] = &memUser{password: password}
}

// Deliver appends a copy of raw to the user's maildrop and returns its UID.
// A session already open keeps its snapshot; the message shows in the next.
func (m *Memory) Deliver(user string, raw []byte) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	u := m.users[user]
	if u == nil {
		return "", &pop3.Error{Code: "SYS/PERM", Message: "no such user"}
	}
	m.seq++
	uid := "m" + strconv.FormatUint(m.seq, 10)
	u.msgs = append(u.msgs, memMessage{uid: uid, data: bytes.Clone(raw), size: CRLFSize(raw)})
	return uid, nil
}

// UIDs returns the UIDs of the messages in the user's maildrop now.
func (m *Memory) UIDs(user string) []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	u := m.users[user]
	if u == nil {
		return nil
	}
	uids := make([]string, len(u.msgs))
	for i, msg := range u.msgs {
		uids[i] = msg.uid
	}
	return uids
}

// Login implements pop3.Backend.
func (m *Memory) Login(ctx context.Context, conn pop3.ConnInfo, username, password string) (pop3.Maildrop, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	u := m.users[username]
	if u == nil || subtle.ConstantTimeCompare([]byte(u.password), []byte(password)) != 1 {
		return nil, pop3.ErrAuthFailed
	}
	return m.lockLocked(u)
}

// LoginAPOP implements pop3.APOPBackend (RFC 1939 section 7).
func (m *Memory) LoginAPOP(ctx context.Context, conn pop3.ConnInfo, username, timestamp, digest string) (pop3.Maildrop, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	u := m.users[username]
	if u == nil {
		return nil, pop3.ErrAuthFailed
	}
	sum := md5.Sum([]byte(timestamp + u.password))
	if subtle.ConstantTimeCompare([]byte(hex.EncodeToString(sum[:])), []byte(digest)) != 1 {
		return nil, pop3.ErrAuthFailed
	}
	return m.lockLocked(u)
}

func (m *Memory) lockLocked(u *memUser) (pop3.Maildrop, error) {
	if u.locked {
		return nil, pop3.ErrInUse
	}
	u.locked = true
	// The snapshot: messages delivered later are not in this session.
	return &memMaildrop{m: m, u: u, msgs: append([]memMessage(nil), u.msgs...)}, nil
}

type memMaildrop struct {
	m      *Memory
	u      *memUser
	msgs   []memMessage
	closed bool
}

func (d *memMaildrop) Messages(ctx context.Context) ([]pop3.Message, error) {
	out := make([]pop3.Message, len(d.msgs))
	for i, msg := range d.msgs {
		out[i] = pop3.Message{UID: msg.uid, Size: msg.size}
	}
	return out, nil
}

func (d *memMaildrop) Open(ctx context.Context, uid string) (io.ReadCloser, error) {
	for _, msg := range d.msgs {
		if msg.uid == uid {
			return io.NopCloser(bytes.NewReader(msg.data)), nil
		}
	}
	return nil, &pop3.Error{Code: "SYS/PERM", Message: "message no longer exists"}
}

func (d *memMaildrop) Delete(ctx context.Context, uids []string) error {
	gone := make(map[string]bool, len(uids))
	for _, uid := range uids {
		gone[uid] = true
	}
	d.m.mu.Lock()
	defer d.m.mu.Unlock()
	kept := d.u.msgs[:0]
	for _, msg := range d.u.msgs {
		if !gone[msg.uid] {
			kept = append(kept, msg)
		}
	}
	clear(d.u.msgs[len(kept):])
	d.u.msgs = kept
	return nil
}

func (d *memMaildrop) Close() error {
	d.m.mu.Lock()
	defer d.m.mu.Unlock()
	if !d.closed {
		d.closed = true
		d.u.locked = false
	}
	return nil
}

// CRLFSize is the size a pop3.Message reports for raw content: its length
// once each LF not preceded by CR counts as CRLF, plus 2 when the content
// is not empty and does not end with LF.
func CRLFSize(raw []byte) int64 {
	n := int64(len(raw))
	for i, b := range raw {
		if b == '\n' && (i == 0 || raw[i-1] != '\r') {
			n++
		}
	}
	if len(raw) > 0 && raw[len(raw)-1] != '\n' {
		n += 2
	}
	return n
}

// NormalizeCRLF returns raw as RETR sends it before byte-stuffing: each LF
// not preceded by CR becomes CRLF, and CRLF ends non-empty content that
// does not end with LF.
func NormalizeCRLF(raw []byte) []byte {
	out := make([]byte, 0, CRLFSize(raw))
	for i, b := range raw {
		if b == '\n' && (i == 0 || raw[i-1] != '\r') {
			out = append(out, '\r')
		}
		out = append(out, b)
	}
	if len(raw) > 0 && raw[len(raw)-1] != '\n' {
		out = append(out, '\r', '\n')
	}
	return out
}
