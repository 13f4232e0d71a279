package mailbox

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"strconv"

	"github.com/mailwright/mailwright/pop3"
)

// POP3Maildrop returns the locked file as the maildrop of one POP3 session
// (pop3.Maildrop): the messages present now, with their sizes counted with
// CRLF line endings as POP3 sends them (RFC 1939 section 11), and a UID
// that is the hash of the message's content, so that UIDL stays the same
// across sessions for as long as the message is in the file (RFC 1939
// section 7; the second copy of an identical message gets "-2" added, and
// so on, since UIDL requires them to be unique). Delete erases the
// messages deleted in the session; Close releases the lock. The lock must
// be held from login to the end of the session (RFC 1939 section 8):
//
//	lock, err := file.Lock(ctx)
//	...
//	return lock.POP3Maildrop(), nil
func (l *MboxLock) POP3Maildrop() pop3.Maildrop {
	return &mboxMaildrop{lock: l, offsets: map[string]int64{}}
}

type mboxMaildrop struct {
	lock    *MboxLock
	offsets map[string]int64 // UID -> offset of the message's From_ line
}

func (m *mboxMaildrop) Messages(ctx context.Context) ([]pop3.Message, error) {
	var msgs []pop3.Message
	r := m.lock.Messages()
	r.CRLF = true
	for {
		msg, err := r.Next()
		if err == io.EOF {
			return msgs, nil
		} else if err != nil {
			return nil, err
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		h := sha256.New()
		size, err := io.Copy(h, msg.Body)
		if err != nil {
			return nil, err
		}
		base := hex.EncodeToString(h.Sum(nil)[:16])
		uid := base
		for n := 2; m.has(uid); n++ {
			uid = base + "-" + strconv.Itoa(n) // the n-th copy of a message
		}
		m.offsets[uid] = msg.Offset
		msgs = append(msgs, pop3.Message{UID: uid, Size: size})
	}
}

func (m *mboxMaildrop) has(uid string) bool {
	_, ok := m.offsets[uid]
	return ok
}

func (m *mboxMaildrop) Open(_ context.Context, uid string) (io.ReadCloser, error) {
	off, ok := m.offsets[uid]
	if !ok {
		return nil, fmt.Errorf("mailbox: no message with UID %q in %s", uid, m.lock.path)
	}
	r := m.lock.MessageAt(off)
	r.CRLF = true
	msg, err := r.Next()
	if err != nil {
		return nil, err
	}
	return io.NopCloser(msg.Body), nil
}

func (m *mboxMaildrop) Delete(_ context.Context, uids []string) error {
	gone := map[int64]bool{}
	for _, uid := range uids {
		if off, ok := m.offsets[uid]; ok {
			gone[off] = true
		}
	}
	return m.lock.DeleteFunc(func(msg *MboxMessage) bool { return gone[msg.Offset] })
}

func (m *mboxMaildrop) Close() error { return m.lock.Close() }
