package imap

import (
	"bytes"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-message/charset"
)

// searchOp is the kind of a search key.
type searchOp uint8

// Search keys (RFC 9051 6.4.4, RFC 3501 6.4.4, RFC 7162
// 3.1.5 for MODSEQ, RFC 5182 for "$").
const (
	searchAnd searchOp = iota + 1 // all Children match (a parenthesised list, or the whole program)
	searchOr                      // OR: Children[0] or Children[1]
	searchNot                     // NOT: Children[0] does not match
	searchAll
	searchAnswered
	searchDeleted
	searchDraft
	searchFlagged
	searchNew // RECENT UNSEEN
	searchOld // NOT RECENT
	searchRecent
	searchSeen
	searchUnanswered
	searchUndeleted
	searchUndraft
	searchUnflagged
	searchUnseen
	searchKeyword   // Value: the keyword
	searchUnkeyword // Value: the keyword
	searchBcc       // Value: substring of the Bcc field
	searchCc
	searchFrom
	searchTo
	searchSubject
	searchHeader // Field: the field name; Value: substring ("" matches any message with the field)
	searchBody   // Value: substring of the decoded body
	searchText   // Value: substring of the decoded header or body
	searchBefore // Date: internal date before the day
	searchOn
	searchSince
	searchSentBefore // Date: Date header's day before it
	searchSentOn
	searchSentSince
	searchLarger  // Number: size greater than
	searchSmaller // Number: size less than
	searchSeqSet  // Set: message sequence numbers ("$": the saved result)
	searchUID     // Set: UIDs
	searchModSeq  // Number: mod-sequence at least (ModSeqEntry, ModSeqEntryType optional)
)

// searchKey is a node of a search key tree.
type searchKey struct {
	Op       searchOp
	Children []searchKey
	Field    string    // SearchHeader
	Value    string    // string keys (UTF-8) and keywords
	Date     time.Time // date keys: midnight UTC of the day
	Number   uint64    // LARGER, SMALLER, MODSEQ
	Set      SeqSet    // sequence sets and UID
	// ModSeqEntry and ModSeqEntryType are the optional metadata item of
	// MODSEQ ("/flags/\Seen", "priv" / "shared" / "all"); accepted and
	// kept, not used in matching (RFC 7162 3.1.5 lets the server
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
	op  searchOp
	arg searchArg
}

var searchKeys = map[string]searchSpec{
	"ALL": {searchAll, argNone}, "ANSWERED": {searchAnswered, argNone}, "DELETED": {searchDeleted, argNone},
	"DRAFT": {searchDraft, argNone}, "FLAGGED": {searchFlagged, argNone}, "NEW": {searchNew, argNone},
	"OLD": {searchOld, argNone}, "RECENT": {searchRecent, argNone}, "SEEN": {searchSeen, argNone},
	"UNANSWERED": {searchUnanswered, argNone}, "UNDELETED": {searchUndeleted, argNone},
	"UNDRAFT": {searchUndraft, argNone}, "UNFLAGGED": {searchUnflagged, argNone}, "UNSEEN": {searchUnseen, argNone},
	"KEYWORD": {searchKeyword, argKeyword}, "UNKEYWORD": {searchUnkeyword, argKeyword},
	"BCC": {searchBcc, argString}, "CC": {searchCc, argString}, "FROM": {searchFrom, argString},
	"TO": {searchTo, argString}, "SUBJECT": {searchSubject, argString}, "BODY": {searchBody, argString},
	"TEXT": {searchText, argString}, "HEADER": {searchHeader, argHeader},
	"BEFORE": {searchBefore, argDate}, "ON": {searchOn, argDate}, "SINCE": {searchSince, argDate},
	"SENTBEFORE": {searchSentBefore, argDate}, "SENTON": {searchSentOn, argDate}, "SENTSINCE": {searchSentSince, argDate},
	"LARGER": {searchLarger, argNumber}, "SMALLER": {searchSmaller, argNumber},
	"UID": {searchUID, argSet}, "NOT": {searchNot, argNot}, "OR": {searchOr, argOr},
	"MODSEQ": {searchModSeq, argModSeq},
}

var searchKeyNames = func() map[searchOp]string {
	m := make(map[searchOp]string, len(searchKeys))
	for name, s := range searchKeys {
		m[s.op] = name
	}
	return m
}()

