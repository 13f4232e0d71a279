package imap

import "strconv"

// command is a parsed client command.
//
// Args holds the command's arguments, by Name:
//
//	CAPABILITY NOOP LOGOUT STARTTLS CHECK CLOSE UNSELECT IDLE NAMESPACE  nil
//	EXPUNGE                        nil; with UID: *expungeArgs
//	LOGIN                          *loginArgs
//	AUTHENTICATE                   *authenticateArgs
//	SELECT EXAMINE                 *selectArgs
//	CREATE                         *createArgs
//	DELETE SUBSCRIBE UNSUBSCRIBE   *mailboxArgs
//	RENAME                         *renameArgs
//	LIST LSUB                      *listArgs
//	STATUS                         *statusArgs
//	APPEND                         *appendArgs (messages: parser.NextAppendMessage)
//	SEARCH                         *searchArgs
//	FETCH                          *fetchArgs
//	STORE                          *storeArgs
//	COPY MOVE                      *copyArgs
//	ENABLE                         *enableArgs
//	ID                             *idArgs
//	SORT                           *sortArgs
//	THREAD                         *threadArgs
//	CANCELUPDATE                   *cancelUpdateArgs
//	NOTIFY                         *notifyArgs
//	GENURLAUTH                     *genURLAuthArgs
//	RESETKEY                       *resetKeyArgs
//	URLFETCH                       *urlFetchArgs
type command struct {
	Tag  string
	Name string // upper case, without the UID prefix
	UID  bool   // the command had the UID prefix (RFC 9051 6.4.9)
	Args any
}

// loginArgs are the arguments of LOGIN.
type loginArgs struct {
	Username, Password string
}

// authenticateArgs are the arguments of AUTHENTICATE.
type authenticateArgs struct {
	Mechanism string // upper case
	// InitialResponse is the SASL-IR initial response (RFC 4959), decoded
	// from base64: nil when absent, empty (not nil) for "=".
	InitialResponse []byte
}

// selectArgs are the arguments of SELECT and EXAMINE.
type selectArgs struct {
	Mailbox   string
	CondStore bool         // (CONDSTORE) select parameter, RFC 7162 3.1.8
	QResync   *qresyncArgs // (QRESYNC (...)) select parameter, RFC 7162 3.2.5
}

// qresyncArgs is the QRESYNC select parameter (RFC 7162 3.2.5).
type qresyncArgs struct {
	UIDValidity uint32
	ModSeq      uint64
	KnownUIDs   SeqSet // may be empty
	// SeqMatchSeqs and SeqMatchUIDs are the optional sequence match data:
	// message sequence numbers and their corresponding UIDs.
	SeqMatchSeqs, SeqMatchUIDs SeqSet
}

// createArgs are the arguments of CREATE.
type createArgs struct {
	Mailbox    string
	SpecialUse []string // USE (...) attributes, RFC 6154 3
}

// mailboxArgs is the argument of DELETE, SUBSCRIBE and UNSUBSCRIBE.
type mailboxArgs struct {
	Mailbox string
}

// renameArgs are the arguments of RENAME.
type renameArgs struct {
	From, To string
}

// listArgs are the arguments of LIST (RFC 3501, LIST-EXTENDED RFC 5258,
// LIST-STATUS RFC 5819, SPECIAL-USE RFC 6154) and LSUB.
type listArgs struct {
	Reference string
	// Patterns: one for basic LIST and LSUB, several with LIST-EXTENDED;
	// none when no pattern can match (listMailbox).
	Patterns []string
	Extended bool // selection or return options, or a pattern list, were given

	SelectSubscribed     bool
	SelectRemote         bool
	SelectRecursiveMatch bool
	SelectSpecialUse     bool

	ReturnSubscribed bool
	ReturnChildren   bool
	ReturnSpecialUse bool
	ReturnStatus     []statusItem // RETURN (STATUS (...)); nil when not asked
}

// statusItem is a STATUS data item name.
type statusItem string

