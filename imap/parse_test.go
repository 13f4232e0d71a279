package imap

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"
)

// testParser returns a parser over in whose Continue records the literals
// it is asked about.
func testParser(in string) (*parser, *[]announcedLiteral) {
	p := newParser(bufio.NewReader(strings.NewReader(in)))
	lits := &[]announcedLiteral{}
	p.Continue = func(l announcedLiteral) error {
		*lits = append(*lits, l)
		return nil
	}
	return p, lits
}

func set(s string) SeqSet {
	ss, err := parseSeqSetString(s)
	if err != nil {
		panic(err)
	}
	return ss
}

func TestParseCommands(t *testing.T) {
	tests := []struct {
		in   string
		want command
	}{
		{"a1 CAPABILITY\r\n", command{Tag: "a1", Name: "CAPABILITY"}},
		{"a1 noop\r\n", command{Tag: "a1", Name: "NOOP"}},
		{"x] LOGOUT\r\n", command{Tag: "x]", Name: "LOGOUT"}}, // ']' is a tag char
		{"t STARTTLS\r\n", command{Tag: "t", Name: "STARTTLS"}},
		{"t CHECK\r\n", command{Tag: "t", Name: "CHECK"}},
		{"t CLOSE\r\n", command{Tag: "t", Name: "CLOSE"}},
		{"t UNSELECT\r\n", command{Tag: "t", Name: "UNSELECT"}},
		{"t IDLE\r\n", command{Tag: "t", Name: "IDLE"}},
		{"t NAMESPACE\r\n", command{Tag: "t", Name: "NAMESPACE"}},
		{"t EXPUNGE\r\n", command{Tag: "t", Name: "EXPUNGE"}},
		{"t UID EXPUNGE 3:5,7\r\n", command{Tag: "t", Name: "EXPUNGE", UID: true, Args: &expungeArgs{UIDs: set("3:5,7")}}},
		{"a LOGIN fred \"sec ret\"\r\n", command{Tag: "a", Name: "LOGIN", Args: &loginArgs{"fred", "sec ret"}}},
		{"a LOGIN \"a\\\"b\" {4}\r\np\\ss\r\n", command{Tag: "a", Name: "LOGIN", Args: &loginArgs{`a"b`, `p\ss`}}},
		{"a LOGIN {3+}\r\nbob {0}\r\n\r\n", command{Tag: "a", Name: "LOGIN", Args: &loginArgs{"bob", ""}}},
		{"a AUTHENTICATE plain\r\n", command{Tag: "a", Name: "AUTHENTICATE", Args: &authenticateArgs{Mechanism: "PLAIN"}}},
		{"a AUTHENTICATE PLAIN AGJvYgBwdw==\r\n", command{Tag: "a", Name: "AUTHENTICATE", Args: &authenticateArgs{Mechanism: "PLAIN", InitialResponse: []byte("\x00bob\x00pw")}}},
		{"a AUTHENTICATE EXTERNAL =\r\n", command{Tag: "a", Name: "AUTHENTICATE", Args: &authenticateArgs{Mechanism: "EXTERNAL", InitialResponse: []byte{}}}},
		{"a SELECT inbox\r\n", command{Tag: "a", Name: "SELECT", Args: &selectArgs{Mailbox: "INBOX"}}},
		{"a EXAMINE \"Entw&APw-rfe\"\r\n", command{Tag: "a", Name: "EXAMINE", Args: &selectArgs{Mailbox: "Entwürfe"}}},
		{"a SELECT INBOX (CONDSTORE)\r\n", command{Tag: "a", Name: "SELECT", Args: &selectArgs{Mailbox: "INBOX", CondStore: true}}},
		{"a SELECT INBOX (QRESYNC (67890007 20050715194045000 41,43:211,214:541))\r\n", command{Tag: "a", Name: "SELECT", Args: &selectArgs{Mailbox: "INBOX",
			QResync: &qresyncArgs{UIDValidity: 67890007, ModSeq: 20050715194045000, KnownUIDs: set("41,43:211,214:541")}}}},
		{"a SELECT INBOX (QRESYNC (67890007 90060115194045000 41:211,214:541 (1:15,19,21 12:15,20,22)))\r\n", command{Tag: "a", Name: "SELECT", Args: &selectArgs{Mailbox: "INBOX",
			QResync: &qresyncArgs{UIDValidity: 67890007, ModSeq: 90060115194045000, KnownUIDs: set("41:211,214:541"), SeqMatchSeqs: set("1:15,19,21"), SeqMatchUIDs: set("12:15,20,22")}}}},
		{"a SELECT INBOX (QRESYNC (1 2 (3 4)) CONDSTORE)\r\n", command{Tag: "a", Name: "SELECT", Args: &selectArgs{Mailbox: "INBOX", CondStore: true,
			QResync: &qresyncArgs{UIDValidity: 1, ModSeq: 2, SeqMatchSeqs: set("3"), SeqMatchUIDs: set("4")}}}},
		{"a CREATE owatagusiam/\r\n", command{Tag: "a", Name: "CREATE", Args: &createArgs{Mailbox: "owatagusiam/"}}},
		{"a CREATE MySpecialArchive (USE (\\archive \\X-Mine))\r\n", command{Tag: "a", Name: "CREATE", Args: &createArgs{Mailbox: "MySpecialArchive", SpecialUse: []string{`\Archive`, `\X-Mine`}}}},
		{"a DELETE blurdybloop\r\n", command{Tag: "a", Name: "DELETE", Args: &mailboxArgs{"blurdybloop"}}},
		{"a SUBSCRIBE #news.comp.mail.mime\r\n", command{Tag: "a", Name: "SUBSCRIBE", Args: &mailboxArgs{"#news.comp.mail.mime"}}},
		{"a UNSUBSCRIBE \"\"\r\n", command{Tag: "a", Name: "UNSUBSCRIBE", Args: &mailboxArgs{""}}},
		{"a RENAME blurdybloop sarasoop\r\n", command{Tag: "a", Name: "RENAME", Args: &renameArgs{"blurdybloop", "sarasoop"}}},
		{"a LIST \"\" *\r\n", command{Tag: "a", Name: "LIST", Args: &listArgs{Patterns: []string{"*"}}}},
		{"a LIST ~/Mail/ %\r\n", command{Tag: "a", Name: "LIST", Args: &listArgs{Reference: "~/Mail/", Patterns: []string{"%"}}}},
		{"a LIST \"\" Archiv/%/foo]*\r\n", command{Tag: "a", Name: "LIST", Args: &listArgs{Patterns: []string{"Archiv/%/foo]*"}}}},
		{"a LIST (SUBSCRIBED RECURSIVEMATCH) \"\" (INBOX \"Entw&APw-rfe/%\") RETURN (CHILDREN STATUS (MESSAGES UNSEEN) SPECIAL-USE)\r\n",
			command{Tag: "a", Name: "LIST", Args: &listArgs{Patterns: []string{"INBOX", "Entwürfe/%"}, Extended: true,
				SelectSubscribed: true, SelectRecursiveMatch: true, ReturnChildren: true, ReturnSpecialUse: true,
				ReturnStatus: []statusItem{statusMessages, statusUnseen}}}},
		{"a LIST (SPECIAL-USE REMOTE) \"\" *\r\n", command{Tag: "a", Name: "LIST", Args: &listArgs{Patterns: []string{"*"}, Extended: true, SelectSpecialUse: true, SelectRemote: true}}},
		{"a LIST \"\" % RETURN (SUBSCRIBED)\r\n", command{Tag: "a", Name: "LIST", Args: &listArgs{Patterns: []string{"%"}, Extended: true, ReturnSubscribed: true}}},
		{"a LIST () \"\" % RETURN ()\r\n", command{Tag: "a", Name: "LIST", Args: &listArgs{Patterns: []string{"%"}, Extended: true}}},
		{"a LSUB \"#news.\" \"comp.mail.*\"\r\n", command{Tag: "a", Name: "LSUB", Args: &listArgs{Reference: "#news.", Patterns: []string{"comp.mail.*"}}}},
		{"a STATUS blurdybloop (UIDNEXT MESSAGES highestmodseq SIZE DELETED APPENDLIMIT)\r\n", command{Tag: "a", Name: "STATUS", Args: &statusArgs{"blurdybloop",
			[]statusItem{statusUIDNext, statusMessages, statusHighestModSeq, statusSize, statusDeleted, statusAppendLimit}}}},
		{"a COPY 2:4 MEETING\r\n", command{Tag: "a", Name: "COPY", Args: &copyArgs{set("2:4"), "MEETING"}}},
		{"a UID MOVE 42:69 foo\r\n", command{Tag: "a", Name: "MOVE", UID: true, Args: &copyArgs{set("42:69"), "foo"}}},
		{"a MOVE $ Trash\r\n", command{Tag: "a", Name: "MOVE", Args: &copyArgs{SeqSet{saved: true}, "Trash"}}},
		{"a STORE 2:4 +FLAGS (\\deleted)\r\n", command{Tag: "a", Name: "STORE", Args: &storeArgs{Set: set("2:4"), Mode: StoreAdd, Flags: []string{FlagDeleted}}}},
		{"a STORE 1 -flags.silent \\Seen $Junk\r\n", command{Tag: "a", Name: "STORE", Args: &storeArgs{Set: set("1"), Mode: StoreRemove, Silent: true, Flags: []string{FlagSeen, "$Junk"}}}},
		{"a STORE 1:* FLAGS ()\r\n", command{Tag: "a", Name: "STORE", Args: &storeArgs{Set: set("1:*"), Flags: []string{}}}},
		{"a UID STORE 7,9 (UNCHANGEDSINCE 320162338) +FLAGS.SILENT (\\Deleted)\r\n", command{Tag: "a", Name: "STORE", UID: true, Args: &storeArgs{Set: set("7,9"), Mode: StoreAdd,
			Silent: true, Flags: []string{FlagDeleted}, UnchangedSince: 320162338, HasUnchangedSince: true}}},
		{"a STORE 1 (UNCHANGEDSINCE 0) FLAGS \\X-Ext\r\n", command{Tag: "a", Name: "STORE", Args: &storeArgs{Set: set("1"), Flags: []string{`\X-Ext`}, HasUnchangedSince: true}}},
		{"a ENABLE CONDSTORE utf8=accept\r\n", command{Tag: "a", Name: "ENABLE", Args: &enableArgs{[]string{"CONDSTORE", "UTF8=ACCEPT"}}}},
		{"a ID NIL\r\n", command{Tag: "a", Name: "ID", Args: &idArgs{}}},
		{"a ID (\"name\" \"sodr\" \"version\" \"19.34\" \"os\" NIL)\r\n", command{Tag: "a", Name: "ID", Args: &idArgs{[]idField{{"name", "sodr"}, {"version", "19.34"}, {"os", ""}}}}},
		{"a ID ()\r\n", command{Tag: "a", Name: "ID", Args: &idArgs{[]idField{}}}},
		{"a SORT (SUBJECT REVERSE DATE) UTF-8 ALL\r\n", command{Tag: "a", Name: "SORT", Args: &sortArgs{
			Criteria: []sortCriterion{{"SUBJECT", false}, {"DATE", true}}, Charset: "UTF-8", Key: &searchKey{Op: searchAll}}}},
		{"a UID SORT RETURN (MIN COUNT) (ARRIVAL) us-ascii UNSEEN FROM x\r\n", command{Tag: "a", Name: "SORT", UID: true, Args: &sortArgs{
			Criteria: []sortCriterion{{"ARRIVAL", false}}, Charset: "US-ASCII", ESearch: true, Return: searchReturnMin | searchReturnCount,
			Key: &searchKey{Op: searchAnd, Children: []searchKey{{Op: searchUnseen}, {Op: searchFrom, Value: "x"}}}}}},
		{"a THREAD ORDEREDSUBJECT UTF-8 SINCE 5-MAR-2000\r\n", command{Tag: "a", Name: "THREAD", Args: &threadArgs{
			Algorithm: "ORDEREDSUBJECT", Charset: "UTF-8", Key: &searchKey{Op: searchSince, Date: time.Date(2000, 3, 5, 0, 0, 0, 0, time.UTC)}}}},
		{"a UID THREAD references US-ASCII ALL\r\n", command{Tag: "a", Name: "THREAD", UID: true, Args: &threadArgs{Algorithm: "REFERENCES", Charset: "US-ASCII", Key: &searchKey{Op: searchAll}}}},
	}
	for _, tt := range tests {
		p, _ := testParser(tt.in)
		cmd, err := p.ReadCommand()
		if err != nil {
			t.Errorf("%q: %v", tt.in, err)
			continue
		}
		if !reflect.DeepEqual(*cmd, tt.want) {
			t.Errorf("%q:\n got %#v\nwant %#v", tt.in, argsOf(cmd), argsOf(&tt.want))
		}
		if _, err := p.ReadCommand(); err != io.EOF {
			t.Errorf("%q: input left after the command (%v)", tt.in, err)
		}
	}
}

