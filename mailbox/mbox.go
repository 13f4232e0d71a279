package mailbox

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

const (
	// mboxBufferSize is the read buffer of MboxReader and of the appender:
	// all the memory either needs, however long a message or a line is.
	mboxBufferSize = 64 << 10
	// maxMboxFromLine bounds what MboxReader keeps of a From_ line; the rest
	// of a longer line is skipped.
	maxMboxFromLine = 4096
	// maxMboxSender bounds the envelope sender AppendMbox accepts. RFC 5321
	// section 4.5.3.1.3 limits a reverse-path to 256 octets; we allow more for
	// SMTPUTF8 addresses, but not without bound.
	maxMboxSender = 1024
	// mboxNullSender stands for the null reverse-path "<>" on a From_ line,
	// which cannot hold an empty sender; the name is the old convention of
	// Unix mailers.
	mboxNullSender = "MAILER-DAEMON"
)

// ErrNotMbox reports input that does not start with a From_ line (after any
// blank lines), so it is not an mbox file.
var ErrNotMbox = errors.New("mailbox: not an mbox file: no From_ line at the start")

var errMboxStale = errors.New("mailbox: mbox message read after MboxReader.Next")

// MboxMessage is one message of an mbox file, as MboxReader.Next returns it.
type MboxMessage struct {
	// From is the envelope sender of the From_ line, as stored
	// ("MAILER-DAEMON" for the null sender by convention); "" if the line has
	// none.
	From string
	// Date is the date of the From_ line: asctime format, read as UTC unless
	// the line carries a zone. Zero if the date is missing or unreadable.
	Date time.Time
	// Offset is the byte offset of the From_ line in the input.
	Offset int64
	// Body reads the message with the From_ quoting undone. It is valid until
	// the next call to Next, which skips whatever of it was not read.
	Body io.Reader
}

// MboxReader reads the messages of an mbox file one after another, streaming:
// its memory is one fixed buffer whatever the size of a message or of a line.
//
// RFC 4155 section 2 describes the mbox family: messages are concatenated, each
// introduced by a From_ line ("From " + envelope sender + " " + asctime
// date) at the start of the file or after a blank line, and each followed
// by a blank line. A body line that would look like a From_ line is quoted
// with '>'. The variants differ in how, and MboxReader handles them so:
//
//   - mboxrd (what AppendMbox writes): a line matching ^>*From  gets one
//     more '>' on write and loses one on read, so quoting is reversible.
//   - mboxo: only ^From  gets a '>', so a ">From " that was in the message
//     cannot be told apart from a quoted "From ". Read as mboxrd, such a
//     line loses its '>'; every other line comes back as written.
//   - mboxcl and mboxcl2: a Content-Length header gives the body size.
//     MboxReader ignores it and splits on From_ lines only. mboxcl quotes as
//     mboxo does and reads the same; mboxcl2 does not quote, so an unquoted
//     "From " line after a blank line inside a body splits that message.
//
// A "From " line that does not follow a blank line is never a separator:
// it is text (an unquoted line from a careless mboxo writer). Blank lines
// before the first From_ line are skipped; anything else there is
// ErrNotMbox.
//
// Line endings may be LF or CRLF, mixed. A message comes out with every
// line ending as LF, or as CRLF when the CRLF field is set; carriage returns
// that are not part of a line ending are kept. The blank line that separates
// a message from the next From_ line is not part of the message; a last line
// without a line ending comes out without one.
type MboxReader struct {
	// CRLF makes message lines end with CRLF instead of LF (as POP3 and IMAP
	// send them). Set it before the first call to Next.
	CRLF bool

	br      *bufio.Reader
	off     int64 // bytes consumed from br
	err     error // sticky error of the reader
	started bool
	fromBuf []byte // From_ line being read; at most maxMboxFromLine bytes
	gen     int    // counts messages; a Body of an older one is stale

	// State of the current message body.
	inBody       bool // a message is open and not at its end
	atSeparator  bool // the body ended at a From_ line, which is next to read
	lineStart    bool // the next input byte starts a line
	pendingBlank bool // a blank line was read and is held: it may be a separator
	heldQuote    bool // a '>' that may be a quote is held until its line is known
	inQuoteRun   bool // inside the run of '>' at the start of a line
	heldCRs      int  // carriage returns held: dropped if a LF follows
	emitCRs      int  // carriage returns to write out before anything else
	stage        []byte
	stageBuf     [4]byte
}

