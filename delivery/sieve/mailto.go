package sieve

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// MailtoURI is a parsed mailto: notification method (RFC 5436,
// RFC 6068).
type MailtoURI struct {
	To, Cc  []string // addr-specs
	Subject string
	Body    string
	// Headers are the other header fields the URI sets, minus the ones
	// RFC 5436 2.5 reserves for the notifier.
	Headers []Field
}

// reservedMailtoHeaders may not be set by a mailto URI (RFC 5436 2.5,
// as Pigeonhole's list); they are dropped.
var reservedMailtoHeaders = []string{"auto-submitted", "received", "message-id", "data", "bcc",
	"in-reply-to", "references", "resent-date", "resent-from", "resent-sender", "resent-to",
	"resent-cc", "resent-bcc", "resent-msg-id", "from", "sender"}

// ParseMailto parses a mailto: URI as RFC 5436 2 reads RFC 6068, and
// as Pigeonhole does: recipients before "?", separated by "%2C";
// hfields after, where "to" and "cc" add recipients and "subject" and
// "body" are kept apart. Every character outside the %-escapes must be
// a qchar.
func ParseMailto(uri string) (*MailtoURI, error) {
	rest, ok := cutPrefixFold(uri, "mailto:")
	if !ok {
		return nil, errors.New("not a mailto: URI")
	}
	m := &MailtoURI{}
	to, query, hasQuery := strings.Cut(rest, "?")
	if to != "" {
		var cur []byte
		for i := 0; i < len(to); i++ {
			c := to[i]
			if c == '%' {
				v, ok := pctByte(to, i)
				if !ok {
					return nil, errors.New("invalid % encoding")
				}
				i += 2
				if v == ',' {
					if err := m.addRecipient(string(cur), false); err != nil {
						return nil, err
					}
					cur = cur[:0]
					continue
				}
				cur = append(cur, v)
				continue
			}
			if !isQchar(c) || c == ':' || c == ';' || c == ',' {
				return nil, fmt.Errorf("invalid character %q in the recipients", c)
			}
			cur = append(cur, c)
		}
		if err := m.addRecipient(string(cur), false); err != nil {
			return nil, err
		}
	}
	if !hasQuery {
		return m, nil
	}
	for _, hf := range strings.Split(query, "&") {
		if hf == "" {
			continue
		}
		rawName, rawValue, _ := strings.Cut(hf, "=")
		name, err := unescapeQchars(rawName)
		if err != nil || !validFieldName(name) {
			return nil, fmt.Errorf("invalid header field name %q", rawName)
		}
		value, err := unescapeQchars(rawValue)
		if err != nil {
			return nil, err
		}
		lname := strings.ToLower(name)
		if lname != "body" && strings.ContainsFunc(value, func(r rune) bool { return r < 0x20 && r != '\t' || r >= 0x80 }) {
			return nil, fmt.Errorf("invalid value of header field %q", name)
		}
		switch {
		case lname == "to", lname == "cc":
			for _, a := range strings.Split(value, ",") {
				if err := m.addRecipient(a, lname == "cc"); err != nil {
					return nil, err
				}
			}
		case lname == "subject":
			if m.Subject == "" {
				m.Subject = value
			}
		case lname == "body":
			if m.Body == "" {
				m.Body = value
			}
		case slices.Contains(reservedMailtoHeaders, lname):
		default:
			m.Headers = append(m.Headers, Field{Name: name, Value: value})
		}
	}
	return m, nil
}

// isQchar is RFC 6068's qchar without pct-encoded: unreserved and
// some-delims.
func isQchar(c byte) bool {
	return isAlpha(int(c)) || isDigit(int(c)) || strings.IndexByte("-._~!$'()*+,;:@", c) >= 0
}

func pctByte(s string, i int) (byte, bool) {
	if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
		return 0, false
	}
	return byte(hexValue(s[i+1 : i+3])), true
}

// unescapeQchars decodes the %-escapes of an hfield name or value,
// whose other characters must be qchars (or '=' in a value).
func unescapeQchars(s string) (string, error) {
	var b []byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '%':
			v, ok := pctByte(s, i)
			if !ok {
				return "", errors.New("invalid % encoding")
			}
			b = append(b, v)
			i += 2
		case isQchar(c) || c == '=':
			b = append(b, c)
		default:
			return "", fmt.Errorf("invalid character %q in an hfield", c)
		}
	}
	return string(b), nil
}

func (m *MailtoURI) addRecipient(a string, cc bool) error {
	addr, ok := parseRedirectAddress(a)
	if !ok {
		return fmt.Errorf("invalid recipient %q", a)
	}
	if cc {
		m.Cc = append(m.Cc, addr)
	} else {
		m.To = append(m.To, addr)
	}
	return nil
}

// validNotifyOption checks a notify :options item, "name=value"
// (RFC 5435 3.7).
func validNotifyOption(o string) bool {
	name, value, ok := strings.Cut(o, "=")
	if !ok || name == "" || !isAlpha(int(name[0])) && !isDigit(int(name[0])) {
		return false
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; !isAlpha(int(c)) && !isDigit(int(c)) && c != '-' && c != '.' {
			return false
		}
	}
	return !strings.ContainsAny(value, "\r\n")
}
