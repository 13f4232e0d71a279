package lineio

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

// readLineCases exercise ReadLine through a 16-byte buffer, so that lines
// and their CRLF straddle buffer fills.
var readLineCases = []struct {
	in   string
	want []string // "!long" for ErrTooLong
}{
	{"NOOP\r\n", []string{"NOOP"}},
	{"NOOP\r\nQUIT\r\n", []string{"NOOP", "QUIT"}},
	{"MAIL FROM:<a@b>\nRCPT TO:<c@d>\r\n", []string{"MAIL FROM:<a@b>\nRCPT TO:<c@d>"}},
	{"a\rb\r\n", []string{"a\rb"}},
	{"\n\n\r\n", []string{"\n\n"}},
	{"0123456789abcd\r\nx\r\n", []string{"0123456789abcd", "x"}},   // CRLF at the end of a fill
	{"0123456789abcde\r\nx\r\n", []string{"0123456789abcde", "x"}}, // CR ends a fill, LF starts the next
	{strings.Repeat("x", 40) + "\r\nNOOP\r\n", []string{"!long", "NOOP"}},
	{strings.Repeat("x\n", 40) + "\r\nNOOP\r\n", []string{"!long", "NOOP"}},
	{strings.Repeat("x", 39) + "\r\nNOOP\r\n", []string{"!long", "NOOP"}},
	{strings.Repeat("x", 38) + "\r\n", []string{strings.Repeat("x", 38)}}, // exactly the limit
}

func TestReadLine(t *testing.T) {
	for _, tc := range readLineCases {
		got := readLines(tc.in, 40)
		if strings.Join(got, "|") != strings.Join(append(tc.want, "!EOF"), "|") {
			t.Errorf("ReadLine(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// readLines reads in with ReadLine (limit bytes) until an error other
// than ErrTooLong; errors become "!long", "!EOF" or "!" + text.
func readLines(in string, limit int) []string {
	br := bufio.NewReaderSize(strings.NewReader(in), 16)
	var buf []byte
	var out []string
	for {
		line, scratch, err := ReadLine(br, buf, limit)
		buf = scratch
		if cap(buf) > 2*(limit+16) {
			return append(out, "!scratch grew past the limit")
		}
		switch {
		case err == ErrTooLong:
			out = append(out, "!long")
		case errors.Is(err, io.EOF):
			return append(out, "!EOF")
		case err != nil:
			return append(out, "!"+err.Error())
		default:
			out = append(out, string(line))
		}
	}
}

// referenceLines frames in by CRLF alone, as RFC 5321 2.3.8 does.
func referenceLines(in string, limit int) []string {
	var out []string
	for {
		line, rest, ok := strings.Cut(in, "\r\n")
		if !ok {
			return append(out, "!EOF")
		}
		if len(line)+2 > limit {
			out = append(out, "!long")
		} else {
			out = append(out, line)
		}
		in = rest
	}
}

// FuzzReadLine checks ReadLine against framing by CRLF alone, through a
// buffer smaller than the lines.
func FuzzReadLine(f *testing.F) {
	for _, tc := range readLineCases {
		f.Add([]byte(tc.in))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		got := readLines(string(in), 40)
		want := referenceLines(string(in), 40)
		if !bytes.Equal([]byte(strings.Join(got, "\x00|")), []byte(strings.Join(want, "\x00|"))) {
			t.Fatalf("ReadLine(%q) = %q, want %q", in, got, want)
		}
	})
}
