package imap

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"
	"unicode/utf8"
)

// writer writes IMAP protocol syntax (RFC 9051 9, RFC 3501 9) to a buffered stream: atoms, numbers, strings in the form their content
// allows (quoted or literal), NIL, parenthesised lists, flags and date-times.
//
// Write errors are sticky: after the first one every method does nothing and
// Err (or Flush) reports it, so a response can be written without checking
// each call. Number formatting does not allocate.
type writer struct {
	// UTF8 allows UTF-8 in quoted strings (IMAP4rev2, or after ENABLE
	// UTF8=ACCEPT, RFC 6855). Without it, a string with 8-bit bytes is sent
	// as a literal.
	UTF8 bool

	bw      *bufio.Writer
	err     error
	scratch [40]byte
}

// newWriter returns a writer on w. If w is a *bufio.writer it is used as is;
// otherwise it is wrapped in one.
func newWriter(w io.Writer) *writer {
	bw, ok := w.(*bufio.Writer)
	if !ok {
		bw = bufio.NewWriter(w)
	}
	return &writer{bw: bw}
}

// Err returns the first error met while writing, if any.
func (w *writer) Err() error { return w.err }

// Flush writes buffered data to the underlying writer and returns the first
// error met since the writer was created.
func (w *writer) Flush() error {
	if w.err != nil {
		return w.err
	}
	w.err = w.bw.Flush()
	return w.err
}

func (w *writer) setErr(err error) {
	if w.err == nil && err != nil {
		w.err = err
	}
}

// Raw writes s as it is: the caller guarantees that it is valid syntax in
// its place (a response code, a keyword).
func (w *writer) Raw(s string) {
	if w.err != nil {
		return
	}
	_, err := w.bw.WriteString(s)
	w.setErr(err)
}

// RawBytes writes b as it is.
func (w *writer) RawBytes(b []byte) {
	if w.err != nil {
		return
	}
	_, err := w.bw.Write(b)
	w.setErr(err)
}

// Byte writes one byte.
func (w *writer) Byte(c byte) {
	if w.err != nil {
		return
	}
	w.setErr(w.bw.WriteByte(c))
}

// SP writes a space.
func (w *writer) SP() { w.Byte(' ') }

// CRLF ends a response line.
func (w *writer) CRLF() { w.Raw("\r\n") }

// BeginList writes "(".
func (w *writer) BeginList() { w.Byte('(') }

// EndList writes ")".
func (w *writer) EndList() { w.Byte(')') }

// Nil writes NIL.
func (w *writer) Nil() { w.Raw("NIL") }

// Number writes a 32-bit number in decimal.
func (w *writer) Number(n uint32) { w.RawBytes(strconv.AppendUint(w.scratch[:0], uint64(n), 10)) }

// Number64 writes a 64-bit number (RFC 9051 number64, mod-sequence values) in decimal.
func (w *writer) Number64(n uint64) { w.RawBytes(strconv.AppendUint(w.scratch[:0], n, 10)) }

// Atom writes s as an atom if it is one, and as a string otherwise, so the
// output is always well-formed.
func (w *writer) Atom(s string) {
	if isAtom(s) {
		w.Raw(s)
		return
	}
	w.String(s)
}

// String writes s as an IMAP string: quoted (with '"' and '\' escaped) when
// its content allows it, and as a literal when it holds CR, LF, NUL or 8-bit
// bytes that quoting cannot carry (RFC 3501 4.3). NUL bytes, which
// no IMAP string may carry outside literal8, are dropped.
func (w *writer) String(s string) {
	switch quotable(s, w.UTF8) {
	case quoteOK:
		w.quoted(s)
	case quoteLiteral:
		w.literalString(s)
	default: // contains NUL
		b := make([]byte, 0, len(s))
		for i := 0; i < len(s); i++ {
			if s[i] != 0 {
				b = append(b, s[i])
			}
		}
		w.String(string(b))
	}
}

