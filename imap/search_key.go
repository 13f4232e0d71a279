package imap

import (
	"bytes"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-message/charset"
)

// SearchOp is the kind of a search key.
type SearchOp uint8

// Search keys (RFC 9051 section 6.4.4, RFC 3501 section 6.4.4, RFC 7162
// section 3.1.5 for MODSEQ, RFC 5182 for "$").
const (
	SearchAnd SearchOp = iota + 1 // all Children match (a parenthesised list, or the whole program)
	SearchOr                      // OR: Children[0] or Children[1]
	SearchNot                     // NOT: Children[0] does not match
	SearchAll
	SearchAnswered
	SearchDeleted
	SearchDraft
	SearchFlagged
	SearchNew // RECENT UNSEEN
	SearchOld // NOT RECENT
	SearchRecent
	SearchSeen
	SearchUnanswered
	SearchUndeleted
	SearchUndraft
	SearchUnflagged
	SearchUnseen
	SearchKeyword   // Value: the keyword
	SearchUnkeyword // Value: the keyword
	SearchBcc       // Value: substring of the Bcc field
	SearchCc
	SearchFrom
	SearchTo
	SearchSubject
	SearchHeader // Field: the field name; Value: substring ("" matches any message with the field)
	SearchBody   // Value: substring of the decoded body
	SearchText   // Value: substring of the decoded header or body
	SearchBefore // Date: internal date before the day
	SearchOn
	SearchSince
	SearchSentBefore // Date: Date header's day before it
	SearchSentOn
	SearchSentSince
	SearchLarger  // Number: size greater than
	SearchSmaller // Number: size less than
	SearchSeqSet  // Set: message sequence numbers ("$": the saved result)
	SearchUID     // Set: UIDs
	SearchModSeq  // Number: mod-sequence at least (ModSeqEntry, ModSeqEntryType optional)
)

// SearchKey is a node of a search key tree.
type SearchKey struct {
	Op       SearchOp
	Children []SearchKey
	Field    string    // SearchHeader
	Value    string    // string keys (UTF-8) and keywords
	Date     time.Time // date keys: midnight UTC of the day
	Number   uint64    // LARGER, SMALLER, MODSEQ
	Set      SeqSet    // sequence sets and UID
	// ModSeqEntry and ModSeqEntryType are the optional metadata item of
	// MODSEQ ("/flags/\Seen", "priv" / "shared" / "all"); accepted and
	// kept, not used in matching (RFC 7162 section 3.1.5 lets the server
	// use the highest mod-sequence).
	ModSeqEntry, ModSeqEntryType string
}

type searchArg uint8

const (
	argNone searchArg = iota
	argString
	argDate
	argNumber
	argKeyword
	argHeader
	argSet
	argNot
	argOr
	argModSeq
)

type searchSpec struct {
	op  SearchOp
	arg searchArg
}

var searchKeys = map[string]searchSpec{
	"ALL": {SearchAll, argNone}, "ANSWERED": {SearchAnswered, argNone}, "DELETED": {SearchDeleted, argNone},
	"DRAFT": {SearchDraft, argNone}, "FLAGGED": {SearchFlagged, argNone}, "NEW": {SearchNew, argNone},
	"OLD": {SearchOld, argNone}, "RECENT": {SearchRecent, argNone}, "SEEN": {SearchSeen, argNone},
	"UNANSWERED": {SearchUnanswered, argNone}, "UNDELETED": {SearchUndeleted, argNone},
	"UNDRAFT": {SearchUndraft, argNone}, "UNFLAGGED": {SearchUnflagged, argNone}, "UNSEEN": {SearchUnseen, argNone},
	"KEYWORD": {SearchKeyword, argKeyword}, "UNKEYWORD": {SearchUnkeyword, argKeyword},
	"BCC": {SearchBcc, argString}, "CC": {SearchCc, argString}, "FROM": {SearchFrom, argString},
	"TO": {SearchTo, argString}, "SUBJECT": {SearchSubject, argString}, "BODY": {SearchBody, argString},
	"TEXT": {SearchText, argString}, "HEADER": {SearchHeader, argHeader},
	"BEFORE": {SearchBefore, argDate}, "ON": {SearchOn, argDate}, "SINCE": {SearchSince, argDate},
	"SENTBEFORE": {SearchSentBefore, argDate}, "SENTON": {SearchSentOn, argDate}, "SENTSINCE": {SearchSentSince, argDate},
	"LARGER": {SearchLarger, argNumber}, "SMALLER": {SearchSmaller, argNumber},
	"UID": {SearchUID, argSet}, "NOT": {SearchNot, argNot}, "OR": {SearchOr, argOr},
	"MODSEQ": {SearchModSeq, argModSeq},
}

