package imap_test

import "testing"

// Names that other servers read as another user's folders ("~user/") or
// as a namespace ("#shared/", "#news.") are refused: this server has one
// personal namespace without a prefix, and "~root/probe" must not become
// a folder that a tool reading the Maildir takes for root's.
func TestNamespacePrefixesRefused(t *testing.T) {
	ts := startServer(t, nil)
	c := ts.login(t)
	c.run(`
C: a1 CREATE ~root/probe
S: a1 NO [CANNOT] Mailbox names starting with ~ are namespaces this server does not serve
C: a2 CREATE "#shared/x"
S: a2 NO [CANNOT] Mailbox names starting with # are namespaces this server does not serve
C: a3 CREATE /etc
S: a3 NO [CANNOT] Mailbox name has an empty component
C: a4 RENAME INBOX "~bob"
S: a4 NO [CANNOT] Mailbox names starting with ~ are namespaces this server does not serve
C: a5 SELECT "#news.comp"
S: a5 NO [CANNOT] Mailbox names starting with # are namespaces this server does not serve
C: a6 CREATE Archive/~old
S: a6 OK CREATE completed
C: a7 LIST "" "*"
S: * LIST (\HasNoChildren) "/" INBOX
S: * LIST (\HasChildren) "/" Archive
S: * LIST (\HasNoChildren) "/" Archive/~old
S: * LIST (\HasNoChildren \Sent) "/" Sent
S: * LIST (\HasNoChildren \Trash) "/" Trash
S: a7 OK LIST completed`)
}
