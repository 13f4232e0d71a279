package imap

import (
	"bytes"
	"io"
)

// scanner reads a region of a message line by line, straight from the
// io.ReaderAt into its own buffer, keeping count of its offset and of the
// line feeds seen. Lines longer than the buffer come in several fragments;
// only the first is at a line start.
type scanner struct {
	r           io.ReaderAt
	pos         int64 // source offset of the next byte to read into buf
	end         int64 // end of the region
	buf         []byte
	lo, hi      int   // unread bytes are buf[lo:hi]
	off         int64 // offset of buf[lo]
	lfs         int64 // line feeds before off
	atLineStart bool
	lastEOL     int  // length of the line break that ended the last line
	prevByte    byte // last byte of the previous fragment
	eof         bool
	err         error
}

// frag is one piece of a line.
type frag struct {
	data      []byte
	lineStart bool
	start     int64 // offset of data[0]
	prevEOL   int   // line break before this line, when lineStart
	lfsBefore int64 // line feeds before start
}

func (f frag) endsLine() bool { return len(f.data) > 0 && f.data[len(f.data)-1] == '\n' }

// scanBufSize sizes a scan buffer for a region: small messages get small
// buffers, nothing gets more than scanBufferSize.
func scanBufSize(n int64) int {
	// At least room for a delimiter line with the longest boundary.
	return int(max(min(n, scanBufferSize), 2*maxBoundaryLength))
}

// newScanner scans [off, end) of r, using buf if it is not nil.
func newScanner(r io.ReaderAt, off, end int64, buf []byte) *scanner {
	if buf == nil {
		buf = make([]byte, scanBufSize(end-off))
	}
	return &scanner{r: r, pos: off, end: end, buf: buf, off: off, atLineStart: true}
}

func (s *scanner) fill() {
	n := int64(len(s.buf) - s.hi)
	if rest := s.end - s.pos; rest < n {
		n = rest
	}
	if n <= 0 {
		s.eof = true
		return
	}
	k, err := s.r.ReadAt(s.buf[s.hi:s.hi+int(n)], s.pos)
	s.hi += k
	s.pos += int64(k)
	switch {
	case err == io.EOF:
		if int64(k) < n {
			s.eof = true // the source is shorter than announced
		}
	case err != nil:
		s.err = readAtError{err}
	}
	if s.pos >= s.end {
		s.eof = true
	}
}

// next returns the next fragment, or io.EOF at the end of the region.
func (s *scanner) next() (frag, error) {
	for {
		if i := bytes.IndexByte(s.buf[s.lo:s.hi], '\n'); i >= 0 {
			return s.emit(i + 1), nil
		}
		if s.eof || s.err != nil {
			if s.hi > s.lo {
				return s.emit(s.hi - s.lo), nil
			}
			if s.err != nil {
				return frag{}, s.err
			}
			return frag{}, io.EOF
		}
		if s.hi-s.lo == len(s.buf) {
			return s.emit(len(s.buf)), nil // a line longer than the buffer
		}
		if s.lo > 0 {
			s.hi = copy(s.buf, s.buf[s.lo:s.hi])
			s.lo = 0
		}
		s.fill()
	}
}

func (s *scanner) emit(n int) frag {
	data := s.buf[s.lo : s.lo+n]
	f := frag{data: data, lineStart: s.atLineStart, start: s.off, prevEOL: s.lastEOL, lfsBefore: s.lfs}
	s.lo += n
	s.off += int64(n)
	if data[n-1] == '\n' {
		s.lfs++
		s.atLineStart = true
		switch {
		case n >= 2 && data[n-2] == '\r':
			s.lastEOL = 2
		case n == 1 && s.prevByte == '\r':
			s.lastEOL = 2
		default:
			s.lastEOL = 1
		}
	} else {
		s.atLineStart = false
	}
	s.prevByte = data[n-1]
	return f
}

// skipLine drops the rest of the current line.
func (s *scanner) skipLine() error {
	for !s.atLineStart {
		if _, err := s.next(); err != nil {
			return err
		}
	}
	return nil
}
