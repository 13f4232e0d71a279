package mailbox

import (
	"errors"
	"io"
	"sync"
)

// MessageReader is the content of one message: random access for IMAP
// partial fetches (ReadAt) and streaming for POP3 RETR (Read). Line
// endings are CRLF and Size is exact. Close it when done. A message
// expunged while open stays readable until Close.
type MessageReader interface {
	io.Reader
	io.ReaderAt
	io.Closer
	// Size is the number of octets, with CRLF line endings.
	Size() int64
}

// rawReader serves a file stored with CRLF line endings (everything the
// store writes) directly.
type rawReader struct {
	f    rfile
	size int64
	off  int64
}

func (r *rawReader) Size() int64 { return r.size }

func (r *rawReader) Read(p []byte) (int, error) {
	if r.off >= r.size {
		return 0, io.EOF
	}
	if int64(len(p)) > r.size-r.off {
		p = p[:r.size-r.off]
	}
	n, err := r.f.ReadAt(p, r.off)
	r.off += int64(n)
	if err == io.EOF && n > 0 {
		err = nil
	}
	return n, err
}

func (r *rawReader) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("mailbox: negative offset")
	}
	if off >= r.size {
		return 0, io.EOF
	}
	short := false
	if int64(len(p)) > r.size-off {
		p, short = p[:r.size-off], true
	}
	n, err := r.f.ReadAt(p, off)
	if err == nil && short {
		err = io.EOF
	}
	return n, err
}

func (r *rawReader) Close() error { return r.f.Close() }

// lfReader serves a file that another program wrote with bare LF line
// endings as if it had CRLF. ReadAt resumes from the last position it
// reached, so sequential reads (the usual pattern, also through an
// io.SectionReader) cost O(n) overall; a read behind that position starts
// over from the beginning.
type lfReader struct {
	f    rfile
	size int64 // CRLF size
	off  int64 // Read position

	mu     sync.Mutex
	rawPos int64 // next raw byte to read
	outPos int64 // output offset of rawPos
	prevCR bool  // raw byte before rawPos was CR
	pendLF bool  // an LF is owed at outPos (its CR was emitted)
	buf    []byte
}

func (r *lfReader) Size() int64 { return r.size }

func (r *lfReader) Read(p []byte) (int, error) {
	n, err := r.ReadAt(p, r.off)
	r.off += int64(n)
	if err == io.EOF && n > 0 {
		err = nil
	}
	return n, err
}

func (r *lfReader) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("mailbox: negative offset")
	}
	if off >= r.size {
		return 0, io.EOF
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if off < r.outPos {
		r.rawPos, r.outPos, r.prevCR, r.pendLF = 0, 0, false, false
	}
	if r.buf == nil {
		r.buf = make([]byte, 16<<10)
	}
	n := 0
	for n < len(p) && r.outPos < r.size {
		if r.pendLF {
			if r.outPos >= off {
				p[n] = '\n'
				n++
			}
			r.outPos++
			r.pendLF = false
			continue
		}
		m, err := r.f.ReadAt(r.buf, r.rawPos)
		if m == 0 {
			if err == nil || err == io.EOF {
				err = io.ErrUnexpectedEOF // file shorter than indexed
			}
			return n, err
		}
		i := 0
		for ; i < m && n < len(p); i++ {
			c := r.buf[i]
			if c == '\n' && !r.prevCR {
				// emit CR, then the LF (possibly on the next round)
				if r.outPos >= off {
					p[n] = '\r'
					n++
				}
				r.outPos++
				r.prevCR = false
				if n < len(p) {
					if r.outPos >= off {
						p[n] = '\n'
						n++
					}
					r.outPos++
				} else {
					r.pendLF = true
					i++
					break
				}
				continue
			}
			if r.outPos >= off {
				p[n] = c
				n++
			}
			r.outPos++
			r.prevCR = c == '\r'
		}
		r.rawPos += int64(i)
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func (r *lfReader) Close() error { return r.f.Close() }