// NewMboxReader returns a reader of the mbox file r.
func NewMboxReader(r io.Reader) *MboxReader {
	return newMboxReaderSize(r, mboxBufferSize)
}

// newMboxReaderSize lets tests use a small buffer to reach the paths taken
// when lines and quote runs cross buffer boundaries.
func newMboxReaderSize(r io.Reader, size int) *MboxReader {
	return &MboxReader{br: bufio.NewReaderSize(r, size)}
}

// Next returns the next message, or io.EOF after the last one. It returns
// ErrNotMbox if the input does not start with a From_ line; an empty input
// (or one of blank lines only) holds no messages and gives io.EOF at once.
func (r *MboxReader) Next() (*MboxMessage, error) {
	if r.err != nil {
		return nil, r.err
	}
	if r.inBody {
		// Skip the rest of the current message.
		if _, err := io.Copy(io.Discard, &mboxBody{r: r, gen: r.gen}); err != nil {
			return nil, err
		}
	}
	if !r.started {
		r.started = true
		if err := r.skipLeadingBlankLines(); err != nil {
			r.err = err
			return nil, err
		}
		p, err := r.br.Peek(5)
		if len(p) == 0 {
			if err != io.EOF {
				r.err = err
				return nil, err
			}
			r.err = io.EOF
			return nil, io.EOF
		}
		if !bytes.HasPrefix(p, []byte("From ")) {
			r.err = ErrNotMbox
			return nil, r.err
		}
		r.atSeparator = true
	}
	if !r.atSeparator {
		r.err = io.EOF
		return nil, io.EOF
	}
	offset := r.off
	line, err := r.readFromLine()
	if err != nil {
		r.err = err
		return nil, err
	}
	from, date := parseMboxFromLine(line)
	r.gen++
	r.inBody, r.atSeparator, r.lineStart = true, false, true
	r.pendingBlank, r.heldQuote, r.inQuoteRun = false, false, false
	r.heldCRs, r.emitCRs, r.stage = 0, 0, nil
	return &MboxMessage{From: from, Date: date, Offset: offset, Body: &mboxBody{r: r, gen: r.gen}}, nil
}

func (r *MboxReader) discard(n int) {
	d, _ := r.br.Discard(n) // n is never more than is buffered
	r.off += int64(d)
}

func (r *MboxReader) skipLeadingBlankLines() error {
	for {
		p, _ := r.br.Peek(2)
		switch {
		case len(p) >= 1 && p[0] == '\n':
			r.discard(1)
		case len(p) == 2 && p[0] == '\r' && p[1] == '\n':
			r.discard(2)
		default:
			return nil
		}
	}
}

// readFromLine consumes the From_ line and returns its first
// maxMboxFromLine bytes without the line ending.
func (r *MboxReader) readFromLine() ([]byte, error) {
	r.fromBuf = r.fromBuf[:0]
	for {
		chunk, err := r.br.ReadSlice('\n')
		r.off += int64(len(chunk))
		if room := maxMboxFromLine - len(r.fromBuf); room > 0 {
			r.fromBuf = append(r.fromBuf, chunk[:min(room, len(chunk))]...)
		}
		if err == bufio.ErrBufferFull {
			continue // a long line: keep skipping, without keeping it
		}
		if err != nil && err != io.EOF {
			return nil, err
		}
		break
	}
	return bytes.TrimRight(r.fromBuf, "\r\n"), nil
}

