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
	// Catenate is set for a CATENATE message (RFC 4469): Body is nil
	// and the parts come from NextCatenatePart.
	Catenate bool
}

// appendBody streams APPEND message data (or a CATENATE TEXT part) from
// the connection.
type appendBody struct {
	p     *parser
	n     int64
	after int // the parser state once the data is read
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
		b.p.endBody()
	}
	return n, err
}

// startBody hands the data of a literal of n bytes to the server; after
// is the parser state once it is read.
func (p *parser) startBody(n int64, after int) io.Reader {
	p.endLit = litInfo{}
	p.body = appendBody{p: p, n: n, after: after}
	p.state = stateBody
	if n == 0 {
		p.endBody()
	}
	return &p.body
}

// endBody ends the data of a literal: the command goes on on the next line.
func (p *parser) endBody() {
	p.state = p.body.after
	p.needLine = true
}

// discardBody drops what the server left unread of a literal's data.
func (p *parser) discardBody() error {
	if p.state != stateBody {
		return nil
	}
	if p.body.n > 0 {
		if _, err := io.CopyN(io.Discard, p.r, p.body.n); err != nil {
			p.state = stateIdle
			return ioError{unexpectedEOF(err)}
		}
		p.body.n = 0
	}
	p.endBody()
	return nil
}

// NextAppendMessage reads the options and announces the data of the next
// message of the current APPEND command. It returns nil, nil once the
// command is complete. The literal is checked against MaxAppendSize and
// handed to Continue (with Append set) before the data is read, so the
// server can refuse it (e.g. NO [TRYCREATE], NO [OVERQUOTA], NO [TOOBIG]).
// A CATENATE message (RFC 4469) has no Body: its parts come from
// NextCatenatePart. After an error the rest of the command has been
// skipped.
func (p *parser) NextAppendMessage() (*appendMessage, error) {
	if err := p.discardBody(); err != nil {
		return nil, err
	}
	if p.state == stateCatenate {
		// The server gave up on the parts: skip to the end.
		return nil, p.fail(badf("CATENATE message not read to its end"))
	}
	if p.state != stateAppend {
		return nil, errors.New("imap: NextAppendMessage called outside APPEND")
	}
	if p.needLine {
		// The data of the previous message ends a line: read what
		// follows it.
		p.needLine = false
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
	if p.acceptKeyword("CATENATE") {
		// RFC 4469 5: append-data =/ "CATENATE" SP "(" cat-part
		// *(SP cat-part) ")"; NextCatenatePart reads the parts.
		if err := p.sp(); err != nil {
			return nil, err
		}
		if err := p.expect('(', "Expected ( after CATENATE"); err != nil {
			return nil, err
		}
		msg.Catenate = true
		p.catParts = 0
		p.state = stateCatenate
		return msg, nil
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
	p.appendParen = utf8Data
	msg.Size = li.size
	msg.Binary = li.binary
	msg.Body = p.startBody(li.size, stateAppend)
	return msg, nil
}
