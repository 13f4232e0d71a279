package mailbox

import (
	"context"
	"io"
	"strings"
	"testing"
)

func TestSmoke(t *testing.T) {
	ctx := context.Background()
	s, err := NewMaildirStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	r, err := s.Append(ctx, "alice", "INBOX", strings.NewReader("Subject: hi\n\nbody\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v", r)
	f, err := s.OpenFolder(ctx, "alice", "INBOX")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	t.Logf("%+v", f.Messages())
	m, err := f.Open(ctx, r.UID)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(m)
	t.Logf("%q", b)
	m.Close()
}
