package imap_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/mailwright/mailwright/imap"
	"github.com/mailwright/mailwright/mailbox"
)

const benchMessages = 10000

// benchServer serves a store holding benchMessages messages in alice's
// INBOX and returns a logged-in, selected connection.
func benchServer(b *testing.B, kind string, fill int) (*bufio.Reader, net.Conn) {
	b.Helper()
	var store *mailbox.Store
	if kind == "memory" {
		store = mailbox.NewMemoryStore()
	} else {
		var err error
		if store, err = mailbox.NewMaildirStore(b.TempDir()); err != nil {
			b.Fatal(err)
		}
	}
	b.Cleanup(func() { store.Close() })
	accts := mailbox.NewMemoryAccounts()
	accts.Add("alice", "secret")
	var wg sync.WaitGroup
	jobs := make(chan int)
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				m := fmt.Sprintf("From: Sender %d <s%d@example.org>\r\nTo: alice@example.org\r\nSubject: message number %d\r\n"+
					"MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n"+
					"%s\r\n--b\r\nContent-Type: text/html\r\n\r\n<p>hello %d</p>\r\n--b--\r\n", i, i, i, strings.Repeat("lorem ipsum dolor sit amet ", 20), i)
				if _, err := store.Append(context.Background(), "alice", "INBOX", strings.NewReader(m), nil); err != nil {
					b.Error(err)
				}
			}
		}()
	}
	for i := range fill {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	srv := &imap.Server{Backend: mailbox.NewIMAPBackend(store, accts), AllowInsecureAuth: true}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go srv.Serve(l)
	b.Cleanup(func() { srv.Close() })
	nc, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	r := bufio.NewReaderSize(nc, 64<<10)
	r.ReadString('\n')
	roundTrip(b, r, nc, "l LOGIN alice secret")
	roundTrip(b, r, nc, "s SELECT INBOX")
	return r, nc
}

// roundTrip sends a command and reads to its tagged response, skipping
// literals; it returns the bytes read.
func roundTrip(b *testing.B, r *bufio.Reader, w io.Writer, cmd string) int64 {
	tag, _, _ := strings.Cut(cmd, " ")
	io.WriteString(w, cmd+"\r\n")
	var n int64
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			b.Fatal(err)
		}
		n += int64(len(line))
		if strings.HasPrefix(line, tag+" ") {
			if !strings.HasPrefix(line, tag+" OK") {
				b.Fatalf("%s: %s", cmd, line)
			}
			return n
		}
		if s := strings.TrimSuffix(line, "\r\n"); strings.HasSuffix(s, "}") {
			if i := strings.LastIndexByte(s, '{'); i >= 0 {
				if k, err := strconv.Atoi(s[i+1 : len(s)-1]); err == nil {
					io.CopyN(io.Discard, r, int64(k))
					n += int64(k)
				}
			}
		}
	}
}

func BenchmarkFetch(b *testing.B) {
	for _, kind := range []string{"memory", "maildir"} {
		for _, item := range []string{"ENVELOPE", "BODYSTRUCTURE"} {
			b.Run(kind+"/"+item, func(b *testing.B) {
				r, nc := benchServer(b, kind, benchMessages)
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					n := roundTrip(b, r, nc, "f FETCH 1:* ("+item+")")
					b.SetBytes(n)
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*benchMessages), "ns/msg")
			})
		}
	}
}

func BenchmarkSearchText(b *testing.B) {
	for _, kind := range []string{"memory", "maildir"} {
		b.Run(kind, func(b *testing.B) {
			r, nc := benchServer(b, kind, benchMessages)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				roundTrip(b, r, nc, "q SEARCH TEXT \"hello 9999\"")
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*benchMessages), "ns/msg")
		})
	}
}

func BenchmarkAppend(b *testing.B) {
	msg := "From: a@example.org\r\nSubject: bench\r\n\r\n" + strings.Repeat("x", 4000) + "\r\n"
	for _, kind := range []string{"memory", "maildir"} {
		b.Run(kind, func(b *testing.B) {
			r, nc := benchServer(b, kind, 0)
			cmd := "a APPEND INBOX {" + strconv.Itoa(len(msg)) + "+}\r\n" + msg
			b.SetBytes(int64(len(msg)))
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				roundTrip(b, r, nc, cmd)
			}
		})
	}
}

// BenchmarkCondStore measures CONDSTORE over loopback on a memory store of
// benchMessages messages: a conditional STORE on all of them (with the
// MODSEQ responses of .SILENT), and FETCH CHANGEDSINCE that matches
// nothing (the filtering cost per message).
func BenchmarkCondStore(b *testing.B) {
	b.Run("store-unchangedsince", func(b *testing.B) {
		r, nc := benchServer(b, "memory", benchMessages)
		roundTrip(b, r, nc, "e ENABLE CONDSTORE")
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			op := "+"
			if i%2 == 1 {
				op = "-"
			}
			b.SetBytes(roundTrip(b, r, nc, "s UID STORE 1:* (UNCHANGEDSINCE 9223372036854775807) "+op+"FLAGS.SILENT (\\Flagged)"))
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*benchMessages), "ns/msg")
	})
	b.Run("fetch-changedsince", func(b *testing.B) {
		r, nc := benchServer(b, "memory", benchMessages)
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			roundTrip(b, r, nc, "f FETCH 1:* (FLAGS) (CHANGEDSINCE 9223372036854775807)")
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*benchMessages), "ns/msg")
	})
}
