package smtp

import (
	"bufio"
	"bytes"
	"io"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParseCommand runs the command-line parsers on arbitrary input: they
// must not panic, and what they accept must be consistent.
func FuzzParseCommand(f *testing.F) {
	for _, s := range []string{
		"MAIL FROM:<a@example.org> SIZE=100 BODY=8BITMIME",
		"RCPT TO:<b@example.org> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;b+2B@example.org",
		"MAIL FROM:<>", "RCPT TO:<Postmaster>", "MAIL FROM:<@a,@b:user@c>",
		`RCPT TO:<"quo\"ted@x"@example.org>`, "BDAT 100 LAST", "BDAT 0",
		"MAIL FROM:<jörg@bücher.example> SMTPUTF8", "EHLO [IPv6:::1]", "rcpt to:<x@[1.2.3.4]>",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		verb, arg := parseCommand([]byte(line))
		if len(verb) > 16 {
			t.Fatalf("verb too long: %q", verb)
		}
		for _, kw := range []string{"FROM", "TO"} {
			path, params, err := parseFromTo(arg, kw)
			if err != nil {
				continue
			}
			if strings.ContainsAny(path, "\r\n\x00") && strings.ContainsAny(line, "\r\n\x00") == false {
				t.Fatalf("path %q contains characters not in the input", path)
			}
			for _, p := range params {
				if p.Key != strings.ToUpper(p.Key) || strings.ContainsAny(p.Value, " =") {
					t.Fatalf("bad param %+v", p)
				}
			}
			for _, u := range []bool{false, true} {
				if parseAddress(path, u, kw == "TO") == addrOK && !u && !isASCII(path) {
					t.Fatalf("non-ASCII address %q accepted without SMTPUTF8", path)
				}
				if parseAddress(path, u, kw == "TO") == addrOK && !utf8.ValidString(path) {
					t.Fatalf("invalid UTF-8 address %q accepted", path)
				}
			}
		}
		if size, _, ok := parseBDAT(arg); ok && size < 0 {
			t.Fatalf("negative BDAT size from %q", arg)
		}
		if v, err := decodeXtext(arg); err == nil && encodeXtext(v) != arg && !strings.Contains(arg, "+") {
			t.Fatalf("xtext round trip: %q -> %q -> %q", arg, v, encodeXtext(v))
		}
		if v, err := decodeXtext(encodeXtext(arg)); err != nil || v != arg {
			t.Fatalf("xtext encode/decode of %q: %q %v", arg, v, err)
		}
	})
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// referenceUnstuff is the obvious whole-buffer definition of DATA decoding:
// at the start of the data or after CRLF, ".CRLF" ends the message and a
// leading "." is removed. It reports whether the terminator was found.
func referenceUnstuff(in []byte) ([]byte, bool) {
	var out []byte
	lineStart := true
	for i := 0; i < len(in); {
		if lineStart && bytes.HasPrefix(in[i:], []byte(".\r\n")) {
			return out, true
		}
		if lineStart && in[i] == '.' {
			i++
			lineStart = false
			continue
		}
		c := in[i]
		out = append(out, c)
		lineStart = c == '\n' && i > 0 && in[i-1] == '\r'
		i++
	}
	return out, false
}

// FuzzDataReader compares the streaming DATA reader, with a tiny buffer so
// that lines split across reads, against referenceUnstuff.
func FuzzDataReader(f *testing.F) {
	for _, s := range []string{
		"hello\r\n.\r\n", "..dot\r\n.\r\n", "a\n.\nb\r\n.\r\n", "a\r.\r\n.\r\n",
		".\r\n", "no end", "x\r\n..\r\n.\r\n", strings.Repeat("y", 40) + "\r\n.\r\n",
		"\r\r\n.\r\n", "a\r\n.\n.\r\n",
	} {
		f.Add([]byte(s), int64(0))
	}
	f.Fuzz(func(t *testing.T, in []byte, limit int64) {
		if limit < 0 {
			limit = -limit
		}
		limit %= 64
		want, complete := referenceUnstuff(in)
		for _, useWriteTo := range []bool{false, true} {
			dr := newDataReader(bufio.NewReaderSize(bytes.NewReader(in), 16), limit)
			var got []byte
			var err error
			if useWriteTo {
				var buf bytes.Buffer
				_, err = dr.WriteTo(&buf)
				got = buf.Bytes()
			} else {
				got, err = io.ReadAll(io.LimitReader(readerOnly{dr}, 1<<20))
			}
			tooLarge, derr := dr.drain()
			switch {
			case !complete:
				if derr == nil {
					t.Fatalf("drain found an end the reference did not: %q", in)
				}
			case derr != nil:
				t.Fatalf("drain: %v for %q", derr, in)
			case limit > 0 && int64(len(want)) > limit:
				if !tooLarge || err != ErrDataTooLarge {
					t.Fatalf("over limit %d: tooLarge=%v err=%v", limit, tooLarge, err)
				}
				if !bytes.Equal(got, want[:len(got)]) || int64(len(got)) > limit+16 {
					t.Fatalf("prefix mismatch: got %q want %q", got, want)
				}
			default:
				if err != nil || tooLarge {
					t.Fatalf("err=%v tooLarge=%v for %q", err, tooLarge, in)
				}
				if !bytes.Equal(got, want) {
					t.Fatalf("got %q, want %q (input %q)", got, want, in)
				}
			}
		}
	})
}

// readerOnly hides WriteTo so io.ReadAll uses Read.
type readerOnly struct{ io.Reader }
