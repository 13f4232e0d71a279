package imap_test

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"

	"github.com/mailwright/mailwright/imap"
	"github.com/mailwright/mailwright/mailbox"
)

// lineReader repeats a line forever.
type lineReader struct {
	s   string
	off int
}

func (r *lineReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = r.s[r.off]
		r.off = (r.off + 1) % len(r.s)
	}
	return len(p), nil
}

// TestCatenateStreams: a CATENATE of a 12 MB URL part and a 12 MB TEXT
// part passes from the socket and the store into the Maildir with memory
// bounded by buffers, far below the size of the message (DESIGN: no API
// holds a whole message in memory).
func TestCatenateStreams(t *testing.T) {
	if testing.Short() {
		t.Skip("moves 36 MB")
	}
	const part = 12 << 20
	const line = "0123456789 streamed through CATENATE, never held whole in memory\r\n"
	store, err := mailbox.NewMaildirStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	ts := startServerStore(t, store, func(s *imap.Server) { s.MaxAppendSize = 64 << 20 })
	body := io.LimitReader(&lineReader{s: line}, part-23)
	res, err := store.Append(context.Background(), "alice", "INBOX",
		io.MultiReader(strings.NewReader("Subject: big\r\n\r\n"), body, strings.NewReader("\r\nend\r\n")), nil)
	if err != nil || res.Size != part {
		t.Fatalf("Append: %+v, %v", res, err)
	}
	c := ts.login(t)

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	c.send(fmt.Sprintf(`a1 APPEND INBOX CATENATE (URL "/INBOX/;UID=1" TEXT {%d}`, part))
	c.expect("+ Ready for literal data")
	if _, err := io.Copy(c.conn, io.LimitReader(&lineReader{s: line}, part)); err != nil {
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
