package imap

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// testView is a message in a mailbox, for SEARCH: a raw message and its
// metadata. It counts how often the header and the body text are read.
type testView struct {
	*message
	seq, uid    uint32
	flags       []string
	date        time.Time
	modseq      uint64
	headerReads int
	bodyReads   int
	bodyErr     error
}

func (v *testView) SeqNum() uint32          { return v.seq }
func (v *testView) UID() uint32             { return v.uid }
func (v *testView) Flags() []string         { return v.flags }
func (v *testView) InternalDate() time.Time { return v.date }
func (v *testView) ModSeq() uint64          { return v.modseq }
func (v *testView) Header() (*Header, error) {
	v.headerReads++
	return v.message.Header()
}
func (v *testView) BodyText(fn func([]byte) error) error {
	v.bodyReads++
	if v.bodyErr != nil {
		return v.bodyErr
	}
	return v.message.BodyText(fn)
}

func mustSearchKey(t testing.TB, s string) *searchKey {
	t.Helper()
	p, _ := testParser("t SEARCH " + s + "\r\n")
	cmd, err := p.ReadCommand()
	if err != nil {
		t.Fatalf("SEARCH %s: %v", s, err)
	}
	return cmd.Args.(*searchArgs).Key
}

func TestSearchMatch(t *testing.T) {
	plus2 := time.FixedZone("", 2*3600)
	v := &testView{
		message: newMsg(mixedSample),
		seq:     3, uid: 30,
		flags:  []string{`\seen`, "$Forwarded", FlagRecent},
		date:   time.Date(2024, 6, 3, 23, 30, 0, 0, time.UTC), // 4 June in +0200
		modseq: 500,
	}
	size := v.Size()
	tests := []struct {
		key  string
		want bool
	}{
		{"ALL", true},
		{"SEEN", true}, {"UNSEEN", false}, {"ANSWERED", false}, {"UNANSWERED", true},
		{"FLAGGED", false}, {"UNFLAGGED", true}, {"DELETED", false}, {"UNDELETED", true},
		{"DRAFT", false}, {"UNDRAFT", true}, {"RECENT", true}, {"NEW", false}, {"OLD", false},
		{"KEYWORD $forwarded", true}, {"KEYWORD $Junk", false}, {"UNKEYWORD $Junk", true}, {"UNKEYWORD $FORWARDED", false},
		{"3", true}, {"1:2", false}, {"2:4", true}, {"*", false}, {"3:*", true},
		{"UID 30", true}, {"UID 1:29,31", false}, {"UID *", false}, {"UID 40:*", false},
		{"$", true}, {"UID $", true},
		{"LARGER 100", true}, {"LARGER " + itoa(int(size)), false}, {"SMALLER " + itoa(int(size)+1), true}, {"SMALLER " + itoa(int(size)), false},
		{"MODSEQ 500", true}, {"MODSEQ 501", false}, {"MODSEQ \"/flags/\\\\seen\" all 100", true},
		{"ON 4-Jun-2024", true}, {"ON 3-Jun-2024", false}, {"SINCE 4-Jun-2024", true}, {"BEFORE 4-Jun-2024", false}, {"BEFORE 5-Jun-2024", true},
		{"SENTON 3-Jun-2024", true}, {"SENTBEFORE 3-Jun-2024", false}, {"SENTBEFORE 4-Jun-2024", true}, {"SENTSINCE 3-Jun-2024", true}, {"SENTSINCE 4-Jun-2024", false},
		{"FROM \"müller\"", true}, {"FROM \"JÖRG\"", true}, {"FROM joerg@example.de", true}, {"FROM alice", false},
		{"TO \"bob b.\"", true}, {"TO team", true}, {"TO carol@example.org", true}, {"CC undisclosed", true}, {"BCC x", false}, {"BCC \"\"", false},
		{"SUBJECT \"grüße aus münchen\"", true}, {"SUBJECT \"GRÜSSE\"", false}, {"SUBJECT {6}\r\nMÜNCH", true},
		{"HEADER X-Note \"CAFÉ\"", true}, {"HEADER in-reply-to \"\"", true}, {"HEADER X-Absent \"\"", false},
		{"HEADER Content-Type Outer", true},
		{"BODY \"zweite zeile\"", true}, {"BODY \"Grüße aus München!\"", true}, {"BODY \"%PDF\"", false}, {"BODY JVBER", false},
		{"BODY \"subject: original\"", true}, {"BODY \"original TEXT\"", true}, {"BODY Quarterly", false},
		{"BODY \"Mon, 3 Jun\"", false}, {"TEXT \"Mon, 3 Jun\"", true}, {"TEXT zweite", true}, {"TEXT nowhere", false},
		{"BODY \"\"", true},
		{"NOT SEEN", false}, {"NOT NOT SEEN", true}, {"OR DRAFT SEEN", true}, {"OR DRAFT DELETED", false},
		{"(SEEN (FLAGGED))", false}, {"SEEN OR FLAGGED BODY zweite", true},
		{"OR (SUBJECT nope) (FROM nope) TEXT zweite", false},
		{"NOT SENTON 1-Jan-2000", true},
	}
	for _, tt := range tests {
		m := &matcher{Key: mustSearchKey(t, tt.key), MaxSeq: 10, MaxUID: 35, Location: plus2, Saved: set("20:30")}
		got, err := m.Match(v)
		if err != nil || got != tt.want {
			t.Errorf("SEARCH %s = %v, %v; want %v", tt.key, got, err, tt.want)
		}
	}
}

