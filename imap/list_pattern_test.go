package imap_test

import "testing"

// RFC 3501 6.3.8 (RFC 9051 6.3.9): LIST returns the names that match the
// pattern. A pattern that is not valid modified UTF-7 ("&'" here, RFC
// 3501 5.1.3) cannot match any name, so LIST answers OK with nothing
// (imaptest's "atoms" script); a name that does not decode stays an
// error where a mailbox is named.
func TestListUndecodablePattern(t *testing.T) {
	ts := startServer(t, nil)
	c := ts.login(t)
	c.run(`
C: a1 SELECT !#$&'+,-.0123456789:;<=>?@^_` + "`" + `|[}
S: a1 NO [CANNOT] Mailbox name is not valid modified UTF-7
C: a2 LIST "" !#$&'+,-.0123456789:;<=>?@^_` + "`" + `|[}%*
S: a2 OK LIST completed
C: a3 LSUB "" "&Jjo*"
S: a3 OK LSUB completed
C: a4 LIST "" ("&Jjo*" "INBOX")
S: * LIST (\HasNoChildren) "/" INBOX
S: a4 OK LIST completed
C: a5 LIST "" ()
S: a5 BAD Empty pattern list
C: a6 LIST "&Jjo" "*"
S: a6 NO [CANNOT] Mailbox name is not valid modified UTF-7`)
}
