package main

import (
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Bounds of a search query: it comes from a URL.
const (
	maxQueryBytes = 1000
	maxQueryTerms = 32
)

// A query is a search of the message list, as typed in the search box:
// words separated by spaces, each matched case-insensitively as a
// substring, all of which must match. A word may be "quoted text" (spaces
// and all), may start with - to exclude what it matches, and may name
// what it searches with a prefix:
//
//	from:   the envelope sender and the From field
//	to:     the envelope recipients and the To and Cc fields
//	subject: the subject
//	body:   the text of the message (reads every candidate: slower)
//	has:attachment
//	is:read, is:unread
//
// A word without a known prefix searches the sender, the recipients and
// the subject; so does a word with an unknown prefix, whole ("http://x").
type query struct {
	terms []term
}

// term is one word of a query.
type term struct {
	field  string // "" (any), "from", "to", "subject", "body", "has" or "is"
	value  string // in lower case; for has and is, one of flagValues
	negate bool
}

// flagValues are the values that the prefixes has: and is: accept.
var flagValues = map[string][]string{
	"has": {"attachment"},
	"is":  {"read", "unread"},
}

// textFields are the prefixes that take any text.
var textFields = []string{"from", "to", "subject", "body"}

var (
	errQueryTooLong  = errors.New("search too long (at most " + strconv.Itoa(maxQueryBytes) + " bytes and " + strconv.Itoa(maxQueryTerms) + " words)")
	errQueryQuote    = errors.New(`search has a quote " that does not end`)
	errQueryNotUTF8  = errors.New("search is not valid UTF-8")
	errQueryBadValue = errors.New("search: has: takes attachment, is: takes read or unread")
)

// parseQuery parses a search as typed in the search box.
func parseQuery(s string) (query, error) {
	var q query
	if len(s) > maxQueryBytes {
		return q, errQueryTooLong
	}
	if !utf8.ValidString(s) {
		return q, errQueryNotUTF8
	}
	for {
		s = strings.TrimLeft(s, " \t")
		if s == "" {
			return q, nil
		}
		var t term
		var err error
		if t, s, err = parseTerm(s); err != nil {
			return query{}, err
		}
		if t.value == "" {
			continue // "" or a lone "-": nothing to match
		}
		if len(q.terms) == maxQueryTerms {
			return query{}, errQueryTooLong
		}
		q.terms = append(q.terms, t)
	}
}

// parseTerm parses the word at the start of s (not blank) and returns the
// rest of s.
func parseTerm(s string) (term, string, error) {
	var t term
	if s[0] == '-' {
		t.negate = true
		s = s[1:]
	}
	if name, rest, ok := strings.Cut(s, ":"); ok && knownField(name) && !strings.ContainsAny(name, " \t\"") {
		t.field, s = strings.ToLower(name), rest
	}
	var word string
	if strings.HasPrefix(s, `"`) {
		end := strings.IndexByte(s[1:], '"')
		if end < 0 {
			return t, "", errQueryQuote
		}
		word, s = s[1:1+end], s[2+end:]
	} else {
		end := strings.IndexAny(s, " \t")
		if end < 0 {
			end = len(s)
		}
		word, s = s[:end], s[end:]
	}
	t.value = strings.ToLower(word)
	if allowed, ok := flagValues[t.field]; ok {
		t.value = strings.TrimSuffix(t.value, "s") // has:attachments
		if !contains(allowed, t.value) {
			return t, "", errQueryBadValue
		}
	}
	return t, s, nil
}

func knownField(name string) bool {
	name = strings.ToLower(name)
	_, flag := flagValues[name]
	return flag || contains(textFields, name)
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// String returns the query in the form parseQuery reads, each word quoted
// when it needs to be: parseQuery(q.String()) is q.
func (q query) String() string {
	var b strings.Builder
	for i, t := range q.terms {
		if i > 0 {
			b.WriteByte(' ')
		}
		if t.negate {
			b.WriteByte('-')
		}
		if t.field != "" {
			b.WriteString(t.field + ":")
		}
		if needsQuotes(t) {
			b.WriteString(`"` + t.value + `"`)
		} else {
			b.WriteString(t.value)
		}
	}
	return b.String()
}

// needsQuotes reports whether a word must be quoted to read back as t: a
// word with blanks, and a word without prefix that would read as negated
// or prefixed. (Such a value never holds a quote: parseTerm ends a quoted
// value at a quote, an unquoted one at a blank, and reads an unquoted one
// like these as negated or prefixed.)
func needsQuotes(t term) bool {
	if strings.ContainsAny(t.value, " \t") {
		return true
	}
	if t.field != "" {
		return false
	}
	name, _, prefixed := strings.Cut(t.value, ":")
	return t.value[0] == '-' && !t.negate || prefixed && knownField(name)
}

// empty reports whether the query matches every message.
func (q query) empty() bool { return len(q.terms) == 0 }

// needsBody reports whether the query searches the text of messages.
func (q query) needsBody() bool {
	for _, t := range q.terms {
		if t.field == "body" {
			return true
		}
	}
	return false
}

// matches reports whether the message e matches; body returns its text in
// lower case, and is called only for a body: word.
func (q query) matches(e *entry, seen bool, body func() string) bool {
	for _, t := range q.terms {
		if t.match(e, seen, body) == t.negate {
			return false
		}
	}
	return true
}

func (t term) match(e *entry, seen bool, body func() string) bool {
	switch t.field {
	case "from":
		return strings.Contains(e.from, t.value)
	case "to":
		return strings.Contains(e.to, t.value)
	case "subject":
		return strings.Contains(e.subject, t.value)
	case "body":
		return strings.Contains(body(), t.value)
	case "has":
		return e.Attachments > 0
	case "is":
		return seen == (t.value == "read")
	}
	return strings.Contains(e.from, t.value) || strings.Contains(e.to, t.value) || strings.Contains(e.subject, t.value)
}