func argsOf(c *command) any {
	type shown struct {
		Tag, Name string
		UID       bool
		Args      any
	}
	return shown{c.Tag, c.Name, c.UID, c.Args}
}

func TestParseFetch(t *testing.T) {
	hdrFields := section{Specifier: sectionHeaderFields, Fields: []string{"From", "To", "Subject"}}
	tests := []struct {
		in    string
		items []fetchItem
		names string // response names, space-separated
		args  fetchArgs
	}{
		{"1 ALL", []fetchItem{{Kind: fetchFlags}, {Kind: fetchInternalDate}, {Kind: fetchRFC822Size}, {Kind: fetchEnvelope}}, "FLAGS INTERNALDATE RFC822.SIZE ENVELOPE", fetchArgs{}},
		{"1 fast", []fetchItem{{Kind: fetchFlags}, {Kind: fetchInternalDate}, {Kind: fetchRFC822Size}}, "FLAGS INTERNALDATE RFC822.SIZE", fetchArgs{}},
		{"1 FULL", []fetchItem{{Kind: fetchFlags}, {Kind: fetchInternalDate}, {Kind: fetchRFC822Size}, {Kind: fetchEnvelope}, {Kind: fetchBody}}, "FLAGS INTERNALDATE RFC822.SIZE ENVELOPE BODY", fetchArgs{}},
		{"1 body[]", []fetchItem{{Kind: fetchBodySection}}, "BODY[]", fetchArgs{}},
		{"1 (UID RFC822 RFC822.HEADER RFC822.TEXT BODYSTRUCTURE BODY MODSEQ)", []fetchItem{{Kind: fetchUID}, {Kind: fetchRFC822}, {Kind: fetchRFC822Header},
			{Kind: fetchRFC822Text}, {Kind: fetchBodyStructure}, {Kind: fetchBody}, {Kind: fetchModSeq}}, "UID RFC822 RFC822.HEADER RFC822.TEXT BODYSTRUCTURE BODY MODSEQ", fetchArgs{}},
		{"2:4 (FLAGS BODY[HEADER.FIELDS (From To Subject)])", []fetchItem{{Kind: fetchFlags}, {Kind: fetchBodySection, Section: hdrFields}},
			"FLAGS BODY[HEADER.FIELDS (From To Subject)]", fetchArgs{}},
		{"1 BODY.PEEK[1.2.HEADER.FIELDS.NOT (\"X-Spam\" received)]<0.100>", []fetchItem{{Kind: fetchBodySection, Peek: true,
			Section: section{Part: []int{1, 2}, Specifier: sectionHeaderFieldsNot, Fields: []string{"X-Spam", "received"}}, Partial: partial{0, 100}}},
			"BODY[1.2.HEADER.FIELDS.NOT (X-Spam received)]<0>", fetchArgs{}},
		{"1 (BODY[3.MIME] BODY[4.2.TEXT]<10.5> BODY[1] BODY[HEADER] BODY.PEEK[TEXT])", []fetchItem{
			{Kind: fetchBodySection, Section: section{Part: []int{3}, Specifier: sectionMIME}},
			{Kind: fetchBodySection, Section: section{Part: []int{4, 2}, Specifier: sectionText}, Partial: partial{10, 5}},
			{Kind: fetchBodySection, Section: section{Part: []int{1}}},
			{Kind: fetchBodySection, Section: section{Specifier: sectionHeader}},
			{Kind: fetchBodySection, Peek: true, Section: section{Specifier: sectionText}},
		}, "BODY[3.MIME] BODY[4.2.TEXT]<10> BODY[1] BODY[HEADER] BODY[TEXT]", fetchArgs{}},
		{"1 (BINARY[1.2] BINARY.PEEK[]<0.4096> BINARY.SIZE[3])", []fetchItem{
			{Kind: fetchBinarySection, Section: section{Part: []int{1, 2}}},
			{Kind: fetchBinarySection, Peek: true, Partial: partial{0, 4096}},
			{Kind: fetchBinarySize, Section: section{Part: []int{3}}},
		}, "BINARY[1.2] BINARY[]<0> BINARY.SIZE[3]", fetchArgs{}},
		{"1:* (FLAGS) (CHANGEDSINCE 12345)", []fetchItem{{Kind: fetchFlags}}, "FLAGS", fetchArgs{ChangedSince: 12345}},
	}
	for _, tt := range tests {
		in := "t FETCH " + tt.in + "\r\n"
		p, _ := testParser(in)
		cmd, err := p.ReadCommand()
		if err != nil {
			t.Errorf("%q: %v", in, err)
			continue
		}
		fa := cmd.Args.(*fetchArgs)
		if !reflect.DeepEqual(fa.Items, tt.items) {
			t.Errorf("%q:\n got %+v\nwant %+v", in, fa.Items, tt.items)
		}
		var names []string
		for _, it := range fa.Items {
			names = append(names, it.ResponseName())
		}
		if got := strings.Join(names, " "); got != tt.names {
			t.Errorf("%q: response names %q, want %q", in, got, tt.names)
		}
		if fa.ChangedSince != tt.args.ChangedSince || fa.Vanished != tt.args.Vanished {
			t.Errorf("%q: modifiers %d %v", in, fa.ChangedSince, fa.Vanished)
		}
	}
	p, _ := testParser("t UID FETCH 300:500 (FLAGS) (CHANGEDSINCE 12345 VANISHED)\r\n")
	cmd, err := p.ReadCommand()
	if err != nil || !cmd.UID || !cmd.Args.(*fetchArgs).Vanished || cmd.Args.(*fetchArgs).Set.String() != "300:500" {
		t.Errorf("UID FETCH VANISHED: %+v %v", cmd, err)
	}
}

