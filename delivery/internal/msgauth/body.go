package msgauth

import (
	"crypto"
	"hash"
	"io"
)

// bodyCanonicalizer canonicalizes a message body as it streams through
// (RFC 6376 3.4.3 simple, 3.4.4 relaxed) and writes the result to w. It
// keeps a few flags and a count of pending empty lines, never the body.
// Bare LF counts as a line end, as CRLF does.
type bodyCanonicalizer struct {
	relaxed bool
	w       io.Writer
	out     []byte
	cr      bool // the last byte was a CR: a line end if LF follows
	space   bool // relaxed: whitespace seen, written only if text follows on the line
	crlfs   int  // line ends held back: empty lines at the end are dropped
	wrote   bool // any text written
}

// flushAt is the output buffered before it goes to the hash: enough to
// make each hash write worth its call.
const flushAt = 2 << 10

func newBodyCanonicalizer(c Canon, w io.Writer) *bodyCanonicalizer {
	return &bodyCanonicalizer{relaxed: c == Relaxed, w: w, out: make([]byte, 0, flushAt)}
}

func (b *bodyCanonicalizer) Write(p []byte) (int, error) {
	stop := &simpleStop
	if b.relaxed {
		stop = &relaxedStop
	}
	for i := 0; i < len(p); {
		c := p[i]
		if !stop[c] && !b.cr {
			// The common case: a run of text goes out in one append. Under
			// relaxed, a single space between two text bytes needs no
			// rewriting and stays in the run.
			j := i + 1
			for j < len(p) {
				if !stop[p[j]] {
					j++
				} else if b.relaxed && p[j] == ' ' && j+1 < len(p) && !stop[p[j+1]] {
					j += 2
				} else {
					break
				}
			}
			b.text(p[i:j])
			i = j
		} else {
			b.special(c)
			i++
		}
		if len(b.out) >= flushAt {
			if err := b.flush(); err != nil {
				return i, err
			}
		}
	}
	return len(p), b.flush()
}

// simpleStop and relaxedStop mark the bytes that end a run of text.
var simpleStop, relaxedStop = stopTable("\r\n"), stopTable("\r\n \t")

func stopTable(chars string) (t [256]bool) {
	for i := 0; i < len(chars); i++ {
		t[chars[i]] = true
	}
	return t
}

// special handles one CR, LF, or (relaxed) whitespace byte, and the byte
// after a CR.
func (b *bodyCanonicalizer) special(c byte) {
	if b.cr {
		b.cr = false
		if c == '\n' {
			b.lineEnd()
			return
		}
		b.text([]byte{'\r'})
	}
	switch c {
	case '\r':
		b.cr = true
	case '\n':
		b.lineEnd()
	case ' ', '\t':
		if b.relaxed {
			b.space = true
			return
		}
		b.text([]byte{c})
	default:
		b.text([]byte{c})
	}
}

func (b *bodyCanonicalizer) lineEnd() {
	b.space = false // whitespace at the end of a line is dropped (relaxed)
	b.crlfs++
}

func (b *bodyCanonicalizer) text(t []byte) {
	for ; b.crlfs > 0; b.crlfs-- {
		b.out = append(b.out, '\r', '\n')
		if len(b.out) >= flushAt {
			b.flush() // into hashes, which never fail
		}
	}
	if b.space {
		b.out = append(b.out, ' ')
		b.space = false
	}
	b.wrote = true
	if len(b.out)+len(t) > cap(b.out) {
		b.flush()
		if len(t) >= flushAt { // a long run goes straight to the hash
			b.w.Write(t)
			return
		}
	}
	b.out = append(b.out, t...)
}

func (b *bodyCanonicalizer) flush() error {
	if len(b.out) == 0 {
		return nil
	}
	_, err := b.w.Write(b.out)
	b.out = b.out[:0]
	return err
}

// Close ends the body: the last text line gets its CRLF; an empty body is
// a single CRLF under simple and nothing under relaxed (RFC 6376 3.4.3,
// 3.4.4).
func (b *bodyCanonicalizer) Close() error {
	if b.cr {
		b.cr = false
		b.text([]byte{'\r'})
	}
	if b.wrote || !b.relaxed {
		b.out = append(b.out, '\r', '\n')
	}
	return b.flush()
}

// BodyHash names one body hash that a signature needs.
type BodyHash struct {
	Canon Canon
	Hash  crypto.Hash
	// Limit is the l= tag: how many canonical bytes are hashed; -1 for all.
	Limit int64
}

// BodyHashes computes several body hashes in one pass over the body: one
// canonicalizer per canonicalization, feeding every hash that uses it.
// Write the body to it, then Close, then read Sum.
type BodyHashes struct {
	keys   []BodyHash
	hashes []*limitedHash
	canons [2]*bodyCanonicalizer
	fans   [2][]io.Writer
}

// Add registers a body hash and returns its index for Sum; the same
// BodyHash added twice is computed once.
func (s *BodyHashes) Add(k BodyHash) int {
	for i, have := range s.keys {
		if have == k {
			return i
		}
	}
	s.keys = append(s.keys, k)
	lh := &limitedHash{h: k.Hash.New(), limit: k.Limit}
	s.hashes = append(s.hashes, lh)
	s.fans[k.Canon] = append(s.fans[k.Canon], lh)
	return len(s.keys) - 1
}

// Write feeds body bytes.
func (s *BodyHashes) Write(p []byte) (int, error) {
	for c := range s.fans {
		if len(s.fans[c]) == 0 {
			continue
		}
		if s.canons[c] == nil {
			s.canons[c] = newBodyCanonicalizer(Canon(c), fanOut(s.fans[c]))
		}
		if _, err := s.canons[c].Write(p); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

// Close ends the body.
func (s *BodyHashes) Close() error {
	for c := range s.fans {
		if len(s.fans[c]) == 0 {
			continue
		}
		if s.canons[c] == nil { // an empty body
			s.canons[c] = newBodyCanonicalizer(Canon(c), fanOut(s.fans[c]))
		}
		if err := s.canons[c].Close(); err != nil {
			return err
		}
	}
	return nil
}

// Sum returns body hash i and the length of the whole canonical body (for
// l=, which must not exceed it).
func (s *BodyHashes) Sum(i int) (digest []byte, canonicalLength int64) {
	lh := s.hashes[i]
	return lh.h.Sum(nil), lh.n
}

func fanOut(ws []io.Writer) io.Writer {
	if len(ws) == 1 {
		return ws[0]
	}
	return io.MultiWriter(ws...)
}

// limitedHash hashes the first limit bytes written (all when limit < 0)
// and counts every byte.
type limitedHash struct {
	h     hash.Hash
	limit int64
	n     int64
}

func (l *limitedHash) Write(p []byte) (int, error) {
	take := p
	if l.limit >= 0 {
		room := max(l.limit-l.n, 0)
		if int64(len(take)) > room {
			take = take[:room]
		}
	}
	l.h.Write(take)
	l.n += int64(len(p))
	return len(p), nil
}
