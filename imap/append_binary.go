package imap

import (
	"bytes"
	"encoding/base64"
	"io"
	"os"
)

// RFC 3516 4.4: APPEND of a literal8 ("~{n}") may carry parts whose
// Content-Transfer-Encoding is binary: NULs, bare CRs and LFs, lines of
// any length. A store that keeps messages as text changes such bytes
// (the mailbox store gives every line a CRLF), and RFC 3501 messages are
// text. The RFC lets the server "modify the content transfer encoding
// (e.g., convert to base64) prior to appending the data", which is what
// Dovecot does and what this file does: the backend gets the message
// with those parts in base64, and FETCH BINARY[...] decodes them back to
// the bytes the client appended.

// spoolMemory is how much of a literal8 message is held in memory while
// its structure is read; a larger one waits in a temporary file.
const spoolMemory = 1 << 20

// spool holds a message read from the connection, for random access.
type spool struct {
	mem  []byte
	file *os.File
}

// spoolMessage reads size bytes from r into a spool. Close it.
func spoolMessage(r io.Reader, size int64) (*spool, error) {
	if size <= spoolMemory {
		b := make([]byte, size)
		if _, err := io.ReadFull(r, b); err != nil {
			return nil, err
		}
		return &spool{mem: b}, nil
	}
	f, err := os.CreateTemp("", "mailwright-append-*")
	if err != nil {
		io.CopyN(io.Discard, r, size)
		return nil, err
	}
	s := &spool{file: f}
	if _, err := io.CopyN(f, r, size); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func (s *spool) ReadAt(p []byte, off int64) (int, error) {
	if s.file != nil {
		return s.file.ReadAt(p, off)
	}
	return bytes.NewReader(s.mem).ReadAt(p, off)
}

// Close removes the temporary file, if any.
func (s *spool) Close() error {
	if s.file == nil {
		return nil
	}
	name := s.file.Name()
	err := s.file.Close()
	if rerr := os.Remove(name); err == nil {
		err = rerr
	}
	return err
}

// withBase64Parts returns the message in src (size bytes) with every part
// whose Content-Transfer-Encoding is binary re-encoded in base64, and its
// new size. converted is false when there is no such part: then src is
// the message to store, as it is.
func withBase64Parts(src io.ReaderAt, size int64) (r io.Reader, n int64, converted bool, err error) {
	root, err := parseStructure(src, size, structureLimits{}, nil)
	if err != nil {
		return nil, 0, false, err
	}
	var leaves []*Part
	var walk func(p *Part)
	walk = func(p *Part) {
		switch {
		case p.IsMultipart():
			for _, c := range p.Children {
				walk(c)
			}
		case p.Message != nil:
			walk(p.Message)
		case equalFoldASCII(p.Encoding, "binary"):
			leaves = append(leaves, p)
		}
	}
	walk(root)
	if len(leaves) == 0 {
		return nil, 0, false, nil
	}
	var parts []io.Reader
	var pos int64
	for _, p := range leaves {
		parts = append(parts, io.NewSectionReader(src, pos, p.HeaderStart-pos))
		n += p.HeaderStart - pos
		header := make([]byte, p.BodyStart-p.HeaderStart)
		if _, err := src.ReadAt(header, p.HeaderStart); err != nil && err != io.EOF {
			return nil, 0, false, err
		}
		header = base64Header(header)
		parts = append(parts, bytes.NewReader(header))
		n += int64(len(header))
		parts = append(parts, &base64Lines{src: io.NewSectionReader(src, p.BodyStart, p.Size())})
		n += base64LinesSize(p.Size())
		pos = p.End
	}
	parts = append(parts, io.NewSectionReader(src, pos, size-pos))
	n += size - pos
	return io.MultiReader(parts...), n, true, nil
}

// base64Header returns a part header with its Content-Transfer-Encoding
// field (continuation lines included) replaced by "base64".
func base64Header(h []byte) []byte {
	out := make([]byte, 0, len(h)+8)
	skipping := false
	for len(h) > 0 {
		line := h
		if i := bytes.IndexByte(h, '\n'); i >= 0 {
			line = h[:i+1]
		}
		h = h[len(line):]
		if skipping && (line[0] == ' ' || line[0] == '\t') {
			continue // a continuation of the field replaced
		}
		skipping = false
		name, _, found := bytes.Cut(line, []byte(":"))
		if found && equalFoldASCII(string(bytes.TrimRight(name, " \t")), "Content-Transfer-Encoding") {
			skipping = true
			eol := "\r\n"
			if !bytes.HasSuffix(line, []byte("\r\n")) {
				eol = "\n"
			}
			out = append(out, "Content-Transfer-Encoding: base64"+eol...)
			continue
		}
		out = append(out, line...)
	}
	return out
}

// base64LineBytes is the input of one 76-character base64 line (RFC 2045
// 6.8).
const base64LineBytes = 57

// base64LinesSize is the length of n bytes in base64 lines separated by
// CRLF.
func base64LinesSize(n int64) int64 {
	if n == 0 {
		return 0
	}
	lines := (n + base64LineBytes - 1) / base64LineBytes
	return (n+2)/3*4 + 2*(lines-1)
}

// base64Lines encodes src in base64 lines of 76 characters separated by
// CRLF (no line break after the last).
type base64Lines struct {
	src     io.Reader
	in      [base64LineBytes * 64]byte
	out     []byte
	off     int
	started bool
	err     error
}

func (b *base64Lines) Read(p []byte) (int, error) {
	for b.off == len(b.out) {
		if b.err != nil {
			return 0, b.err
		}
		n, err := io.ReadFull(b.src, b.in[:])
		b.out, b.off = b.out[:0], 0
		for i := 0; i < n; i += base64LineBytes {
			if b.started {
				b.out = append(b.out, '\r', '\n')
			}
			b.started = true
			b.out = base64.StdEncoding.AppendEncode(b.out, b.in[i:min(i+base64LineBytes, n)])
		}
		switch err {
		case nil:
		case io.EOF, io.ErrUnexpectedEOF:
			b.err = io.EOF
		default:
			b.err = err
		}
	}
	n := copy(p, b.out[b.off:])
	b.off += n
	return n, nil
}