// parseMboxFromLine reads the sender and date of a From_ line
// ("From sender date [more]", RFC 4155 section 2), leniently: the line is
// kept only for these two values, so a bad one costs nothing but them.
func parseMboxFromLine(line []byte) (from string, date time.Time) {
	rest := string(bytes.TrimPrefix(line, []byte("From ")))
	// Split on ASCII blanks only: a sender may hold any other byte.
	fields := strings.FieldsFunc(rest, func(r rune) bool { return r == ' ' || r == '\t' })
	if len(fields) == 0 {
		return "", time.Time{}
	}
	return fields[0], parseMboxDate(fields[1:])
}

// parseMboxDate parses the asctime date of a From_ line. The classic form
// has no zone and is UTC by our convention (AppendMbox writes UTC); some
// writers add a zone name or offset before or after the year.
func parseMboxDate(f []string) time.Time {
	if len(f) >= 6 {
		s := strings.Join(f[:6], " ")
		for _, layout := range []string{
			"Mon Jan 2 15:04:05 MST 2006",
			"Mon Jan 2 15:04:05 -0700 2006",
			"Mon Jan 2 15:04:05 2006 -0700",
			"Mon Jan 2 15:04:05 2006 MST",
		} {
			if t, err := time.Parse(layout, s); err == nil {
				return t
			}
		}
	}
	if len(f) >= 5 {
		if t, err := time.Parse("Mon Jan 2 15:04:05 2006", strings.Join(f[:5], " ")); err == nil {
			return t
		}
	}
	return time.Time{}
}

// mboxBody is the io.Reader of one message.
type mboxBody struct {
	r   *MboxReader
	gen int
}

func (b *mboxBody) Read(p []byte) (int, error) {
	r := b.r
	if b.gen != r.gen {
		return 0, errMboxStale
	}
	if len(p) == 0 {
		return 0, nil
	}
	n := 0
	for n < len(p) {
		if len(r.stage) > 0 {
			c := copy(p[n:], r.stage)
			r.stage = r.stage[c:]
			n += c
			continue
		}
		if r.emitCRs > 0 {
			c := min(r.emitCRs, len(p)-n)
			for i := range c {
				p[n+i] = '\r'
			}
			r.emitCRs -= c
			n += c
			continue
		}
		if !r.inBody {
			break
		}
		c, err := r.step(p[n:])
		n += c
		if err != nil {
			r.inBody = false
			r.err = err
			if n > 0 {
				return n, nil // the error comes back on the next call
			}
			return 0, err
		}
	}
	if n == 0 && !r.inBody {
		if r.err != nil && r.err != io.EOF {
			return 0, r.err
		}
		return 0, io.EOF
	}
	return n, nil
}

// lineEnd queues the line ending the reader writes out.
func (r *MboxReader) lineEnd() {
	if r.CRLF {
		r.stage = append(r.stageBuf[:0], '\r', '\n')
	} else {
		r.stage = append(r.stageBuf[:0], '\n')
	}
}

// endOfInput ends the message when a read found no more input (err is
// what the read returned): at the end of the input, a held blank line was
// the final separator and is dropped; held carriage returns and a held '>'
// are text.
func (r *MboxReader) endOfInput(err error) error {
	if err != io.EOF {
		if err == nil {
			err = io.ErrNoProgress
		}
		return err
	}
	if r.heldQuote {
		r.stage = append(r.stageBuf[:0], '>')
		r.heldQuote = false
	}
	r.emitCRs += r.heldCRs
	r.heldCRs = 0
	r.inBody = false
	return nil
}

