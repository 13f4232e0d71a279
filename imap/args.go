package imap

import "strconv"

// Command is a parsed client command.
//
// Args holds the command's arguments, by Name:
//
//	CAPABILITY NOOP LOGOUT STARTTLS CHECK CLOSE UNSELECT IDLE NAMESPACE  nil
//	EXPUNGE                        nil; with UID: *ExpungeArgs
//	LOGIN                          *LoginArgs
//	AUTHENTICATE                   *AuthenticateArgs
//	SELECT EXAMINE                 *SelectArgs
//	CREATE                         *CreateArgs
//	DELETE SUBSCRIBE UNSUBSCRIBE   *MailboxArgs
//	RENAME                         *RenameArgs
//	LIST LSUB                      *ListArgs
//	STATUS                         *StatusArgs
//	APPEND                         *AppendArgs (messages: Parser.NextAppendMessage)
//	SEARCH                         *SearchArgs
//	FETCH                          *FetchArgs
//	STORE                          *StoreArgs
//	COPY MOVE                      *CopyArgs
//	ENABLE                         *EnableArgs
//	ID                             *IDArgs
//	SORT                           *SortArgs
//	THREAD                         *ThreadArgs
type Command struct {
	Tag  string
	Name string // upper case, without the UID prefix
	UID  bool   // the command had the UID prefix (RFC 9051 section 6.4.9)
	Args any
}

// LoginArgs are the arguments of LOGIN.
type LoginArgs struct {
	Username, Password string
}

// AuthenticateArgs are the arguments of AUTHENTICATE.
type AuthenticateArgs struct {
	Mechanism string // upper case
	// InitialResponse is the SASL-IR initial response (RFC 4959), decoded
	// from base64: nil when absent, empty (not nil) for "=".
	InitialResponse []byte
}

// SelectArgs are the arguments of SELECT and EXAMINE.
type SelectArgs struct {
	Mailbox   string
	CondStore bool         // (CONDSTORE) select parameter, RFC 7162 section 3.1.8
	QResync   *QResyncArgs // (QRESYNC (...)) select parameter, RFC 7162 section 3.2.5
}

// QResyncArgs is the QRESYNC select parameter (RFC 7162 section 3.2.5).
type QResyncArgs struct {
	UIDValidity uint32
	ModSeq      uint64
	KnownUIDs   SeqSet // may be empty
	// SeqMatchSeqs and SeqMatchUIDs are the optional sequence match data:
	// message sequence numbers and their corresponding UIDs.
	SeqMatchSeqs, SeqMatchUIDs SeqSet
}

// CreateArgs are the arguments of CREATE.
type CreateArgs struct {
	Mailbox    string
	SpecialUse []string // USE (...) attributes, RFC 6154 section 3
}

// MailboxArgs is the argument of DELETE, SUBSCRIBE and UNSUBSCRIBE.
type MailboxArgs struct {
	Mailbox string
}

// RenameArgs are the arguments of RENAME.
type RenameArgs struct {
	From, To string
}

// ListArgs are the arguments of LIST (RFC 3501, LIST-EXTENDED RFC 5258,
// LIST-STATUS RFC 5819, SPECIAL-USE RFC 6154) and LSUB.
type ListArgs struct {
	Reference string
	Patterns  []string // one for basic LIST and LSUB; several with LIST-EXTENDED
	Extended  bool     // selection or return options, or a pattern list, were given

	SelectSubscribed     bool
	SelectRemote         bool
	SelectRecursiveMatch bool
	SelectSpecialUse     bool

	ReturnSubscribed bool
	ReturnChildren   bool
	ReturnSpecialUse bool
	ReturnStatus     []StatusItem // RETURN (STATUS (...)); nil when not asked
}

// StatusItem is a STATUS data item name.
type StatusItem string

// STATUS items (RFC 9051 section 6.3.11, RFC 7162, RFC 7889).
const (
	StatusMessages      StatusItem = "MESSAGES"
	StatusRecent        StatusItem = "RECENT"
	StatusUIDNext       StatusItem = "UIDNEXT"
	StatusUIDValidity   StatusItem = "UIDVALIDITY"
	StatusUnseen        StatusItem = "UNSEEN"
	StatusDeleted       StatusItem = "DELETED"
	StatusSize          StatusItem = "SIZE"
	StatusHighestModSeq StatusItem = "HIGHESTMODSEQ"
	StatusAppendLimit   StatusItem = "APPENDLIMIT"
)