// STATUS items (RFC 9051 6.3.11, RFC 7162, RFC 7889).
const (
	statusMessages      statusItem = "MESSAGES"
	statusRecent        statusItem = "RECENT"
	statusUIDNext       statusItem = "UIDNEXT"
	statusUIDValidity   statusItem = "UIDVALIDITY"
	statusUnseen        statusItem = "UNSEEN"
	statusDeleted       statusItem = "DELETED"
	statusSize          statusItem = "SIZE"
	statusHighestModSeq statusItem = "HIGHESTMODSEQ"
	statusAppendLimit   statusItem = "APPENDLIMIT"
)

var statusItems = [...]statusItem{statusMessages, statusRecent, statusUIDNext, statusUIDValidity,
	statusUnseen, statusDeleted, statusSize, statusHighestModSeq, statusAppendLimit}

// statusArgs are the arguments of STATUS.
type statusArgs struct {
	Mailbox string
	Items   []statusItem
}

// appendArgs is the mailbox of APPEND; the messages are read with
// parser.NextAppendMessage.
type appendArgs struct {
	Mailbox string
}

// searchReturn is the set of ESEARCH result options (RFC 4731, RFC 5182).
type searchReturn uint8

// ESEARCH return options.
const (
	searchReturnMin searchReturn = 1 << iota
	searchReturnMax
	searchReturnAll
	searchReturnCount
	searchReturnSave    // RFC 5182
	searchReturnUpdate  // RFC 5267 4.3: ADDTO and REMOVEFROM as the mailbox changes
	searchReturnContext // RFC 5267 4.2: a hint, accepted and ignored
	searchReturnPartial // RFC 5267 4.4, RFC 9394 3.1: a window of the results
)

// returnOptions are the RETURN options of SEARCH and SORT.
type returnOptions struct {
	Return  searchReturn
	Partial partialRange // with searchReturnPartial
	// UpdateItems are the FETCH items of UPDATE (...) (RFC 5465 7),
	// sent for each new message that joins the result.
	UpdateItems []fetchItem
}

// searchArgs are the arguments of SEARCH.
type searchArgs struct {
	// Charset is the CHARSET given, upper case, or "". Strings in Key are
	// already converted to UTF-8.
	Charset string
	// ESearch is set when RETURN was given: the answer is an ESEARCH
	// response. Return holds the options; RETURN () means ALL.
	ESearch bool
	Return  searchReturn
	// Partial and UpdateItems go with searchReturnPartial and
	// searchReturnUpdate (returnOptions).
	Partial     partialRange
	UpdateItems []fetchItem
	Key         *searchKey
}

// fetchArgs are the arguments of FETCH.
type fetchArgs struct {
	Set   SeqSet
	Items []fetchItem // macros (ALL, FAST, FULL) are expanded
	// ChangedSince is the CHANGEDSINCE modifier (RFC 7162 3.1.4);
	// 0 when absent.
	ChangedSince uint64
	Vanished     bool // VANISHED modifier, RFC 7162 3.2.6 (UID FETCH only)
	// Partial is the PARTIAL modifier (RFC 9394 3.3, UID FETCH only);
	// nil when absent.
	Partial *partialRange
}

// fetchKind is a FETCH data item.
type fetchKind uint8

// FETCH data items (RFC 9051 6.4.5, RFC 3501, RFC 3516, RFC 7162).
const (
	fetchEnvelope      fetchKind = iota + 1
	fetchFlags                   // FLAGS
	fetchInternalDate            // INTERNALDATE
	fetchRFC822Size              // RFC822.SIZE
	fetchRFC822                  // RFC822 (= BODY[])
	fetchRFC822Header            // RFC822.HEADER (= BODY.PEEK[HEADER])
	fetchRFC822Text              // RFC822.TEXT (= BODY[TEXT])
	fetchBody                    // BODY: non-extensible body structure
	fetchBodyStructure           // BODYSTRUCTURE
	fetchUID                     // UID
	fetchModSeq                  // MODSEQ
	fetchBodySection             // BODY[section]<partial> and BODY.PEEK
	fetchBinarySection           // BINARY[section]<partial> and BINARY.PEEK
	fetchBinarySize              // BINARY.SIZE[section]
)

