package mailbox

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
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
	for _, w := range benchWriters {
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
				s.SyncFS = m.syncfsBatch
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
	root := fixture100k(b, n)

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

// BenchmarkRescan100k lists a folder of 100,000 messages again, as the
// store does at most once a second while the folder is busy (or when
// another program changed it), and finds nothing new.
//
//	go test -run='^$' -bench=BenchmarkRescan100k -benchtime=20x ./mailbox
func BenchmarkRescan100k(b *testing.B) {
	const n = 100_000
	s, err := NewMaildirStore(fixture100k(b, n))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	f, err := s.OpenFolder(bg, "u", Inbox)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	st := f.st
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		st.mu.Lock()
		_, changed, err := st.scan([2]bool{true, true}, st.msgs, nil, time.Now().UnixNano())
		st.mu.Unlock()
		if err != nil || changed {
			b.Fatalf("scan: changed %v, %v", changed, err)
		}
	}
}

// fixture100k makes a Maildir root with one folder "u" of n messages in
// cur/, its index written, the directory mtimes in the past.
func fixture100k(b *testing.B, n int) string {
	b.Helper()
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
	return root
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

// BenchmarkBaselineMaildir is the reference the store is compared with: what
// the go-smtp benchmark peer does per message (create in tmp/, write,
// fsync, rename into new/; no directory fsync, no UIDs), at 1 and 64
// writers. Compare its msgs/s with BenchmarkAppend's in the same run.
//
//	go test -run='^$' -bench='BenchmarkAppend|BenchmarkBaselineMaildir' -benchtime=2000x ./mailbox
func BenchmarkBaselineMaildir(b *testing.B) {
	for _, w := range benchWriters {
		b.Run(fmt.Sprintf("writers=%d", w), func(b *testing.B) {
			root := b.TempDir()
			for _, d := range []string{"tmp", "new", "cur"} {
				if err := os.Mkdir(filepath.Join(root, d), 0o700); err != nil {
					b.Fatal(err)
				}
			}
			var seq atomic.Uint64
			deliver := func() error {
				name := fmt.Sprintf("%d.M%dP%dQ%d.bench", time.Now().Unix(), time.Now().Nanosecond()/1000, os.Getpid(), seq.Add(1))
				tmp := filepath.Join(root, "tmp", name)
				f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
				if err != nil {
					return err
				}
				if _, err := f.Write(benchMsg); err != nil {
					return err
				}
				if err := f.Sync(); err != nil {
					return err
				}
				if err := f.Close(); err != nil {
					return err
				}
				return os.Rename(tmp, filepath.Join(root, "new", name))
			}
			b.ReportAllocs()
			b.SetBytes(int64(len(benchMsg)))
			b.ResetTimer()
			start := time.Now()
			if w == 1 {
				for i := 0; i < b.N; i++ {
					if err := deliver(); err != nil {
						b.Fatal(err)
					}
				}
			} else {
				b.SetParallelism((w + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						if err := deliver(); err != nil {
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

// benchWriters are the writer counts of the append benchmarks.
var benchWriters = []int{1, 64, 200}
