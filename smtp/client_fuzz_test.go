package smtp

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strconv"
	"strings"
	"testing"
)

// clientCheckReply asserts what every accepted reply must satisfy.
func clientCheckReply(t *testing.T, r *clientReply, enhanced bool, maxLines, maxLen int) {
	t.Helper()
	if r.code < 200 || r.code > 599 {
		t.Fatalf("code %d out of range", r.code)
	}
	if len(r.lines) == 0 || len(r.lines) > maxLines {
		t.Fatalf("%d lines", len(r.lines))
	}
	for _, l := range r.lines {
		if len(l) > maxLen {
			t.Fatalf("line of %d bytes", len(l))
		}
	}
	if r.enhanced != (EnhancedCode{}) {
		if !enhanced || r.enhanced[0] != r.code/100 {
			t.Fatalf("enhanced code %v for reply %d (enhanced=%v)", r.enhanced, r.code, enhanced)
		}
		if r.enhanced[1] > 999 || r.enhanced[2] > 999 {
			t.Fatalf("enhanced code %v too large", r.enhanced)
		}
	}
	if m := r.message(); strings.ContainsAny(m, "\r\n\x00") {
		t.Fatalf("message %q has control characters", m)
	}
	if err := r.toError(); (err != nil) != (r.code >= 400) {
		t.Fatalf("toError for %d: %v", r.code, err)
	}
	// Written back to the wire without enhanced codes, the reply parses to
	// the same lines.
	wire := make([]string, len(r.lines))
	for i, l := range r.lines {
		sep := "-"
		if i == len(r.lines)-1 {
			sep = " "
		}
		wire[i] = strconv.Itoa(r.code) + sep + l
	}
	again, err := parseClientReply(wire, false)
	if err != nil {
		t.Fatalf("re-parsing %q: %v", wire, err)
	}
	if again.code != r.code || strings.Join(again.lines, "\n") != strings.Join(r.lines, "\n") {
		t.Fatalf("round trip: %+v became %+v", r, again)
	}
}

func FuzzClientReply(f *testing.F) {
	for _, seed := range []string{
		"220 mx.example.org ESMTP\r\n",
		"250-mx.example.org\r\n250-PIPELINING\r\n250-SIZE 1000\r\n250 8BITMIME\r\n",
		"550-5.1.1 no\r\n550 5.1.1 such user\r\n",
		"451 4.3.0\r\n250\r\n",
		"334 VXNlcm5hbWU6\r\n",
		"250-a\n250 b\n",
		"250-a\r\n251 b\r\n",
		"250 " + strings.Repeat("x", 70) + "\r\n",
		strings.Repeat("250-x\r\n", 10),
		"250 5.999.9999 x\r\n",
		"25",
		"\r\n",
	} {
		f.Add([]byte(seed), true)
		f.Add([]byte(seed), false)
	}
	f.Fuzz(func(t *testing.T, data []byte, enhanced bool) {
		const maxLines, maxLen = 8, 64
		// Through the bounded reader, as the Client reads.
		br := bufio.NewReaderSize(bytes.NewReader(data), 16)
		for range 100 {
			r, err := readClientReply(br, maxLines, maxLen, enhanced)
			if err != nil {
				if !errors.Is(err, ErrBadReply) && !errors.Is(err, io.ErrUnexpectedEOF) {
					t.Fatalf("unexpected error %v", err)
				}
				break
			}
			clientCheckReply(t, r, enhanced, maxLines, maxLen)
		}
		// The pure parser on the lines as they are.
		lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
		for i := range lines {
			lines[i] = strings.TrimSuffix(lines[i], "\r")
		}
		if r, err := parseClientReply(lines, enhanced); err == nil {
			clientCheckReply(t, r, enhanced, len(lines), len(data))
		} else if !errors.Is(err, ErrBadReply) {
			t.Fatalf("unexpected error %v", err)
		}
	})
}

// clientNormalizeLines turns every CRLF, lone CR and lone LF into CRLF and ends
// a non-empty text with CRLF, as the DATA writer must.
func clientNormalizeLines(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	if s != "" && !strings.HasSuffix(s, "\n") {
		s += "\n"
	}
	return strings.ReplaceAll(s, "\n", "\r\n")
}

func FuzzClientDataWriter(f *testing.F) {
	for _, seed := range []string{"", "a", ".", ".\r\n", "a\n.\nb", "a\r.b\r", "\r\r\n\n", "..\r\n...", "x\r\n.\r\n"} {
		f.Add([]byte(seed), uint(1))
	}
	f.Fuzz(func(t *testing.T, data []byte, split uint) {
		out := clientEncodeData(data)
		k := int(split % uint(len(data)+1))
		if out2 := clientEncodeData(data[:k], data[k:]); out2 != out {
			t.Fatalf("split at %d changes the output: %q vs %q", k, out2, out)
		}
		// Only CRLF line endings.
		for i := 0; i < len(out); i++ {
			if out[i] == '\r' && (i+1 == len(out) || out[i+1] != '\n') {
				t.Fatalf("lone CR at %d in %q", i, out)
			}
			if out[i] == '\n' && (i == 0 || out[i-1] != '\r') {
				t.Fatalf("lone LF at %d in %q", i, out)
			}
		}
		// The data ends at the first "." line, which is the last line; undo
		// the dot-stuffing and compare with the normalized input.
		if !strings.HasSuffix(out, ".\r\n") {
			t.Fatalf("no terminator in %q", out)
		}
		lines := strings.Split(strings.TrimSuffix(out, "\r\n"), "\r\n")
		if lines[len(lines)-1] != "." {
			t.Fatalf("last line %q", lines[len(lines)-1])
		}
		var body strings.Builder
		for _, l := range lines[:len(lines)-1] {
			if strings.HasPrefix(l, ".") {
				if !strings.HasPrefix(l, "..") {
					t.Fatalf("line %q would end the data", l)
				}
				l = l[1:]
			}
			body.WriteString(l + "\r\n")
		}
		if got, want := body.String(), clientNormalizeLines(string(data)); got != want {
			t.Fatalf("decoded %q, want %q", got, want)
		}
	})
}