var fetchNames = [...]string{
	fetchEnvelope: "ENVELOPE", fetchFlags: "FLAGS", fetchInternalDate: "INTERNALDATE",
	fetchRFC822Size: "RFC822.SIZE", fetchRFC822: "RFC822", fetchRFC822Header: "RFC822.HEADER",
	fetchRFC822Text: "RFC822.TEXT", fetchBody: "BODY", fetchBodyStructure: "BODYSTRUCTURE",
	fetchUID: "UID", fetchModSeq: "MODSEQ", fetchBodySection: "BODY", fetchBinarySection: "BINARY",
	fetchBinarySize: "BINARY.SIZE",
}

// fetchItem is one FETCH data item.
type fetchItem struct {
	Kind    fetchKind
	Section section // for fetchBodySection, fetchBinarySection, fetchBinarySize
	Peek    bool    // BODY.PEEK / BINARY.PEEK: do not set \Seen
	Partial partial // <origin.count>; Count 0 when absent
}

// partial is a partial fetch range "<origin.count>".
type partial struct {
	Offset, Count int64
}

// section is a body section specification (RFC 9051 6.4.5).
type section struct {
	Part      []int    // part number, e.g. [1 2 3] for 1.2.3; empty for the whole message
	Specifier string   // "", "HEADER", "HEADER.FIELDS", "HEADER.FIELDS.NOT", "TEXT" or "MIME"
	Fields    []string // header field names of HEADER.FIELDS[.NOT], as the client wrote them
}

// Section specifiers.
const (
	sectionHeader          = "HEADER"
	sectionHeaderFields    = "HEADER.FIELDS"
	sectionHeaderFieldsNot = "HEADER.FIELDS.NOT"
	sectionText            = "TEXT"
	sectionMIME            = "MIME"
)