// step consumes some input and writes at most len(p) bytes of message to p
// (or to the stage). It ends the message (inBody=false) at a separator or
// at the end of the input.
func (r *MboxReader) step(p []byte) (int, error) {
	switch {
	case r.lineStart:
		q, err := r.br.Peek(5)
		if len(q) == 0 {
			return 0, r.endOfInput(err)
		}
		if r.pendingBlank {
			if bytes.HasPrefix(q, []byte("From ")) {
				// RFC 4155: a blank line and a From_ line start the next
				// message; the blank line belongs to neither.
				r.inBody, r.atSeparator = false, true
				return 0, nil
			}
			r.pendingBlank = false
			r.lineEnd()
			return 0, nil
		}
		switch {
		case q[0] == '\n':
			r.discard(1)
			r.pendingBlank = true
		case len(q) >= 2 && q[0] == '\r' && q[1] == '\n':
			r.discard(2)
			r.pendingBlank = true
		case q[0] == '>':
			// mboxrd: hold the first '>' until we know whether the run of
			// '>' is followed by "From ". All '>' are alike, so holding the
			// first and letting the rest through keeps the order.
			r.discard(1)
			r.heldQuote, r.inQuoteRun, r.lineStart = true, true, false
		default:
			r.lineStart = false
		}
		return 0, nil

	case r.inQuoteRun:
		if r.br.Buffered() == 0 {
			if q, err := r.br.Peek(1); len(q) == 0 {
				return 0, r.endOfInput(err)
			}
		}
		view, _ := r.br.Peek(r.br.Buffered())
		k := 0
		for k < len(view) && k < len(p) && view[k] == '>' {
			k++
		}
		if k > 0 {
			copy(p, view[:k])
			r.discard(k)
			return k, nil
		}
		if view[0] == '>' {
			return 0, nil // p is full; go on next time
		}
		r.inQuoteRun = false
		if q, _ := r.br.Peek(5); !bytes.HasPrefix(q, []byte("From ")) {
			r.stage = append(r.stageBuf[:0], '>')
		}
		r.heldQuote = false
		return 0, nil

	default: // inside a line
		if r.br.Buffered() == 0 {
			if q, err := r.br.Peek(1); len(q) == 0 {
				return 0, r.endOfInput(err)
			}
		}
		view, _ := r.br.Peek(r.br.Buffered())
		if r.heldCRs > 0 {
			switch view[0] {
			case '\r':
				k := 0
				for k < len(view) && view[k] == '\r' {
					k++
				}
				r.discard(k)
				r.heldCRs += k
				return 0, nil
			case '\n':
				// CR* LF is a line ending: the carriage returns go.
				r.heldCRs = 0
				r.discard(1)
				r.lineEnd()
				r.lineStart = true
				return 0, nil
			default:
				r.emitCRs, r.heldCRs = r.heldCRs, 0
				return 0, nil
			}
		}
		i := bytes.IndexByte(view, '\n')
		if i >= 0 {
			text := bytes.TrimRight(view[:i], "\r")
			if len(text) > len(p) {
				copy(p, text[:len(p)])
				r.discard(len(p))
				return len(p), nil
			}
			copy(p, text)
			r.discard(i + 1)
			r.lineEnd()
			r.lineStart = true
			return len(text), nil
		}
		// No line end buffered: pass the text on, but hold trailing
		// carriage returns, which a LF in the next read would make part of
		// the line ending.
		text := bytes.TrimRight(view, "\r")
		if len(text) == 0 {
			r.heldCRs += len(view)
			r.discard(len(view))
			return 0, nil
		}
		c := min(len(text), len(p))
		copy(p, text[:c])
		r.discard(c)
		return c, nil
	}
}

// AppendMbox writes one message to w in mboxrd format: a From_ line with
// the envelope sender from and date (asctime, UTC; the current time if date
// is zero), the message with every line matching ^>*From  quoted with one
// more '>' and line endings converted to LF (carriage returns before a LF
// are dropped, others kept), a LF after the last line if it has none, and
// the blank line that ends an mbox message (RFC 4155).
//
// An empty from stands for the null sender and is written as
// "MAILER-DAEMON"; characters that a From_ line cannot hold (space and
// control characters) are replaced with '_'.
//
// AppendMbox streams: its memory is one fixed buffer whatever the size of
// msg. It does not buffer its writes to w beyond that; wrap an *os.File in a
// bufio.Writer. When it fails, part of the message may have been written:
// MboxFile.Append undoes that.
func AppendMbox(w io.Writer, from string, date time.Time, msg io.Reader) error {
	if len(from) > maxMboxSender {
		return fmt.Errorf("mailbox: mbox sender longer than %d bytes", maxMboxSender)
	}
	a := mboxAppender{w: w, br: bufio.NewReaderSize(msg, mboxBufferSize)}
	if date.IsZero() {
		date = time.Now()
	}
	head := make([]byte, 0, 64+len(from))
	head = append(head, "From "...)
	head = appendMboxSender(head, from)
	head = append(head, ' ')
	head = date.UTC().AppendFormat(head, time.ANSIC)
	head = append(head, '\n')
	if _, err := w.Write(head); err != nil {
		return err
	}
	return a.copy()
}