func TestParseSearch(t *testing.T) {
	d := func(y, m, day int) time.Time { return time.Date(y, time.Month(m), day, 0, 0, 0, 0, time.UTC) }
	tests := []struct {
		in   string
		want searchArgs
		str  string
	}{
		{"ALL", searchArgs{Key: &searchKey{Op: searchAll}}, "ALL"},
		{"FLAGGED SINCE 1-Feb-1994 NOT FROM \"Smith\"", searchArgs{Key: &searchKey{Op: searchAnd, Children: []searchKey{
			{Op: searchFlagged}, {Op: searchSince, Date: d(1994, 2, 1)}, {Op: searchNot, Children: []searchKey{{Op: searchFrom, Value: "Smith"}}}}}},
			"FLAGGED SINCE 1-Feb-1994 NOT FROM Smith"},
		{"OR (SEEN DRAFT) UID 1:5,9 2:* $", searchArgs{Key: &searchKey{Op: searchAnd, Children: []searchKey{
			{Op: searchOr, Children: []searchKey{{Op: searchAnd, Children: []searchKey{{Op: searchSeen}, {Op: searchDraft}}}, {Op: searchUID, Set: set("1:5,9")}}},
			{Op: searchSeqSet, Set: set("2:*")}, {Op: searchSeqSet, Set: SeqSet{saved: true}}}}},
			"OR (SEEN DRAFT) UID 1:5,9 2:* $"},
		{"RETURN (MIN MAX COUNT ALL SAVE) CHARSET utf-8 HEADER Message-ID \"<a@b>\" LARGER 100 SMALLER 2000000000000 KEYWORD $Junk UNKEYWORD foo",
			searchArgs{Charset: "UTF-8", ESearch: true, Return: searchReturnMin | searchReturnMax | searchReturnCount | searchReturnAll | searchReturnSave,
				Key: &searchKey{Op: searchAnd, Children: []searchKey{{Op: searchHeader, Field: "Message-ID", Value: "<a@b>"},
					{Op: searchLarger, Number: 100}, {Op: searchSmaller, Number: 2000000000000}, {Op: searchKeyword, Value: "$Junk"}, {Op: searchUnkeyword, Value: "foo"}}}},
			`HEADER Message-ID <a@b> LARGER 100 SMALLER 2000000000000 KEYWORD $Junk UNKEYWORD foo`},
		{"RETURN () SENTBEFORE \"01-Jan-2000\" SENTON 2-feb-2001 SENTSINCE 29-Feb-2004 BEFORE 3-Mar-2003 ON 4-Apr-2004",
			searchArgs{ESearch: true, Return: searchReturnAll, Key: &searchKey{Op: searchAnd, Children: []searchKey{
				{Op: searchSentBefore, Date: d(2000, 1, 1)}, {Op: searchSentOn, Date: d(2001, 2, 2)}, {Op: searchSentSince, Date: d(2004, 2, 29)},
				{Op: searchBefore, Date: d(2003, 3, 3)}, {Op: searchOn, Date: d(2004, 4, 4)}}}},
			"SENTBEFORE 1-Jan-2000 SENTON 2-Feb-2001 SENTSINCE 29-Feb-2004 BEFORE 3-Mar-2003 ON 4-Apr-2004"},
		{"MODSEQ \"/flags/\\\\draft\" all 620162338", searchArgs{Key: &searchKey{Op: searchModSeq, Number: 620162338, ModSeqEntry: `/flags/\draft`, ModSeqEntryType: "all"}},
			`MODSEQ "/flags/\\draft" all 620162338`},
		{"modseq 0 answered deleted new old recent unanswered undeleted undraft unflagged unseen", searchArgs{Key: &searchKey{Op: searchAnd, Children: []searchKey{
			{Op: searchModSeq}, {Op: searchAnswered}, {Op: searchDeleted}, {Op: searchNew}, {Op: searchOld}, {Op: searchRecent},
			{Op: searchUnanswered}, {Op: searchUndeleted}, {Op: searchUndraft}, {Op: searchUnflagged}, {Op: searchUnseen}}}},
			"MODSEQ 0 ANSWERED DELETED NEW OLD RECENT UNANSWERED UNDELETED UNDRAFT UNFLAGGED UNSEEN"},
		{"TEXT {5}\r\nhello BODY x CC y BCC z TO w SUBJECT \"\"", searchArgs{Key: &searchKey{Op: searchAnd, Children: []searchKey{
			{Op: searchText, Value: "hello"}, {Op: searchBody, Value: "x"}, {Op: searchCc, Value: "y"}, {Op: searchBcc, Value: "z"},
			{Op: searchTo, Value: "w"}, {Op: searchSubject, Value: ""}}}},
			`TEXT hello BODY x CC y BCC z TO w SUBJECT ""`},
		// RFC 3501 6.4.4 example with a literal in a charset.
		{"CHARSET ISO-8859-1 SUBJECT {4}\r\ncaf\xe9", searchArgs{Charset: "ISO-8859-1", Key: &searchKey{Op: searchSubject, Value: "café"}}, `SUBJECT "café"`},
	}
	for _, tt := range tests {
		in := "s SEARCH " + tt.in + "\r\n"
		p, _ := testParser(in)
		cmd, err := p.ReadCommand()
		if err != nil {
			t.Errorf("%q: %v", in, err)
			continue
		}
		got := cmd.Args.(*searchArgs)
		if !reflect.DeepEqual(got, &tt.want) {
			t.Errorf("%q:\n got %+v %s\nwant %+v %s", in, got, got.Key, &tt.want, tt.want.Key)
		}
		if s := got.Key.String(); s != tt.str {
			t.Errorf("%q: String() = %q, want %q", in, s, tt.str)
		}
	}
}

