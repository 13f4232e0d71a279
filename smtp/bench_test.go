package smtp

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
)

// BenchmarkSession runs whole sessions (connect, EHLO, MAIL, RCPT, DATA,
// QUIT: one connection per message, as MTAs and smtp-source send them)
// against a discarding backend over loopback.
func BenchmarkSession(b *testing.B) {
	for _, size := range []int{1 << 10, 100 << 10} {
		b.Run(strconv.Itoa(size>>10)+"KB", func(b *testing.B) {
			addr := startServer(b, &Server{Backend: discardBackend{}, Logger: discardLogger()})
			body := benchMessage(size)
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if err := benchSession(addr, body); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// benchMessage returns a message of about size bytes with 80-column lines,
// ending in CRLF.CRLF.
func benchMessage(size int) []byte {
	var sb strings.Builder
	sb.WriteString("From: a@example.org\r\nTo: b@example.org\r\nSubject: bench\r\n\r\n")
	line := strings.Repeat("X", 78) + "\r\n"
	for sb.Len() < size {
		sb.WriteString(line)
	}
	sb.WriteString(".\r\n")
	return []byte(sb.String())
}

func benchSession(addr string, body []byte) error {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	br := bufio.NewReader(conn)
	expect := func(code string) error {
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				return err
			}
			if !strings.HasPrefix(line, code) {
				return &Error{Code: 0, Message: "unexpected reply " + line}
			}
			if len(line) > 3 && line[3] == ' ' {
				return nil
			}
		}
	}
	steps := []struct {
		send string
		want string
	}{
		{"", "220"},
		{"EHLO bench.test\r\n", "250"},
		{"MAIL FROM:<sender@bench.test>\r\n", "250"},
		{"RCPT TO:<user@bench.test>\r\n", "250"},
		{"DATA\r\n", "354"},
	}
	for _, s := range steps {
		if s.send != "" {
			if _, err := io.WriteString(conn, s.send); err != nil {
				return err
			}
		}
		if err := expect(s.want); err != nil {
			return err
		}
	}
	if _, err := conn.Write(body); err != nil {
		return err
	}
	if err := expect("250"); err != nil {
		return err
	}
	io.WriteString(conn, "QUIT\r\n")
	return expect("221")
}

func BenchmarkDataReader(b *testing.B) {
	body := benchMessage(100 << 10)
	r := new(bytes.Reader)
	br := bufio.NewReaderSize(nil, 4096)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		r.Reset(body)
		br.Reset(r)
		dr := newDataReader(br, 0)
		if _, err := io.Copy(io.Discard, dr); err != nil {
			b.Fatal(err)
		}
	}
}