var searchKeyNames = func() map[SearchOp]string {
	m := make(map[SearchOp]string, len(searchKeys))
	for name, s := range searchKeys {
		m[s.op] = name
	}
	return m
}()

// searchProgram reads search-key *(SP search-key) and converts its strings
// from charset to UTF-8.
func (p *Parser) searchProgram(cs string) (*SearchKey, error) {
	var keys []SearchKey
	for {
		k, err := p.searchKey(1)
		if err != nil {
			return nil, err
		}
		keys = append(keys, k)
		if !p.accept(' ') {
			break
		}
	}
	root := &SearchKey{Op: SearchAnd, Children: keys}
	if len(keys) == 1 {
		root = &keys[0]
	}
	if !isUTF8Charset(cs) {
		if err := root.convertStrings(cs); err != nil {
			return nil, &ParseError{Status: "NO", Code: "BADCHARSET (US-ASCII UTF-8)", Message: "Cannot convert search strings from " + cs, Err: err}
		}
	}
	return root, nil
}

func (p *Parser) searchKey(depth int) (SearchKey, error) {
	if depth > p.maxDepth() {
		return SearchKey{}, badf("Search keys nested too deeply")
	}
	p.keys++
	if p.keys > p.maxSearchKeys() {
		return SearchKey{}, &ParseError{Status: "BAD", Code: "LIMIT", Message: "Too many search keys"}
	}
	switch c := p.peek(); {
	case c == '(':
		p.pos++
		k := SearchKey{Op: SearchAnd}
		for first := true; !p.accept(')'); first = false {
			if !first {
				if err := p.sp(); err != nil {
					return k, err
				}
			}
			child, err := p.searchKey(depth + 1)
			if err != nil {
				return k, err
			}
			k.Children = append(k.Children, child)
		}
		if len(k.Children) == 0 {
			return k, badf("Empty search key list")
		}
		return k, nil
	case c >= '0' && c <= '9' || c == '*' || c == '$':
		set, err := p.seqSet()
		return SearchKey{Op: SearchSeqSet, Set: set}, err
	}
	kw := p.keyword()
	spec, ok := searchKeys[string(kw)]
	if !ok {
		if len(kw) == 0 {
			return SearchKey{}, badf("Expected a search key")
		}
		return SearchKey{}, badf("Unknown search key " + string(kw))
	}
	k := SearchKey{Op: spec.op}
	if spec.arg == argNone {
		return k, nil
	}
	if err := p.sp(); err != nil {
		return k, err
	}
	var err error
	switch spec.arg {
	case argString:
		var s []byte
		if s, err = p.astring(); err == nil {
			k.Value = string(s)
		}
	case argDate:
		k.Date, err = p.searchDate()
	case argNumber:
		k.Number, err = p.number64()
	case argKeyword:
		a := p.atom()
		if len(a) == 0 {
			return k, badf("Expected a keyword")
		}
		k.Value = string(a)
	case argHeader:
		var f []byte
		if f, err = p.astring(); err != nil {
			return k, err
		}
		if !validFieldName(f) {
			return k, badf("Invalid header field name")
		}
		k.Field = string(f)
		if err = p.sp(); err != nil {
			return k, err
		}
		var s []byte
		if s, err = p.astring(); err == nil {
			k.Value = string(s)
		}
	case argSet:
		k.Set, err = p.seqSet()
	case argNot:
		var c SearchKey
		if c, err = p.searchKey(depth + 1); err == nil {
			k.Children = []SearchKey{c}
		}
	case argOr:
		var a, b SearchKey
		if a, err = p.searchKey(depth + 1); err != nil {
			return k, err
		}
		if err = p.sp(); err != nil {
			return k, err
		}
		if b, err = p.searchKey(depth + 1); err == nil {
			k.Children = []SearchKey{a, b}
		}
	case argModSeq:
		// RFC 7162 section 7: "MODSEQ" [SP entry-name SP entry-type-req] SP mod-sequence-valzer
		if p.peek() == '"' {
			var name []byte
			if name, err = p.quoted(); err != nil {
				return k, err
			}
			if !bytes.HasPrefix(name, []byte("/flags/")) || len(name) == len("/flags/") {
				return k, badf("Invalid MODSEQ entry name")
			}
			k.ModSeqEntry = string(name)
			if err = p.sp(); err != nil {
				return k, err
			}
			switch t := strings.ToLower(string(p.atom())); t {
			case "priv", "shared", "all":
				k.ModSeqEntryType = t
			default:
				return k, badf("Invalid MODSEQ entry type")
			}
			if err = p.sp(); err != nil {
				return k, err
			}
		}
		k.Number, err = p.number64()
	}
	return k, err
}