// searchProgram reads search-key *(SP search-key) and converts its strings
// from charset to UTF-8.
func (p *parser) searchProgram(cs string) (*searchKey, error) {
	var keys []searchKey
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
	root := &searchKey{Op: searchAnd, Children: keys}
	if len(keys) == 1 {
		root = &keys[0]
	}
	if !isUTF8Charset(cs) {
		if err := root.convertStrings(cs); err != nil {
			return nil, &commandError{Status: "NO", Code: "BADCHARSET (US-ASCII UTF-8)", Message: "Cannot convert search strings from " + cs, Err: err}
		}
	}
	return root, nil
}

func (p *parser) searchKey(depth int) (searchKey, error) {
	if depth > p.maxDepth() {
		return searchKey{}, badf("Search keys nested too deeply")
	}
	p.keys++
	if p.keys > p.maxSearchKeys() {
		return searchKey{}, &commandError{Status: "BAD", Code: "LIMIT", Message: "Too many search keys"}
	}
	switch c := p.peek(); {
	case c == '(':
		p.pos++
		k := searchKey{Op: searchAnd}
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
		return searchKey{Op: searchSeqSet, Set: set}, err
	}
	kw := p.keyword()
	spec, ok := searchKeys[string(kw)]
	if !ok {
		if len(kw) == 0 {
			return searchKey{}, badf("Expected a search key")
		}
		return searchKey{}, badf("Unknown search key " + string(kw))
	}
	k := searchKey{Op: spec.op}
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
		var c searchKey
		if c, err = p.searchKey(depth + 1); err == nil {
			k.Children = []searchKey{c}
		}
	case argOr:
		var a, b searchKey
		if a, err = p.searchKey(depth + 1); err != nil {
			return k, err
		}
		if err = p.sp(); err != nil {
			return k, err
		}
		if b, err = p.searchKey(depth + 1); err == nil {
			k.Children = []searchKey{a, b}
		}
	case argModSeq:
		// RFC 7162 7: "MODSEQ" [SP entry-name SP entry-type-req] SP mod-sequence-valzer
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

func (k *searchKey) convertStrings(cs string) error {
	switch k.Op {
	case searchBcc, searchCc, searchFrom, searchTo, searchSubject, searchBody, searchText, searchHeader:
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
func (k *searchKey) String() string {
	var b []byte
	if k.Op == searchAnd && len(k.Children) > 1 {
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

func (k *searchKey) appendTo(b []byte, depth int) []byte {
	if depth > 1000 {
		return append(b, "ALL"...)
	}
	switch k.Op {
	case searchAnd:
		b = append(b, '(')
		for i := range k.Children {
			if i > 0 {
				b = append(b, ' ')
			}
			b = k.Children[i].appendTo(b, depth+1)
		}
		return append(b, ')')
	case searchSeqSet:
		return k.Set.appendTo(b)
	}
	b = append(b, searchKeyNames[k.Op]...)
	switch k.Op {
	case searchNot:
		if len(k.Children) == 1 {
			b = append(b, ' ')
			b = k.Children[0].appendTo(b, depth+1)
		}
	case searchOr:
		for i := 0; i < len(k.Children) && i < 2; i++ {
			b = append(b, ' ')
			b = k.Children[i].appendTo(b, depth+1)
		}
	case searchKeyword, searchUnkeyword:
		b = append(b, ' ')
		b = append(b, k.Value...)
	case searchBcc, searchCc, searchFrom, searchTo, searchSubject, searchBody, searchText:
		b = append(b, ' ')
		b = appendSearchString(b, k.Value)
	case searchHeader:
		b = append(b, ' ')
		b = appendSearchString(b, k.Field)
		b = append(b, ' ')
		b = appendSearchString(b, k.Value)
	case searchBefore, searchOn, searchSince, searchSentBefore, searchSentOn, searchSentSince:
		y, m, d := k.Date.Date()
		b = append(b, ' ')
		b = strconv.AppendInt(b, int64(d), 10)
		b = append(b, '-')
		b = append(b, monthNames[m-1]...)
		b = append(b, '-')
		b = append2(b, y/100%100)
		b = append2(b, y%100)
	case searchLarger, searchSmaller:
		b = append(b, ' ')
		b = strconv.AppendUint(b, k.Number, 10)
	case searchUID:
		b = append(b, ' ')
		b = k.Set.appendTo(b)
	case searchModSeq:
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
