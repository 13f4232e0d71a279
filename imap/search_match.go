package imap

import (
	"bytes"
	"errors"
	"net/mail"
	"slices"
	"time"
	"unicode"
	"unicode/utf8"
)

// searchView is what SEARCH needs to know about one message. The header
// and body text are asked for only when a key needs them, so a search on
// flags never reads a message. *message provides Size, Header and
// BodyText for a raw message; a backend's view can embed it and add the
// metadata.
type searchView interface {
	SeqNum() uint32
	UID() uint32
	Flags() []string
	InternalDate() time.Time
	Size() int64
	ModSeq() uint64
	// Header returns the top-level header.
	Header() (*Header, error)
	// BodyText calls fn with the decoded text of the body, in pieces
	// (see message.BodyText); it stops when fn returns an error and
	// returns that error.
	BodyText(fn func([]byte) error) error
}

// matcher evaluates a search key against messages. Set the fields that
// describe the mailbox before calling Match. It compiles the key on first
// use (folding the strings to search for once) and keeps scratch space
// between messages, so it is not safe for concurrent use.
type matcher struct {
	Key *searchKey
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
	key      *searchKey
	children []*node
	needle   []byte // folded Value, for string keys
	bodyIdx  int    // index in matcher.body for BODY and TEXT
	cost     int    // 0: metadata, 1: header, 2: body
}

// newMatcher returns a matcher for key.
func newMatcher(key *searchKey) *matcher { return &matcher{Key: key} }

// Match reports whether msg matches the key. An error comes from reading
// the message.
func (m *matcher) Match(msg searchView) (bool, error) {
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

func (m *matcher) compile(k *searchKey, depth int) *node {
	n := &node{key: k, bodyIdx: -1}
	if depth > maxEvalDepth {
		return n
	}
	switch k.Op {
	case searchBcc, searchCc, searchFrom, searchTo, searchSubject, searchHeader, searchText, searchBody:
		n.needle = appendFold(nil, []byte(k.Value))
		n.cost = 1
		if k.Op == searchText || k.Op == searchBody {
			n.bodyIdx = len(m.body)
			m.body = append(m.body, n.needle)
			n.cost = 2
		}
	case searchSentBefore, searchSentOn, searchSentSince:
		n.cost = 1
	}
	for i := range k.Children {
		c := m.compile(&k.Children[i], depth+1)
		n.children = append(n.children, c)
		n.cost = max(n.cost, c.cost)
	}
	if k.Op == searchAnd || k.Op == searchOr {
		// AND and OR are commutative: try the cheap keys first, so that a
		// flag test can spare reading the message.
		slices.SortStableFunc(n.children, func(a, b *node) int { return a.cost - b.cost })
	}
	return n
}

// evaluation is the state of matching one message: what has been read of
// it so far.
type evaluation struct {
	m   *matcher
	msg searchView
	err error

	hdr       *Header
	hdrLoaded bool

	scanned bool
	found   []bool // per matcher.body needle
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
	case searchAnd:
		for _, c := range n.children {
			if !ev.eval(c) {
				return false
			}
		}
		return true
	case searchOr:
		for _, c := range n.children {
			if ev.eval(c) {
				return true
			}
		}
		return false
	case searchNot:
		return len(n.children) == 1 && !ev.eval(n.children[0])
	case searchAll:
		return true
	case searchAnswered:
		return hasFlag(ev.msg.Flags(), FlagAnswered)
	case searchDeleted:
		return hasFlag(ev.msg.Flags(), FlagDeleted)
	case searchDraft:
		return hasFlag(ev.msg.Flags(), FlagDraft)
	case searchFlagged:
		return hasFlag(ev.msg.Flags(), FlagFlagged)
	case searchRecent:
		return hasFlag(ev.msg.Flags(), FlagRecent)
	case searchSeen:
		return hasFlag(ev.msg.Flags(), FlagSeen)
	case searchNew:
		f := ev.msg.Flags()
		return hasFlag(f, FlagRecent) && !hasFlag(f, FlagSeen)
	case searchOld:
		return !hasFlag(ev.msg.Flags(), FlagRecent)
	case searchUnanswered:
		return !hasFlag(ev.msg.Flags(), FlagAnswered)
	case searchUndeleted:
		return !hasFlag(ev.msg.Flags(), FlagDeleted)
	case searchUndraft:
		return !hasFlag(ev.msg.Flags(), FlagDraft)
	case searchUnflagged:
		return !hasFlag(ev.msg.Flags(), FlagFlagged)
	case searchUnseen:
		return !hasFlag(ev.msg.Flags(), FlagSeen)
	case searchKeyword:
		return hasFlag(ev.msg.Flags(), k.Value)
	case searchUnkeyword:
		return !hasFlag(ev.msg.Flags(), k.Value)
	case searchLarger:
		return k.Number < 1<<63 && ev.msg.Size() > int64(k.Number)
	case searchSmaller:
		return k.Number >= 1<<63 || ev.msg.Size() < int64(k.Number)
	case searchModSeq:
		return ev.msg.ModSeq() >= k.Number
	case searchSeqSet:
		if k.Set.saved {
			return ev.m.Saved.Contains(ev.msg.UID(), ev.m.MaxUID)
		}
		return k.Set.Contains(ev.msg.SeqNum(), ev.m.MaxSeq)
	case searchUID:
		if k.Set.saved {
			return ev.m.Saved.Contains(ev.msg.UID(), ev.m.MaxUID)
		}
		return k.Set.Contains(ev.msg.UID(), ev.m.MaxUID)
	case searchBefore, searchOn, searchSince:
		// RFC 9051 6.4.4: the internal date, as a day in the
		// server's time zone, disregarding time.
		loc := ev.m.Location
		if loc == nil {
			loc = time.Local
		}
		c := sameDay(ev.msg.InternalDate().In(loc), k.Date)
		return dateMatch(k.Op, c)
	case searchSentBefore, searchSentOn, searchSentSince:
		// The Date header's day, disregarding time and time zone.
		h := ev.header()
		v, ok := h.Get("Date")
		if !ok {
			return false
		}
		t, err := mail.ParseDate(unfold(v))
		if err != nil {
			return false
		}
		return dateMatch(k.Op, sameDay(t, k.Date))
	case searchBcc:
		return ev.addressContains("Bcc", n.needle)
	case searchCc:
		return ev.addressContains("Cc", n.needle)
	case searchFrom:
		return ev.addressContains("From", n.needle)
	case searchTo:
		return ev.addressContains("To", n.needle)
	case searchSubject:
		return ev.headerContains("Subject", n.needle)
	case searchHeader:
		return ev.headerContains(k.Field, n.needle)
	case searchText:
		if ev.headerTextContains(n.needle) {
			return true
		}
		return ev.bodyContains(n.bodyIdx)
	case searchBody:
		return ev.bodyContains(n.bodyIdx)
	}
	return false
}