// AppendTo appends the section specification without brackets, as in a
// FETCH response: "1.2.HEADER.FIELDS (From To)".
func (s section) AppendTo(b []byte) []byte {
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
// a partial BODY or BINARY with "<origin>" (RFC 9051 7.5.2 names the
// data items BODY[<section>]<<origin octet>> and
// BINARY[<section-binary>]<<number>>; RFC 3516 4.3 the same; Dovecot
// sends it, imaptest wants it). The msg-att-static grammar of RFC 3516
// and RFC 9051 leaves the BINARY origin out, and so do clients that
// follow it to the letter (go-imap v2 among them) when they read a
// partial BINARY.
func (it fetchItem) AppendResponseName(b []byte) []byte {
	if int(it.Kind) >= len(fetchNames) || it.Kind == 0 {
		return b
	}
	b = append(b, fetchNames[it.Kind]...)
	switch it.Kind {
	case fetchBodySection, fetchBinarySection, fetchBinarySize:
		b = append(b, '[')
		b = it.Section.AppendTo(b)
		b = append(b, ']')
		if it.Partial.Count > 0 && it.Kind != fetchBinarySize {
			b = append(b, '<')
			b = strconv.AppendInt(b, it.Partial.Offset, 10)
			b = append(b, '>')
		}
	}
	return b
}

// ResponseName returns AppendResponseName as a string.
func (it fetchItem) ResponseName() string { return string(it.AppendResponseName(nil)) }

// StoreMode is the operation of STORE.
type StoreMode uint8

// STORE operations.
const (
	StoreReplace StoreMode = iota // FLAGS
	StoreAdd                      // +FLAGS
	StoreRemove                   // -FLAGS
)

// storeArgs are the arguments of STORE.
type storeArgs struct {
	Set    SeqSet
	Mode   StoreMode
	Silent bool // .SILENT
	Flags  []string
	// UnchangedSince is the UNCHANGEDSINCE modifier (RFC 7162 3.1.3), valid when HasUnchangedSince (0 is a meaningful value).
	UnchangedSince    uint64
	HasUnchangedSince bool
}

// copyArgs are the arguments of COPY and MOVE.
type copyArgs struct {
	Set     SeqSet
	Mailbox string
}

// expungeArgs is the argument of UID EXPUNGE (RFC 4315 2.1).
type expungeArgs struct {
	UIDs SeqSet
}

// enableArgs are the capabilities named in ENABLE (RFC 5161), upper case.
type enableArgs struct {
	Capabilities []string
}

// idArgs are the client's ID parameters (RFC 2971); Fields is nil for "ID NIL".
type idArgs struct {
	Fields []idField
}

// idField is one ID parameter. Value is "" for NIL.
type idField struct {
	Name, Value string
}

// sortCriterion is one SORT criterion (RFC 5256 3, RFC 5957).
type sortCriterion struct {
	Key     string // ARRIVAL, CC, DATE, FROM, SIZE, SUBJECT, TO, DISPLAYFROM, DISPLAYTO
	Reverse bool
}

// sortArgs are the arguments of SORT (RFC 5256; RETURN options: ESORT, RFC 5267).
type sortArgs struct {
	Criteria    []sortCriterion
	Charset     string // upper case
	ESearch     bool
	Return      searchReturn
	Partial     partialRange // as in searchArgs
	UpdateItems []fetchItem
	Key         *searchKey
}

// threadArgs are the arguments of THREAD (RFC 5256).
type threadArgs struct {
	Algorithm string // upper case: ORDEREDSUBJECT, REFERENCES, ...
	Charset   string // upper case
	Key       *searchKey
}

// cancelUpdateArgs are the tags named in CANCELUPDATE (RFC 5267 4.3.5).
type cancelUpdateArgs struct {
	Tags []string
}

// notifyEvents is a set of NOTIFY events (RFC 5465 5).
type notifyEvents uint8

// NOTIFY events, in the order of notifyEventNames.
const (
	evMessageNew notifyEvents = 1 << iota
	evMessageExpunge
	evFlagChange
	evAnnotationChange
	evMailboxName
	evSubscriptionChange
	evMailboxMetadataChange
	evServerMetadataChange

	evMessage = evMessageNew | evMessageExpunge | evFlagChange | evAnnotationChange
	// evSupported are the events this server can produce: it has no
	// ANNOTATE or METADATA.
	evSupported = evMessageNew | evMessageExpunge | evFlagChange | evMailboxName | evSubscriptionChange
)

var notifyEventNames = [...]string{"MessageNew", "MessageExpunge", "FlagChange", "AnnotationChange",
	"MailboxName", "SubscriptionChange", "MailboxMetadataChange", "ServerMetadataChange"}

// notifyFilter is a filter-mailboxes of NOTIFY other than the selected
// ones (RFC 5465 6).
type notifyFilter uint8

const (
	filterInboxes notifyFilter = iota + 1
	filterPersonal
	filterSubscribed
	filterSubtree
	filterMailboxes
)

// notifyGroup is one event-group of NOTIFY SET for other mailboxes.
type notifyGroup struct {
	Filter notifyFilter
	Names  []string // subtree and mailboxes: checked names
	Events notifyEvents
}

// notifySelected is the SELECTED or SELECTED-DELAYED event-group.
type notifySelected struct {
	Delayed bool // SELECTED-DELAYED: expunges wait for a command that allows them
	Events  notifyEvents
	Items   []fetchItem // MessageNew (fetch-att ...)
}

// notifyArgs are the arguments of NOTIFY (RFC 5465 3.1).
type notifyArgs struct {
	None     bool // NOTIFY NONE
	Status   bool // SET STATUS
	Selected *notifySelected
	Groups   []notifyGroup
	// Unknown are event names this server does not know (BADEVENT).
	Unknown bool
}