// TestParseErrors checks the error of each bad command and that the
// parser is then back in step: the next command reads correctly.
func TestParseErrors(t *testing.T) {
	tests := []struct {
		in     string
		tag    string
		status string
		code   string
	}{
		{"a1 FOO bar\r\n", "a1", "BAD", ""},
		{"a1 GETQUOTA \"\"\r\n", "a1", "BAD", ""},
		{"+ NOOP\r\n", "", "BAD", ""},
		{"(x NOOP\r\n", "", "BAD", ""},
		{"a\r\n", "a", "BAD", ""},
		{"a NOOP extra\r\n", "a", "BAD", ""},
		{"a UID NOOP\r\n", "a", "BAD", ""},
		{"a UID LOGIN x y\r\n", "a", "BAD", ""},
		{"a LOGIN onlyuser\r\n", "a", "BAD", ""},
		{"a LOGIN  x y\r\n", "a", "BAD", ""},
		{"a LOGIN \"unterminated\r\n", "a", "BAD", ""},
		{"a LOGIN \"bad\\escape\" x\r\n", "a", "BAD", ""},
		{"a AUTHENTICATE PLAIN !!!\r\n", "a", "BAD", ""},
		{"a SELECT INBOX (UNKNOWN)\r\n", "a", "BAD", ""},
		{"a SELECT INBOX ()\r\n", "a", "BAD", ""},
		{"a CREATE x ()\r\n", "a", "BAD", ""},
		{"a STORE 1 () FLAGS x\r\n", "a", "BAD", ""},
		{"a FETCH 1 FLAGS ()\r\n", "a", "BAD", ""},
		{"a SELECT INBOX (QRESYNC (1 2 1:*))\r\n", "a", "BAD", ""},
		{"a SELECT &AGE-\r\n", "a", "NO", "CANNOT"},
		{"a SELECT caf\xc3\xa9\r\n", "a", "BAD", ""},
		{"a SELECT \"caf\xc3\xa9\"\r\n", "a", "NO", "CANNOT"},
		{"a CREATE x (FOO)\r\n", "a", "BAD", ""},
		{"a LIST (RECURSIVEMATCH) \"\" *\r\n", "a", "BAD", ""},
		{"a LIST (BOGUS) \"\" *\r\n", "a", "BAD", ""},
		{"a LIST \"\" * RETURN (BOGUS)\r\n", "a", "BAD", ""},
		{"a LIST \"\" ()\r\n", "a", "BAD", ""},
		{"a STATUS x (MESSAGES BOGUS)\r\n", "a", "BAD", ""},
		{"a STATUS x ()\r\n", "a", "BAD", ""},
		{"a STORE 1 +FLAGS (\\Recent)\r\n", "a", "BAD", ""},
		{"a STORE 1 +FLAGS (\\*)\r\n", "a", "BAD", ""},
		{"a STORE 1 FLAGZ (\\Seen)\r\n", "a", "BAD", ""},
		{"a STORE 0 FLAGS (\\Seen)\r\n", "a", "BAD", ""},
		{"a FETCH 1 (FLAGS\r\n", "a", "BAD", ""},
		{"a FETCH 1 ()\r\n", "a", "BAD", ""},
		{"a FETCH 1 BOGUS\r\n", "a", "BAD", ""},
		{"a FETCH 1 BODY[1.MIME.X]\r\n", "a", "BAD", ""},
		{"a FETCH 1 BODY[MIME]\r\n", "a", "BAD", ""},
		{"a FETCH 1 BODY[1.]\r\n", "a", "BAD", ""},
		{"a FETCH 1 BODY[HEADER.FIELDS ()]\r\n", "a", "BAD", ""},
		{"a FETCH 1 BODY[HEADER.FIELDS (a:b)]\r\n", "a", "BAD", ""},
		{"a FETCH 1 BODY[]<1.0>\r\n", "a", "BAD", ""},
		{"a FETCH 1 BINARY[TEXT]\r\n", "a", "BAD", ""},
		{"a FETCH 1 BODY.PEEK\r\n", "a", "BAD", ""},
		{"a FETCH 1 (FLAGS) (VANISHED)\r\n", "a", "BAD", ""},
		{"a FETCH 1 (FLAGS) (CHANGEDSINCE 1 VANISHED)\r\n", "a", "BAD", ""},
		{"a FETCH 1 (FLAGS) (CHANGEDSINCE 0)\r\n", "a", "BAD", ""},
		{"a SEARCH\r\n", "a", "BAD", ""},
		{"a SEARCH ALL \r\n", "a", "BAD", ""},
		{"a SEARCH FOO\r\n", "a", "BAD", ""},
		{"a SEARCH ()\r\n", "a", "BAD", ""},
		{"a SEARCH OR ALL\r\n", "a", "BAD", ""},
		{"a SEARCH SINCE 30-Feb-2000\r\n", "a", "BAD", ""},
		{"a SEARCH SINCE 1-Foo-2000\r\n", "a", "BAD", ""},
		{"a SEARCH RETURN (BOGUS) ALL\r\n", "a", "BAD", ""},
		{"a SEARCH CHARSET X-UNKNOWN-CHARSET ALL\r\n", "a", "NO", "BADCHARSET (US-ASCII UTF-8)"},
		{"a SEARCH HEADER \"\" x\r\n", "a", "BAD", ""},
		{"a SEARCH MODSEQ \"/flags/\\\\Seen\" bogus 5\r\n", "a", "BAD", ""},
		{"a SEARCH KEYWORD \\Seen\r\n", "a", "BAD", ""},
		{"a SEARCH LARGER 99999999999999999999\r\n", "a", "BAD", ""},
		{"a SORT () UTF-8 ALL\r\n", "a", "BAD", ""},
		{"a SORT (BOGUS) UTF-8 ALL\r\n", "a", "BAD", ""},
		{"a SORT (DATE) ALL\r\n", "a", "NO", "BADCHARSET (US-ASCII UTF-8)"},
		{"a ENABLE\r\n", "a", "BAD", ""},
		{"a ID (\"a\")\r\n", "a", "BAD", ""},
		{"a ID (" + strings.Repeat(`"k" "v" `, 31) + ")\r\n", "a", "BAD", ""},
		{"a APPEND INBOX\r\n", "a", "BAD", ""},
		{"a COPY 1:x INBOX\r\n", "a", "BAD", ""},
		{"a LOGIN {3}x\r\n", "a", "BAD", ""},
		{"a LOGIN ~{3}\r\n", "a", "BAD", ""},
	}
	for _, tt := range tests {
		p, _ := testParser(tt.in + "z NOOP\r\n")
		_, err := p.ReadCommand()
		var pe *commandError
		if !errors.As(err, &pe) {
			t.Errorf("%q: err = %v, want *ParseError", tt.in, err)
			continue
		}
		if pe.Tag != tt.tag || pe.Status != tt.status || pe.Code != tt.code || pe.Fatal || pe.Message == "" {
			t.Errorf("%q: got tag %q %s [%s] %q fatal=%v, want tag %q %s [%s]", tt.in, pe.Tag, pe.Status, pe.Code, pe.Message, pe.Fatal, tt.tag, tt.status, tt.code)
		}
		cmd, err := p.ReadCommand()
		if err != nil || cmd.Tag != "z" || cmd.Name != "NOOP" {
			t.Errorf("%q: next command = %+v, %v; want z NOOP", tt.in, cmd, err)
		}
	}
}

