package msgauth

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// Tag is one tag=value pair of a DKIM tag list.
type Tag struct {
	Name, Value string
}

// Tags is a parsed tag list, in the order written.
type Tags []Tag

// ErrTagList is wrapped by every tag-list syntax error.
var ErrTagList = errors.New("malformed tag list")

// ParseTags parses an RFC 6376 3.2 tag list. Whitespace around names and
// values is dropped; whitespace inside a value (folding) is kept for the
// caller, who knows whether the value is base64 (RemoveFWS) or a list.
// Duplicate names make the whole list invalid (RFC 6376 3.2). An empty
// spec between two semicolons is tolerated, as published records have them.
func ParseTags(s string) (Tags, error) {
	var tags Tags
	for spec := range strings.SplitSeq(s, ";") {
		if strings.Trim(spec, " \t\r\n") == "" {
			continue
		}
		name, value, ok := strings.Cut(spec, "=")
		if !ok {
			return nil, fmt.Errorf("%w: %q has no '='", ErrTagList, clip(spec))
		}
		name = strings.Trim(name, " \t\r\n")
		value = strings.Trim(value, " \t\r\n")
		if !isTagName(name) {
			return nil, fmt.Errorf("%w: bad tag name %q", ErrTagList, clip(name))
		}
		if err := checkTagValue(value); err != nil {
			return nil, fmt.Errorf("%w: tag %s: %v", ErrTagList, name, err)
		}
		if _, dup := tags.Get(name); dup {
			return nil, fmt.Errorf("%w: tag %s appears twice", ErrTagList, name)
		}
		tags = append(tags, Tag{name, value})
	}
	return tags, nil
}

// Get returns the value of the tag named name (tag names are case
// sensitive, RFC 6376 3.2).
func (t Tags) Get(name string) (string, bool) {
	for _, tag := range t {
		if tag.Name == name {
			return tag.Value, true
		}
	}
	return "", false
}

// tag-name = ALPHA *ALNUMPUNC
func isTagName(s string) bool {
	if s == "" || !isAlpha(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; !isAlpha(c) && !isDigit(c) && c != '_' {
			return false
		}
	}
	return true
}

// checkTagValue allows VALCHAR (%x21-3A / %x3C-7E, plus UTF-8 as RFC 8616
// permits) and folding whitespace between them.
func checkTagValue(v string) error {
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c == ' ' || c == '\t':
		case c == '\r':
			if i+2 >= len(v) || v[i+1] != '\n' || (v[i+2] != ' ' && v[i+2] != '\t') {
				return errors.New("CR not part of folding")
			}
			i++
		case c == '\n':
			// A bare LF fold, from a message with Unix line endings.
			if i+1 >= len(v) || (v[i+1] != ' ' && v[i+1] != '\t') {
				return errors.New("LF not part of folding")
			}
		case c < 0x21 || c == 0x7f:
			return fmt.Errorf("control character %#x", c)
		}
	}
	return nil
}

func isAlpha(c byte) bool { return 'a' <= c|0x20 && c|0x20 <= 'z' }
func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// RemoveFWS removes all whitespace: base64 values may be folded anywhere
// (RFC 6376 3.5 b=, bh=; 3.6.1 p=).
func RemoveFWS(s string) string {
	if !strings.ContainsAny(s, " \t\r\n") {
		return s
	}
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '\t' || r == '\r' || r == '\n' {
			return -1
		}
		return r
	}, s)
}

// DecodeBase64 decodes a folded base64 value.
func DecodeBase64(s string) ([]byte, error) {
	return base64.StdEncoding.DecodeString(RemoveFWS(s))
}

// SplitList splits a colon-separated list (h=, q=, s=, k= lists) and
// trims the folding around each element.
func SplitList(s string, sep string) []string {
	parts := strings.Split(s, sep)
	for i, p := range parts {
		parts[i] = strings.Trim(p, " \t\r\n")
	}
	return parts
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}
