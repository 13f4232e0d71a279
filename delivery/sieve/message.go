package sieve

import (
	"bufio"
	"bytes"
	"io"
	"mime"
	"strings"

	"github.com/emersion/go-message/charset"
)

// Field is one header field as it is in the message.
type Field struct {
	// Name is the field name as written.
	Name string
	// Value is the raw value after the colon, folding kept, without the
	// final line break.
	Value string
}

// Message is the message a script looks at: its header, read once, its
// size, and a way to read its body again for the body test.
type Message struct {
	Header []Field
	Size   int64

	r         io.ReaderAt
	bodyOff   int64
	truncated bool // fields past the header limit were dropped
}

// ReadMessage reads the header of a message of size bytes from r,
// keeping at most maxHeader bytes of fields (0: the default of
// Limits.MaxHeaderSize); fields past that are not seen by scripts. The
// body is read from r again, only if a script tests it.
func ReadMessage(r io.ReaderAt, size int64, maxHeader int) (*Message, error) {
	if maxHeader <= 0 {
		maxHeader = DefaultLimits.MaxHeaderSize
	}
	m := &Message{Size: size, r: r}
	br := bufio.NewReader(io.NewSectionReader(r, 0, size))
	kept := 0
	var cur []byte // the field being read, with its continuation lines
	flush := func() {
		if cur != nil && kept+len(cur) <= maxHeader {
			if f, ok := parseField(cur); ok {
				m.Header = append(m.Header, f)
			}
		} else if cur != nil {
			m.truncated = true
		}
		kept += len(cur)
		cur = nil
	}
	for {
		line, n, err := readLine(br, maxHeader+1)
		m.bodyOff += int64(n)
		if n == 0 {
			break
		}
		if len(bytes.TrimRight(line, "\r\n")) == 0 {
			break // the empty line that ends the header
		}
		if line[0] != ' ' && line[0] != '\t' {
			flush()
		}
		if len(cur) <= maxHeader {
			cur = append(cur, line...)
		}
		if err != nil {
			break
		}
	}
	flush()
	return m, nil
}

// readLine reads a line and returns up to max bytes of it and its full
// length: an overlong line costs no more memory than max.
func readLine(br *bufio.Reader, max int) (line []byte, n int, err error) {
	for {
		chunk, err := br.ReadSlice('\n')
		n += len(chunk)
		if len(line) < max {
			line = append(line, chunk[:min(len(chunk), max-len(line))]...)
		}
		if err != bufio.ErrBufferFull {
			return line, n, err
		}
	}
}

// NewMessage returns the Message of a message in memory.
func NewMessage(b []byte) *Message {
	m, _ := ReadMessage(bytes.NewReader(b), int64(len(b)), 0)
	return m
}

// parseField splits a raw field into name and value; lines without a
// colon or with an invalid name are not fields.
func parseField(raw []byte) (Field, bool) {
	i := bytes.IndexByte(raw, ':')
	if i <= 0 {
		return Field{}, false
	}
	name := bytes.TrimRight(raw[:i], " \t")
	for _, c := range name {
		if c <= ' ' || c >= 127 {
			return Field{}, false
		}
	}
	value := raw[i+1:]
	value = bytes.TrimRight(value, "\r\n")
	return Field{Name: string(name), Value: string(value)}, true
}

// Body returns a reader of the message body (after the header), or an
// empty reader for a Message without one.
func (m *Message) Body() io.Reader {
	if m.r == nil {
		return strings.NewReader("")
	}
	return io.NewSectionReader(m.r, m.bodyOff, m.Size-m.bodyOff)
}

// WithHeader returns the message with header in place of its own: the
// Header of an action or Result.KeepHeader after editheader changed it
// (RFC 5293), followed by the unchanged body.
func (m *Message) WithHeader(header []Field) io.Reader {
	var b bytes.Buffer
	for _, f := range header {
		b.WriteString(f.Name)
		b.WriteByte(':')
		b.WriteString(f.Value)
		b.WriteString("\r\n")
	}
	b.WriteString("\r\n")
	return io.MultiReader(&b, m.Body())
}

// unfold removes the line breaks of a folded value (RFC 5322 2.2.3) and
// the white space around it.
func unfold(v string) string {
	if strings.IndexByte(v, '\n') >= 0 {
		v = strings.NewReplacer("\r\n", "", "\n", "").Replace(v)
	}
	return strings.Trim(v, " \t")
}

var wordDecoder = &mime.WordDecoder{CharsetReader: charset.Reader}

// decodeHeader returns a value as the header test sees it: unfolded,
// with RFC 2047 encoded words decoded to UTF-8 (RFC 5228 2.7.2).
func decodeHeader(v string) string {
	v = unfold(v)
	if !strings.Contains(v, "=?") {
		return v
	}
	d, err := wordDecoder.DecodeHeader(v)
	if err != nil {
		return v
	}
	return d
}

// headerValues returns the decoded values of the fields named name
// (case-insensitive), in order.
func (r *run) headerValues(name string) []string {
	if r.decoded == nil {
		r.decoded = make([]string, len(r.header))
		for i := range r.decoded {
			r.decoded[i] = "\x00" // not decoded yet
		}
	}
	var out []string
	for i, f := range r.header {
		if !strings.EqualFold(f.Name, name) {
			continue
		}
		if r.decoded[i] == "\x00" {
			r.decoded[i] = decodeHeader(f.Value)
		}
		out = append(out, r.decoded[i])
	}
	return out
}

// rawValues returns the unfolded, undecoded values of the fields named
// name, for the address tests, which parse before decoding.
func (r *run) rawValues(name string) []string {
	var out []string
	for _, f := range r.header {
		if strings.EqualFold(f.Name, name) {
			out = append(out, unfold(f.Value))
		}
	}
	return out
}
