package pop3_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"strings"
	"testing"

	"github.com/mailwright/mailwright/pop3"
	"github.com/mailwright/mailwright/pop3/backendtest"
)

// benchMessage is about 1 KB, with LF endings and a line to byte-stuff.
func benchMessage(i int) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "From: sender@example.org\nTo: alice@example.org\nSubject: message %d\nMessage-ID: <%d@example.org>\n\n", i, i)
	for b.Len() < 1000 {
		b.WriteString("The quick brown fox jumps over the lazy dog, again and again.\n")
	}
	b.WriteString(".\n")
	return b.Bytes()
}

// startBenchServer starts a server with n messages for alice/secret and
// returns its address. With MAILWRIGHT_POP3_BENCH_ADDR set, the benchmarks
// drive that server instead (e.g. Dovecot, loaded with the same 20
// messages for alice/secret), so the same client measures both.
func startBenchServer(b *testing.B, n int) string {
	if addr := os.Getenv("MAILWRIGHT_POP3_BENCH_ADDR"); addr != "" {
		return addr
	}
	mem := backendtest.NewMemory()
	mem.AddUser("alice", "secret")
	for i := range n {
		mem.Deliver("alice", benchMessage(i))
	}
	srv := &pop3.Server{Backend: struct{ pop3.Backend }{mem}, AllowInsecureAuth: true}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go srv.Serve(l)
	b.Cleanup(func() { srv.Shutdown(context.Background()) })
	return l.Addr().String()
}

// benchClient speaks just enough POP3 to drive the server without
// allocating per line.
type benchClient struct {
	r *bufio.Reader
}

func (c *benchClient) status(b *testing.B) {
	line, err := c.r.ReadSlice('\n')
	if err != nil || !bytes.HasPrefix(line, []byte("+OK")) {
		b.Fatalf("response %q, %v", line, err)
	}
}

func (c *benchClient) multiline(b *testing.B) int {
	n := 0
	for {
		line, err := c.r.ReadSlice('\n')
		if err != nil {
			b.Fatal(err)
		}
		if len(line) == 3 && line[0] == '.' {
			return n
		}
		n += len(line)
	}
}

// BenchmarkRETR runs whole sessions over loopback, one command at a time
// as common clients do: USER, PASS, STAT, LIST, RETR of 20 messages of
// about 1 KB, QUIT. The RETR/s metric is the figure to compare with
// other servers.
func BenchmarkRETR(b *testing.B) {
	const msgs = 20
	addr := startBenchServer(b, msgs)
	var retr [msgs][]byte
	for i := range retr {
		retr[i] = []byte(fmt.Sprintf("RETR %d\r\n", i+1))
	}
	c := &benchClient{r: bufio.NewReaderSize(nil, 16384)}
	b.ReportAllocs()
	b.ResetTimer()
	var bytesRead int64
	for range b.N {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			b.Fatal(err)
		}
		c.r.Reset(conn)
		c.status(b) // greeting
		for _, cmd := range []string{"USER alice\r\n", "PASS secret\r\n", "STAT\r\n"} {
			conn.Write([]byte(cmd))
			c.status(b)
		}
		conn.Write([]byte("LIST\r\n"))
		c.status(b)
		c.multiline(b)
		for i := range retr {
			conn.Write(retr[i])
			c.status(b)
			bytesRead += int64(c.multiline(b))
		}
		conn.Write([]byte("QUIT\r\n"))
		c.status(b)
		conn.Close()
	}
	b.StopTimer()
	b.SetBytes(bytesRead / int64(b.N))
	b.ReportMetric(float64(msgs*b.N)/b.Elapsed().Seconds(), "RETR/s")
}

// BenchmarkRETRPipelined sends each session's commands in one write
// (RFC 2449 PIPELINING), which is how a pipelining client sees the server.
func BenchmarkRETRPipelined(b *testing.B) {
	const msgs = 20
	addr := startBenchServer(b, msgs)
	var cmds strings.Builder
	cmds.WriteString("USER alice\r\nPASS secret\r\nSTAT\r\nLIST\r\n")
	for i := range msgs {
		fmt.Fprintf(&cmds, "RETR %d\r\n", i+1)
	}
	cmds.WriteString("QUIT\r\n")
	batch := []byte(cmds.String())
	c := &benchClient{r: bufio.NewReaderSize(nil, 16384)}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			b.Fatal(err)
		}
		c.r.Reset(conn)
		c.status(b)
		conn.Write(batch)
		c.status(b)
		c.status(b)
		c.status(b)
		c.status(b)
		c.multiline(b)
		for range msgs {
			c.status(b)
			c.multiline(b)
		}
		c.status(b)
		conn.Close()
	}
	b.StopTimer()
	b.ReportMetric(float64(msgs*b.N)/b.Elapsed().Seconds(), "RETR/s")
}
