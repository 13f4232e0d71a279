package imap

import (
	"errors"
	"io"
)

// catPart is one part of a CATENATE message (RFC 4469 5): a URL naming
// message data the server already has, or TEXT sent by the client.
type catPart struct {
	URL string // URL part: the URL as the client sent it; "" for TEXT
	// Size and Body are a TEXT part: Body reads exactly Size bytes from
	// the connection, and must be read before NextCatenatePart is called
	// again (anything left unread is dropped then).
	Size int64
	Body io.Reader
}

// NextCatenatePart reads the next part of the CATENATE message that
// NextAppendMessage announced, and returns nil, nil after its closing
// ")"; NextAppendMessage then goes on with the command. used is the
// number of bytes of the message so far: a TEXT literal that would take
// the message over MaxAppendSize is refused with NO [TOOBIG] before the
// client sends it. A URL part is read whole (it is a string of the command
// line); what it names is the caller's business. After an error the rest
// of the command has been skipped.
//
//	cat-part     = text-literal / url / utf8-literal
//	text-literal = "TEXT" SP literal            (RFC 4469 5; literal8 with BINARY)
//	url          = "URL" SP astring
//	utf8-literal = "UTF8" SP "(" literal8 ")"   (RFC 6855 4)
func (p *parser) NextCatenatePart(used int64) (*catPart, error) {
	if err := p.discardBody(); err != nil {
		return nil, err
	}
	if p.state != stateCatenate {
		return nil, errors.New("imap: NextCatenatePart called outside CATENATE")
	}
	if p.needLine {
		// A TEXT literal ends a line: the list goes on on the next.
		p.needLine = false
		if err := p.nextLine(); err != nil {
			return nil, p.fail(err)
		}
		if p.catParen {
			p.catParen = false
			if !p.accept(')') {
				return nil, p.fail(badf("Expected ) after UTF8 data"))
			}
		}
	}
	part, err := p.catenatePart(used)
	if err != nil {
		return nil, p.fail(err)
	}
	return part, nil
}

func (p *parser) catenatePart(used int64) (*catPart, error) {
	if p.accept(')') {
		if p.catParts == 0 {
			return nil, badf("Empty CATENATE")
		}
		p.state = stateAppend
		return nil, nil
	}
	if p.catParts > 0 {
		if err := p.sp(); err != nil {
			return nil, err
		}
	}
	p.catParts++
	switch {
	case p.acceptKeyword("URL"):
		if err := p.sp(); err != nil {
			return nil, err
		}
		u, err := p.astring()
		if err != nil {
			return nil, err
		}
		if len(u) == 0 {
			return nil, badf("Empty URL")
		}
		return &catPart{URL: string(u)}, nil
	case p.acceptKeyword("TEXT"):
		if err := p.sp(); err != nil {
			return nil, err
		}
		return p.catenateText(used)
	case p.acceptKeyword("UTF8"):
		if err := p.sp(); err != nil {
			return nil, err
		}
		if err := p.expect('(', "Expected ( after UTF8"); err != nil {
			return nil, err
		}
		if p.peek() != '~' {
			return nil, badf("UTF8 data must be a literal8")
		}
		part, err := p.catenateText(used)
		p.catParen = err == nil
		return part, err
	}
	return nil, badf("Expected TEXT or URL in CATENATE")
}

// catenateText announces the literal of a TEXT part and hands its data
// over as a stream, as NextAppendMessage does for a whole message.
func (p *parser) catenateText(used int64) (*catPart, error) {
	if !p.atLiteral() {
		return nil, badf("Expected a literal")
	}
	li, err := p.literalHeader()
	if err != nil {
		return nil, err
	}
	if li.size > p.maxAppend()-used {
		return nil, &commandError{Status: "NO", Code: "TOOBIG", Message: "Message too large"}
	}
	if err := p.callContinue(announcedLiteral{Size: li.size, NonSync: li.nonSync, Binary: li.binary, Append: true}); err != nil {
		return nil, err
	}
	return &catPart{Size: li.size, Body: p.startBody(li.size, stateCatenate)}, nil
}
