// Package testmailbox is the mailbox side that the imaptest and pop3test
// servers share: the rules for test users (Users) and an in-memory store
// whose messages a test can wait for (NewStore, Wait).
package testmailbox
