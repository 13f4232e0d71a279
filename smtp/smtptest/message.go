package smtptest

import (
	"bytes"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-message/mail"
	"github.com/mailwright/mailwright/smtp"
)

// Message is one message the server accepted.
type Message struct {
	From        string           // reverse-path; "" for the null sender
	To          []string         // accepted recipients
	MailOptions smtp.MailOptions // MAIL parameters
	Raw         []byte           // the message as received
	Helo        string           // the client's HELO/EHLO name
	AuthUser    string           // the authenticated user, if any
	TLS         bool             // whether the session was encrypted
	Received    time.Time

	once   sync.Once
	header mail.Header
	body   []byte
}

func (m *Message) parse() {
	m.once.Do(func() {
		mr, err := mail.CreateReader(bytes.NewReader(m.Raw))
		if err != nil && mr == nil {
			m.body = m.Raw
			return
		}
		m.header = mr.Header
		// The text of the first inline part, for simple assertions.
		for {
			p, err := mr.NextPart()
			if err != nil {
				break
			}
			if _, ok := p.Header.(*mail.InlineHeader); ok {
				m.body, _ = io.ReadAll(io.LimitReader(p.Body, 64<<20))
				break
			}
		}
	})
}

// Header returns the parsed message header.
func (m *Message) Header() mail.Header {
	m.parse()
	return m.header
}

// Subject returns the decoded Subject header.
func (m *Message) Subject() string {
	h := m.Header()
	s, _ := h.Subject()
	return s
}

// Text returns the decoded content of the first inline (text) part.
func (m *Message) Text() string {
	m.parse()
	return string(m.body)
}

// Reader returns a go-message mail reader over the raw message, for
// attachments and multipart structure.
func (m *Message) Reader() (*mail.Reader, error) {
	return mail.CreateReader(bytes.NewReader(m.Raw))
}

// Matcher selects messages for Wait and Find.
type Matcher func(*Message) bool

// To matches messages with addr among the envelope recipients.
func To(addr string) Matcher {
	return func(m *Message) bool {
		for _, r := range m.To {
			if strings.EqualFold(r, addr) {
				return true
			}
		}
		return false
	}
}

// From matches the envelope sender.
func From(addr string) Matcher {
	return func(m *Message) bool { return strings.EqualFold(m.From, addr) }
}

// Subject matches messages whose decoded Subject contains s.
func Subject(s string) Matcher {
	return func(m *Message) bool { return strings.Contains(m.Subject(), s) }
}

// Header matches messages with a header field name whose value contains value.
func Header(name, value string) Matcher {
	return func(m *Message) bool {
		h := m.Header()
		return strings.Contains(h.Get(name), value)
	}
}

func matchAll(m *Message, match []Matcher) bool {
	for _, f := range match {
		if !f(m) {
			return false
		}
	}
	return true
}
