package mailbox_test

import (
	"context"
	"fmt"
	"log"
	"strings"

	"github.com/mailwright/mailwright/mailbox"
)

// A client that last saw the folder at some HIGHESTMODSEQ asks what was
// expunged since (QRESYNC's VANISHED (EARLIER), RFC 7162 section 3.2.5).
func ExampleFolder_ExpungedSince() {
	store := mailbox.NewMemoryStore()
	defer store.Close()
	ctx := context.Background()
	for range 4 {
		if _, err := store.Append(ctx, "alice", mailbox.Inbox, strings.NewReader("Subject: hi\n\nhello\n"), nil); err != nil {
			log.Fatal(err)
		}
	}
	f, err := store.OpenFolder(ctx, "alice", mailbox.Inbox)
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	seen := f.HighestModSeq() // the client's cache is at this point

	set := mailbox.UIDSet{{Start: 2, Stop: 3}}
	if _, err := f.SetFlags(ctx, set, mailbox.FlagsAdd, []string{mailbox.FlagDeleted}, nil); err != nil {
		log.Fatal(err)
	}
	if _, err := f.Expunge(ctx, set); err != nil {
		log.Fatal(err)
	}
	gone, err := f.ExpungedSince(ctx, seen)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("expunged since", seen, gone)
	fmt.Println("HIGHESTMODSEQ", f.HighestModSeq())
	// Output:
	// expunged since 4 [{2 3}]
	// HIGHESTMODSEQ 6
}
