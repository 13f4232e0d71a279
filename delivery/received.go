package delivery

import (
	"io"
	"net"
	"net/netip"
	"strings"
	"time"

	"github.com/mailwright/mailwright/smtp"
)

// DefaultMaxReceived is the default Agent.MaxReceived: Postfix's
// hopcount_limit.
const DefaultMaxReceived = 50

// errTooManyHops refuses a message that has travelled through more relays
// than a sane route needs: it is most likely looping (RFC 5321 6.3).
var errTooManyHops = &smtp.Error{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 4, 6}, Message: "Too many hops: mail loop detected"}

// receivedFieldInfo is what the Received trace field records about the
// SMTP session (RFC 5321 4.4).
type receivedFieldInfo struct {
	helo     string     // the client's HELO/EHLO/LHLO name
	addr     netip.Addr // the client's IP address, if known
	by       string     // our host name
	protocol string     // RFC 3848 "with" keyword
	id       string     // our identifier of the transaction
	rcpt     string     // the single recipient, or "" ("for" is only given for one)
	date     time.Time
}

// withProtocol returns the "with" keyword of the Received field: RFC 3848
// (ESMTP, ESMTPA, ESMTPS, ESMTPSA, LMTP and variants) and RFC 6531 3.7.3
// (UTF8SMTP...). S means TLS, A an authenticated session. A client that
// greeted with HELO gets plain "SMTP" (it cannot have used STARTTLS, AUTH
// or SMTPUTF8, which need EHLO).
func withProtocol(esmtp, lmtp, utf8, tls, auth bool) string {
	var b strings.Builder
	switch {
	case !esmtp && !lmtp:
		return "SMTP"
	case lmtp && utf8:
		b.WriteString("UTF8LMTP")
	case lmtp:
		b.WriteString("LMTP")
	case utf8:
		b.WriteString("UTF8SMTP")
	default:
		b.WriteString("ESMTP")
	}
	if tls {
		b.WriteByte('S')
	}
	if auth {
		b.WriteByte('A')
	}
	return b.String()
}

// appendReceived appends the Received field, folded over a few lines, to
// b. RFC 5321 4.4:
//
//	Received: from helo ([ip])
//		by host with ESMTPS id xxxx
//		for <rcpt>; date
//
// The "from" domain is the client's own claim; the address literal in the
// TCP-info is what we saw. Reverse DNS is not looked up: it would cost a
// query per message for a name nobody checks.
func appendReceived(b []byte, f *receivedFieldInfo) []byte {
	b = append(b, "Received: from "...)
	b = appendClean(b, f.helo, "unknown")
	if f.addr.IsValid() {
		b = append(b, " ("...)
		b = appendAddrLiteral(b, f.addr)
		b = append(b, ')')
	}
	b = append(b, "\r\n\tby "...)
	b = appendClean(b, f.by, "localhost")
	b = append(b, " (mailwright) with "...)
	b = append(b, f.protocol...)
	b = append(b, " id "...)
	b = append(b, f.id...)
	if f.rcpt != "" {
		b = append(b, "\r\n\tfor <"...)
		b = appendClean(b, f.rcpt, "")
		b = append(b, '>')
	}
	b = append(b, ";\r\n\t"...)
	b = f.date.AppendFormat(b, "Mon, 2 Jan 2006 15:04:05 -0700")
	return append(b, "\r\n"...)
}

// appendReturnPath appends the Return-Path field that final delivery adds
// (RFC 5321 4.4): the reverse-path, "<>" for the null sender.
func appendReturnPath(b []byte, from string) []byte {
	b = append(b, "Return-Path: <"...)
	b = appendClean(b, from, "")
	return append(b, ">\r\n"...)
}

// appendAddrLiteral appends an RFC 5321 address literal: [1.2.3.4] or
// [IPv6:...].
func appendAddrLiteral(b []byte, a netip.Addr) []byte {
	a = a.Unmap()
	b = append(b, '[')
	if a.Is6() {
		b = append(b, "IPv6:"...)
	}
	b = a.WithZone("").AppendTo(b)
	return append(b, ']')
}

// appendClean appends s with the characters that could break the header
// (control characters, and the brackets and separators around it) replaced
// by '_'. The server already refuses CR, LF and NUL in names and
// addresses; this keeps the field well-formed whatever a Conn reports.
func appendClean(b []byte, s, empty string) []byte {
	if s == "" {
		return append(b, empty...)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c == 0x7f || c == '<' || c == '>' || c == ';' || c == '(' || c == ')' {
			c = '_'
		}
		b = append(b, c)
	}
	return b
}

// remoteIP returns the IP address of a connection's peer, if it has one.
func remoteIP(a net.Addr) netip.Addr {
	switch a := a.(type) {
	case *net.TCPAddr:
		ip, _ := netip.AddrFromSlice(a.IP)
		return ip.Unmap()
	case nil:
		return netip.Addr{}
	}
	ap, err := netip.ParseAddrPort(a.String())
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}

// hopCounter passes a message through unchanged while counting the
// Received fields of its header; once there are more than max, Read fails
// with errTooManyHops. It looks at the header only: counting stops at the
// first empty line. A field name matches "Received" in any case, followed
// by optional white space (obsolete syntax, RFC 5322 4.5) and a colon, at
// the start of a line; continuation lines never match.
type hopCounter struct {
	r   io.Reader
	max int
	n   int // Received fields seen

	// Header scanner state.
	done  bool // past the header
	pos   int  // bytes of the current line seen, capped at len(receivedName)+1
	match bool // the current line still matches "received" WSP* ':'
	cr    bool // the current line is a lone CR so far (blank line CRLF)
}

const receivedName = "received"

func newHopCounter(r io.Reader, max int) *hopCounter {
	return &hopCounter{r: r, max: max, match: true}
}

func (h *hopCounter) Read(p []byte) (int, error) {
	n, err := h.r.Read(p)
	if !h.done {
		if h.scan(p[:n]) {
			return 0, errTooManyHops
		}
	}
	return n, err
}

// scan advances the header scanner over b and reports whether the limit
// was exceeded.
func (h *hopCounter) scan(b []byte) bool {
	for _, c := range b {
		if c == '\n' {
			if h.pos == 0 || (h.pos == 1 && h.cr) {
				h.done = true // the empty line that ends the header
				return false
			}
			h.pos, h.match, h.cr = 0, true, false
			continue
		}
		if h.pos == 0 && c == '\r' {
			h.cr = true
			h.pos = 1
			h.match = false
			continue
		}
		h.cr = false
		if !h.match {
			h.pos++
			continue
		}
		switch {
		case h.pos < len(receivedName):
			if c|0x20 != receivedName[h.pos] {
				h.match = false
			}
		case c == ':':
			h.match = false // counted: the rest of the line is the value
			h.n++
			if h.n > h.max {
				return true
			}
		case c != ' ' && c != '\t':
			h.match = false
		}
		if h.pos < len(receivedName) {
			h.pos++
		}
	}
	return false
}