// NString writes s as a string, or NIL when s is empty.
func (w *writer) NString(s string) {
	if s == "" {
		w.Nil()
		return
	}
	w.String(s)
}

// AString writes s as an atom when it is a valid atom (and not the word
// NIL, which a client would read as nil), or as a string.
func (w *writer) AString(s string) {
	if isAStringAtom(s) && !equalFoldASCII(s, "NIL") {
		w.Raw(s)
		return
	}
	w.String(s)
}

// Quoted writes s as a quoted string, escaping '"' and '\'. If s cannot be
// quoted (CR, LF, NUL or disallowed 8-bit), it is written as String would.
func (w *writer) Quoted(s string) { w.String(s) }

func (w *writer) quoted(s string) {
	if w.err != nil {
		return
	}
	w.Byte('"')
	start := 0
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '"' || c == '\\' {
			w.Raw(s[start:i])
			w.Byte('\\')
			start = i
		}
	}
	w.Raw(s[start:])
	w.Byte('"')
}

func (w *writer) literalHeader(n int64, binary bool) {
	if binary {
		w.Byte('~')
	}
	w.Byte('{')
	w.RawBytes(strconv.AppendInt(w.scratch[:0], n, 10))
	w.Raw("}\r\n")
}

func (w *writer) literalString(s string) {
	w.literalHeader(int64(len(s)), false)
	w.Raw(s)
}

// Literal writes b as a literal: "{n}" CRLF and the bytes.
func (w *writer) Literal(b []byte) {
	w.literalHeader(int64(len(b)), false)
	w.RawBytes(b)
}

// Literal8 writes b as a binary literal (RFC 3516 literal8): "~{n}" CRLF and
// the bytes, which may include NUL.
func (w *writer) Literal8(b []byte) {
	w.literalHeader(int64(len(b)), true)
	w.RawBytes(b)
}

// errShortLiteral is returned by LiteralFrom when its reader ends before the
// announced size. The literal on the wire is then incomplete and the
// connection cannot be used any more.
var errShortLiteral = errors.New("imap: literal source shorter than its announced size")

// LiteralFrom writes a literal of n bytes read from r, streaming it through
// the writer's buffer (the content is never held whole in memory). If r
// yields fewer than n bytes, the error is errShortLiteral (wrapped) and is
// sticky, since the client is owed bytes that will never come.
func (w *writer) LiteralFrom(r io.Reader, n int64) error {
	return w.literalFrom(r, n, false)
}

// Literal8From is LiteralFrom for a binary literal (literal8).
func (w *writer) Literal8From(r io.Reader, n int64) error {
	return w.literalFrom(r, n, true)
}

func (w *writer) literalFrom(r io.Reader, n int64, binary bool) error {
	if n < 0 {
		w.setErr(fmt.Errorf("imap: negative literal size %d", n))
		return w.err
	}
	w.literalHeader(n, binary)
	if w.err != nil {
		return w.err
	}
	copied, err := io.CopyN(w.bw, r, n)
	if copied < n {
		if err == nil || err == io.EOF {
			err = fmt.Errorf("%w (%d of %d bytes)", errShortLiteral, copied, n)
		}
		w.setErr(err)
	}
	return w.err
}

// Flags writes a parenthesised flag list: "(\Seen $Forwarded)".
func (w *writer) Flags(flags []string) {
	w.BeginList()
	for i, f := range flags {
		if i > 0 {
			w.SP()
		}
		w.Raw(f)
	}
	w.EndList()
}

// DateTime writes t as an IMAP date-time (RFC 3501 9 date-time),
// quoted: "dd-Mon-yyyy hh:mm:ss +zzzz", the day padded with a space. It
// keeps t's own time zone; callers convert to the zone they want to show.
func (w *writer) DateTime(t time.Time) {
	w.RawBytes(appendDateTime(w.scratch[:0], t))
}

var monthNames = [12]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}

