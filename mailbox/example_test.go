package mailbox_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"os"
	"strings"

	"github.com/mailwright/mailwright/mailbox"
	"github.com/mailwright/mailwright/pop3"
)

// A Maildir store: local delivery appends, an IMAP-style session reads.
func ExampleNewMaildirStore() {
	root, _ := os.MkdirTemp("", "mail")
	defer os.RemoveAll(root)
	store, err := mailbox.NewMaildirStore(root)
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()
	ctx := context.Background()

	res, err := store.Append(ctx, "alice", mailbox.Inbox, strings.NewReader("Subject: hello\n\nHi Alice\n"), nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("UID", res.UID, "size", res.Size)

	f, err := store.OpenFolder(ctx, "alice", mailbox.Inbox)
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	m, _ := f.Open(ctx, res.UID)
	defer m.Close()
	body, _ := io.ReadAll(m)
	fmt.Printf("%q\n", body)
	// Output:
	// UID 1 size 28
	// "Subject: hello\r\n\r\nHi Alice\r\n"
}

// The memory store behaves the same; new users get the special-use folders.
func ExampleNewMemoryStore() {
	store := mailbox.NewMemoryStore()
	defer store.Close()
	folders, _ := store.ListFolders(context.Background(), "bob")
	for _, f := range folders {
		fmt.Println(strings.TrimSpace(f.Name + " " + f.SpecialUse))
	}
	// Output:
	// INBOX
	// Archive \Archive
	// Drafts \Drafts
	// Junk \Junk
	// Sent \Sent
	// Trash \Trash
}

// Flags live in the Maildir file names; Poll reports what other sessions did.
func ExampleFolder_SetFlags() {
	store := mailbox.NewMemoryStore()
	defer store.Close()
	ctx := context.Background()
	store.Append(ctx, "alice", mailbox.Inbox, strings.NewReader("one\n"), nil)

	a, _ := store.OpenFolder(ctx, "alice", mailbox.Inbox)
	defer a.Close()
	b, _ := store.OpenFolder(ctx, "alice", mailbox.Inbox)
	defer b.Close()

	res, _ := a.SetFlags(ctx, mailbox.UIDSetOf(1), mailbox.FlagsAdd, []string{mailbox.FlagSeen, "$Important"}, nil)
	fmt.Println(res.Messages[0].Flags)

	<-b.Updates()
	u, _ := b.Poll(ctx)
	fmt.Println(u.Changed[0].UID, u.Changed[0].Flags, u.Changed[0].ModSeq == res.ModSeq)
	// Output:
	// [\Seen $Important]
	// 1 [\Seen $Important] true
}

// A POP3 backend over the users' INBOXes.
func ExampleNewPOP3Backend() {
	store := mailbox.NewMemoryStore()
	defer store.Close()
	auth := mailbox.AuthenticatorFunc(func(ctx context.Context, user, pass string) (string, error) {
		if pass != "secret" {
			return "", fmt.Errorf("bad password")
		}
		return user, nil
	})
	backend := mailbox.NewPOP3Backend(store, auth)
	_ = backend // srv := &pop3.Server{Backend: backend}
	ctx := context.Background()
	store.Append(ctx, "alice", mailbox.Inbox, strings.NewReader("hi\n"), nil)
	md, err := backend.Login(ctx, pop3.ConnInfo{}, "alice", "secret")
	if err != nil {
		log.Fatal(err)
	}
	defer md.Close()
	msgs, _ := md.Messages(ctx)
	fmt.Println(len(msgs), msgs[0].Size)
	// Output:
	// 1 4
}