// knownCharset reports whether search strings can be converted from cs.
func knownCharset(cs string) bool {
	if isUTF8Charset(cs) {
		return true
	}
	_, err := charset.Reader(cs, strings.NewReader(""))
	return err == nil
}

func (k *SearchKey) convertStrings(cs string) error {
	switch k.Op {
	case SearchBcc, SearchCc, SearchFrom, SearchTo, SearchSubject, SearchBody, SearchText, SearchHeader:
		r, err := charset.Reader(cs, strings.NewReader(k.Value))
		if err != nil {
			return err
		}
		b, err := io.ReadAll(r)
		if err != nil {
			return err
		}
		k.Value = string(b)
	}
	for i := range k.Children {
		if err := k.Children[i].convertStrings(cs); err != nil {
			return err
		}
	}
	return nil
}

// String returns the key in IMAP search syntax, so that it can be logged
// or sent to another server. A top-level AND of several keys is written
// as a list of keys without parentheses.
func (k *SearchKey) String() string {
	var b []byte
	if k.Op == SearchAnd && len(k.Children) > 1 {
		for i := range k.Children {
			if i > 0 {
				b = append(b, ' ')
			}
			b = k.Children[i].appendTo(b, 0)
		}
		return string(b)
	}
	return string(k.appendTo(b, 0))
}

func (k *SearchKey) appendTo(b []byte, depth int) []byte {
	if depth > 1000 {
		return append(b, "ALL"...)
	}
	switch k.Op {
	case SearchAnd:
		b = append(b, '(')
		for i := range k.Children {
			if i > 0 {
				b = append(b, ' ')
			}
			b = k.Children[i].appendTo(b, depth+1)
		}
		return append(b, ')')
	case SearchSeqSet:
		return k.Set.AppendTo(b)
	}
	b = append(b, searchKeyNames[k.Op]...)
	switch k.Op {
	case SearchNot:
		if len(k.Children) == 1 {
			b = append(b, ' ')
			b = k.Children[0].appendTo(b, depth+1)
		}
	case SearchOr:
		for i := 0; i < len(k.Children) && i < 2; i++ {
			b = append(b, ' ')
			b = k.Children[i].appendTo(b, depth+1)
		}
	case SearchKeyword, SearchUnkeyword:
		b = append(b, ' ')
		b = append(b, k.Value...)
	case SearchBcc, SearchCc, SearchFrom, SearchTo, SearchSubject, SearchBody, SearchText:
		b = append(b, ' ')
		b = appendSearchString(b, k.Value)
	case SearchHeader:
		b = append(b, ' ')
		b = appendSearchString(b, k.Field)
		b = append(b, ' ')
		b = appendSearchString(b, k.Value)
	case SearchBefore, SearchOn, SearchSince, SearchSentBefore, SearchSentOn, SearchSentSince:
		y, m, d := k.Date.Date()
		b = append(b, ' ')
		b = strconv.AppendInt(b, int64(d), 10)
		b = append(b, '-')
		b = append(b, monthNames[m-1]...)
		b = append(b, '-')
		b = append2(b, y/100%100)
		b = append2(b, y%100)
	case SearchLarger, SearchSmaller:
		b = append(b, ' ')
		b = strconv.AppendUint(b, k.Number, 10)
	case SearchUID:
		b = append(b, ' ')
		b = k.Set.AppendTo(b)
	case SearchModSeq:
		if k.ModSeqEntry != "" {
			b = append(b, ' ')
			b = appendSearchString(b, k.ModSeqEntry)
			b = append(b, ' ')
			b = append(b, k.ModSeqEntryType...)
		}
		b = append(b, ' ')
		b = strconv.AppendUint(b, k.Number, 10)
	}
	return b
}

// appendSearchString writes s as an atom, a quoted string or a literal.
func appendSearchString(b []byte, s string) []byte {
	if isAStringAtom(s) && !equalFoldASCII(s, "NIL") {
		return append(b, s...)
	}
	if quotable(s, true) == quoteOK {
		b = append(b, '"')
		for i := 0; i < len(s); i++ {
			if s[i] == '"' || s[i] == '\\' {
				b = append(b, '\\')
			}
			b = append(b, s[i])
		}
		return append(b, '"')
	}
	b = append(b, '{')
	b = strconv.AppendInt(b, int64(len(s)), 10)
	b = append(b, "}\r\n"...)
	return append(b, s...)
}
