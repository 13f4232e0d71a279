package imap_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"

	"github.com/mailwright/mailwright/imap"
	"github.com/mailwright/mailwright/mailbox"
)

// TestCatenateStreams: a CATENATE of a 12 MB URL part and a 12 MB TEXT
// part passes from the socket and the store into the Maildir with memory
// bounded by buffers, far below the size of the message (DESIGN: no API
// holds a whole message in memory).
func TestCatenateStreams(t *testing.T) {
	if testing.Short() {
		t.Skip("moves 36 MB")
	}
	const line = "0123456789 streamed through CATENATE, never held whole in memory\r\n"
	// Both parts are made before the measurement starts.
	text := []byte(strings.Repeat(line, (12<<20)/len(line)))
	part := len(text)
	store, err := mailbox.NewMaildirStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	ts := startServerStore(t, store, func(s *imap.Server) { s.MaxAppendSize = 64 << 20 })
	res, err := store.Append(context.Background(), "alice", "INBOX",
		strings.NewReader("Subject: big\r\n\r\n"+string(text[16:])), nil)
	if err != nil || res.Size != int64(part) {
		t.Fatalf("Append: %+v, %v", res, err)
	}
	c := ts.login(t)

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	c.send(fmt.Sprintf(`a1 APPEND INBOX CATENATE (URL "/INBOX/;UID=1" TEXT {%d}`, part))
	c.expect("+ Ready for literal data")
	// A bytes.Reader writes from its slice; a strings.Reader would copy
	// the string into a new slice for the socket.
	if _, err := io.Copy(c.conn, bytes.NewReader(text)); err != nil {
		t.Fatal(err)
	}
	c.run(`
C: )
S: a1 OK [APPENDUID {*} 2] APPEND completed`)
	runtime.ReadMemStats(&after)
	t.Logf("allocated %d KB", (after.TotalAlloc-before.TotalAlloc)>>10)
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 6<<20 {
		t.Errorf("allocated %d MB for a %d MB CATENATE", grew>>20, 2*part>>20)
	}
	c.run(`
C: a2 STATUS INBOX (MESSAGES SIZE)
S: * STATUS INBOX (MESSAGES 2 SIZE ` + fmt.Sprint(3*part) + `)
S: a2 OK STATUS completed`)
}