func appendMboxSender(b []byte, from string) []byte {
	if from == "" || from == "<>" {
		return append(b, mboxNullSender...)
	}
	for i := 0; i < len(from); i++ {
		c := from[i]
		if c <= ' ' || c == 0x7f {
			c = '_'
		}
		b = append(b, c)
	}
	return b
}

type mboxAppender struct {
	w  io.Writer
	br *bufio.Reader
}

var (
	mboxQuote   = []byte{'>'}
	mboxNewline = []byte{'\n'}
	mboxBlank   = []byte{'\n', '\n'}
)

func (a *mboxAppender) copy() error {
	lineStart := true
	empty := true     // nothing of the message written yet
	endsInLF := false // the last byte written is a line ending
	heldCRs := 0      // carriage returns that a LF may turn into a line ending
	crs := bytes.Repeat([]byte{'\r'}, 64)
	writeCRs := func() error {
		for heldCRs > 0 {
			k := min(heldCRs, len(crs))
			if _, err := a.w.Write(crs[:k]); err != nil {
				return err
			}
			heldCRs -= k
			endsInLF = false
		}
		return nil
	}
	for {
		if a.br.Buffered() == 0 {
			if q, err := a.br.Peek(1); len(q) == 0 {
				if err != io.EOF {
					return err
				}
				break
			}
		}
		view, _ := a.br.Peek(a.br.Buffered())
		empty = false
		if lineStart && heldCRs == 0 {
			// mboxrd: let the run of '>' through, then add one if "From "
			// follows. All '>' are alike, so adding it last is the same.
			k := 0
			for k < len(view) && view[k] == '>' {
				k++
			}
			if k > 0 {
				if _, err := a.w.Write(view[:k]); err != nil {
					return err
				}
				a.br.Discard(k)
				endsInLF = false
				if k == len(view) {
					continue // the run may go on in the next read
				}
			}
			if q, _ := a.br.Peek(5); bytes.HasPrefix(q, []byte("From ")) {
				if _, err := a.w.Write(mboxQuote); err != nil {
					return err
				}
			}
			lineStart = false
			continue
		}
		if heldCRs > 0 {
			switch view[0] {
			case '\r':
				k := 0
				for k < len(view) && view[k] == '\r' {
					k++
				}
				heldCRs += k
				a.br.Discard(k)
				continue
			case '\n':
				heldCRs = 0
				a.br.Discard(1)
				if _, err := a.w.Write(mboxNewline); err != nil {
					return err
				}
				endsInLF, lineStart = true, true
				continue
			default:
				if err := writeCRs(); err != nil {
					return err
				}
				continue
			}
		}
		if i := bytes.IndexByte(view, '\n'); i >= 0 {
			text := bytes.TrimRight(view[:i], "\r")
			if len(text) > 0 {
				if _, err := a.w.Write(text); err != nil {
					return err
				}
			}
			if _, err := a.w.Write(mboxNewline); err != nil {
				return err
			}
			a.br.Discard(i + 1)
			endsInLF, lineStart = true, true
			continue
		}
		text := bytes.TrimRight(view, "\r")
		if len(text) > 0 {
			if _, err := a.w.Write(text); err != nil {
				return err
			}
			endsInLF = false
		}
		heldCRs = len(view) - len(text)
		a.br.Discard(len(view))
	}
	// Carriage returns at the very end are dropped too: the LF we add after
	// an unterminated last line makes them part of a line ending.
	switch {
	case empty:
		_, err := a.w.Write(mboxNewline)
		return err
	case endsInLF && heldCRs == 0:
		_, err := a.w.Write(mboxNewline)
		return err
	default:
		_, err := a.w.Write(mboxBlank)
		return err
	}
}
