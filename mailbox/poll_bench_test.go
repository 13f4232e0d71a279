package mailbox

import (
	"bytes"
	"fmt"
	"testing"
)

// BenchmarkPoll measures what a session pays to learn of one change in a
// folder of 1,000 or 100,000 messages: another session's Append (one new
// message) or flag change (STORE on one message), then Poll on a handle
// opened before it.
//
//	go test -run='^$' -bench=BenchmarkPoll -benchmem ./mailbox
func BenchmarkPoll(b *testing.B) {
	for _, n := range []int{1000, 100000} {
		s := NewMemoryStore()
		for range n {
			if _, err := s.Append(bg, "bench", Inbox, bytes.NewReader(benchMsg), nil); err != nil {
				b.Fatal(err)
			}
		}
		other, err := s.OpenFolder(bg, "bench", Inbox)
		if err != nil {
			b.Fatal(err)
		}
		flagged := false
		changes := []struct {
			name string
			make func(i int)
			want func(u Update) bool
		}{
			{"append", func(int) {
				if _, err := s.Append(bg, "bench", Inbox, bytes.NewReader(benchMsg), nil); err != nil {
					b.Fatal(err)
				}
			}, func(u Update) bool { return len(u.Added) == 1 && len(u.Changed) == 0 }},
			{"flags", func(int) {
				op := FlagsAdd
				if flagged {
					op = FlagsRemove
				}
				flagged = !flagged
				if _, err := other.SetFlags(bg, UIDSetOf(1), op, []string{FlagFlagged}, nil); err != nil {
					b.Fatal(err)
				}
			}, func(u Update) bool { return len(u.Changed) == 1 && len(u.Added) == 0 }},
		}
		for _, c := range changes {
			b.Run(fmt.Sprintf("messages=%d/change=%s", n, c.name), func(b *testing.B) {
				f, err := s.OpenFolder(bg, "bench", Inbox)
				if err != nil {
					b.Fatal(err)
				}
				defer f.Close()
				b.ReportAllocs()
				b.ResetTimer()
				for i := range b.N {
					b.StopTimer()
					c.make(i)
					b.StartTimer()
					u, err := f.Poll(bg)
					if err != nil || !c.want(u) {
						b.Fatalf("Poll: %+v, %v", u, err)
					}
				}
			})
		}
		other.Close()
		s.Close()
	}
}