// appendDateTime appends t as a quoted IMAP date-time to b.
func appendDateTime(b []byte, t time.Time) []byte {
	year, month, day := t.Date()
	hour, min, sec := t.Clock()
	_, offset := t.Zone()
	b = append(b, '"')
	if day < 10 {
		b = append(b, ' ', byte('0'+day))
	} else {
		b = append2(b, day)
	}
	b = append(b, '-')
	b = append(b, monthNames[month-1]...)
	b = append(b, '-')
	if year < 0 || year > 9999 {
		year = 0
	}
	b = append2(b, year/100)
	b = append2(b, year%100)
	b = append(b, ' ')
	b = append2(b, hour)
	b = append(b, ':')
	b = append2(b, min)
	b = append(b, ':')
	b = append2(b, sec)
	b = append(b, ' ')
	if offset < 0 {
		b = append(b, '-')
		offset = -offset
	} else {
		b = append(b, '+')
	}
	offset /= 60
	b = append2(b, (offset/60)%100)
	b = append2(b, offset%60)
	return append(b, '"')
}

func append2(b []byte, n int) []byte {
	return append(b, byte('0'+n/10%10), byte('0'+n%10))
}

// SeqSet writes a sequence set in its compact form.
func (w *writer) SeqSet(s SeqSet) {
	w.RawBytes(s.appendTo(w.scratch[:0]))
}

// Mailbox writes a mailbox name: modified UTF-7 encoded (RFC 3501 5.1.3) unless the writer is in UTF8 mode, then as an astring.
func (w *writer) Mailbox(name string) {
	if !w.UTF8 {
		name = encodeMailboxName(name)
	}
	w.AString(name)
}

const (
	quoteOK = iota
	quoteLiteral
	quoteHasNUL
)

// quotable reports how s can be written: RFC 3501 quoted strings carry any
// 7-bit TEXT-CHAR (no CR, LF, NUL); RFC 9051 adds UTF-8 sequences.
func quotable(s string, utf8OK bool) int {
	res := quoteOK
	high := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == 0:
			return quoteHasNUL
		case c == '\r' || c == '\n':
			res = quoteLiteral
		case c >= 0x80:
			high = true
		}
	}
	if high && (!utf8OK || !utf8.ValidString(s)) {
		res = quoteLiteral
	}
	return res
}

// isAtom reports whether s is a non-empty RFC 3501 atom.
func isAtom(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isAtomChar(s[i]) {
			return false
		}
	}
	return true
}

func isAStringAtom(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isAStringChar(s[i]) {
			return false
		}
	}
	return true
}

func equalFoldASCII(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		if toUpperASCII(a[i]) != toUpperASCII(b[i]) {
			return false
		}
	}
	return true
}

func toUpperASCII(c byte) byte {
	if 'a' <= c && c <= 'z' {
		return c - ('a' - 'A')
	}
	return c
}

// Character classes of RFC 3501 9 / RFC 9051 9.
const (
	classAtom    = 1 << iota // ATOM-CHAR
	classAString             // ASTRING-CHAR = ATOM-CHAR / resp-specials
	classTag                 // tag = 1*<any ASTRING-CHAR except "+">
	classList                // list-char = ATOM-CHAR / list-wildcards / resp-specials
)

var charClass = func() (t [256]uint8) {
	for c := 0x21; c < 0x7f; c++ {
		var atom bool
		switch c {
		case '(', ')', '{', '%', '*', '"', '\\', ']':
			atom = false
		default:
			atom = true
		}
		if atom {
			t[c] |= classAtom | classAString | classTag | classList
		}
	}
	t[']'] |= classAString | classTag | classList
	t['+'] &^= classTag
	t['%'] |= classList
	t['*'] |= classList
	return t
}()

func isAtomChar(c byte) bool    { return charClass[c]&classAtom != 0 }
func isAStringChar(c byte) bool { return charClass[c]&classAString != 0 }
func isTagChar(c byte) bool     { return charClass[c]&classTag != 0 }
func isListChar(c byte) bool    { return charClass[c]&classList != 0 }
