package imap

import "io"

// Lenient streaming decoders for Content-Transfer-Encoding (RFC 2045
// 6): mail in the wild has stray characters, missing padding and
// broken escapes, and BINARY or a text search should still get the
// content rather than an error.

var base64Values = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	for i := 0; i < len(alphabet); i++ {
		t[alphabet[i]] = int8(i)
	}
	return t
}()

// base64Decoder decodes base64, skipping characters outside the alphabet
// (RFC 2045 6.8: they "must be ignored"), and taking "=" as the
// end of a quantum rather than of the data, so that concatenated encoded
// blocks decode too.
type base64Decoder struct {
	r    io.Reader
	in   []byte
	out  []byte
	outs []byte // decoded, not yet returned
	acc  uint32
	n    int // sextets in acc
	err  error
}

// decodeBufSize sizes decoder buffers by the encoded size.
func decodeBufSize(size int64) int { return int(max(min(size+1, 4096), 64)) }

func newBase64Decoder(r io.Reader, size int64) *base64Decoder {
	n := decodeBufSize(size)
	buf := make([]byte, n+n*3/4+3)
	return &base64Decoder{r: r, in: buf[:n], out: buf[n:]}
}

func (d *base64Decoder) Read(p []byte) (int, error) {
	for len(d.outs) == 0 {
		if d.err != nil {
			return 0, d.err
		}
		n, err := d.r.Read(d.in)
		out := d.out[:0]
		for _, c := range d.in[:n] {
			v := base64Values[c]
			if v < 0 {
				if c == '=' {
					out = d.flushQuantum(out)
				}
				continue
			}
			d.acc = d.acc<<6 | uint32(v)
			d.n++
			if d.n == 4 {
				out = append(out, byte(d.acc>>16), byte(d.acc>>8), byte(d.acc))
				d.acc, d.n = 0, 0
			}
		}
		if err != nil {
			out = d.flushQuantum(out)
			d.err = err
		}
		d.outs = out
	}
	n := copy(p, d.outs)
	d.outs = d.outs[n:]
	return n, nil
}

// flushQuantum emits the bytes of an incomplete quantum: 2 sextets give 1
// byte, 3 give 2; a single sextet carries no whole byte.
func (d *base64Decoder) flushQuantum(out []byte) []byte {
	switch d.n {
	case 2:
		out = append(out, byte(d.acc>>4))
	case 3:
		out = append(out, byte(d.acc>>10), byte(d.acc>>2))
	}
	d.acc, d.n = 0, 0
	return out
}

// qpDecoder decodes quoted-printable (RFC 2045 6.7): "=XX" escapes
// (either case), soft line breaks ("=" at the end of a line, possibly
// followed by white space), and white space at the end of a line dropped
// (rule 3: it was added by transport). An "=" that starts no valid escape
// is kept as it is.
type qpDecoder struct {
	r     io.Reader
	in    []byte
	out   []byte
	outs  []byte
	state int
	hex   byte   // first hex digit after "="
	ws    []byte // white space held until we know whether the line ends
	err   error
}

const (
	qpNormal    = iota
	qpEquals    // after "="
	qpHex       // after "=X"
	qpSoft      // after "=" and white space: a soft break if the line ends
	qpSoftCR    // after "=\r"
	maxQPSpaces = 1024
)

func newQPDecoder(r io.Reader, size int64) *qpDecoder {
	n := decodeBufSize(size)
	return &qpDecoder{r: r, in: make([]byte, n), out: make([]byte, 0, n+8)}
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}

func (d *qpDecoder) Read(p []byte) (int, error) {
	for len(d.outs) == 0 {
		if d.err != nil {
			return 0, d.err
		}
		n, err := d.r.Read(d.in)
		out := d.out[:0]
		for i := 0; i < n; i++ {
			out = d.step(out, d.in[i])
		}
		if err != nil {
			switch d.state {
			case qpEquals:
				// "=" at the very end: a soft line break whose line
				// break belongs to a multipart delimiter. Dropped.
			case qpHex:
				out = append(out, '=', d.hex)
			}
			d.state = qpNormal
			d.ws = d.ws[:0] // trailing white space at the end of the data
			d.err = err
		}
		d.outs = out
	}
	n := copy(p, d.outs)
	d.outs = d.outs[n:]
	return n, nil
}

func (d *qpDecoder) step(out []byte, c byte) []byte {
	switch d.state {
	case qpEquals:
		switch {
		case c == '\n':
			d.state = qpNormal // soft break
			return out
		case c == '\r':
			d.state = qpSoftCR
			return out
		case c == ' ' || c == '\t':
			d.state = qpSoft
			d.ws = append(d.ws[:0], c)
			return out
		}
		if _, ok := unhex(c); ok {
			d.hex, d.state = c, qpHex
			return out
		}
		out = append(out, '=')
		d.state = qpNormal
	case qpHex:
		d.state = qpNormal
		if lo, ok := unhex(c); ok {
			hi, _ := unhex(d.hex)
			return append(out, hi<<4|lo)
		}
		out = append(out, '=', d.hex)
	case qpSoft:
		switch c {
		case ' ', '\t':
			if len(d.ws) < maxQPSpaces {
				d.ws = append(d.ws, c)
			}
			return out
		case '\r':
			d.ws = d.ws[:0]
			d.state = qpSoftCR
			return out
		case '\n':
			d.ws = d.ws[:0]
			d.state = qpNormal
			return out
		}
		out = append(out, '=')
		out = append(out, d.ws...)
		d.ws = d.ws[:0]
		d.state = qpNormal
	case qpSoftCR:
		d.state = qpNormal
		if c == '\n' {
			return out
		}
	}
	// qpNormal
	switch c {
	case '=':
		out = append(out, d.ws...)
		d.ws = d.ws[:0]
		d.state = qpEquals
	case ' ', '\t':
		if len(d.ws) == maxQPSpaces {
			out = append(out, d.ws...)
			d.ws = d.ws[:0]
		}
		d.ws = append(d.ws, c)
	case '\r', '\n':
		d.ws = d.ws[:0]
		out = append(out, c)
	default:
		out = append(out, d.ws...)
		d.ws = d.ws[:0]
		out = append(out, c)
	}
	return out
}
