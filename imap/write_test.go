package imap

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"time"
)

func render(utf8 bool, f func(w *writer)) string {
	var b bytes.Buffer
	w := newWriter(&b)
	w.UTF8 = utf8
	f(w)
	if err := w.Flush(); err != nil {
		panic(err)
	}
	return b.String()
}

func TestWriterStrings(t *testing.T) {
	tests := []struct {
		name string
		utf8 bool
		f    func(w *writer)
		want string
	}{
		{"plain", false, func(w *writer) { w.String("hello world") }, `"hello world"`},
		{"escapes", false, func(w *writer) { w.String(`a"b\c`) }, `"a\"b\\c"`},
		{"empty", false, func(w *writer) { w.String("") }, `""`},
		{"crlf literal", false, func(w *writer) { w.String("a\r\nb") }, "{4}\r\na\r\nb"},
		{"8bit literal", false, func(w *writer) { w.String("Jörg") }, "{5}\r\nJörg"},
		{"8bit quoted utf8", true, func(w *writer) { w.String("Jörg") }, `"Jörg"`},
		{"invalid utf8 literal", true, func(w *writer) { w.String("a\xffb") }, "{3}\r\na\xffb"},
		{"nul dropped", false, func(w *writer) { w.String("a\x00b") }, `"ab"`},
		{"nstring empty", false, func(w *writer) { w.NString("") }, "NIL"},
		{"nstring", false, func(w *writer) { w.NString("x") }, `"x"`},
		{"astring atom", false, func(w *writer) { w.AString("INBOX") }, "INBOX"},
		{"astring bracket", false, func(w *writer) { w.AString("a]b") }, "a]b"},
		{"astring nil word", false, func(w *writer) { w.AString("nil") }, `"nil"`},
		{"astring space", false, func(w *writer) { w.AString("Sent Items") }, `"Sent Items"`},
		{"astring empty", false, func(w *writer) { w.AString("") }, `""`},
		{"atom fallback", false, func(w *writer) { w.Atom("a b") }, `"a b"`},
		{"atom", false, func(w *writer) { w.Atom("FLAGS") }, "FLAGS"},
		{"mailbox utf7", false, func(w *writer) { w.Mailbox("Entwürfe") }, "Entw&APw-rfe"},
		{"mailbox utf8", true, func(w *writer) { w.Mailbox("Entwürfe") }, `"Entwürfe"`},
		{"literal8", false, func(w *writer) { w.Literal8([]byte("a\x00b")) }, "~{3}\r\na\x00b"},
		{"literal", false, func(w *writer) { w.Literal([]byte("xyz")) }, "{3}\r\nxyz"},
		{"flags", false, func(w *writer) { w.Flags([]string{FlagSeen, "$Forwarded"}) }, `(\Seen $Forwarded)`},
		{"no flags", false, func(w *writer) { w.Flags(nil) }, `()`},
		{"numbers", false, func(w *writer) { w.Number(0); w.SP(); w.Number(4294967295); w.SP(); w.Number64(1<<63 - 1) }, "0 4294967295 9223372036854775807"},
		{"list", false, func(w *writer) {
			w.BeginList()
			w.Nil()
			w.SP()
			w.Atom("X")
			w.EndList()
			w.CRLF()
		}, "(NIL X)\r\n"},
		{"seqset", false, func(w *writer) { w.SeqSet(SeqSet{Ranges: []SeqRange{{1, 3}, {5, 5}, {7, 0}}}) }, "1:3,5,7:*"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := render(tt.utf8, tt.f); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestWriterDateTime(t *testing.T) {
	tests := []struct {
		t    time.Time
		want string
	}{
		{time.Date(1994, 7, 1, 2, 5, 9, 0, time.FixedZone("", -7*3600)), `" 1-Jul-1994 02:05:09 -0700"`},
		{time.Date(2024, 12, 31, 23, 59, 59, 0, time.FixedZone("", 5*3600+30*60)), `"31-Dec-2024 23:59:59 +0530"`},
		{time.Date(2000, 2, 29, 0, 0, 0, 0, time.UTC), `"29-Feb-2000 00:00:00 +0000"`},
	}
	for _, tt := range tests {
		if got := render(false, func(w *writer) { w.DateTime(tt.t) }); got != tt.want {
			t.Errorf("DateTime(%v) = %s, want %s", tt.t, got, tt.want)
		}
		// What the writer produces, the parser reads back.
		parsed, ok := parseDateTime([]byte(strings.Trim(tt.want, `"`)))
		if !ok || !parsed.Equal(tt.t) {
			t.Errorf("parseDateTime(%s) = %v, %v", tt.want, parsed, ok)
		}
	}
}

func TestWriterLiteralFrom(t *testing.T) {
	var b bytes.Buffer
	w := newWriter(&b)
	if err := w.LiteralFrom(strings.NewReader("hello, world"), 5); err != nil {
		t.Fatal(err)
	}
	if err := w.Literal8From(strings.NewReader("\x00\x01"), 2); err != nil {
		t.Fatal(err)
	}
	w.Flush()
	if got, want := b.String(), "{5}\r\nhello~{2}\r\n\x00\x01"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}

	b.Reset()
	w = newWriter(&b)
	err := w.LiteralFrom(strings.NewReader("abc"), 10)
	if !errors.Is(err, errShortLiteral) {
		t.Fatalf("short source: err = %v, want ErrShortLiteral", err)
	}
	w.Raw("more")
	if w.Flush() == nil || w.Err() == nil {
		t.Error("error is not sticky")
	}
}

type failWriter struct{ n int }

func (f *failWriter) Write(p []byte) (int, error) {
	if f.n <= 0 {
		return 0, io.ErrClosedPipe
	}
	f.n--
	return len(p), nil
}

func TestWriterStickyError(t *testing.T) {
	w := newWriter(&failWriter{})
	w.Raw(strings.Repeat("x", 10000)) // larger than the buffer: reaches the writer
	w.Number(5)
	if !errors.Is(w.Flush(), io.ErrClosedPipe) {
		t.Errorf("Flush = %v, want ErrClosedPipe", w.Err())
	}
}

func TestWriterNumberNoAlloc(t *testing.T) {
	w := newWriter(io.Discard)
	allocs := testing.AllocsPerRun(100, func() {
		w.Number(123456)
		w.Number64(1 << 40)
		w.DateTime(time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC))
		w.String("quoted \"string\"")
		w.SeqSet(SeqSet{Ranges: []SeqRange{{1, 100}}})
	})
	if allocs != 0 {
		t.Errorf("%v allocations per run, want 0", allocs)
	}
}