var statusItems = [...]StatusItem{StatusMessages, StatusRecent, StatusUIDNext, StatusUIDValidity,
	StatusUnseen, StatusDeleted, StatusSize, StatusHighestModSeq, StatusAppendLimit}

// StatusArgs are the arguments of STATUS.
type StatusArgs struct {
	Mailbox string
	Items   []StatusItem
}

// AppendArgs is the mailbox of APPEND; the messages are read with
// Parser.NextAppendMessage.
type AppendArgs struct {
	Mailbox string
}

// SearchReturn is the set of ESEARCH result options (RFC 4731, RFC 5182).
type SearchReturn uint8

// ESEARCH return options.
const (
	SearchReturnMin SearchReturn = 1 << iota
	SearchReturnMax
	SearchReturnAll
	SearchReturnCount
	SearchReturnSave // RFC 5182
)

// SearchArgs are the arguments of SEARCH.
type SearchArgs struct {
	// Charset is the CHARSET given, upper case, or "". Strings in Key are
	// already converted to UTF-8.
	Charset string
	// ESearch is set when RETURN was given: the answer is an ESEARCH
	// response. Return holds the options; RETURN () means ALL.
	ESearch bool
	Return  SearchReturn
	Key     *SearchKey
}

// FetchArgs are the arguments of FETCH.
type FetchArgs struct {
	Set   SeqSet
	Items []FetchItem // macros (ALL, FAST, FULL) are expanded
	// ChangedSince is the CHANGEDSINCE modifier (RFC 7162 section 3.1.4);
	// 0 when absent.
	ChangedSince uint64
	Vanished     bool // VANISHED modifier, RFC 7162 section 3.2.6 (UID FETCH only)
}

// FetchKind is a FETCH data item.
type FetchKind uint8

// FETCH data items (RFC 9051 section 6.4.5, RFC 3501, RFC 3516, RFC 7162).
const (
	FetchEnvelope      FetchKind = iota + 1
	FetchFlags                   // FLAGS
	FetchInternalDate            // INTERNALDATE
	FetchRFC822Size              // RFC822.SIZE
	FetchRFC822                  // RFC822 (= BODY[])
	FetchRFC822Header            // RFC822.HEADER (= BODY.PEEK[HEADER])
	FetchRFC822Text              // RFC822.TEXT (= BODY[TEXT])
	FetchBody                    // BODY: non-extensible body structure
	FetchBodyStructure           // BODYSTRUCTURE
	FetchUID                     // UID
	FetchModSeq                  // MODSEQ
	FetchBodySection             // BODY[section]<partial> and BODY.PEEK
	FetchBinarySection           // BINARY[section]<partial> and BINARY.PEEK
	FetchBinarySize              // BINARY.SIZE[section]
)

var fetchNames = [...]string{
	FetchEnvelope: "ENVELOPE", FetchFlags: "FLAGS", FetchInternalDate: "INTERNALDATE",
	FetchRFC822Size: "RFC822.SIZE", FetchRFC822: "RFC822", FetchRFC822Header: "RFC822.HEADER",
	FetchRFC822Text: "RFC822.TEXT", FetchBody: "BODY", FetchBodyStructure: "BODYSTRUCTURE",
	FetchUID: "UID", FetchModSeq: "MODSEQ", FetchBodySection: "BODY", FetchBinarySection: "BINARY",
	FetchBinarySize: "BINARY.SIZE",
}

// FetchItem is one FETCH data item.
type FetchItem struct {
	Kind    FetchKind
	Section Section // for FetchBodySection, FetchBinarySection, FetchBinarySize
	Peek    bool    // BODY.PEEK / BINARY.PEEK: do not set \Seen
	Partial Partial // <origin.count>; Count 0 when absent
}

// Partial is a partial fetch range "<origin.count>".
type Partial struct {
	Offset, Count int64
}

// Section is a body section specification (RFC 9051 section 6.4.5).
type Section struct {
	Part      []int    // part number, e.g. [1 2 3] for 1.2.3; empty for the whole message
	Specifier string   // "", "HEADER", "HEADER.FIELDS", "HEADER.FIELDS.NOT", "TEXT" or "MIME"
	Fields    []string // header field names of HEADER.FIELDS[.NOT], as the client wrote them
}

