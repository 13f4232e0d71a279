package imap

import (
	"errors"
	"io"
	"time"
)

// appendMessage is one message of an APPEND command (several with
// MULTIAPPEND, RFC 3502).
type appendMessage struct {
	Flags []string  // flags to set; nil when the client gave none
	Date  time.Time // internal date to set; zero when the client gave none
	Size  int64     // size of the message data
	// Binary is set for a literal8 (RFC 3516): the data may hold NUL and
	// 8-bit content without transfer encoding.
	Binary bool
	// Body reads exactly Size bytes of message data from the connection.
	// It must be read before NextAppendMessage is called again (anything
	// left unread is dropped then).
	Body io.Reader
}

// appendBody streams APPEND message data from the connection.
type appendBody struct {
	p *parser
	n int64
}

func (b *appendBody) Read(buf []byte) (int, error) {
	if b.n <= 0 {
		return 0, io.EOF
	}
	if int64(len(buf)) > b.n {
		buf = buf[:b.n]
	}
	n, err := b.p.r.Read(buf)
	b.n -= int64(n)
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	if b.n == 0 && err == nil {
		b.p.state = stateAppend
		err = nil
	}
	return n, err
}

func (p *parser) discardBody() error {
	if p.body.n > 0 {
		if _, err := io.CopyN(io.Discard, p.r, p.body.n); err != nil {
			p.state = stateIdle
			return ioError{unexpectedEOF(err)}
		}
		p.body.n = 0
	}
	return nil
}

// NextAppendMessage reads the options and announces the data of the next
// message of the current APPEND command. It returns nil, nil once the
// command is complete. The literal is checked against MaxAppendSize and
// handed to Continue (with Append set) before the data is read, so the
// server can refuse it (e.g. NO [TRYCREATE], NO [OVERQUOTA], NO [TOOBIG]).
// After an error the rest of the command has been skipped.
func (p *parser) NextAppendMessage() (*appendMessage, error) {
	switch p.state {
	case stateBody:
		if err := p.discardBody(); err != nil {
			return nil, err
		}
		p.state = stateAppend
		fallthrough
	case stateAppend:
		if p.nAppend > 0 {
			// The data of the previous message ends a line: read what
			// follows it.
			p.text = 0
			if err := p.nextLine(); err != nil {
				return nil, p.fail(err)
			}
			if p.appendParen {
				// RFC 6855 4: "UTF8" SP "(" literal8 ")".
				p.appendParen = false
				if !p.accept(')') {
					return nil, p.fail(badf("Expected ) after UTF8 message data"))
				}
			}
		}
	default:
		return nil, errors.New("imap: NextAppendMessage called outside APPEND")
	}
	if p.eol() {
		if p.nAppend == 0 {
			return nil, p.fail(badf("Missing message"))
		}
		p.state = stateIdle
		return nil, nil
	}
	msg, err := p.appendMessage()
	if err != nil {
		return nil, p.fail(err)
	}
	p.nAppend++
	return msg, nil
}

func (p *parser) appendMessage() (*appendMessage, error) {
	p.state = stateLine
	if err := p.sp(); err != nil {
		return nil, err
	}
	msg := &appendMessage{}
	if p.peek() == '(' {
		flags, err := p.flagList()
		if err != nil {
			return nil, err
		}
		if flags == nil {
			flags = []string{}
		}
		msg.Flags = flags
		if err := p.sp(); err != nil {
			return nil, err
		}
	}
	if p.peek() == '"' {
		t, err := p.dateTime()
		if err != nil {
			return nil, err
		}
		msg.Date = t
		if err := p.sp(); err != nil {
			return nil, err
		}
	}
	utf8Data := false
	if p.acceptKeyword("UTF8") {
		// RFC 6855 4: append-data =/ "UTF8" SP "(" literal8 ")",
		// a message with UTF-8 header fields.
		if err := p.sp(); err != nil {
			return nil, err
		}
		if err := p.expect('(', "Expected ( after UTF8"); err != nil {
			return nil, err
		}
		if p.peek() != '~' {
			return nil, badf("UTF8 message data must be a literal8")
		}
		utf8Data = true
	}
	if !p.atLiteral() {
		if w := p.word(); len(w) > 0 {
			// CATENATE (RFC 4469) and other append-data extensions.
			return nil, badf("Unsupported APPEND data: " + string(w))
		}
		return nil, badf("Expected a literal")
	}
	li, err := p.literalHeader()
	if err != nil {
		return nil, err
	}
	if li.size > p.maxAppend() {
		return nil, &commandError{Status: "NO", Code: "TOOBIG", Message: "Message too large"}
	}
	if err := p.callContinue(announcedLiteral{Size: li.size, NonSync: li.nonSync, Binary: li.binary, Append: true}); err != nil {
		return nil, err
	}
	p.endLit = litInfo{}
	p.appendParen = utf8Data
	msg.Size = li.size
	msg.Binary = li.binary
	p.body = appendBody{p: p, n: li.size}
	msg.Body = &p.body
	p.state = stateBody
	if li.size == 0 {
		p.state = stateAppend
	}
	return msg, nil
}
