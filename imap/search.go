package imap

import (
	"bytes"
	"errors"
	"io"
	"net/mail"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

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

// ---- evaluation ----

// MessageView is what SEARCH needs to know about one message. The header
// and body text are asked for only when a key needs them, so a search on
// flags never reads a message. *Message provides Size, Header and
// BodyText for a raw message; a backend's view can embed it and add the
// metadata.
type MessageView interface {
	SeqNum() uint32
	UID() uint32
	Flags() []string
	InternalDate() time.Time
	Size() int64
	ModSeq() uint64
	// Header returns the top-level header.
	Header() (*Header, error)
	// BodyText calls fn with the decoded text of the body, in pieces
	// (see Message.BodyText); it stops when fn returns an error and
	// returns that error.
	BodyText(fn func([]byte) error) error
}

// Matcher evaluates a search key against messages. Set the fields that
// describe the mailbox before calling Match. It compiles the key on first
// use (folding the strings to search for once) and keeps scratch space
// between messages, so it is not safe for concurrent use.
type Matcher struct {
	Key *SearchKey
	// MaxSeq and MaxUID give "*" its value in sequence and UID sets: the
	// number of messages and the largest UID.
	MaxSeq, MaxUID uint32
	// Saved is the UID set saved by SEARCH RETURN (SAVE), which "$"
	// refers to (RFC 5182).
	Saved SeqSet
	// Location is the server's time zone, in which internal dates are
	// compared with BEFORE, ON and SINCE; nil means time.Local.
	Location *time.Location

	root    *node
	body    [][]byte // folded needles searched in the body (BODY and TEXT)
	scratch []byte
	ts      *textScanner
}

// node is a compiled search key.
type node struct {
	key      *SearchKey
	children []*node
	needle   []byte // folded Value, for string keys
	bodyIdx  int    // index in Matcher.body for BODY and TEXT
	cost     int    // 0: metadata, 1: header, 2: body
}

// NewMatcher returns a Matcher for key.
func NewMatcher(key *SearchKey) *Matcher { return &Matcher{Key: key} }

// Match reports whether msg matches key. Without the mailbox's data, "*"
// is taken as larger than any number (so "5:*" means 5 and above, and a
// lone "*" matches nothing) and "$" as empty; read errors count as no
// match. Use a Matcher for exact results and errors.
func Match(msg MessageView, key *SearchKey) bool {
	m := &Matcher{Key: key, MaxSeq: 0xffffffff, MaxUID: 0xffffffff}
	ok, _ := m.Match(msg)
	return ok
}

// Match reports whether msg matches the key. An error comes from reading
// the message.
func (m *Matcher) Match(msg MessageView) (bool, error) {
	if m.root == nil {
		if m.Key == nil {
			return true, nil
		}
		m.root = m.compile(m.Key, 0)
	}
	ev := evaluation{m: m, msg: msg}
	ok := ev.eval(m.root)
	return ok, ev.err
}

// maxEvalDepth guards evaluation against key trees built by hand deeper
// than any the parser would accept; deeper keys do not match.
const maxEvalDepth = 1000

func (m *Matcher) compile(k *SearchKey, depth int) *node {
	n := &node{key: k, bodyIdx: -1}
	if depth > maxEvalDepth {
		return n
	}
	switch k.Op {
	case SearchBcc, SearchCc, SearchFrom, SearchTo, SearchSubject, SearchHeader, SearchText, SearchBody:
		n.needle = appendFold(nil, []byte(k.Value))
		n.cost = 1
		if k.Op == SearchText || k.Op == SearchBody {
			n.bodyIdx = len(m.body)
			m.body = append(m.body, n.needle)
			n.cost = 2
		}
	case SearchSentBefore, SearchSentOn, SearchSentSince:
		n.cost = 1
	}
	for i := range k.Children {
		c := m.compile(&k.Children[i], depth+1)
		n.children = append(n.children, c)
		n.cost = max(n.cost, c.cost)
	}
	if k.Op == SearchAnd || k.Op == SearchOr {
		// AND and OR are commutative: try the cheap keys first, so that a
		// flag test can spare reading the message.
		slices.SortStableFunc(n.children, func(a, b *node) int { return a.cost - b.cost })
	}
	return n
}

// evaluation is the state of matching one message: what has been read of
// it so far.
type evaluation struct {
	m   *Matcher
	msg MessageView
	err error

	hdr       *Header
	hdrLoaded bool

	scanned bool
	found   []bool // per Matcher.body needle
}

func (ev *evaluation) header() *Header {
	if !ev.hdrLoaded {
		ev.hdrLoaded = true
		h, err := ev.msg.Header()
		if err != nil && ev.err == nil {
			ev.err = err
		}
		ev.hdr = h
	}
	return ev.hdr
}

func hasFlag(flags []string, f string) bool {
	for _, x := range flags {
		if equalFoldASCII(x, f) {
			return true
		}
	}
	return false
}

func sameDay(a, b time.Time) int {
	ay, am, ad := a.Date()
	by, bm, bd := b.Date()
	switch {
	case ay != by:
		return cmpInt(ay, by)
	case am != bm:
		return cmpInt(int(am), int(bm))
	}
	return cmpInt(ad, bd)
}

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (ev *evaluation) eval(n *node) bool {
	if ev.err != nil {
		return false
	}
	k := n.key
	switch k.Op {
	case SearchAnd:
		for _, c := range n.children {
			if !ev.eval(c) {
				return false
			}
		}
		return true
	case SearchOr:
		for _, c := range n.children {
			if ev.eval(c) {
				return true
			}
		}
		return false
	case SearchNot:
		return len(n.children) == 1 && !ev.eval(n.children[0])
	case SearchAll:
		return true
	case SearchAnswered:
		return hasFlag(ev.msg.Flags(), FlagAnswered)
	case SearchDeleted:
		return hasFlag(ev.msg.Flags(), FlagDeleted)
	case SearchDraft:
		return hasFlag(ev.msg.Flags(), FlagDraft)
	case SearchFlagged:
		return hasFlag(ev.msg.Flags(), FlagFlagged)
	case SearchRecent:
		return hasFlag(ev.msg.Flags(), FlagRecent)
	case SearchSeen:
		return hasFlag(ev.msg.Flags(), FlagSeen)
	case SearchNew:
		f := ev.msg.Flags()
		return hasFlag(f, FlagRecent) && !hasFlag(f, FlagSeen)
	case SearchOld:
		return !hasFlag(ev.msg.Flags(), FlagRecent)
	case SearchUnanswered:
		return !hasFlag(ev.msg.Flags(), FlagAnswered)
	case SearchUndeleted:
		return !hasFlag(ev.msg.Flags(), FlagDeleted)
	case SearchUndraft:
		return !hasFlag(ev.msg.Flags(), FlagDraft)
	case SearchUnflagged:
		return !hasFlag(ev.msg.Flags(), FlagFlagged)
	case SearchUnseen:
		return !hasFlag(ev.msg.Flags(), FlagSeen)
	case SearchKeyword:
		return hasFlag(ev.msg.Flags(), k.Value)
	case SearchUnkeyword:
		return !hasFlag(ev.msg.Flags(), k.Value)
	case SearchLarger:
		return k.Number < 1<<63 && ev.msg.Size() > int64(k.Number)
	case SearchSmaller:
		return k.Number >= 1<<63 || ev.msg.Size() < int64(k.Number)
	case SearchModSeq:
		return ev.msg.ModSeq() >= k.Number
	case SearchSeqSet:
		if k.Set.Saved {
			return ev.m.Saved.Contains(ev.msg.UID(), ev.m.MaxUID)
		}
		return k.Set.Contains(ev.msg.SeqNum(), ev.m.MaxSeq)
	case SearchUID:
		if k.Set.Saved {
			return ev.m.Saved.Contains(ev.msg.UID(), ev.m.MaxUID)
		}
		return k.Set.Contains(ev.msg.UID(), ev.m.MaxUID)
	case SearchBefore, SearchOn, SearchSince:
		// RFC 9051 section 6.4.4: the internal date, as a day in the
		// server's time zone, disregarding time.
		loc := ev.m.Location
		if loc == nil {
			loc = time.Local
		}
		c := sameDay(ev.msg.InternalDate().In(loc), k.Date)
		return dateMatch(k.Op, c)
	case SearchSentBefore, SearchSentOn, SearchSentSince:
		// The Date header's day, disregarding time and time zone.
		h := ev.header()
		v, ok := h.Get("Date")
		if !ok {
			return false
		}
		t, err := mail.ParseDate(Unfold(v))
		if err != nil {
			return false
		}
		return dateMatch(k.Op, sameDay(t, k.Date))
	case SearchBcc:
		return ev.headerContains("Bcc", n.needle)
	case SearchCc:
		return ev.headerContains("Cc", n.needle)
	case SearchFrom:
		return ev.headerContains("From", n.needle)
	case SearchTo:
		return ev.headerContains("To", n.needle)
	case SearchSubject:
		return ev.headerContains("Subject", n.needle)
	case SearchHeader:
		return ev.headerContains(k.Field, n.needle)
	case SearchText:
		if ev.headerTextContains(n.needle) {
			return true
		}
		return ev.bodyContains(n.bodyIdx)
	case SearchBody:
		return ev.bodyContains(n.bodyIdx)
	}
	return false
}

func dateMatch(op SearchOp, c int) bool {
	switch op {
	case SearchBefore, SearchSentBefore:
		return c < 0
	case SearchOn, SearchSentOn:
		return c == 0
	}
	return c >= 0
}

// headerContains searches the decoded values of the named fields (RFC
// 9051 section 6.4.4: a field that is present matches the empty string).
func (ev *evaluation) headerContains(name string, needle []byte) bool {
	h := ev.header()
	if h == nil {
		return false
	}
	for _, f := range h.Fields {
		if !equalFoldASCII(f.Name, name) {
			continue
		}
		ev.m.scratch = appendFold(ev.m.scratch[:0], []byte(DecodeHeaderValue(f.Value)))
		if bytes.Contains(ev.m.scratch, needle) {
			return true
		}
	}
	return false
}

func (ev *evaluation) headerTextContains(needle []byte) bool {
	h := ev.header()
	if h == nil {
		return false
	}
	for _, f := range h.Fields {
		ev.m.scratch = appendFold(ev.m.scratch[:0], []byte(f.Name))
		ev.m.scratch = append(ev.m.scratch, ": "...)
		ev.m.scratch = appendFold(ev.m.scratch, []byte(DecodeHeaderValue(f.Value)))
		if bytes.Contains(ev.m.scratch, needle) {
			return true
		}
	}
	return false
}

var errAllFound = errors.New("all needles found")

// bodyContains scans the body once, for every BODY and TEXT needle of the
// key, the first time one is needed.
func (ev *evaluation) bodyContains(idx int) bool {
	if idx < 0 {
		return false
	}
	if !ev.scanned {
		ev.scanned = true
		ts := ev.m.ts
		if ts == nil {
			ts = newTextScanner(ev.m.body)
			ev.m.ts = ts
		} else {
			ts.reset()
		}
		err := ev.msg.BodyText(ts.write)
		if err != nil && err != errAllFound && ev.err == nil {
			ev.err = err
		}
		ev.found = ts.found
	}
	return ev.found[idx]
}

// textScanner looks for several folded needles in a stream of text,
// folding it as it comes and keeping just enough of the end of each piece
// to find a needle across two pieces.
type textScanner struct {
	needles [][]byte
	found   []bool
	left    int
	keep    int
	buf     []byte // folded text: the kept end of the previous pieces, then the new one
	pend    []byte // an incomplete UTF-8 sequence at the end of the last piece
}

func newTextScanner(needles [][]byte) *textScanner {
	ts := &textScanner{needles: needles, found: make([]bool, len(needles))}
	for _, n := range needles {
		ts.keep = max(ts.keep, len(n)-1)
	}
	ts.reset()
	return ts
}

// reset readies the scanner for another text.
func (ts *textScanner) reset() {
	clear(ts.found)
	ts.left = len(ts.needles)
	for i, n := range ts.needles {
		if len(n) == 0 {
			ts.found[i] = true
			ts.left--
		}
	}
	ts.buf = ts.buf[:0]
	ts.pend = ts.pend[:0]
}

func (ts *textScanner) write(p []byte) error {
	if ts.left == 0 {
		return errAllFound
	}
	if len(ts.pend) > 0 {
		// Complete the sequence held back from the last piece.
		for len(p) > 0 && !utf8.FullRune(ts.pend) && len(ts.pend) < utf8.UTFMax {
			ts.pend = append(ts.pend, p[0])
			p = p[1:]
		}
		if !utf8.FullRune(ts.pend) && len(ts.pend) < utf8.UTFMax {
			return nil // still incomplete: wait for the next piece
		}
		ts.buf = appendFold(ts.buf, ts.pend)
		ts.pend = ts.pend[:0]
	}
	// Hold back a trailing incomplete sequence.
	cut := len(p)
	for i := 1; i <= 3 && i <= len(p); i++ {
		c := p[len(p)-i]
		if c < 0x80 {
			break
		}
		if c >= 0xc0 { // a leading byte
			if !utf8.FullRune(p[len(p)-i:]) {
				cut = len(p) - i
			}
			break
		}
	}
	ts.pend = append(ts.pend, p[cut:]...)
	ts.buf = appendFold(ts.buf, p[:cut])
	for i, n := range ts.needles {
		if !ts.found[i] && bytes.Contains(ts.buf, n) {
			ts.found[i] = true
			ts.left--
		}
	}
	if ts.left == 0 {
		return errAllFound
	}
	if len(ts.buf) > ts.keep {
		ts.buf = append(ts.buf[:0], ts.buf[len(ts.buf)-ts.keep:]...)
	}
	return nil
}

// foldASCII maps ASCII letters to upper case: the smallest member of
// their case-folding orbit, like foldRune.
var foldASCII = func() (t [128]byte) {
	for i := range t {
		t[i] = byte(i)
		if i >= 'a' && i <= 'z' {
			t[i] = byte(i - 'a' + 'A')
		}
	}
	return t
}()

// foldRune maps r to the smallest rune of its Unicode simple case-folding
// orbit, so that two runes that fold together map to the same one.
func foldRune(r rune) rune {
	if r < utf8.RuneSelf {
		return rune(foldASCII[r])
	}
	m := r
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		if f < m {
			m = f
		}
	}
	return m
}

// appendFold appends src case-folded. Bytes that are not valid UTF-8 are
// copied as they are.
func appendFold(dst, src []byte) []byte {
	for i := 0; i < len(src); {
		c := src[i]
		if c < utf8.RuneSelf {
			dst = append(dst, foldASCII[c])
			i++
			continue
		}
		r, size := utf8.DecodeRune(src[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, c)
			i++
			continue
		}
		dst = utf8.AppendRune(dst, foldRune(r))
		i += size
	}
	return dst
}