// Section specifiers.
const (
	SectionHeader          = "HEADER"
	SectionHeaderFields    = "HEADER.FIELDS"
	SectionHeaderFieldsNot = "HEADER.FIELDS.NOT"
	SectionText            = "TEXT"
	SectionMIME            = "MIME"
)

// AppendTo appends the section specification without brackets, as in a
// FETCH response: "1.2.HEADER.FIELDS (From To)".
func (s Section) AppendTo(b []byte) []byte {
	for i, n := range s.Part {
		if i > 0 {
			b = append(b, '.')
		}
		b = strconv.AppendInt(b, int64(n), 10)
	}
	if s.Specifier != "" {
		if len(s.Part) > 0 {
			b = append(b, '.')
		}
		b = append(b, s.Specifier...)
	}
	if len(s.Fields) > 0 {
		b = append(b, " ("...)
		for i, f := range s.Fields {
			if i > 0 {
				b = append(b, ' ')
			}
			if isAStringAtom(f) {
				b = append(b, f...)
			} else {
				b = strconv.AppendQuote(b, f)
			}
		}
		b = append(b, ')')
	}
	return b
}

// AppendResponseName appends the name under which the item's data is
// returned in a FETCH response: BODY.PEEK[...] is answered as BODY[...],
// a partial BODY as "<origin>" (RFC 9051 section 7.5.2). A partial BINARY
// is answered without the origin, as the msg-att-static grammar of RFC
// 3516 and RFC 9051 has it.
func (it FetchItem) AppendResponseName(b []byte) []byte {
	if int(it.Kind) >= len(fetchNames) || it.Kind == 0 {
		return b
	}
	b = append(b, fetchNames[it.Kind]...)
	switch it.Kind {
	case FetchBodySection, FetchBinarySection, FetchBinarySize:
		b = append(b, '[')
		b = it.Section.AppendTo(b)
		b = append(b, ']')
		if it.Partial.Count > 0 && it.Kind == FetchBodySection {
			b = append(b, '<')
			b = strconv.AppendInt(b, it.Partial.Offset, 10)
			b = append(b, '>')
		}
	}
	return b
}

// ResponseName returns AppendResponseName as a string.
func (it FetchItem) ResponseName() string { return string(it.AppendResponseName(nil)) }

// StoreMode is the operation of STORE.
type StoreMode uint8

// STORE operations.
const (
	StoreReplace StoreMode = iota // FLAGS
	StoreAdd                      // +FLAGS
	StoreRemove                   // -FLAGS
)

// StoreArgs are the arguments of STORE.
type StoreArgs struct {
	Set    SeqSet
	Mode   StoreMode
	Silent bool // .SILENT
	Flags  []string
	// UnchangedSince is the UNCHANGEDSINCE modifier (RFC 7162 section
	// 3.1.3), valid when HasUnchangedSince (0 is a meaningful value).
	UnchangedSince    uint64
	HasUnchangedSince bool
}

// CopyArgs are the arguments of COPY and MOVE.
type CopyArgs struct {
	Set     SeqSet
	Mailbox string
}

// ExpungeArgs is the argument of UID EXPUNGE (RFC 4315 section 2.1).
type ExpungeArgs struct {
	UIDs SeqSet
}

// EnableArgs are the capabilities named in ENABLE (RFC 5161), upper case.
type EnableArgs struct {
	Capabilities []string
}

// IDArgs are the client's ID parameters (RFC 2971); Fields is nil for "ID NIL".
type IDArgs struct {
	Fields []IDField
}

// IDField is one ID parameter. Value is "" for NIL.
type IDField struct {
	Name, Value string
}

// SortCriterion is one SORT criterion (RFC 5256 section 3, RFC 5957).
type SortCriterion struct {
	Key     string // ARRIVAL, CC, DATE, FROM, SIZE, SUBJECT, TO, DISPLAYFROM, DISPLAYTO
	Reverse bool
}

// SortArgs are the arguments of SORT (RFC 5256; RETURN options: ESORT, RFC 5267).
type SortArgs struct {
	Criteria []SortCriterion
	Charset  string // upper case
	ESearch  bool
	Return   SearchReturn
	Key      *SearchKey
}

// ThreadArgs are the arguments of THREAD (RFC 5256).
type ThreadArgs struct {
	Algorithm string // upper case: ORDEREDSUBJECT, REFERENCES, ...
	Charset   string // upper case
	Key       *SearchKey
}