func TestSearchLaziness(t *testing.T) {
	newView := func() *testView {
		return &testView{message: newMsg(mixedSample), seq: 1, uid: 1, flags: []string{FlagSeen}}
	}
	tests := []struct {
		key           string
		header, bodys int
	}{
		{"SEEN", 0, 0},
		{"LARGER 10 UID 1:*", 0, 0},
		{"BODY zweite UNSEEN", 0, 0},                           // the flag fails first, whatever the order written
		{"OR SEEN BODY zweite", 0, 0},                          // the flag succeeds first
		{"FROM \"jörg\" SUBJECT \"grüße\"", 1, 0},              // one header read for both
		{"BODY zweite BODY original TEXT \"münchen-x\"", 1, 1}, // one body pass for every needle (TEXT looks at the header first)
		{"NOT BODY nowhere", 0, 1},
	}
	for _, tt := range tests {
		v := newView()
		m := newMatcher(mustSearchKey(t, tt.key))
		if _, err := m.Match(v); err != nil {
			t.Fatal(err)
		}
		if v.headerReads != tt.header || v.bodyReads != tt.bodys {
			t.Errorf("SEARCH %s: %d header and %d body reads, want %d and %d", tt.key, v.headerReads, v.bodyReads, tt.header, tt.bodys)
		}
	}
}

func TestSearchErrorsAndEdges(t *testing.T) {
	v := &testView{message: newMsg(mixedSample), seq: 1, uid: 1, bodyErr: errors.New("gone")}
	m := newMatcher(mustSearchKey(t, "BODY x"))
	if _, err := m.Match(v); err == nil || err.Error() != "gone" {
		t.Errorf("body error: %v", err)
	}
	// No Date header: SENT* never matches.
	v = &testView{message: newMsg("Subject: x\r\n\r\nbody"), seq: 1, uid: 1}
	for _, k := range []string{"SENTON 1-Jan-2000", "SENTBEFORE 1-Jan-3000", "SENTSINCE 1-Jan-1900"} {
		if ok, _ := newMatcher(mustSearchKey(t, k)).Match(v); ok {
			t.Errorf("%s matched a message without Date", k)
		}
	}
	// The convenience matchKey: "*" is larger than any number.
	if !matchKey(v, mustSearchKey(t, "1:*")) || matchKey(v, mustSearchKey(t, "*")) || !matchKey(v, mustSearchKey(t, "BODY BODY")) {
		t.Error("Match convenience")
	}
	// A nil key matches everything.
	if ok, _ := (&matcher{}).Match(v); !ok {
		t.Error("nil key")
	}
	// A hand-built key deeper than any parser would give does not
	// overflow the stack.
	k := &searchKey{Op: searchAll}
	for i := 0; i < 100000; i++ {
		k = &searchKey{Op: searchNot, Children: []searchKey{*k}}
	}
	newMatcher(k).Match(v)
	_ = k.String()
}