func TestParseLiterals(t *testing.T) {
	// A synchronizing and a non-synchronizing literal: Continue is called
	// for both, and told which is which.
	p, lits := testParser("a LOGIN {5}\r\nalice {6+}\r\nsecret\r\nb NOOP\r\n")
	cmd, err := p.ReadCommand()
	if err != nil {
		t.Fatal(err)
	}
	if la := cmd.Args.(*loginArgs); la.Username != "alice" || la.Password != "secret" {
		t.Errorf("LOGIN args %+v", la)
	}
	if want := []announcedLiteral{{Size: 5}, {Size: 6, NonSync: true}}; !reflect.DeepEqual(*lits, want) {
		t.Errorf("Continue calls %+v, want %+v", *lits, want)
	}
	if cmd, err := p.ReadCommand(); err != nil || cmd.Name != "NOOP" {
		t.Errorf("next: %v %v", cmd, err)
	}

	// A synchronizing literal over the limit is refused before its data:
	// the client sends nothing more, so the next line is the next command.
	p, lits = testParser("a LOGIN {70000}\r\nb NOOP\r\n")
	_, err = p.ReadCommand()
	var pe *commandError
	if !errors.As(err, &pe) || pe.Code != "TOOBIG" || pe.Tag != "a" {
		t.Fatalf("oversized literal: %v", err)
	}
	if len(*lits) != 0 {
		t.Errorf("Continue called for a refused literal: %+v", *lits)
	}
	if cmd, err := p.ReadCommand(); err != nil || cmd.Tag != "b" {
		t.Errorf("after refused literal: %v %v", cmd, err)
	}

	// A non-synchronizing literal over the limit: its data is already on
	// the way and is skipped, with the rest of the command.
	big := strings.Repeat("x", 70000)
	p, _ = testParser("a LOGIN {70000+}\r\n" + big + " {3+}\r\nabc\r\nb NOOP\r\n")
	if _, err = p.ReadCommand(); !errors.As(err, &pe) || pe.Code != "TOOBIG" {
		t.Fatalf("oversized non-sync literal: %v", err)
	}
	if cmd, err := p.ReadCommand(); err != nil || cmd.Tag != "b" {
		t.Errorf("after skipped literal: %v %v", cmd, err)
	}

	// LITERAL-: non-synchronizing literals above 4096 bytes are refused
	// (RFC 7888 4), and skipped.
	p, _ = testParser("a LOGIN {4097+}\r\n" + strings.Repeat("y", 4097) + " x\r\nb NOOP\r\n")
	p.LiteralMinus = true
	if _, err = p.ReadCommand(); !errors.As(err, &pe) || pe.Code != "TOOBIG" {
		t.Fatalf("LITERAL- over 4096: %v", err)
	}
	if cmd, err := p.ReadCommand(); err != nil || cmd.Tag != "b" {
		t.Errorf("after LITERAL- refusal: %v %v", cmd, err)
	}

	// Continue refuses a literal with its own status and code.
	p = newParser(bufio.NewReader(strings.NewReader("a LOGIN {3}\r\nb NOOP\r\n")))
	p.Continue = func(announcedLiteral) error { return &commandError{Status: "NO", Code: "LIMIT", Message: "no"} }
	if _, err = p.ReadCommand(); !errors.As(err, &pe) || pe.Status != "NO" || pe.Code != "LIMIT" || pe.Tag != "a" {
		t.Fatalf("refused by Continue: %v", err)
	}
	if cmd, err := p.ReadCommand(); err != nil || cmd.Tag != "b" {
		t.Errorf("after refusal: %v %v", cmd, err)
	}

	// No Continue: synchronizing literals are refused.
	p = newParser(bufio.NewReader(strings.NewReader("a LOGIN {3}\r\nb NOOP\r\n")))
	if _, err = p.ReadCommand(); !errors.As(err, &pe) || !errors.Is(err, errLiteralRefused) {
		t.Fatalf("no Continue: %v", err)
	}

	// A literal announcing more than can be skipped ends the session.
	p, _ = testParser("a LOGIN {99999999999999+}\r\nxx")
	if _, err = p.ReadCommand(); !errors.As(err, &pe) || !pe.Fatal {
		t.Fatalf("huge non-sync literal: %v", err)
	}
	p, _ = testParser("a LOGIN {99999999999999999999999+}\r\nxx")
	if _, err = p.ReadCommand(); !errors.As(err, &pe) || !pe.Fatal {
		t.Fatalf("unrepresentable non-sync literal: %v", err)
	}

	// A syntax error before a literal in the same command: the rest,
	// non-sync literals included, is skipped.
	p, _ = testParser("a LOGIN x y z {2+}\r\nab more {1+}\r\nc\r\nb NOOP\r\n")
	if _, err = p.ReadCommand(); !errors.As(err, &pe) || pe.Tag != "a" {
		t.Fatalf("error before literal: %v", err)
	}
	if cmd, err := p.ReadCommand(); err != nil || cmd.Tag != "b" {
		t.Errorf("after skipped command: %v %v", cmd, err)
	}

	// The connection ends inside a literal.
	p, _ = testParser("a LOGIN {10}\r\nabc")
	if _, err = p.ReadCommand(); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("truncated literal: %v", err)
	}
}

