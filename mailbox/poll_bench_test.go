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

// BenchmarkSetFlags100k measures a STORE in a folder of 100,000 messages
// on one message and on a set of 1,000 one-message ranges (a client's
// UID STORE 2,4,6,...): the cost must follow the set, not the folder
// times the set.
//
//	go test -run='^$' -bench=BenchmarkSetFlags100k -benchmem ./mailbox
func BenchmarkSetFlags100k(b *testing.B) {
	s := NewMemoryStore()
	defer s.Close()
	for range 100000 {
		if _, err := s.Append(bg, "bench", Inbox, bytes.NewReader(benchMsg), nil); err != nil {
			b.Fatal(err)
		}
	}
	f, err := s.OpenFolder(bg, "bench", Inbox)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	var many UIDSet
	for u := uint32(2); len(many) < 1000; u += 97 {
		many = append(many, UIDRange{u, u})
	}
	for _, c := range []struct {
		name string
		set  UIDSet
	}{{"one", UIDSetOf(50000)}, {"ranges=1000", many}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := range b.N {
				op := FlagsAdd
				if i%2 == 1 {
					op = FlagsRemove
				}
				if _, err := f.SetFlags(bg, c.set, op, []string{FlagFlagged}, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