func TestTextScanner(t *testing.T) {
	fold := func(s string) []byte { return appendFold(nil, []byte(s)) }
	needles := [][]byte{fold("hello world"), fold("KELVIN"), fold("größe"), fold("absent")}
	ts := newTextScanner(needles)
	// Needles split across pieces, a multi-byte character split in two,
	// the Kelvin sign (U+212A) folding with K.
	text := "say HELLO wo" + "rld; \u212aelvin; GRÖ" + "\xc3" + "\x9fE"
	pieces := []string{"say HELLO wo", "rld; \u212aelvin; GRÖ", "\xc3", "\x9fE"}
	if strings.Join(pieces, "") != text {
		t.Fatal("bad test")
	}
	for _, p := range pieces {
		ts.write([]byte(p))
	}
	want := []bool{true, true, true, false}
	for i := range want {
		if ts.found[i] != want[i] {
			t.Errorf("needle %q found = %v", needles[i], ts.found[i])
		}
	}
	if len(ts.buf) > len("hello world")-1 {
		t.Errorf("scanner keeps %d bytes", len(ts.buf))
	}
	// Everything found: the scan stops early.
	ts = newTextScanner([][]byte{fold("a")})
	if err := ts.write([]byte("xax")); err != errAllFound {
		t.Errorf("write after all found: %v", err)
	}
	// Invalid UTF-8 is compared byte for byte.
	ts = newTextScanner([][]byte{fold("\xff\xfe")})
	ts.write([]byte("x\xff\xfey"))
	if !ts.found[0] {
		t.Error("invalid UTF-8 needle not found")
	}
}

func TestFoldRune(t *testing.T) {
	for _, pair := range [][2]rune{{'a', 'A'}, {'k', '\u212a'}, {'s', '\u017f'}, {'ü', 'Ü'}, {'σ', 'ς'}, {'σ', 'Σ'}} {
		if foldRune(pair[0]) != foldRune(pair[1]) {
			t.Errorf("%q and %q fold apart", pair[0], pair[1])
		}
	}
	if foldRune('a') == foldRune('b') {
		t.Error("a and b fold together")
	}
}

// TestMatcherCharsetConversion: SEARCH strings and the message's encoded
// words and body are compared as UTF-8, case-insensitively.
func TestMatcherCharsetConversion(t *testing.T) {
	raws := []string{
		"Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=\r\n\r\nsee you in M\xc3\xbcnchen\r\n",
		"Subject: invoice\r\n\r\nplease pay\r\n",
	}
	m := &matcher{Key: mustSearchKey(t, `UNSEEN OR SUBJECT "GRÜSSE" TEXT "münchen"`), MaxSeq: 2, MaxUID: 11, Location: time.UTC}
	for i, raw := range raws {
		v := &testView{message: newMsg(raw), seq: uint32(i + 1), uid: uint32(i + 10)}
		got, err := m.Match(v)
		if want := i == 0; got != want || err != nil {
			t.Errorf("message %d: Match = %v, %v, want %v", v.uid, got, err, want)
		}
	}
}

// matchKey reports whether msg matches key. Without the mailbox's data, "*"
// is taken as larger than any number (so "5:*" means 5 and above, and a
// lone "*" matches nothing) and "$" as empty; read errors count as no
// match. Tests that need exact results and errors use a matcher.
func matchKey(msg searchView, key *searchKey) bool {
	m := &matcher{Key: key, MaxSeq: 0xffffffff, MaxUID: 0xffffffff}
	ok, _ := m.Match(msg)
	return ok
}
