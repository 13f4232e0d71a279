package mailbox

import (
	"context"

	"github.com/mailwright/mailwright/imap"
)

// QResync reports that the user's mailboxes remember expunged UIDs
// (imap.VanishedReporter), so the IMAP server offers QRESYNC (RFC 7162
// section 3.2).
func (u *imapUser) QResync() bool { return true }

// ExpungedSince implements imap.VanishedReporter with the folder's
// expunge log.
func (m *imapMailbox) ExpungedSince(ctx context.Context, modSeq uint64) (imap.SeqSet, error) {
	set, err := m.f.ExpungedSince(ctx, modSeq)
	if err != nil {
		return imap.SeqSet{}, imapErr(err)
	}
	var b imap.SeqSetBuilder
	for _, r := range set {
		b.AddRange(r.Start, r.Stop)
	}
	return b.Set(), nil
}