func TestParseLineLimit(t *testing.T) {
	long := "a LOGIN " + strings.Repeat("x", 100000) + " y\r\n"
	p, _ := testParser(long + "b NOOP\r\n")
	_, err := p.ReadCommand()
	var pe *commandError
	if !errors.As(err, &pe) || pe.Code != "TOOBIG" || pe.Tag != "a" {
		t.Fatalf("long line: %v", err)
	}
	if cmd, err := p.ReadCommand(); err != nil || cmd.Tag != "b" {
		t.Errorf("after long line: %v %v", cmd, err)
	}
	if cap(p.line) > 2*DefaultMaxLineLength {
		t.Errorf("line buffer grew to %d bytes", cap(p.line))
	}

	// A long line that ends with a non-synchronizing literal: the literal
	// is found at its end and skipped.
	long = "a LOGIN " + strings.Repeat("x", 100000) + " {4+}\r\nabcd\r\n"
	p, _ = testParser(long + "b NOOP\r\n")
	if _, err = p.ReadCommand(); !errors.As(err, &pe) || pe.Code != "TOOBIG" {
		t.Fatalf("long line with literal: %v", err)
	}
	if cmd, err := p.ReadCommand(); err != nil || cmd.Tag != "b" {
		t.Errorf("after long line with literal: %v %v", cmd, err)
	}

	// The limit covers all the lines of a command.
	p, _ = testParser("a LOGIN {1}\r\nx " + strings.Repeat("y", 200) + "\r\nb NOOP\r\n")
	p.MaxLineLength = 100
	if _, err = p.ReadCommand(); !errors.As(err, &pe) || pe.Code != "TOOBIG" {
		t.Fatalf("continuation too long: %v", err)
	}
	if cmd, err := p.ReadCommand(); err != nil || cmd.Tag != "b" {
		t.Errorf("after long continuation: %v %v", cmd, err)
	}

	// Total literal size of a command.
	p, _ = testParser("a LOGIN {60} {10}\r\n")
	p.MaxLiteralSize = 50
	if _, err = p.ReadCommand(); !errors.As(err, &pe) {
		t.Fatalf("literal budget: %v", err)
	}
}

func TestParseDepthAndKeyLimits(t *testing.T) {
	deep := "a SEARCH " + strings.Repeat("(", 40) + "ALL" + strings.Repeat(")", 40) + "\r\nb NOOP\r\n"
	p, _ := testParser(deep)
	_, err := p.ReadCommand()
	var pe *commandError
	if !errors.As(err, &pe) || pe.Status != "BAD" {
		t.Fatalf("deep search: %v", err)
	}
	if cmd, err := p.ReadCommand(); err != nil || cmd.Tag != "b" {
		t.Errorf("after deep search: %v %v", cmd, err)
	}
	// NOT chains count too: a million NOTs must not exhaust the stack.
	p, _ = testParser("a SEARCH " + strings.Repeat("NOT ", 1000000) + "ALL\r\n")
	p.MaxLineLength = 8 << 20
	if _, err := p.ReadCommand(); !errors.As(err, &pe) || pe.Code == "TOOBIG" {
		t.Fatalf("NOT chain: %v", err)
	}
	// Within the limit.
	p, _ = testParser("a SEARCH " + strings.Repeat("OR ALL ", 30) + "ALL\r\n")
	if _, err := p.ReadCommand(); err != nil {
		t.Errorf("30 ORs: %v", err)
	}
	p, _ = testParser("a SEARCH " + strings.Repeat("ALL ", 2000) + "ALL\r\n")
	if _, err := p.ReadCommand(); !errors.As(err, &pe) || pe.Code != "LIMIT" {
		t.Errorf("too many keys: %v", err)
	}
	p, _ = testParser("a FETCH " + strings.Repeat("1,", 20) + "1 FLAGS\r\n")
	p.MaxSeqRanges = 10
	if _, err := p.ReadCommand(); !errors.As(err, &pe) || pe.Code != "TOOBIG" {
		t.Errorf("too many ranges: %v", err)
	}
}

func TestParseEmptyLinesAndEOF(t *testing.T) {
	p, _ := testParser("\r\n\r\na NOOP\r\n")
	if cmd, err := p.ReadCommand(); err != nil || cmd.Tag != "a" {
		t.Errorf("empty lines: %v %v", cmd, err)
	}
	if _, err := p.ReadCommand(); err != io.EOF {
		t.Errorf("at end: %v, want io.EOF", err)
	}
	p, _ = testParser("a NOO")
	if _, err := p.ReadCommand(); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("partial line: %v", err)
	}
}