func dateMatch(op searchOp, c int) bool {
	switch op {
	case searchBefore, searchSentBefore:
		return c < 0
	case searchOn, searchSentOn:
		return c == 0
	}
	return c >= 0
}

// headerContains searches the decoded values of the named fields (RFC
// 9051 6.4.4: a field that is present matches the empty string).
func (ev *evaluation) headerContains(name string, needle []byte) bool {
	return ev.fieldContains(name, needle, decodeHeaderValue)
}

// addressContains searches the named address fields as the envelope has
// them (RFC 3501 6.4.4: FROM, TO, CC and BCC match the string in the
// envelope structure's field): decoded display names and mailbox@host,
// groups by name, without the comments and white space that may sit
// inside an address as written (RFC 5322 3.4.1), so that
// "<user (comment)@ (comment) example.org>" is found as
// user@example.org.
func (ev *evaluation) addressContains(name string, needle []byte) bool {
	return ev.fieldContains(name, needle, func(v string) string { return formatAddresses(parseAddressList(v)) })
}

// fieldContains searches the values of the named fields, as value gives
// them, for the folded needle.
func (ev *evaluation) fieldContains(name string, needle []byte, value func(string) string) bool {
	h := ev.header()
	if h == nil {
		return false
	}
	for _, f := range h.Fields {
		if !equalFoldASCII(f.Name, name) {
			continue
		}
		ev.m.scratch = appendFold(ev.m.scratch[:0], []byte(value(f.Value)))
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
		ev.m.scratch = appendFold(ev.m.scratch, []byte(decodeHeaderValue(f.Value)))
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
