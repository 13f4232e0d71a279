package pop3

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

// normalizeCRLF is the reference: each LF not after CR becomes CRLF, and
// non-empty content gets a final CRLF if it does not end with LF.
func normalizeCRLF(in []byte) []byte {
	var out []byte
	for i, b := range in {
		if b == '\n' && (i == 0 || in[i-1] != '\r') {
			out = append(out, '\r')
		}
		out = append(out, b)
	}
	if len(in) > 0 && in[len(in)-1] != '\n' {
		out = append(out, '\r', '\n')
	}
	return out
}

// topReference is the reference for TOP: the normalized header, the blank
// line, and n body lines.
func topReference(in []byte, n int) []byte {
	norm := normalizeCRLF(in)
	var out []byte
	inBody, body := false, 0
	for len(norm) > 0 {
		i := bytes.Index(norm, []byte("\r\n"))
		line := norm[:i+2]
		norm = norm[i+2:]
		if inBody {
			if body == n {
				break
			}
			body++
		} else if len(line) == 2 {
			inBody = true
		}
		out = append(out, line...)
	}
	return out
}

// unstuff undoes a multi-line response: it checks the ".\r\n" terminator
// and removes one leading "." from the lines that have one.
func unstuff(t *testing.T, out []byte) []byte {
	t.Helper()
	if !bytes.HasSuffix(out, []byte(".\r\n")) {
		t.Fatalf("output %q does not end with .CRLF", out)
	}
	body := out[:len(out)-3]
	if len(body) > 0 && !bytes.HasSuffix(body, []byte("\r\n")) {
		t.Fatalf("output %q: terminator not on a line of its own", out)
	}
	var res []byte
	for len(body) > 0 {
		i := bytes.Index(body, []byte("\r\n"))
		line := body[:i]
		body = body[i+2:]
		if bytes.IndexByte(line, '\n') >= 0 {
			t.Fatalf("bare LF in output line %q", line)
		}
		if len(line) > 0 && line[0] == '.' {
			if len(line) == 1 {
				t.Fatalf("terminator line inside the message: %q", out)
			}
			line = line[1:]
		}
		res = append(res, line...)
		res = append(res, '\r', '\n')
	}
	return res
}

func dotWrite(t *testing.T, in []byte, chunk, lines int) []byte {
	t.Helper()
	var out bytes.Buffer
	var d dotWriter
	d.reset(&out, lines)
	for len(in) > 0 {
		n := min(chunk, len(in))
		m, err := d.Write(in[:n])
		if err == errTopDone {
			break
		}
		if err != nil || m != n {
			t.Fatalf("Write = %d, %v", m, err)
		}
		in = in[n:]
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func TestDotWriter(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ".\r\n"},
		{"a", "a\r\n.\r\n"},
		{"a\n", "a\r\n.\r\n"},
		{"a\r\n", "a\r\n.\r\n"},
		{".", "..\r\n.\r\n"},
		{".\n", "..\r\n.\r\n"},
		{"\n.\n..\n", "\r\n..\r\n...\r\n.\r\n"},
		{"a\rb\n", "a\rb\r\n.\r\n"},
		{"a\r", "a\r\r\n.\r\n"},
		{"x\n.\r\n", "x\r\n..\r\n.\r\n"},
		{"\r\n.\r\n", "\r\n..\r\n.\r\n"},
	} {
		for chunk := 1; chunk <= len(tc.in)+1; chunk++ {
			if got := dotWrite(t, []byte(tc.in), chunk, -1); string(got) != tc.want {
				t.Errorf("%q in chunks of %d: got %q, want %q", tc.in, chunk, got, tc.want)
			}
		}
	}
}

func TestDotWriterTop(t *testing.T) {
	msg := "A: 1\nB: 2\n\n.l1\nl2\r\nl3"
	for _, tc := range []struct {
		lines int
		want  string
	}{
		{0, "A: 1\r\nB: 2\r\n\r\n.\r\n"},
		{1, "A: 1\r\nB: 2\r\n\r\n..l1\r\n.\r\n"},
		{2, "A: 1\r\nB: 2\r\n\r\n..l1\r\nl2\r\n.\r\n"},
		{3, "A: 1\r\nB: 2\r\n\r\n..l1\r\nl2\r\nl3\r\n.\r\n"},
		{100, "A: 1\r\nB: 2\r\n\r\n..l1\r\nl2\r\nl3\r\n.\r\n"},
	} {
		for chunk := 1; chunk <= len(msg); chunk++ {
			if got := dotWrite(t, []byte(msg), chunk, tc.lines); string(got) != tc.want {
				t.Errorf("TOP %d in chunks of %d: got %q, want %q", tc.lines, chunk, got, tc.want)
			}
		}
	}
	// No blank line: the whole message is header.
	if got := dotWrite(t, []byte("A: 1\nB: 2"), 3, 0); string(got) != "A: 1\r\nB: 2\r\n.\r\n" {
		t.Errorf("header-only message: %q", got)
	}
}

type failWriter struct{ n int }

func (w *failWriter) Write(p []byte) (int, error) {
	if w.n -= len(p); w.n < 0 {
		return 0, errors.New("broken pipe")
	}
	return len(p), nil
}

func TestDotWriterError(t *testing.T) {
	var d dotWriter
	fw := &failWriter{n: 10}
	d.reset(fw, -1)
	_, err := d.Write([]byte(strings.Repeat("line\n", 100)))
	if err == nil || err != d.err {
		t.Fatalf("Write error %v, recorded %v", err, d.err)
	}
	if _, err2 := d.Write([]byte("more")); err2 != err {
		t.Errorf("second Write error %v", err2)
	}
	if err3 := d.Close(); err3 != err {
		t.Errorf("Close error %v", err3)
	}
}

func TestDotWriterDoesNotAllocate(t *testing.T) {
	msg := []byte(strings.Repeat("Header: value\n", 10) + "\n" + strings.Repeat(".line of body text\r\n", 40))
	bw := bufio.NewWriterSize(io.Discard, 8192)
	var d dotWriter
	allocs := testing.AllocsPerRun(100, func() {
		d.reset(bw, -1)
		d.Write(msg)
		d.Close()
	})
	if allocs != 0 {
		t.Errorf("dotWriter allocates %v times per message", allocs)
	}
}

// FuzzDotWriter checks that the output, un-stuffed, is the CRLF-normalized
// input, whatever the chunking; and that TOP gives the reference prefix.
func FuzzDotWriter(f *testing.F) {
	f.Add([]byte("Subject: x\n\n.hello\r\n..\n.\n"), uint8(3), uint8(255))
	f.Add([]byte("a\rb\r\r\n\n\r"), uint8(1), uint8(1))
	f.Add([]byte(""), uint8(0), uint8(0))
	f.Add([]byte("H: 1\r\n\r\nl1\nl2\n"), uint8(5), uint8(1))
	f.Fuzz(func(t *testing.T, in []byte, chunk, top uint8) {
		c := int(chunk) + 1
		out := dotWrite(t, in, c, -1)
		if got, want := unstuff(t, out), normalizeCRLF(in); !bytes.Equal(got, want) {
			t.Fatalf("round trip of %q (chunks of %d):\n got %q\nwant %q\n out %q", in, c, got, want, out)
		}
		if top != 255 {
			out := dotWrite(t, in, c, int(top))
			if got, want := unstuff(t, out), topReference(in, int(top)); !bytes.Equal(got, want) {
				t.Fatalf("TOP %d of %q (chunks of %d):\n got %q\nwant %q", top, in, c, got, want)
			}
		}
	})
}