func TestParseUTF8Mailbox(t *testing.T) {
	p, _ := testParser("a SELECT \"Entwürfe\"\r\nb SELECT \"Entw&APw-rfe\"\r\nc SELECT \"bad\xff\"\r\n")
	p.UTF8 = true
	cmd, err := p.ReadCommand()
	if err != nil || cmd.Args.(*selectArgs).Mailbox != "Entwürfe" {
		t.Errorf("UTF-8 name: %+v %v", cmd, err)
	}
	// In UTF8=ACCEPT mode names are not decoded from modified UTF-7.
	cmd, err = p.ReadCommand()
	if err != nil || cmd.Args.(*selectArgs).Mailbox != "Entw&APw-rfe" {
		t.Errorf("UTF-8 mode, UTF-7 looking name: %+v %v", cmd, err)
	}
	var pe *commandError
	if _, err = p.ReadCommand(); !errors.As(err, &pe) || pe.Status != "NO" {
		t.Errorf("invalid UTF-8: %v", err)
	}
}

func TestParseAppend(t *testing.T) {
	msg1 := "From: a@b\r\n\r\nhello\r\n"
	msg2 := "From: c@d\r\n\r\nbye\r\n"
	in := "a APPEND saved-messages (\\Seen $Forwarded) \" 7-Feb-1994 21:52:25 -0800\" {" + itoa(len(msg1)) + "}\r\n" + msg1 +
		" ~{" + itoa(len(msg2)) + "+}\r\n" + msg2 + " {0}\r\n\r\nb NOOP\r\n"
	p, lits := testParser(in)
	cmd, err := p.ReadCommand()
	if err != nil || cmd.Name != "APPEND" || cmd.Args.(*appendArgs).Mailbox != "saved-messages" {
		t.Fatalf("APPEND: %+v %v", cmd, err)
	}
	m, err := p.NextAppendMessage()
	if err != nil {
		t.Fatal(err)
	}
	want := time.Date(1994, 2, 7, 21, 52, 25, 0, time.FixedZone("", -8*3600))
	if !reflect.DeepEqual(m.Flags, []string{FlagSeen, "$Forwarded"}) || !m.Date.Equal(want) || m.Size != int64(len(msg1)) || m.Binary {
		t.Errorf("message 1: %+v", m)
	}
	if _, off := m.Date.Zone(); off != -8*3600 {
		t.Errorf("date zone offset %d", off)
	}
	body, _ := io.ReadAll(m.Body)
	if string(body) != msg1 {
		t.Errorf("body 1 = %q", body)
	}
	m, err = p.NextAppendMessage()
	if err != nil {
		t.Fatal(err)
	}
	if m.Flags != nil || !m.Date.IsZero() || !m.Binary || m.Size != int64(len(msg2)) {
		t.Errorf("message 2: %+v", m)
	}
	// Message 2 is not read: the parser skips it.
	m, err = p.NextAppendMessage()
	if err != nil || m == nil || m.Size != 0 {
		t.Fatalf("message 3: %+v %v", m, err)
	}
	if b, _ := io.ReadAll(m.Body); len(b) != 0 {
		t.Errorf("empty body = %q", b)
	}
	if m, err = p.NextAppendMessage(); m != nil || err != nil {
		t.Fatalf("end of APPEND: %+v %v", m, err)
	}
	want3 := []announcedLiteral{{Size: int64(len(msg1)), Append: true}, {Size: int64(len(msg2)), NonSync: true, Binary: true, Append: true}, {Size: 0, Append: true}}
	if !reflect.DeepEqual(*lits, want3) {
		t.Errorf("literals %+v", *lits)
	}
	if cmd, err := p.ReadCommand(); err != nil || cmd.Tag != "b" {
		t.Errorf("after APPEND: %v %v", cmd, err)
	}
}

func itoa(n int) string { return strings.TrimSpace(strings.Repeat(" ", 0) + fmtInt(n)) }

func fmtInt(n int) string {
	var b []byte
	if n == 0 {
		return "0"
	}
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

func TestParseAppendErrors(t *testing.T) {
	var pe *commandError
	// The server refuses the message (e.g. TRYCREATE): a synchronizing
	// literal is not sent by the client, so the next line is a command.
	p := newParser(bufio.NewReader(strings.NewReader("a APPEND nosuch {10}\r\nb NOOP\r\n")))
	p.Continue = func(l announcedLiteral) error {
		return &commandError{Status: "NO", Code: "TRYCREATE", Message: "No such mailbox"}
	}
	if _, err := p.ReadCommand(); err != nil {
		t.Fatal(err)
	}
	if _, err := p.NextAppendMessage(); !errors.As(err, &pe) || pe.Code != "TRYCREATE" || pe.Tag != "a" {
		t.Fatalf("refused APPEND: %v", err)
	}
	if cmd, err := p.ReadCommand(); err != nil || cmd.Tag != "b" {
		t.Errorf("after refused APPEND: %v %v", cmd, err)
	}

	// A non-synchronizing message over MaxAppendSize: refused, data skipped.
	p, _ = testParser("a APPEND INBOX {100+}\r\n" + strings.Repeat("m", 100) + "\r\nb NOOP\r\n")
	p.MaxAppendSize = 50
	p.ReadCommand()
	if _, err := p.NextAppendMessage(); !errors.As(err, &pe) || pe.Code != "TOOBIG" || pe.Status != "NO" {
		t.Fatalf("APPEND too big: %v", err)
	}
	if cmd, err := p.ReadCommand(); err != nil || cmd.Tag != "b" {
		t.Errorf("after APPEND too big: %v %v", cmd, err)
	}

	// MULTIAPPEND with a syntax error after the first message.
	p, _ = testParser("a APPEND INBOX {3}\r\nabc (\\Bogus-\x01) {3+}\r\nxyz\r\nb NOOP\r\n")
	p.ReadCommand()
	if m, err := p.NextAppendMessage(); err != nil || m == nil {
		t.Fatalf("first message: %v", err)
	}
	if _, err := p.NextAppendMessage(); !errors.As(err, &pe) || pe.Tag != "a" {
		t.Fatalf("bad second message: %v", err)
	}
	if cmd, err := p.ReadCommand(); err != nil || cmd.Tag != "b" {
		t.Errorf("after bad MULTIAPPEND: %v %v", cmd, err)
	}

	// The server gives up in the middle (its backend failed): ReadCommand
	// skips the rest of the message and of the command.
	p, _ = testParser("a APPEND INBOX {5}\r\n12345 {2+}\r\nab\r\nb NOOP\r\n")
	p.ReadCommand()
	m, _ := p.NextAppendMessage()
	buf := make([]byte, 2)
	io.ReadFull(m.Body, buf)
	if cmd, err := p.ReadCommand(); err != nil || cmd.Tag != "b" {
		t.Errorf("after abandoned APPEND: %v %v", cmd, err)
	}

	// An append-data extension the server does not know.
	p, _ = testParser("a APPEND INBOX XFOO (URL \"/x\")\r\nb NOOP\r\n")
	p.ReadCommand()
	if _, err := p.NextAppendMessage(); !errors.As(err, &pe) {
		t.Fatalf("XFOO: %v", err)
	}
	if cmd, err := p.ReadCommand(); err != nil || cmd.Tag != "b" {
		t.Errorf("after XFOO: %v %v", cmd, err)
	}

	// Bad date-time.
	p, _ = testParser("a APPEND INBOX \"31-Feb-2020 00:00:00 +0000\" {1}\r\nb NOOP\r\n")
	p.ReadCommand()
	if _, err := p.NextAppendMessage(); !errors.As(err, &pe) {
		t.Fatalf("bad date: %v", err)
	}
	if cmd, err := p.ReadCommand(); err != nil || cmd.Tag != "b" {
		t.Errorf("after bad date: %v %v", cmd, err)
	}

	// The connection ends inside the message.
	p, _ = testParser("a APPEND INBOX {50}\r\nshort")
	p.ReadCommand()
	m, _ = p.NextAppendMessage()
	if _, err := io.ReadAll(m.Body); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("truncated message: %v", err)
	}

	// NextAppendMessage outside APPEND.
	p, _ = testParser("a NOOP\r\n")
	p.ReadCommand()
	if _, err := p.NextAppendMessage(); err == nil {
		t.Error("NextAppendMessage after NOOP succeeded")
	}
}

