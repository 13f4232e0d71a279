package mailbox

import (
	"bytes"
	"fmt"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

var benchMsg = []byte(strings.Repeat("Received: from a.example by b.example; Mon, 1 Jan 2024 00:00:00 +0000\r\n", 4) +
	"Subject: benchmark\r\n\r\n" + strings.Repeat("0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz\r\n", 10))

// BenchmarkAppend measures durable appends to one INBOX on disk, with one
// and 64 concurrent writers, with group commit (syncfs per batch, or fsync
// per file and per directory per batch) and without (fsync per append).
//
//	go test -run='^$' -bench=BenchmarkAppend -benchtime=2000x ./mailbox
func BenchmarkAppend(b *testing.B) {
	modes := []struct {
		name        string
		noGroup     bool
		syncfsBatch bool
	}{
		{"group-syncfs", false, true},
		{"group-fsync", false, false},
		{"nogroup", true, false},
	}
	for _, w := range []int{1, 64} {
		for _, m := range modes {
			if m.syncfsBatch && !haveSyncfs {
				continue
			}
			b.Run(fmt.Sprintf("writers=%d/%s", w, m.name), func(b *testing.B) {
				s, err := NewMaildirStore(b.TempDir())
				if err != nil {
					b.Fatal(err)
				}
				defer s.Close()
				s.DisableGroupCommit = m.noGroup
				s.NoSyncFS = !m.syncfsBatch
				if _, err := s.Append(bg, "bench", Inbox, bytes.NewReader(benchMsg), nil); err != nil {
					b.Fatal(err)
				}
				b.ReportAllocs()
				b.SetBytes(int64(len(benchMsg)))
				b.ResetTimer()
				start := time.Now()
				if w == 1 {
					for i := 0; i < b.N; i++ {
						if _, err := s.Append(bg, "bench", Inbox, bytes.NewReader(benchMsg), nil); err != nil {
							b.Fatal(err)
						}
					}
				} else {
					b.SetParallelism((w + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
					b.RunParallel(func(pb *testing.PB) {
						for pb.Next() {
							if _, err := s.Append(bg, "bench", Inbox, bytes.NewReader(benchMsg), nil); err != nil {
								b.Error(err)
								return
							}
						}
					})
				}
				b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
			})
		}
	}
}

// BenchmarkOpenFolder100k opens (and closes) a folder of 100,000 messages
// from its index. The fixture is built once, without fsync, with the
// directory mtimes in the past as in a folder that has been quiet.
//
//	go test -run='^$' -bench=BenchmarkOpenFolder100k -benchtime=20x ./mailbox
func BenchmarkOpenFolder100k(b *testing.B) {
	const n = 100_000
	root := b.TempDir()
	o := &osFS{root: root}
	for _, d := range []string{"u", "u/cur", "u/new", "u/tmp"} {
		if err := o.Mkdir(d); err != nil {
			b.Fatal(err)
		}
	}
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("17000%05d.M%dP1Q%d.fixture,S=%d,W=%d:2,S", i, i, i, len(benchMsg), len(benchMsg))
		f, err := o.Create("u/cur/" + name)
		if err != nil {
			b.Fatal(err)
		}
		f.Write(benchMsg)
		f.Close()
	}
	old := time.Now().Add(-time.Hour)
	o.Chtimes("u/cur", old)
	o.Chtimes("u/new", old)
	s, err := NewMaildirStore(root)
	if err != nil {
		b.Fatal(err)
	}
	f, err := s.OpenFolder(bg, "u", Inbox) // first open: lists, assigns UIDs, writes the index
	if err != nil {
		b.Fatal(err)
	}
	if len(f.Messages()) != n {
		b.Fatalf("%d messages", len(f.Messages()))
	}
	f.Close()
	s.Close()

	// Count directory listings during the measured opens: there must be none.
	var listings atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s, err := NewMaildirStore(root)
		if err != nil {
			b.Fatal(err)
		}
		s.fs = &countingFS{fsys: s.fs, readDirs: &listings}
		f, err := s.OpenFolder(bg, "u", Inbox)
		if err != nil {
			b.Fatal(err)
		}
		if len(f.Messages()) != n {
			b.Fatalf("%d messages", len(f.Messages()))
		}
		f.Close()
		s.Close()
	}
	b.StopTimer()
	if l := listings.Load(); l > int64(b.N) { // tmp/ is listed for cleanup
		b.Fatalf("%d directory listings in %d opens: the index was not used", l, b.N)
	}
}

type countingFS struct {
	fsys
	readDirs *atomic.Int64
}

func (c *countingFS) ReadDir(name string) ([]dirEntry, error) {
	if !strings.HasSuffix(name, "/tmp") {
		c.readDirs.Add(1)
	}
	return c.fsys.ReadDir(name)
}