func TestReadLineAndSASL(t *testing.T) {
	p, _ := testParser("AGJvYgBwdw==\r\n*\r\ndone\r\nDONE \r\n" + strings.Repeat("z", 70000) + "\r\nok\r\n")
	line, err := p.ReadLine()
	if err != nil {
		t.Fatal(err)
	}
	if b, err := decodeSASLResponse(line); err != nil || string(b) != "\x00bob\x00pw" {
		t.Errorf("SASL response %q %v", b, err)
	}
	line, _ = p.ReadLine()
	if _, err := decodeSASLResponse(line); err != errAuthCanceled {
		t.Errorf("cancel: %v", err)
	}
	line, _ = p.ReadLine()
	if !isDone(line) {
		t.Errorf("IsDone(%q) false", line)
	}
	line, _ = p.ReadLine()
	if isDone(line) {
		t.Errorf("IsDone(%q) true", line)
	}
	var pe *commandError
	if _, err := p.ReadLine(); !errors.As(err, &pe) {
		t.Errorf("long line: %v", err)
	}
	if line, err := p.ReadLine(); err != nil || string(line) != "ok" {
		t.Errorf("after long line: %q %v", line, err)
	}
	if _, err := decodeSASLResponse([]byte("@@@")); err == nil {
		t.Error("invalid base64 accepted")
	}
}

// TestParseNoAllocBeforeCheck announces a huge synchronizing literal: the
// parser must refuse it without allocating anything near its size.
func TestParseNoAllocBeforeCheck(t *testing.T) {
	in := "a LOGIN {2000000000}\r\n"
	allocs := testing.AllocsPerRun(10, func() {
		p, _ := testParser(in)
		p.ReadCommand()
	})
	// A handful of small allocations (the parser, its buffers, the error).
	if allocs > 30 {
		t.Errorf("%v allocations", allocs)
	}
	var ms runtimeMem
	ms.before()
	p, _ := testParser(in)
	p.ReadCommand()
	if grew := ms.after(); grew > 1<<20 {
		t.Errorf("heap grew by %d bytes", grew)
	}
}

// RFC 9051 number64 / RFC 7162 mod-sequence-value: up to 2^63-1 exactly.
func TestParseNumber64Bounds(t *testing.T) {
	p, _ := testParser("a FETCH 1 (FLAGS) (CHANGEDSINCE 9223372036854775807)\r\nb FETCH 1 (FLAGS) (CHANGEDSINCE 9223372036854775808)\r\n")
	cmd, err := p.ReadCommand()
	if err != nil || cmd.Args.(*fetchArgs).ChangedSince != 1<<63-1 {
		t.Fatalf("2^63-1: %v %v", cmd, err)
	}
	var pe *commandError
	if _, err := p.ReadCommand(); !errors.As(err, &pe) || pe.Tag != "b" || pe.Status != "BAD" {
		t.Fatalf("2^63: %v", err)
	}
}

// TestParserTranscript reads a pipelined batch the way the server does:
// Continue checks a literal before the client is invited to send it, and a
// refused command gives a commandError carrying its tag.
func TestParserTranscript(t *testing.T) {
	client := "a1 LOGIN {5}\r\nalice secret\r\na2 UID FETCH 1:* (FLAGS BODY.PEEK[HEADER.FIELDS (Subject)])\r\na3 FROB\r\na4 LOGOUT\r\n"
	var out strings.Builder
	p := newParser(bufio.NewReader(strings.NewReader(client)))
	p.Continue = func(l announcedLiteral) error {
		if !l.NonSync {
			out.WriteString("+ Ready\n")
		}
		return nil
	}
	for {
		cmd, err := p.ReadCommand()
		if err == io.EOF {
			break
		}
		if pe, ok := err.(*commandError); ok {
			fmt.Fprintf(&out, "%s %s %s\n", pe.Tag, pe.Status, pe.Message)
			continue
		}
		switch args := cmd.Args.(type) {
		case *loginArgs:
			fmt.Fprintf(&out, "%s LOGIN user=%s\n", cmd.Tag, args.Username)
		case *fetchArgs:
			fmt.Fprintf(&out, "%s FETCH uid=%v set=%s items:", cmd.Tag, cmd.UID, args.Set)
			for _, it := range args.Items {
				fmt.Fprintf(&out, " %s", it.ResponseName())
			}
			fmt.Fprintln(&out)
		default:
			fmt.Fprintf(&out, "%s %s\n", cmd.Tag, cmd.Name)
		}
	}
	want := "+ Ready\n" +
		"a1 LOGIN user=alice\n" +
		"a2 FETCH uid=true set=1:* items: FLAGS BODY[HEADER.FIELDS (Subject)]\n" +
		"a3 BAD Unknown command FROB\n" +
		"a4 LOGOUT\n"
	if out.String() != want {
		t.Errorf("got\n%s\nwant\n%s", out.String(), want)
	}
}

// TestParserStreamsAppend: APPEND data is handed over as a reader, one
// message at a time.
func TestParserStreamsAppend(t *testing.T) {
	client := "a APPEND Drafts (\\Draft) {22}\r\nSubject: hi\r\n\r\nhello\r\n\r\n"
	p := newParser(bufio.NewReader(strings.NewReader(client)))
	p.Continue = func(announcedLiteral) error { return nil }
	cmd, err := p.ReadCommand()
	if err != nil || cmd.Name != "APPEND" || cmd.Args.(*appendArgs).Mailbox != "Drafts" {
		t.Fatalf("ReadCommand = %+v, %v", cmd, err)
	}
	var got []string
	for {
		m, err := p.NextAppendMessage()
		if err != nil {
			t.Fatal(err)
		}
		if m == nil {
			break
		}
		body, err := io.ReadAll(m.Body)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprintf("flags %v, %d bytes, %q", m.Flags, m.Size, body))
	}
	want := []string{`flags [\Draft], 22 bytes, "Subject: hi\r\n\r\nhello\r\n"`}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("messages %q, want %q", got, want)
	}
}
